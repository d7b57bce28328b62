"""The DICOM grey-scale pixel pipeline, in the standard's order (PS3.3 C.11, PS3.4 N.2):

stored values (BitsStored, PixelRepresentation) -> modality LUT or Rescale slope/intercept
-> VOI LUT or window centre/width -> MONOCHROME1 inversion -> 0..1 (MONOCHROME2 sense).

The whole chain is a function of the stored value alone, so it is folded into one step:
an affine map plus clipping when every stage is linear (the common case: one pass), or one
lookup table over all stored values (at most 65536 entries) when a stage is not (LUTs,
SIGMOID windows, out-of-range bits to mask).

Policy when no VOI transform is given: the modality output range that the stored bits can
hold (e.g. 0..1023 for 10 unsigned bits and no rescale) maps to 0..1, never the image's own
min/max, so the result does not depend on the image content.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

MONOCHROME = ("MONOCHROME1", "MONOCHROME2")
LUMA = np.array([0.299, 0.587, 0.114], np.float32)
"""ITU-R BT.601 weights: how colour images (RGB after pydicom's YBR conversion) become grey."""
VOI_FUNCTIONS = ("LINEAR", "LINEAR_EXACT", "SIGMOID")


@dataclass(frozen=True)
class Lut:
    """A DICOM lookup table (Modality LUT or VOI LUT item).

    ``data[i]`` is the output for input ``first_mapped + i``; inputs below / above the table
    take the first / last entry. ``bits`` is the entry depth from LUTDescriptor[2]; a VOI LUT's
    output is scaled by ``2**bits - 1`` to 0..1.
    """

    first_mapped: int
    bits: int
    data: np.ndarray

    def __post_init__(self) -> None:
        if self.data.ndim != 1 or self.data.size == 0:
            raise ValueError("LUT data must be a non-empty 1-D array")
        if not 1 <= self.bits <= 16:
            raise ValueError(f"LUT entry bits must be 1..16, got {self.bits}")

    def apply(self, values: np.ndarray) -> np.ndarray:
        idx = np.clip(np.rint(values - self.first_mapped), 0, self.data.size - 1).astype(np.intp)
        return self.data.astype(np.float64)[idx]

    @classmethod
    def from_item(cls, item, *, signed: bool = False) -> "Lut":
        """Build from a pydicom sequence item holding LUTDescriptor and LUTData."""
        desc = [int(v) for v in item.LUTDescriptor]
        if len(desc) != 3:
            raise ValueError(f"LUTDescriptor must have 3 values, got {desc}")
        n_entries, first, bits = desc
        n_entries = n_entries or 65536  # 0 means 2**16 entries (PS3.3 C.11.1.1)
        if signed and first > 32767:  # US-encoded negative first-mapped value
            first -= 65536
        raw = item.LUTData
        if isinstance(raw, (bytes, bytearray)):
            data = np.frombuffer(raw, dtype="<u2" if bits > 8 or len(raw) >= 2 * n_entries else np.uint8)
        else:
            data = np.atleast_1d(np.asarray(raw, dtype=np.int64))
        return cls(first_mapped=first, bits=bits, data=np.asarray(data[:n_entries]))


def stored_range(bits_stored: int, signed: bool) -> tuple[int, int]:
    """Smallest and largest value that ``bits_stored`` bits can hold."""
    if signed:
        return -(1 << (bits_stored - 1)), (1 << (bits_stored - 1)) - 1
    return 0, (1 << bits_stored) - 1


def stored_to_unit(
    stored: np.ndarray,
    *,
    bits_stored: int,
    signed: bool,
    photometric: str,
    slope: float | None = None,
    intercept: float | None = None,
    window_center: float | None = None,
    window_width: float | None = None,
    voi_lut: Lut | None = None,
    voi_function: str = "LINEAR",
    modality_lut: Lut | None = None,
) -> np.ndarray:
    """Stored pixel values -> float32 0..1 where higher is whiter (MONOCHROME2 sense).

    ``stored``: integer array of any shape (2-D image or frames, rows, cols); values outside
    ``bits_stored`` are masked and sign-extended as the standard says (so raw 16-bit words
    with overlay bits work). ``slope``/``intercept`` (Rescale, default 1/0) or ``modality_lut``;
    then ``voi_lut`` if given, else the window (``voi_function`` LINEAR, LINEAR_EXACT or
    SIGMOID), else the full modality range; then MONOCHROME1 is inverted. The input is
    never modified.

    >>> stored_to_unit(np.array([0, 512, 1023], np.uint16), bits_stored=10, signed=False,
    ...                photometric="MONOCHROME1").round(3).tolist()
    [1.0, 0.5, 0.0]
    """
    stored = np.asarray(stored)
    if np.issubdtype(stored.dtype, np.integer) and stored.dtype.itemsize <= 2 and bits_stored < 8 * stored.dtype.itemsize:
        lo, hi = stored_range(bits_stored, signed)
        if stored.size and (stored.min() < lo or stored.max() > hi):
            fn = _chain(bits_stored=bits_stored, signed=signed, photometric=photometric, slope=slope,
                        intercept=intercept, window_center=window_center, window_width=window_width,
                        voi_lut=voi_lut, voi_function=voi_function, modality_lut=modality_lut)
            return _apply_lut(stored, fn, bits_stored, signed)
    return stored_to_unit_in_range(
        stored, bits_stored=bits_stored, signed=signed, photometric=photometric, slope=slope,
        intercept=intercept, window_center=window_center, window_width=window_width,
        voi_lut=voi_lut, voi_function=voi_function, modality_lut=modality_lut)


def stored_to_unit_in_range(stored: np.ndarray, **params) -> np.ndarray:
    """As :func:`stored_to_unit` for values already within BitsStored (what pydicom's decoders
    return), skipping the range check: the reader's fast path."""
    affine = _affine(**params)
    if affine is not None:
        a, b = affine
        out = stored.astype(np.float32)  # a new array: the input stays untouched
        out *= np.float32(a)
        out += np.float32(b)
        np.clip(out, 0.0, 1.0, out=out)
        return out
    fn = _chain(**params)
    if np.issubdtype(stored.dtype, np.integer) and stored.dtype.itemsize <= 2:
        return _apply_lut(stored, fn, params["bits_stored"], params["signed"])
    return np.clip(fn(stored.astype(np.float64)), 0.0, 1.0).astype(np.float32)


def _check(bits_stored: int, photometric: str, voi_function: str) -> None:
    if not 1 <= bits_stored <= 32:
        raise ValueError(f"bits_stored must be 1..32, got {bits_stored}")
    if photometric not in MONOCHROME:
        raise ValueError(f"photometric must be MONOCHROME1 or MONOCHROME2, got {photometric!r}")
    if voi_function not in VOI_FUNCTIONS:
        raise ValueError(f"voi_function must be one of {VOI_FUNCTIONS}, got {voi_function!r}")


def _modality_range(bits_stored, signed, slope, intercept, modality_lut) -> tuple[float, float]:
    if modality_lut is not None:
        return float(modality_lut.data.min()), float(modality_lut.data.max())
    lo, hi = stored_range(bits_stored, signed)
    ends = sorted((lo * slope + intercept, hi * slope + intercept))
    return ends[0], ends[1]


def _window_affine(center: float, width: float, function: str) -> tuple[float, float] | None:
    """(a, b) with unit output = a * x + b before clipping, or None when not affine."""
    if function == "LINEAR":
        if width < 1:
            raise ValueError(f"window width must be >= 1 for LINEAR, got {width}")
        if width == 1:
            return None  # a step function (PS3.3 C.11.2.1.2.1)
        return 1.0 / (width - 1), 0.5 - (center - 0.5) / (width - 1)
    if function == "LINEAR_EXACT":
        if width <= 0:
            raise ValueError(f"window width must be > 0, got {width}")
        return 1.0 / width, 0.5 - center / width
    return None


def _affine(*, bits_stored, signed, photometric, slope=None, intercept=None, window_center=None,
            window_width=None, voi_lut=None, voi_function="LINEAR", modality_lut=None) -> tuple[float, float] | None:
    """The whole chain as unit = a * stored + b (then clip), or None when a stage is not linear."""
    _check(bits_stored, photometric, voi_function)
    if modality_lut is not None or voi_lut is not None:
        return None
    s = 1.0 if slope is None else float(slope)
    i = 0.0 if intercept is None else float(intercept)
    if window_center is not None and window_width is not None:
        voi = _window_affine(float(window_center), float(window_width), voi_function)
        if voi is None:
            return None
    else:
        m_lo, m_hi = _modality_range(bits_stored, signed, s, i, None)
        span = (m_hi - m_lo) or 1.0
        voi = (1.0 / span, -m_lo / span)
    a, b = voi[0] * s, voi[0] * i + voi[1]
    if photometric == "MONOCHROME1":
        a, b = -a, 1.0 - b
    return a, b


def _chain(*, bits_stored, signed, photometric, slope=None, intercept=None, window_center=None,
           window_width=None, voi_lut=None, voi_function="LINEAR", modality_lut=None) -> Callable[[np.ndarray], np.ndarray]:
    """The whole chain as a function of (float64) stored values, for building a lookup table."""
    _check(bits_stored, photometric, voi_function)
    s = 1.0 if slope is None else float(slope)
    i = 0.0 if intercept is None else float(intercept)
    windowed = window_center is not None and window_width is not None
    if windowed and voi_lut is None:
        c, w = float(window_center), float(window_width)
        _window_affine(c, w, voi_function if voi_function != "SIGMOID" else "LINEAR_EXACT")  # validates w
    m_lo, m_hi = _modality_range(bits_stored, signed, s, i, modality_lut)

    def fn(x: np.ndarray) -> np.ndarray:
        m = modality_lut.apply(x) if modality_lut is not None else x * s + i
        if voi_lut is not None:
            y = voi_lut.apply(m) / float((1 << voi_lut.bits) - 1)
        elif windowed and voi_function == "SIGMOID":
            y = 1.0 / (1.0 + np.exp(-4.0 * (m - c) / w))
        elif windowed and voi_function == "LINEAR" and w == 1:
            y = (m > c - 0.5).astype(np.float64)
        elif windowed:
            a, b = _window_affine(c, w, voi_function)  # type: ignore[misc]
            y = a * m + b
        else:
            y = (m - m_lo) / ((m_hi - m_lo) or 1.0)
        y = np.clip(y, 0.0, 1.0)
        return 1.0 - y if photometric == "MONOCHROME1" else y

    return fn


def _apply_lut(stored: np.ndarray, fn: Callable[[np.ndarray], np.ndarray], bits_stored: int, signed: bool) -> np.ndarray:
    """One table over every bit pattern of the (<= 16-bit) dtype: masks to BitsStored,
    sign-extends, and applies ``fn`` in a single indexing pass."""
    nbits = 8 * stored.dtype.itemsize
    words = np.arange(1 << nbits, dtype=np.int64)
    values = words & ((1 << min(bits_stored, nbits)) - 1)
    if signed:
        values = np.where(values >= 1 << (bits_stored - 1), values - (1 << bits_stored), values)
    lut = fn(values.astype(np.float64)).astype(np.float32)
    return lut[stored.view(np.uint8 if nbits == 8 else np.uint16)]
