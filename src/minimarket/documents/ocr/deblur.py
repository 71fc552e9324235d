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
    from scipy import fft  # here, not at the top: scipy costs half a second of every start-up

    taper = np.outer(np.hanning(size), np.hanning(size)).astype(np.float32)
    tiles = [
        tile - tile.mean()
        for y in range(0, height - size + 1, size // 2)
        for x in range(0, width - size + 1, size // 2)
        if float((tile := pixels[y : y + size, x : x + size]).std()) >= 8.0  # bare paper: no edges to show the blur
    ]
    if not tiles:
        return None
    power = np.zeros((size, size // 2 + 1), np.float64)
    for start in range(0, len(tiles), 16):  # 16 windows per transform: one call, bounded memory
        spectra = fft.rfft2(np.stack(tiles[start : start + 16]) * taper)
        power += (np.abs(spectra) ** 2).sum(axis=0)
    cepstrum = fft.irfft2(np.log(power / len(tiles) + 1e-6), s=(size, size))
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
    from scipy import fft

    padded = np.zeros(shape, np.float32)
    kh, kw = kernel.shape
    padded[:kh, :kw] = kernel
    padded = np.roll(padded, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    return np.asarray(fft.rfft2(padded))


class Deblurrer:
    """One picture made ready to have blurs taken out: its borders mirrored and its spectrum computed once, so
    that each blur tried on it (:meth:`remove`) costs one product and one inverse transform.

    The mirrored border is at least twice the widest kernel tried (plus 8 pixels) so the page's edges do not
    ring, and is widened to a size the FFT factors well (2, 3 and 5 only): an awkward size (a photo's
    1,712 × 2,404 pixels) transforms 3-10 times slower. Transforms are single precision (``scipy.fft``): the
    result is rounded to 8 bits anyway."""

    def __init__(self, gray: np.ndarray, widest: int = max(LENGTHS) + 2) -> None:
        from scipy import fft

        self.gray = gray
        self.shape = (int(gray.shape[0]), int(gray.shape[1]))
        self.pad = 2 * widest + 8
        height, width = (fft.next_fast_len(side + 2 * self.pad, real=True) for side in self.shape)
        bottom, right = height - self.shape[0] - self.pad, width - self.shape[1] - self.pad
        padded = np.pad(gray.astype(np.float32), ((self.pad, bottom), (self.pad, right)), mode="reflect")
        self.size = (height, width)
        self.spectrum = fft.rfft2(padded)
        rows = np.cos(2 * np.pi * np.arange(height, dtype=np.float32) / height)[:, None]
        cols = np.cos(2 * np.pi * np.arange(width // 2 + 1, dtype=np.float32) / width)[None, :]
        self.prior = (4 - 2 * rows - 2 * cols) ** 2  # |DFT of the Laplacian|²
        self.widest = widest

    def remove(self, blur: Blur, smoothing: float = SMOOTHING) -> np.ndarray:
        """The picture with ``blur`` taken out (uint8, its shape): a Wiener filter with a Laplacian prior."""
        from scipy import fft

        kernel = blur.kernel()
        if max(kernel.shape) > self.widest:  # wider than the border allows: a picture padded for it
            return Deblurrer(self.gray, widest=max(kernel.shape)).remove(blur, smoothing)
        otf = _transfer(kernel, self.size)
        filtered = self.spectrum * np.conj(otf) / (np.abs(otf) ** 2 + smoothing * self.prior)
        restored = fft.irfft2(filtered, s=self.size)
        top, left = self.pad, self.pad
        return np.clip(restored[top : top + self.shape[0], left : left + self.shape[1]], 0, 255).astype(np.uint8)


def deconvolve(gray: np.ndarray, blur: Blur, smoothing: float = SMOOTHING) -> np.ndarray:
    """``gray`` (uint8) with ``blur`` taken out (uint8, same shape); the borders are mirrored first so the
    page's edges do not ring. To try several blurs on one picture, build one :class:`Deblurrer`."""
    return Deblurrer(gray, widest=max(blur.kernel().shape)).remove(blur, smoothing)
