"""The shop's accountant: reconciliation with ARCA's "Mis Comprobantes Recibidos" and the Libro IVA Digital.

- :mod:`~minimarket.accounting.arca_export` reads an ARCA export (CSV or XLSX, every header generation, both
  number formats) into :class:`~minimarket.accounting.arca_export.ArcaRow` records;
- :mod:`~minimarket.accounting.reconcile` matches them with the stored invoices by fiscal key;
- :mod:`~minimarket.accounting.libro_iva` writes (and reads back) the two fixed-width purchase files.
"""
