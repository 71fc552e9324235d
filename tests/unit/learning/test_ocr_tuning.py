"""OCR settings keys and grids."""

from __future__ import annotations

import pytest

from minimarket.documents.ocr.engine import OcrSettings
from minimarket.learning.ocr_tuning import GRIDS, parse_grid, parse_ocr_key


def test_keys_round_trip() -> None:
    for key in GRIDS["full"]:
        assert parse_ocr_key(key).key == key
    assert parse_ocr_key("psm6-bin1-x1.25") == OcrSettings(psm=6, binarize=True, scale=1.25)


@pytest.mark.parametrize("key", ["psm7-bin0-x1", "psm6-bin2-x1", "psm6-bin0-x3", "tesseract", ""])
def test_bad_keys_say_what_is_accepted(key: str) -> None:
    with pytest.raises(ValueError, match=r"psm|scale|form"):
        parse_ocr_key(key)


def test_grids_always_start_with_the_defaults() -> None:
    assert parse_grid("default") == [OcrSettings()]
    small = parse_grid("small")
    assert small[0] == OcrSettings() and len(small) == len(set(small)) == 3
    assert parse_grid("psm6-bin0-x1,psm6-bin0-x1") == [OcrSettings(), OcrSettings(psm=6)]
