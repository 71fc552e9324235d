"""minimarket.forecast."""
