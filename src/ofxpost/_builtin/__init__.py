"""The built-in plugins: loaders, post-processing features and writers."""
