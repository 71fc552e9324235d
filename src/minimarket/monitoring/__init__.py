"""minimarket.monitoring."""
