"""Take a phone photo's motion blur out before it is read.

A hand that moves while the shutter is open smears every point of the picture along one short line: the
picture is the sharp page convolved with a line of ``length`` pixels at ``angle`` degrees. That kernel
has a signature in the picture's cepstrum (the inverse Fourier transform of the log power spectrum): a
sharp negative peak ``length`` pixels from the centre, in the direction of the motion. The power spectrum
is averaged over many windows of the picture (Welch) so that the page's own texture and the sensor noise
average out, and the peak is scored against the other directions at the same distance.

Text itself leaves peaks too (character pitch, JPEG's 8-pixel blocks), so :func:`blur_candidates`
only proposes kernels; the OCR engine keeps a deblurred picture only when Tesseract reads it better.
:func:`deconvolve` is a regularised (Tikhonov, Laplacian prior) Wiener filter: it restores the
frequencies the blur weakened without blowing up the noise at the ones it erased.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

WINDOW = 256
"""Side of the Welch windows (pixels)."""
LENGTHS = range(3, 10)
"""Blur lengths looked for (pixels of the picture as taken): shorter ones barely hurt Tesseract, longer
ones leave too little to restore."""
ANGLE_STEP = 3
MIN_STRENGTH = 3.0
"""Weakest cepstral peak proposed, in robust z-score units against the other directions."""
SMOOTHING = 0.01
"""Weight of the Laplacian prior in :func:`deconvolve` (noise and JPEG artefacts vs sharpness)."""


@dataclass(frozen=True, slots=True)
class Blur:
    """A blur to take out: a linear motion of ``length`` pixels at ``angle`` degrees (counter-clockwise
    from the x axis, 0..180), or, when ``length`` is 0, an out-of-focus Gaussian of ``sigma`` pixels;
    ``strength`` is how strongly the picture shows it (z-score of the cepstral peak, 0 for a Gaussian)."""

    length: int = 0
    angle: float = 0.0
    sigma: float = 0.0
    strength: float = 0.0

    @property
    def name(self) -> str:
        """A short label for the steps of a prepared page ("deblur6@24", "deblur_sigma1.1")."""
        return f"deblur{self.length}@{self.angle:g}" if self.length else f"deblur_sigma{self.sigma:g}"

    def kernel(self) -> np.ndarray:
        """The normalised point-spread function."""
        if self.length:
            return motion_kernel(self.length, self.angle)
        size = 2 * int(np.ceil(3 * self.sigma)) + 1
        line = cv2.getGaussianKernel(size, self.sigma).astype(np.float32)
        return np.asarray(line @ line.T, np.float32)


OUT_OF_FOCUS = Blur(sigma=1.1)
"""The Gaussian tried when no motion shows: a phone that focused a little off the page."""


def motion_kernel(length: int, angle: float) -> np.ndarray:
    """The normalised ``length`` × ``length`` kernel of a linear motion of ``length`` pixels at ``angle``°."""
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0 / length
    centre = (length / 2 - 0.5, length / 2 - 0.5)
    kernel = np.asarray(
        cv2.warpAffine(kernel, cv2.getRotationMatrix2D(centre, angle, 1.0), (length, length)), np.float32
    )
    return kernel / max(float(kernel.sum()), 1e-6)


def _welch_cepstrum(gray: np.ndarray, size: int = WINDOW) -> np.ndarray | None:
    """The real cepstrum of the power spectrum averaged over half-overlapping windows with ink, centred."""
    pixels = gray.astype(np.float32)
    height, width = pixels.shape
    if height < size or width < size:
        return None
    taper = np.outer(np.hanning(size), np.hanning(size)).astype(np.float32)
    power = np.zeros((size, size), np.float64)
    windows = 0
    for y in range(0, height - size + 1, size // 2):
        for x in range(0, width - size + 1, size // 2):
            tile = pixels[y : y + size, x : x + size]
            if float(tile.std()) < 8.0:  # bare paper or background: no edges to show the blur
                continue
            power += np.abs(np.fft.fft2((tile - tile.mean()) * taper)) ** 2
            windows += 1
    if windows == 0:
        return None
    cepstrum = np.fft.ifft2(np.log(power / windows + 1e-6)).real
    return np.asarray(np.fft.fftshift(cepstrum), np.float32)


def blur_candidates(gray: np.ndarray, limit: int = 3) -> list[Blur]:
    """The ``limit`` likeliest linear motion blurs of ``gray`` (uint8), strongest first; none when the
    picture shows no peak of at least :data:`MIN_STRENGTH` (or is smaller than one window)."""
    cepstrum = _welch_cepstrum(gray)
    if cepstrum is None:
        return []
    centre = WINDOW // 2
    angles = np.arange(0, 180, ANGLE_STEP, dtype=np.float64)
    radians = np.deg2rad(angles)
    found = []
    for length in LENGTHS:
        xs = (centre + length * np.cos(radians)).astype(np.float32)[None, :]
        ys = (centre - length * np.sin(radians)).astype(np.float32)[None, :]
        values = cv2.remap(cepstrum, xs, ys, cv2.INTER_LINEAR)[0].astype(np.float64)  # bilinear samples
        median = float(np.median(values))
        spread = float(np.median(np.abs(values - median))) + 1e-4
        best = int(np.argmin(values))
        found.append(Blur(length, float(angles[best]), strength=(median - float(values[best])) / spread))
    found.sort(key=lambda blur: -blur.strength)
    return [blur for blur in found if blur.strength >= MIN_STRENGTH][:limit]


def _transfer(kernel: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The kernel's optical transfer function for an image of ``shape`` (rfft2 layout)."""
    padded = np.zeros(shape, np.float32)
    kh, kw = kernel.shape
    padded[:kh, :kw] = kernel
    padded = np.roll(padded, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    return np.fft.rfft2(padded)


_LAPLACIAN = np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]], np.float32)


def deconvolve(gray: np.ndarray, blur: Blur, smoothing: float = SMOOTHING) -> np.ndarray:
    """``gray`` (uint8) with ``blur`` taken out (uint8, same shape); the borders are mirrored first so the
    page's edges do not ring."""
    kernel = blur.kernel()
    pad = 2 * max(kernel.shape) + 8
    padded = np.pad(gray.astype(np.float32), pad, mode="reflect")
    shape = (padded.shape[0], padded.shape[1])
    otf = _transfer(kernel, shape)
    prior = np.abs(_transfer(_LAPLACIAN, shape)) ** 2
    restored = np.fft.irfft2(np.fft.rfft2(padded) * np.conj(otf) / (np.abs(otf) ** 2 + smoothing * prior), s=shape)
    return np.clip(restored[pad:-pad, pad:-pad], 0, 255).astype(np.uint8)
