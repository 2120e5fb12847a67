"""The config as typed data, the input expansion, and the plan that the engine runs."""
