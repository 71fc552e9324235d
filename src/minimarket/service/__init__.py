"""minimarket.service."""
