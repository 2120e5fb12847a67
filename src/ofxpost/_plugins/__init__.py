"""The plugin manager, plugin discovery and config loading through the plugins' hooks."""
