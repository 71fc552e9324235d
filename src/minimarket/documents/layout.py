"""Positioned text shared by every reading path (PDF text layer and OCR) and by field extraction.

Coordinates are in PDF points (1/72 inch) from the page's top-left corner, y growing downwards, whatever
the source: OCR boxes are scaled from pixels with the render/scan resolution. That lets field and item
extraction use one set of geometric rules for text-layer PDFs, scans and photos.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class TextOrigin(StrEnum):
    """Which reader produced a page's words."""

    TEXT = "text"
    OCR = "ocr"


@dataclass(frozen=True, slots=True)
class Word:
    """One word with its box (points, top-left origin) and a confidence in 0..1 (1.0 for text layer)."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    conf: float = 1.0
    alts: tuple[str, ...] = ()
    """Other readings of an OCR figure, by the figure reader, where they differ from ``text``, likeliest
    first: tried where the first reading does not add up (:mod:`minimarket.documents.ocr.figures`)."""

    @property
    def alt(self) -> str | None:
        """The likeliest other reading, if any."""
        return self.alts[0] if self.alts else None

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass(slots=True)
class Line:
    """Words on one visual line, left to right."""

    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)

    @property
    def x0(self) -> float:
        return min(word.x0 for word in self.words)

    @property
    def x1(self) -> float:
        return max(word.x1 for word in self.words)

    @property
    def y0(self) -> float:
        return min(word.y0 for word in self.words)

    @property
    def y1(self) -> float:
        return max(word.y1 for word in self.words)

    @property
    def conf(self) -> float:
        return min((word.conf for word in self.words), default=0.0)


@dataclass(slots=True)
class PageText:
    """The words of one page and where they came from."""

    index: int
    width: float
    height: float
    origin: TextOrigin
    words: list[Word] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def mean_conf(self) -> float:
        if not self.words:
            return 0.0
        return sum(word.conf for word in self.words) / len(self.words)


@dataclass(frozen=True, slots=True)
class DecodedCode:
    """A barcode found on a page: ``kind`` is "qr" or "i2of5"; ``text`` is its raw content."""

    kind: str
    text: str
    page: int
    where: str = "render"
    """``render`` (decoded from the rendered page), ``region`` (from a render of the region of a page where a
    code is drawn with vector paths), ``embedded`` (from an image inside the PDF) or ``image``."""
    corners: tuple[tuple[float, float], ...] | None = None
    """Where the code is in the pixels of the image it was decoded from (four corners), when known."""


@dataclass(slots=True)
class DocumentText:
    """Everything the readers found in one document, before any field is interpreted."""

    pages: list[PageText] = field(default_factory=list)
    codes: list[DecodedCode] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def origins(self) -> set[TextOrigin]:
        return {page.origin for page in self.pages}


def group_lines(words: list[Word], tolerance: float = 0.5) -> list[Line]:
    """Group words into lines: a word joins a line when its vertical centre lies within ``tolerance``
    × the line's median word height of the line's centre. Lines are sorted top to bottom, words left
    to right."""
    ordered = sorted(words, key=lambda w: (w.cy, w.x0))
    lines: list[list[Word]] = []
    centres: list[float] = []
    heights: list[float] = []
    for word in ordered:
        placed = False
        for i in range(len(lines) - 1, max(-1, len(lines) - 4), -1):
            limit = tolerance * max(heights[i], word.height, 1.0)
            if abs(word.cy - centres[i]) <= limit:
                lines[i].append(word)
                n = len(lines[i])
                centres[i] = (centres[i] * (n - 1) + word.cy) / n
                heights[i] = max(heights[i], word.height)
                placed = True
                break
        if not placed:
            lines.append([word])
            centres.append(word.cy)
            heights.append(word.height)
    result = [Line(sorted(line, key=lambda w: w.x0)) for line in lines]
    result.sort(key=lambda line: (line.y0 + line.y1) / 2)
    return result
