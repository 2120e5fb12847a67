"""The ``ofxpost`` command line and its terminal sinks."""
