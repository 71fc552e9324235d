"""Reading invoices: ingest, PDF text, codes, OCR, fields, items, reconciliation.

One entry point: :func:`minimarket.documents.extract.extract`.
"""
