"""Scan and photo degradations: right shapes and types, deterministic, and actually different from the page."""

from __future__ import annotations

import numpy as np
import pytest

from minimarket.synth.degrade import encode_jpeg, encode_png, photo_effects, scan_effects


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    """A white page with some black "text" blocks (like a 60 dpi A4 render)."""
    image = np.full((700, 496, 3), 255, np.uint8)
    rng = np.random.default_rng(0)
    for _ in range(120):
        y, x = int(rng.integers(20, 680)), int(rng.integers(20, 440))
        image[y : y + 6, x : x + int(rng.integers(10, 50))] = 0
    return image


def test_scan_keeps_the_page_size(page: np.ndarray) -> None:
    for seed in range(8):
        out, effects = scan_effects(page, np.random.default_rng(seed))
        assert out.shape == page.shape and out.dtype == np.uint8
        assert "noise" in effects
        assert not np.array_equal(out, page)
        if "grey" in effects:
            assert np.array_equal(out[:, :, 0], out[:, :, 1]) and np.array_equal(out[:, :, 1], out[:, :, 2])


def test_photo_is_a_perspective_picture(page: np.ndarray) -> None:
    seen: set[str] = set()
    for seed in range(30):
        out, effects = photo_effects(page, np.random.default_rng(seed), max_side=900)
        seen.update(e.rstrip("0123456789.") for e in effects)
        assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
        assert max(out.shape[:2]) <= 900
        portrait = out.shape[0] > out.shape[1]
        assert portrait != ("rot90" in effects or "rot270" in effects)
        assert float(out.mean()) < float(page.mean())
    assert {"perspective", "uneven_light", "shadow", "fold", "noise", "rot", "downscale"} <= seen
    assert any(name.startswith("blur_") for name in seen)


def test_same_generator_state_same_image(page: np.ndarray) -> None:
    a, ea = photo_effects(page, np.random.default_rng(5))
    b, eb = photo_effects(page, np.random.default_rng(5))
    c, _ = photo_effects(page, np.random.default_rng(6))
    assert ea == eb and np.array_equal(a, b)
    assert a.shape != c.shape or not np.array_equal(a, c)
    assert encode_jpeg(a, 70) == encode_jpeg(b, 70)
    s1, _ = scan_effects(page, np.random.default_rng(1))
    s2, _ = scan_effects(page, np.random.default_rng(1))
    assert np.array_equal(s1, s2)


def test_encoders(page: np.ndarray) -> None:
    import cv2

    jpeg = encode_jpeg(page, 80)
    assert jpeg[:2] == b"\xff\xd8"
    png = encode_png(page)
    assert png[:4] == b"\x89PNG"
    decoded = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
    assert decoded.ndim == 2 and decoded.shape == page.shape[:2]
