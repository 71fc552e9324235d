"""Training the figure reader (:mod:`minimarket.documents.ocr.figures`) on rendered, degraded figures.

Sheets of random figures ("12.345,67", "8,905", "20", CAE-like digit runs) are drawn with ReportLab in the
typefaces invoices are printed in (Helvetica, Times, Courier, regular and bold, the ones the synthetic
invoices use too), rendered by pdfium at 85-200 dpi, blurred, noised, JPEG-compressed and enlarged to the
resolution the OCR engine prepares pages at. Every candidate piece of every word is labelled from the
glyphs' known positions: a character when it holds that character's whole ink and none of its neighbours',
``#`` (garbage) otherwise. A scikit-learn perceptron learns them; its weights are saved for the numpy
forward pass of :class:`~minimarket.documents.ocr.figures.GlyphModel`.
"""

from __future__ import annotations

import io
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from minimarket.documents.ocr.figures import (
    GARBAGE,
    GlyphModel,
    candidate_pieces,
    is_blank,
    piece_features,
    word_image,
)
from minimarket.documents.ocr.preprocess import UPSCALE_DPI

FONTS = ("Helvetica", "Helvetica-Bold", "Times-Roman", "Times-Bold", "Courier", "Courier-Bold")
PAGE = (595.0, 842.0)


@dataclass(frozen=True, slots=True)
class RenderedWord:
    """A figure drawn on a sheet: its text, box and each character's advance span, in the sheet's pixels."""

    text: str
    left: float
    baseline: float
    right: float
    spans: list[tuple[float, float]]
    em: float


def random_figure(rng: np.random.Generator) -> str:
    """A figure as invoices print them: an es-AR amount, a small count, a weight, or a run of digits (a CAE,
    a CUIT or a date read without its dashes and slashes)."""
    kind = rng.random()
    if kind < 0.55:
        whole = int(10 ** rng.uniform(0, 6.5))
        return f"{whole:,}".replace(",", ".") + "," + f"{int(rng.integers(0, 100)):02d}"
    if kind < 0.75:
        return str(int(10 ** rng.uniform(0, 3)))
    if kind < 0.85:
        return f"{rng.uniform(0, 30):.3f}".replace(".", ",")
    return "".join(str(int(d)) for d in rng.integers(0, 10, int(rng.integers(4, 15))))


def render_sheet(rng: np.random.Generator, font: str, size: float, dpi: float) -> tuple[np.ndarray, list[RenderedWord]]:
    """A page of random figures in ``font`` at ``size`` points, rendered at ``dpi`` (gray)."""
    import pypdfium2 as pdfium
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    width, height = PAGE
    pdf = canvas.Canvas(buffer, pagesize=PAGE)
    pdf.setFont(font, size)
    k = dpi / 72
    words: list[RenderedWord] = []
    y = height - 30
    while y > 30:
        x = 30.0
        while True:
            text = random_figure(rng)
            advance = stringWidth(text, font, size)
            if x + advance > width - 30:
                break
            pdf.drawString(x, y, text)
            edges = [stringWidth(text[:i], font, size) for i in range(len(text) + 1)]
            spans = [((x + a) * k, (x + b) * k) for a, b in itertools.pairwise(edges)]
            words.append(RenderedWord(text, x * k, (height - y) * k, (x + advance) * k, spans, size * k))
            x += advance + size * float(rng.uniform(1.5, 4))
        y -= size * float(rng.uniform(1.6, 2.4))
    pdf.showPage()
    pdf.save()
    document = pdfium.PdfDocument(buffer.getvalue())
    try:
        image = document[0].render(scale=k, grayscale=True).to_numpy()
    finally:
        document.close()
    if image.ndim == 3:
        image = image[:, :, 0]
    return np.ascontiguousarray(image), words


def degrade(image: np.ndarray, rng: np.random.Generator, dpi: float) -> tuple[np.ndarray, float]:
    """Blur, noise and JPEG at the render's resolution, then enlarged as the OCR engine enlarges low-resolution
    pictures (and median-filtered as it does photos, most of the time). Returns the image and its scale."""
    out: np.ndarray = image.astype(np.float32)
    sigma = float(rng.uniform(0, 1.2))
    if sigma > 0.2:
        out = np.asarray(cv2.GaussianBlur(out, (0, 0), sigma))
    out = out + rng.normal(0, rng.uniform(0, 8), out.shape).astype(np.float32)
    out8: np.ndarray = np.clip(out, 0, 255).astype(np.uint8)
    ok, encoded = cv2.imencode(".jpg", out8, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(35, 95))])
    if ok:
        out8 = np.asarray(cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE))
    scale = UPSCALE_DPI / dpi
    out8 = np.asarray(cv2.resize(out8, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC))
    if rng.random() < 0.6:
        out8 = np.asarray(cv2.medianBlur(out8, 3))
    return out8, scale


