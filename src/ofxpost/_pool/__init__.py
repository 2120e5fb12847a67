"""A process pool that survives dead workers and kills a task's process tree.

It imports nothing from ofxpost but :mod:`ofxpost.errors`, so it can be lifted out whole."""
