"""Synthetic supplier invoices with ground truth."""
