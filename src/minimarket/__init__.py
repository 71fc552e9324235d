"""minimarket: invoices, demand, inflation and prices for Argentine mini markets."""

__version__ = "0.1.0"
