"""Make clean page renders look like flatbed scans or phone photos (OpenCV + numpy, deterministic).

Both entry points take an RGB ``uint8`` page image and a :class:`numpy.random.Generator`, and return the
degraded image plus the names of the effects applied (recorded in the dataset manifest so evaluations
can be split by effect). Same input and generator state → identical output.

- :func:`scan_effects`: grey or colour, small skew, speckle/dust, blur, lid shadow, contrast changes.
- :func:`photo_effects`: the page lying on a table, seen in perspective, under uneven light with a soft
  shadow, maybe folded, blurred, noisy, colour-cast, downscaled and sometimes rotated 90°/180°.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from minimarket.documents.ocr.deblur import motion_kernel

__all__ = ["Image", "encode_jpeg", "encode_png", "photo_effects", "scan_effects"]

Image = NDArray[np.uint8]


def _clip(image: NDArray[Any]) -> Image:
    return np.clip(image, 0, 255).astype(np.uint8)


def _u8(image: NDArray[Any]) -> Image:
    """OpenCV results as typed uint8 arrays."""
    return np.asarray(image, dtype=np.uint8)


def _rotate(image: Image, degrees: float, border: tuple[int, int, int] | int) -> Image:
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    value = border if isinstance(border, tuple) else (border, border, border)
    return _u8(
        cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=value)
    )


def _noise(image: Image, rng: np.random.Generator, sigma: float) -> Image:
    noise = rng.standard_normal(image.shape, dtype=np.float32)
    noise *= sigma
    noise += image
    return _clip(noise)


def _blur(image: Image, rng: np.random.Generator) -> tuple[Image, str]:
    if rng.random() < 0.5:
        k = int(rng.choice([3, 5]))
        return _u8(cv2.GaussianBlur(image, (k, k), 0)), f"blur_gauss{k}"
    length = int(rng.integers(3, 8))
    angle = float(rng.uniform(0, 180))
    return _u8(cv2.filter2D(image, -1, motion_kernel(length, angle))), f"blur_motion{length}"


def scan_effects(image: Image, rng: np.random.Generator) -> tuple[Image, list[str]]:
    """A flatbed/feeder scan of the page."""
    effects: list[str] = []
    out = image
    if rng.random() < 0.65:
        grey = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)
        out = _u8(cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB))
        effects.append("grey")
    angle = float(rng.uniform(-1.8, 1.8))
    if abs(angle) > 0.15:
        out = _rotate(out, angle, 255)
        effects.append(f"skew{angle:+.1f}")
    if rng.random() < 0.5:
        alpha = float(rng.uniform(0.85, 1.15))
        beta = float(rng.uniform(-20, 15))
        out = _clip(out.astype(np.float32) * alpha + beta)
        effects.append("contrast")
    if rng.random() < 0.3:
        h, w = out.shape[:2]
        band = int(w * rng.uniform(0.01, 0.04))
        ramp = np.linspace(0.35, 1.0, band, dtype=np.float32)
        mask = np.ones(w, np.float32)
        if rng.random() < 0.5:
            mask[:band] = ramp
        else:
            mask[w - band :] = ramp[::-1]
        out = _clip(out.astype(np.float32) * mask[None, :, None])
        effects.append("lid_shadow")
    if rng.random() < 0.4:
        out, name = _blur(out, rng)
        effects.append(name)
    out = _noise(out, rng, float(rng.uniform(1.5, 5)))
    effects.append("noise")
    if rng.random() < 0.35:
        h, w = out.shape[:2]
        count = int(rng.integers(50, 400))
        ys = rng.integers(0, h, count)
        xs = rng.integers(0, w, count)
        out = out.copy()
        out[ys, xs] = rng.integers(0, 90, (count, 1)).astype(np.uint8)
        effects.append("dust")
    if "grey" in effects:
        out = _u8(cv2.cvtColor(cv2.cvtColor(out, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB))
    return out, effects


def _background(rng: np.random.Generator, height: int, width: int) -> Image:
    """A table top: a base colour, low-frequency blotches and grain."""
    base = np.array(
        [
            (120, 90, 60),
            (160, 130, 95),
            (70, 70, 75),
            (190, 185, 175),
            (90, 60, 40),
            (40, 45, 55),
        ][int(rng.integers(0, 6))],
        np.float32,
    )
    small = rng.normal(0, 18, (max(2, height // 64), max(2, width // 64), 1)).astype(np.float32)
    blotches = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)[:, :, None]
    grain = rng.standard_normal((height, width, 1), dtype=np.float32) * 6
    return _clip(base[None, None, :] + blotches + grain)


def _illumination(rng: np.random.Generator, height: int, width: int) -> NDArray[np.float32]:
    """A multiplicative light field: a linear gradient plus a soft vignette."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = float(rng.uniform(0, 2 * np.pi))
    ramp = (np.cos(angle) * xx / width + np.sin(angle) * yy / height).astype(np.float32)
    ramp = (ramp - ramp.min()) / max(float(ramp.max() - ramp.min()), 1e-6)
    strength = float(rng.uniform(0.15, 0.4))
    field = 1.0 - strength * ramp
    cx, cy = rng.uniform(0.3, 0.7) * width, rng.uniform(0.3, 0.7) * height
    dist = np.sqrt(((xx - cx) / width) ** 2 + ((yy - cy) / height) ** 2)
    field *= (1.0 - float(rng.uniform(0.1, 0.3)) * dist**2).astype(np.float32)
    return field.astype(np.float32)


