"""OCR of one page image: preprocessing, Tesseract, orientation fix, boxes converted to points.

Orientation is settled cheaply first: :func:`~minimarket.documents.ocr.preprocess.preprocess` turns
pages whose text runs vertically. Only when the first reading looks wrong (few confident words, hardly any
invoice vocabulary: typically an upside-down page) is a band across the middle of the page read at the
other three orientations, and the page read again at the one that reads clearly better. A phone photo
that still reads with little confidence, or with some and a clear motion blur (its estimates agreeing), is
tried with its blur taken out (:mod:`.deblur`), and read again deblurred only
when that reads clearly better; a turned photo is asked this on the band that chose its orientation, so
a deblurred winner spares the whole reading of the turned page as taken. What decides is cheap
(:mod:`.legibility`): a page that reads well is read once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import cv2
import numpy as np

from minimarket.config import Settings, get_settings
from minimarket.documents.ingest import DocumentError
from minimarket.documents.layout import PageText, TextOrigin, Word, group_lines
from minimarket.documents.ocr.deblur import OUT_OF_FOCUS, Blur, Deblurrer, blur_candidates
from minimarket.documents.ocr.figure_cells import reread_figure_cells
from minimarket.documents.ocr.figures import bundled_model, lines_adding_up, rows_add_up, second_readings
from minimarket.documents.ocr.legibility import deblur_kernels, looks_upright
from minimarket.documents.ocr.preprocess import PreparedPage, preprocess, rotate90, shrink, to_gray
from minimarket.documents.ocr.tesseract import DEFAULT_PSM, Deadline, OcrWord, image_to_words

_ALNUM = re.compile(r"[^\W_]")
GOOD_MEAN_CONF = 70.0
"""Mean confidence (0..100) of real words above which a reading is trusted without trying OSD."""
MIN_GOOD_WORDS = 8


@dataclass(frozen=True, slots=True)
class OcrSettings:
    """Tesseract page segmentation mode, binarisation after preprocessing, and an extra scale factor: the
    defaults, or those the learned invoice-extractor chose on a validation split
    (:mod:`minimarket.learning.ocr_tuning`)."""

    psm: int = DEFAULT_PSM
    binarize: bool = False
    scale: float = 1.0

    @property
    def key(self) -> str:
        """A short stable name (cache keys, MLflow params)."""
        return f"psm{self.psm}-bin{int(self.binarize)}-x{self.scale:g}"


def reading_score(words: list[OcrWord]) -> tuple[int, float]:
    """(number of confident real words, mean confidence of real words) — real = 3+ letters or digits."""
    real = [w for w in words if len(_ALNUM.findall(w.text)) >= 3]
    if not real:
        return 0, 0.0
    mean = sum(w.conf for w in real) / len(real)
    return sum(1 for w in real if w.conf >= 60), mean


def _better(a: list[OcrWord], b: list[OcrWord]) -> bool:
    """True when reading ``a`` is better than ``b``."""
    ca, ma = reading_score(a)
    cb, mb = reading_score(b)
    return (ca * ma) > (cb * mb)


def _looks_right(words: list[OcrWord]) -> bool:
    """A reading worth keeping without asking OSD: confident words, or words typical of an upright
    invoice even when the picture is poor."""
    count, mean = reading_score(words)
    return (count >= MIN_GOOD_WORDS and mean >= GOOD_MEAN_CONF) or looks_upright(words)


def ocr_page(
    image: np.ndarray,
    settings: Settings | None = None,
    dpi: float | None = None,
    index: int = 0,
    psm: int = DEFAULT_PSM,
    fixed_geometry: bool = False,
    tuned: OcrSettings | None = None,
) -> PageText:
    """OCR a page image (gray/BGR uint8) and return its words in points (origin OCR).

    ``dpi`` is the image's resolution if known (a PDF render); otherwise it is estimated. The whole page
    (OSD and retries included) is bounded by ``Settings.ocr_timeout_seconds``: past it,
    ``DocumentError("timeout")`` is raised and Tesseract has stopped (no process or reading is left running).
    ``fixed_geometry`` keeps the image's geometry (no rotation, deskew or perspective correction), so
    word boxes are the input's pixels × 72 / dpi. ``tuned`` are the Tesseract settings to read with
    (``None``: the defaults); an explicit ``psm`` other than the default wins over ``tuned.psm``.
    """
    settings = settings or get_settings()
    deadline = Deadline(settings.ocr_timeout_seconds)
    tuned = tuned or OcrSettings()
    prepared = apply_ocr_scale(preprocess(image, dpi, binarize=tuned.binarize, fixed_geometry=fixed_geometry), tuned)
    if psm == DEFAULT_PSM:
        psm = tuned.psm
    lang = settings.ocr_language
    try:
        words = image_to_words(prepared.image, lang, psm, round(prepared.dpi), deadline.left())
        deblur = not fixed_geometry and settings.ocr_deblur
        if not fixed_geometry and not _looks_right(words):
            turned_blur = TurnedBlur(image, dpi, tuned, psm, deadline, lang) if deblur else None
            upright = prepared
            prepared, words = _fix_orientation(prepared, words, lang, psm, deadline, turned_blur)
            deblur = deblur and prepared is upright  # a turned page had its blur settled on its band
        if deblur and _may_be_blurred(prepared, words):
            kernels = deblur_kernels(reading_score(words)[1], blur_candidates(to_gray(image)))
            if kernels:
                prepared, words = _try_deblurred(image, dpi, prepared, words, tuned, psm, deadline, lang, kernels)
    except DocumentError as exc:
        if exc.code != "timeout":
            raise
        raise DocumentError(
            "timeout",
            f"La lectura con OCR de la página {index + 1} superó el límite de "
            f"{settings.ocr_timeout_seconds:g} s; pruebe con una foto más nítida, derecha y bien iluminada.",
        ) from None
    words, alternatives = _figure_readings(prepared, words)
    return to_page_text(words, prepared, index, alternatives)


SECOND_READING_STEPS = frozenset({"perspective", "flatten", "enlarge"})
"""Pages the figure reader reads again: photos (warped or unevenly lit) and enlarged low-resolution
pictures. Clean scans at 200 dpi and more keep Tesseract's reading alone, at no cost."""


