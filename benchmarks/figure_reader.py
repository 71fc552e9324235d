"""The figure reader vs raw Tesseract on the same printed figures, side by side.

    .venv/bin/python benchmarks/figure_reader.py [--words 60] [--photos 20] [--seed 4242]

Two sets, neither seen in training:
- rendered figures ("12.345,67", "8,905", digit runs) in Helvetica, Times and Courier at 100, 130 and 160 dpi,
  blurred, noised, JPEG-compressed and enlarged as the OCR engine enlarges them: exact words read by
  Tesseract (``spa``, one word per call, psm 7, on the same crop) and by the figure reader;
- synthetic phone photos (``minimarket.synth``, seeds no training uses): every figure word Tesseract finds on
  the prepared page is read again; reported are the words whose value is one of the page's item figures
  (quantity, unit price, amount) as Tesseract read it, as the reader read it, and by either of the two —
  the reach of arithmetic, which tries both readings of an item row.
Also: milliseconds per word of the figure reader. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from typing import Any

import numpy as np

from minimarket.documents.ocr.figures import AMOUNT_CHARS, FIGURE_WORD, box_crop, bundled_model, read_word
from minimarket.documents.ocr.tesseract import image_to_words
from minimarket.learning.figure_glyphs import degrade, render_sheet, word_crop

FONTS = ("Helvetica", "Times-Roman", "Courier")
DPIS = (100, 130, 160)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text).lstrip("0") or "0"


def rendered(words: int, seed: int) -> dict[str, Any]:
    model = bundled_model()
    assert model is not None, "no figure model: run `minimarket train figures`"
    out: dict[str, Any] = {}
    spent, count = 0.0, 0
    for font in FONTS:
        for dpi in DPIS:
            rng = np.random.default_rng(seed + dpi)
            image, drawn = render_sheet(rng, font, 9.0, dpi)
            image, scale = degrade(image, rng, dpi)
            ours = tess = 0
            for word in drawn[:words]:
                crop, _ = word_crop(image, word, scale, rng)
                t0 = time.perf_counter()
                reading = read_word(crop, model, AMOUNT_CHARS)
                spent += time.perf_counter() - t0
                count += 1
                ours += reading is not None and reading.text == word.text
                padded = np.pad(crop, 10, constant_values=int(np.percentile(crop, 90)))
                found = image_to_words(padded, "spa", 7, 220)
                tess += "".join(w.text for w in found) == word.text
            n = min(words, len(drawn))
            out[f"{font}@{dpi}dpi"] = {"words": n, "tesseract": round(tess / n, 3), "figure_reader": round(ours / n, 3)}
    total = {
        k: sum(v[k] * v["words"] for v in out.values()) / sum(v["words"] for v in out.values())
        for k in ("tesseract", "figure_reader")
    }
    return {
        "by_font_and_resolution": out,
        "all": {k: round(v, 3) for k, v in total.items()},
        "ms_per_word": round(1000 * spent / count, 2),
    }


def photos(count: int, seed: int) -> dict[str, Any]:
    import cv2

    from minimarket.catalog import bundled_catalog
    from minimarket.documents.ocr.engine import OcrSettings, apply_ocr_scale
    from minimarket.documents.ocr.preprocess import preprocess
    from minimarket.synth.invoices.dataset import make_document

    model = bundled_model()
    assert model is not None
    catalog = bundled_catalog()
    words = tess_right = ours_right = either = 0
    for index in range(count):
        generated = make_document(catalog, seed, index, "photo")
        values = set()
        for item in generated.truth.items:
            for value in (item.quantity, item.unit_price, item.amount):
                if value is not None:
                    values.add(_digits(f"{value:f}"))
        image = cv2.imdecode(np.frombuffer(generated.data, np.uint8), cv2.IMREAD_COLOR)
        prepared = apply_ocr_scale(preprocess(image, None), OcrSettings())
        for word in image_to_words(prepared.image, "spa", 6, round(prepared.dpi)):
            if not FIGURE_WORD.match(word.text) or sum(c.isdigit() for c in word.text) < 3:
                continue
            reading = read_word(box_crop(prepared.image, word), model, AMOUNT_CHARS)
            first = _digits(word.text) in values
            second = reading is not None and _digits(reading.text) in values
            words += 1
            tess_right += first
            ours_right += second
            either += first or second
    return {
        "documents": count,
        "figure_words": words,
        "item_figures_right": {"tesseract": tess_right, "figure_reader": ours_right, "either": either},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=60, help="rendered words per font and resolution")
    parser.add_argument("--photos", type=int, default=20, help="synthetic phone photos (0: none)")
    parser.add_argument("--seed", type=int, default=4242)
    args = parser.parse_args()
    report: dict[str, Any] = {"benchmark": "figure_reader", "seed": args.seed}
    report["rendered"] = rendered(args.words, args.seed)
    if args.photos:
        report["photos"] = photos(args.photos, args.seed)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