def _shadow(rng: np.random.Generator, full_height: int, full_width: int) -> NDArray[np.float32]:
    """A soft shadow (a hand or the phone) over one side of the picture (drawn small, then enlarged)."""
    height, width = max(8, full_height // 8), max(8, full_width // 8)
    mask = np.zeros((height, width), np.float32)
    corner = int(rng.integers(0, 4))
    pts = np.array(
        [
            (rng.uniform(-0.1, 0.5) * width, rng.uniform(-0.1, 0.5) * height),
            (rng.uniform(0.4, 1.1) * width, rng.uniform(-0.1, 0.3) * height),
            (rng.uniform(0.2, 0.8) * width, rng.uniform(0.3, 0.7) * height),
        ],
        np.float32,
    )
    if corner % 2:
        pts[:, 1] = height - pts[:, 1]
    if corner >= 2:
        pts[:, 0] = width - pts[:, 0]
    cv2.fillConvexPoly(mask, pts.astype(np.int32), 1.0)
    k = max(3, int(min(height, width) * 0.18) | 1)
    mask = np.asarray(cv2.GaussianBlur(mask, (k, k), 0), dtype=np.float32)
    mask = np.asarray(cv2.resize(mask, (full_width, full_height), interpolation=cv2.INTER_LINEAR), np.float32)
    return (1.0 - float(rng.uniform(0.15, 0.35)) * mask).astype(np.float32)


def _fold(page: Image, rng: np.random.Generator) -> Image:
    """A crease across the page: a bright/dark line pair and a slight shift of one half."""
    h, w = page.shape[:2]
    out = page.astype(np.float32)
    horizontal = rng.random() < 0.7
    pos = int((h if horizontal else w) * rng.uniform(0.3, 0.7))
    width = max(2, int(min(h, w) * 0.004))
    shade = np.ones(h if horizontal else w, np.float32)
    shade[max(0, pos - width) : pos] = 0.78
    shade[pos : pos + width] = 1.08
    region = np.arange(h if horizontal else w)
    shade *= np.where(region > pos, 0.96, 1.0).astype(np.float32)
    out *= shade[:, None, None] if horizontal else shade[None, :, None]
    return _clip(out)


def photo_effects(image: Image, rng: np.random.Generator, max_side: int = 2400) -> tuple[Image, list[str]]:
    """A phone photo of the page lying on a table."""
    effects: list[str] = []
    page = image
    if rng.random() < 0.3:
        page = _fold(page, rng)
        effects.append("fold")
    h, w = page.shape[:2]
    margin = float(rng.uniform(0.04, 0.14))
    scale = min(1.0, max_side / (max(h, w) * (1 + 2 * margin))) * float(rng.uniform(0.8, 1.0))
    out_w = int(w * (1 + 2 * margin) * scale)
    out_h = int(h * (1 + 2 * margin) * scale)
    jitter = float(rng.uniform(0.02, 0.08))
    dst = []
    for cx, cy in ((0, 0), (1, 0), (1, 1), (0, 1)):
        x = (margin * w + cx * w + float(rng.uniform(-jitter, jitter)) * w) * scale
        y = (margin * h + cy * h + float(rng.uniform(-jitter, jitter)) * h) * scale
        dst.append((x, y))
    if scale < 0.999:
        page = _u8(cv2.resize(page, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA))
    ph, pw = page.shape[:2]
    src = np.array([(0, 0), (pw, 0), (pw, ph), (0, ph)], np.float32)
    matrix = cv2.getPerspectiveTransform(src, np.array(dst, np.float32))
    background = _background(rng, out_h, out_w)
    warped = cv2.warpPerspective(page, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
    mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), matrix, (out_w, out_h), flags=cv2.INTER_LINEAR)
    alpha = (mask.astype(np.float32) / 255.0)[:, :, None]
    photo = warped.astype(np.float32) * alpha + background.astype(np.float32) * (1 - alpha)
    effects.append("perspective")
    light = _illumination(rng, out_h, out_w)
    effects.append("uneven_light")
    if rng.random() < 0.5:
        light *= _shadow(rng, out_h, out_w)
        effects.append("shadow")
    photo *= light[:, :, None]
    cast = np.array([rng.uniform(0.92, 1.06), rng.uniform(0.95, 1.03), rng.uniform(0.88, 1.05)], np.float32)
    result = _clip(photo * cast[None, None, :])
    effects.append("color_cast")
    if scale < 0.999:
        effects.append(f"downscale{scale:.2f}")
    if rng.random() < 0.45:
        result, name = _blur(result, rng)
        effects.append(name)
    result = _noise(result, rng, float(rng.uniform(3, 9)))
    effects.append("noise")
    turn = rng.random()
    if turn < 0.12:
        result = _u8(cv2.rotate(result, cv2.ROTATE_90_CLOCKWISE))
        effects.append("rot90")
    elif turn < 0.2:
        result = _u8(cv2.rotate(result, cv2.ROTATE_180))
        effects.append("rot180")
    elif turn < 0.26:
        result = _u8(cv2.rotate(result, cv2.ROTATE_90_COUNTERCLOCKWISE))
        effects.append("rot270")
    return result, effects


def encode_jpeg(image: Image, quality: int) -> bytes:
    """RGB image → JPEG bytes."""
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:  # pragma: no cover - OpenCV fails only on empty images
        raise ValueError("could not encode JPEG")
    return bytes(data.tobytes())


def encode_png(image: Image) -> bytes:
    """RGB (or greyscale-looking RGB) image → PNG bytes; grey images are stored with one channel."""
    grey = bool(np.array_equal(image[:, :, 0], image[:, :, 1]) and np.array_equal(image[:, :, 1], image[:, :, 2]))
    payload = image[:, :, 0] if grey else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(".png", payload, [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:  # pragma: no cover
        raise ValueError("could not encode PNG")
    return bytes(data.tobytes())
