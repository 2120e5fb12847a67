"""The OrcFxAPI names ofxpost uses, with pure-Python stand-ins where OrcFxAPI does not import."""
