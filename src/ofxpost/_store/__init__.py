"""What a batch keeps on disk.

The result store, the manifest, the output-dir lock and per-file artifacts.
"""
