"""hooksmith.web."""
