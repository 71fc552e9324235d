"""minimarket.store."""
