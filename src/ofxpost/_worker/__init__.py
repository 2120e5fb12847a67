"""The per-file function that runs in worker processes, and its output capture."""