def word_crop(image: np.ndarray, word: RenderedWord, scale: float, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """The word's crop with a little paper around it, its edges jittered as Tesseract's boxes are."""
    em = word.em * scale
    jitter = rng.uniform(-0.08, 0.08, 4) * em
    left = max(0, int(word.left * scale - 0.1 * em + jitter[0]))
    right = int(word.right * scale + 0.1 * em + jitter[1])
    top = max(0, int(word.baseline * scale - 0.85 * em + jitter[2]))
    bottom = int(word.baseline * scale + 0.3 * em + jitter[3])
    return image[top:bottom, left:right], left


def labelled_pieces(crop: np.ndarray, word: RenderedWord, scale: float, left: int) -> Iterator[tuple[np.ndarray, str]]:
    """(features, label) of every candidate piece of a rendered word's crop."""
    measured = word_image(crop)
    if measured is None:
        return
    height = measured.digit_height
    darkest = float(measured.dark.max())
    inked_cols = measured.dark[measured.top : measured.bottom].max(axis=0) > 0.25 * darkest
    truth = []
    for (a, b), char in zip(word.spans, word.text, strict=True):
        a, b = a * scale - left, b * scale - left
        cols = np.flatnonzero(inked_cols[max(0, int(a)) : min(crop.shape[1], int(np.ceil(b)))])
        if cols.size:
            start = max(0, int(a))
            truth.append((start + int(cols[0]), start + int(cols[-1]) + 1, a, b, char))
    slack, bleed = 0.08 * height, 0.2 * height
    for i, j in candidate_pieces(measured):
        a, b = measured.cuts[i], measured.cuts[j]
        if is_blank(measured, a, b):
            continue
        label = GARBAGE
        for ink_a, ink_b, span_a, span_b, char in truth:
            if a <= ink_a + slack and b >= ink_b - slack and a >= span_a - bleed and b <= span_b + bleed:
                label = char
                break
        yield piece_features(measured, a, b), label


def harvest(sheets: int, seed: int, keep: float = 0.12, keep_garbage: float = 0.025) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels from ``sheets`` rendered sheets (fonts in turn); a sample of the pieces is kept,
    as neighbouring cuts make near-identical pieces."""
    rng = np.random.default_rng(seed)
    features: list[np.ndarray] = []
    labels: list[str] = []
    for n in range(sheets):
        dpi = float(rng.uniform(85, 200))
        image, words = render_sheet(rng, FONTS[n % len(FONTS)], float(rng.uniform(6.5, 11)), dpi)
        image, scale = degrade(image, rng, dpi)
        for word in words:
            crop, left = word_crop(image, word, scale, rng)
            if crop.size == 0:
                continue
            for vector, label in labelled_pieces(crop, word, scale, left):
                if rng.random() < (keep_garbage if label == GARBAGE else keep):
                    features.append(vector)
                    labels.append(label)
    return np.asarray(features, np.float32), np.asarray(labels)


def train_glyph_model(
    sheets: int = 72, seed: int = 1, hidden: int = 384, progress: Any = None
) -> tuple[GlyphModel, dict[str, Any]]:
    """Train the glyph classifier on ``sheets`` sheets and test it on a quarter as many unseen ones."""
    from sklearn.neural_network import MLPClassifier

    start = time.perf_counter()
    x_train, y_train = harvest(sheets, seed)
    x_test, y_test = harvest(max(6, sheets // 4), seed + 1000)
    if progress:
        progress(f"{len(y_train)} training pieces, {len(y_test)} test pieces")
    classifier = MLPClassifier(hidden_layer_sizes=(hidden,), max_iter=80, early_stopping=True, random_state=seed)
    classifier.fit(x_train, y_train)
    model = GlyphModel(
        classifier.coefs_[0],
        classifier.intercepts_[0],
        classifier.coefs_[1],
        classifier.intercepts_[1],
        tuple(str(c) for c in classifier.classes_),
    )
    predicted = np.asarray(model.classes)[model.predict_proba(x_test).argmax(axis=1)]
    figures = {
        "sheets": sheets,
        "seed": seed,
        "training_pieces": len(y_train),
        "test_pieces": len(y_test),
        "test_accuracy": round(float((predicted == y_test).mean()), 4),
        "seconds": round(time.perf_counter() - start, 1),
    }
    return model, figures


def train_and_save(path: Path, sheets: int = 72, seed: int = 1, progress: Any = None) -> dict[str, Any]:
    """Train and write the model to ``path`` (written whole, then moved into place; nothing is left behind
    when it cannot be)."""
    model, figures = train_glyph_model(sheets, seed, progress=progress)
    partial = path.with_name(path.stem + ".partial.npz")
    try:
        model.save(partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    figures["path"] = str(path)
    return figures


def figure_model_digest() -> str:
    """Which figure model the OCR engine reads with (first 12 hex digits of its SHA-256, "none" if absent):
    logged with every extractor training run, whose readings depend on it."""
    import hashlib

    from minimarket.documents.ocr.figures import MODEL_PATH

    return hashlib.sha256(MODEL_PATH.read_bytes()).hexdigest()[:12] if MODEL_PATH.is_file() else "none"
