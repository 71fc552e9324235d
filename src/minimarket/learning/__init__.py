"""What the invoice reader learns: product matching, line-item recognition, OCR settings.

* :mod:`~minimarket.learning.matching` — item description (+ supplier, code) → catalog SKU with a confidence;
* :mod:`~minimarket.learning.line_classifier` — which table lines are items and the role of each figure;
* :mod:`~minimarket.learning.ocr_tuning` — Tesseract settings chosen on a validation split;
* :mod:`~minimarket.learning.extractor_model` — all of it as the reader's learned parts;
* :mod:`~minimarket.learning.extractor_pyfunc` — the same as the MLflow pyfunc ``invoice-extractor``;
* :mod:`~minimarket.learning.train` — the training / evaluation routine (notebook and CLI);
* :mod:`~minimarket.learning.runtime` — the doors' reader: the registered champion from a local copy;
* :mod:`~minimarket.learning.compact` — the parts' estimators in a form that loads without scikit-learn.
"""
