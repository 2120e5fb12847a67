"""Foundation: plain records, the result codec, atomic writes, names and sizes.

Nothing here runs an event loop or decides I/O policy.
"""
