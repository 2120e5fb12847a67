"""Progress events: the emitter (a structlog processor chain) and the shipped JSON Schema."""
