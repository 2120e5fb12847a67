"""Tools around a batch: the synthetic generator, the demo, archive export, the plugin skeleton."""