def _figure_readings(
    prepared: PreparedPage, words: list[OcrWord]
) -> tuple[list[OcrWord], list[tuple[str, ...]] | None]:
    """The reading's words, with the figures of number columns Tesseract left out or garbled read again
    (:mod:`.figure_cells`), and the figure reader's second readings of them, on the pages it reads."""
    model = bundled_model()
    if model is None or not SECOND_READING_STEPS.intersection(prepared.steps):
        return words, None
    if not rows_add_up(words):  # the figure cells pay only where some row does not add up
        words = reread_figure_cells(prepared.image, words, model)
    return words, second_readings(prepared.image, words)


ORIENTATION_BAND = 0.4
"""Share of the page height read again on another version of the page (turned, deblurred) to decide whether
it reads better: the band with the most ink (a page whose middle is blank, like an invoice with a short
table shot upside down, has its text elsewhere). A 30 % band read 7 items fewer on 100 deblurred bench
photos for 2 % of the OCR time."""
ORIENTATION_MARGIN = 1.3
"""How much better (confident words × mean confidence) another orientation must read to be tried on the page."""
ORIENTATION_ENOUGH = 2.0
"""An orientation whose band reads this much better is the right one: the others are not read."""


def text_band(image: np.ndarray, share: float = ORIENTATION_BAND) -> tuple[int, int]:
    """Rows (top, bottom) of the horizontal band, ``share`` of the page tall, that holds the most ink
    (the middle one on a blank page)."""
    h = image.shape[0]
    tall = max(1, round(share * h))
    small, factor = shrink(image, 600)
    _, ink = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    rows = ink.sum(axis=1, dtype=np.float64)
    size = max(1, round(share * small.shape[0]))
    if tall >= h or size >= rows.size or not rows.any():
        top = (h - tall) // 2
        return top, top + tall
    sums = np.convolve(rows, np.ones(size), mode="valid")
    best = np.flatnonzero(sums >= sums.max() - 1e-6)
    top = min(int(best[len(best) // 2] / factor), h - tall)  # the text centred when several bands hold it all
    return top, top + tall


def _band(image: np.ndarray) -> np.ndarray:
    top, bottom = text_band(image)
    return image[top:bottom]


def _band_words(words: list[OcrWord], band: tuple[int, int]) -> list[OcrWord]:
    """The words of a full-page reading that lie in the band (top, bottom rows)."""
    top, bottom = band
    return [w for w in words if top <= (w.top + w.bottom) / 2 < bottom]


def _score(words: list[OcrWord]) -> float:
    count, mean = reading_score(words)
    return count * mean


BAND_READERS = 2
"""Tesseract readers (threads, each with a handle of its own) reading the bands of the deblurred versions of a
page at once (every version is read, so they need not wait for each other): a worker whose neighbours are
idle, as at the end of a batch, finishes its hardest photo sooner; on busy cores it costs nothing but a little
memory."""


@dataclass(frozen=True, slots=True)
class BandReading:
    """A version of a page and the reading of its band with the most ink (:func:`text_band`)."""

    version: PreparedPage
    words: list[OcrWord]

    @property
    def score(self) -> float:
        return _score(self.words)


def _best_band(
    baseline: float,
    versions: Iterator[PreparedPage],
    lang: str,
    psm: int,
    deadline: Deadline,
    enough: float | None = None,
) -> BandReading | None:
    """The version whose band reads best. With ``enough``, versions are made and read one at a time and one
    whose band reads that many times better than ``baseline`` ends the search; without it, every version is
    read, :data:`BAND_READERS` at a time."""

    def band(version: PreparedPage) -> BandReading:
        return BandReading(
            version, image_to_words(_band(version.image), lang, psm, round(version.dpi), deadline.left())
        )

    best: BandReading | None = None
    if enough is None:
        with ThreadPoolExecutor(BAND_READERS, thread_name_prefix="band") as readers:
            reading = [readers.submit(band, version) for version in versions]  # made while read
            scored = [future.result() for future in reading]
        for found in scored:
            if best is None or found.score > best.score:
                best = found
    else:
        for version in versions:
            found = band(version)
            if best is None or found.score > best.score:
                best = found
            if found.score > enough * max(baseline, 1.0):
                break  # clearly better: no need to try the others
    return best


def _keep_if_better(
    prepared: PreparedPage, words: list[OcrWord], chosen: PreparedPage, lang: str, psm: int, deadline: Deadline
) -> tuple[PreparedPage, list[OcrWord]]:
    """``chosen`` read whole, kept only if it reads better than ``words`` and has no fewer item lines that add
    up (a wrong kernel can make confident words out of ringing while it breaks figures)."""
    candidate = image_to_words(chosen.image, lang, psm, round(chosen.dpi), deadline.left())
    if _better(candidate, words) and lines_adding_up(candidate) >= lines_adding_up(words):
        return chosen, candidate
    return prepared, words


def _reread_if_better(
    prepared: PreparedPage,
    words: list[OcrWord],
    versions: Iterator[PreparedPage],
    margin: float,
    lang: str,
    psm: int,
    deadline: Deadline,
    enough: float | None = None,
) -> tuple[PreparedPage, list[OcrWord]]:
    """Other versions of the page (turned, deblurred...): the band of the page with the most ink is read on
    each and compared with the same band of the first reading; the best version is read whole only if its
    band reads ``margin`` times better, and kept as :func:`_keep_if_better` says (``enough``:
    :func:`_best_band`)."""
    baseline = _score(_band_words(words, text_band(prepared.image)))
    best = _best_band(baseline, versions, lang, psm, deadline, enough)
    if best is None or best.score < margin * max(baseline, 1.0):
        return prepared, words
    return _keep_if_better(prepared, words, best.version, lang, psm, deadline)


def _fix_orientation(
    prepared: PreparedPage,
    words: list[OcrWord],
    lang: str,
    psm: int,
    deadline: Deadline,
    turned_blur: TurnedBlur | None = None,
) -> tuple[PreparedPage, list[OcrWord]]:
    """The first reading does not look like an upright invoice: the page turned 180°, 90° and 270°, read
    again at an orientation whose band reads clearly better (:func:`_best_band`), kept if it reads better
    whole (:func:`_keep_if_better`). With ``turned_blur``, a turned photo whose band reads poorly is tried
    deblurred first (:class:`TurnedBlur`): the turned page is read whole only if that does not pay.

    (Tesseract OSD was tried first and was wrong on a third of the rotated phone photos of the synthetic
    evaluation set, at the cost of most of a recognition pass; text confidence is the reliable signal.)
    """
    turned = (
        replace(
            prepared,
            image=rotate90(prepared.image, degrees),
            rotation=(prepared.rotation + degrees) % 360,
            steps=[*prepared.steps, f"orient{degrees}"],
        )
        for degrees in (180, 90, 270)
    )
    baseline = _score(_band_words(words, text_band(prepared.image)))
    best = _best_band(baseline, turned, lang, psm, deadline, ORIENTATION_ENOUGH)
    if best is None or best.score < ORIENTATION_MARGIN * max(baseline, 1.0):
        return prepared, words
    if turned_blur is not None:
        found = turned_blur.read(best)
        if found is not None:
            return found
    return _keep_if_better(prepared, words, best.version, lang, psm, deadline)


SHARP_MEAN_CONF = 80.0
"""Mean confidence of a photo's real words from which it is taken to be sharp: every sharp photo of the
synthetic evaluation set read above 86, every blurred one below 80 (85 gained nothing on 70 photos and
cost a tenth of the OCR time)."""
DEBLUR_MARGIN = 1.15
"""How much better (confident words × mean confidence) the band of a deblurred picture must read."""


PHOTO_STEP = "perspective"
"""The step only a phone photo needs: a sheet found in a wider picture and straightened. Scanners do not
shake, and a scan's text is finer than a photo's: a false blur estimate there can break a table that read
well (measured on the synthetic scans), so a scan is never deblurred."""


def _may_be_blurred(prepared: PreparedPage, words: list[OcrWord]) -> bool:
    """A phone photo that reads with little confidence (then :func:`~.legibility.deblur_kernels` decides
    which blurs to try from how little and from the blur its picture shows)."""
    return PHOTO_STEP in prepared.steps and reading_score(words)[1] < SHARP_MEAN_CONF


def _try_deblurred(
    image: np.ndarray,
    dpi: float | None,
    prepared: PreparedPage,
    words: list[OcrWord],
    tuned: OcrSettings,
    psm: int,
    deadline: Deadline,
    lang: str,
    blurs: list[Blur] | None = None,
) -> tuple[PreparedPage, list[OcrWord]]:
    """The page made again from the picture with its blur taken out, for each of ``blurs`` (by default
    each blur the picture may show, :func:`~minimarket.documents.ocr.deblur.blur_candidates`, then an
    out-of-focus one), and read again if it reads clearly better (:func:`_reread_if_better`: a wrong kernel
    can make confident words out of ringing while it breaks figures, hence also the item lines that must
    still add up). Every candidate is read: the cepstrum often puts a blur one pixel longer first, and a
    kernel one pixel off reads much worse than the right one, yet often twice as well as the picture as taken
    (a 7-pixel blur taken out as 8 pixels: 5 of 27 items right; as 7 pixels: 21)."""
    kernels = [*blur_candidates(to_gray(image)), OUT_OF_FOCUS] if blurs is None else blurs
    versions = _deblurred_versions(image, dpi, prepared, tuned, kernels)
    return _reread_if_better(prepared, words, versions, DEBLUR_MARGIN, lang, psm, deadline)


def _deblurred_versions(
    image: np.ndarray, dpi: float | None, prepared: PreparedPage, tuned: OcrSettings, blurs: list[Blur]
) -> Iterator[PreparedPage]:
    """``prepared`` made again from the picture with each of ``blurs`` taken out (one spectrum for all, made
    when the first is asked for), the sheet straightened where it was found in the picture as taken (a
    deblurred picture's ringing can move the edges found) and turned as ``prepared`` is."""
    deblurrer = Deblurrer(to_gray(image))
    for blur in blurs:
        sharp = preprocess(deblurrer.remove(blur), dpi, binarize=tuned.binarize, sheet=prepared.quad)
        sharp = apply_ocr_scale(sharp, tuned)
        turn = (prepared.rotation - sharp.rotation) % 360
        if turn:
            sharp = replace(sharp, image=rotate90(sharp.image, turn), rotation=prepared.rotation)
        yield replace(sharp, steps=[*sharp.steps, blur.name])


@dataclass(frozen=True)
class TurnedBlur:
    """Deblurring decided on a turned photo's band (:meth:`read`), before the turned page is read whole: when a
    deblurred version wins, the turned page as taken is never read whole (a second or two of Tesseract on the
    slowest photos, upside down and blurred). A turned page kept is not asked about its blur again."""

    image: np.ndarray
    dpi: float | None
    tuned: OcrSettings
    psm: int
    deadline: Deadline
    lang: str

    def read(self, turned: BandReading) -> tuple[PreparedPage, list[OcrWord]] | None:
        """The best deblurred version of ``turned.version`` read whole, if its band reads
        :data:`DEBLUR_MARGIN` times better than the turned band and the same band of its whole reading is
        better and has no fewer item lines that add up; else None (the turned page is then read as taken)."""
        if not _may_be_blurred(turned.version, turned.words):
            return None
        kernels = deblur_kernels(reading_score(turned.words)[1], blur_candidates(to_gray(self.image)))
        if not kernels:
            return None
        versions = _deblurred_versions(self.image, self.dpi, turned.version, self.tuned, kernels)
        best = _best_band(turned.score, versions, self.lang, self.psm, self.deadline)
        if best is None or best.score < DEBLUR_MARGIN * max(turned.score, 1.0):
            return None
        chosen = best.version
        candidate = image_to_words(chosen.image, self.lang, self.psm, round(chosen.dpi), self.deadline.left())
        band = _band_words(candidate, text_band(chosen.image))
        if _better(band, turned.words) and lines_adding_up(band) >= lines_adding_up(turned.words):
            return chosen, candidate
        return None


def to_page_text(
    words: list[OcrWord], prepared: PreparedPage, index: int, alternatives: list[tuple[str, ...]] | None = None
) -> PageText:
    """Convert Tesseract words (pixels) to a :class:`PageText` in points, with the figure reader's
    ``alternatives`` (its readings of each word) when there are any."""
    k = 72.0 / prepared.dpi
    height_px, width_px = prepared.image.shape[:2]
    alts = alternatives or [()] * len(words)
    result = [
        Word(w.text, w.left * k, w.top * k, w.right * k, w.bottom * k, max(0.0, min(1.0, w.conf / 100)), alt)
        for w, alt in zip(words, alts, strict=True)
    ]
    return PageText(
        index=index,
        width=width_px * k,
        height=height_px * k,
        origin=TextOrigin.OCR,
        words=result,
        lines=group_lines(result),
    )


def apply_ocr_scale(prepared: PreparedPage, tuned: OcrSettings) -> PreparedPage:
    """The prepared page resized by ``tuned.scale`` (its dpi follows, so boxes stay in points)."""
    if abs(tuned.scale - 1.0) < 1e-6:
        return prepared
    interpolation = cv2.INTER_AREA if tuned.scale < 1 else cv2.INTER_CUBIC
    image = cv2.resize(prepared.image, None, fx=tuned.scale, fy=tuned.scale, interpolation=interpolation)
    steps = [*prepared.steps, f"scale{tuned.scale:g}"]
    return replace(prepared, image=image, dpi=prepared.dpi * tuned.scale, steps=steps)
