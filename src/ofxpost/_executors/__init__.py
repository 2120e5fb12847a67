"""Executors, like httpx's transports: the protocol, the local pool, sequential, and Dask."""
