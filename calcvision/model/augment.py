"""Training augmentation (albumentations) on 0..1 images at model scale, BEFORE normalise_tile.

It imitates what differs between radiographs that show the same pattern: exposure and tone
curve (gamma, brightness/contrast), quantum and electronic noise, detector blur, small
positioning changes (rotation, scale, i.e. spacing error), orientation (flips, 90° turns),
soft-tissue deformation (elastic) and lossy-compression artefacts.

A sample is a pure function of (run seed, epoch, index), whatever the number of data-loader
workers (see ``Augment``).
"""

from __future__ import annotations

import albumentations as A
import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict


class AugmentConfig(BaseModel):
    """Augmentation strengths (probabilities ``p_*`` and ranges)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    p_affine: float = 0.6
    rotate_deg: float = 10.0
    scale: tuple[float, float] = (0.9, 1.1)
    flips: bool = True
    p_gamma: float = 0.5
    gamma: tuple[int, int] = (75, 140)  # percent
    p_brightness_contrast: float = 0.5
    brightness: float = 0.15
    contrast: float = 0.25
    p_noise: float = 0.3
    noise_std: tuple[float, float] = (0.002, 0.015)
    p_blur: float = 0.3
    # px at model scale: 0.06-0.5 mm at 0.2 mm/px (docs/model.md, "Wider detector blur in training")
    blur_sigma: tuple[float, float] = (0.3, 2.5)
    p_elastic: float = 0.1
    p_jpeg: float = 0.1
    jpeg_quality: tuple[int, int] = (60, 95)


class Augment:
    """Callable ``(image float32 0..1 [H, W], seed) -> augmented image`` of the same shape.

    One generator seeded from the sample's seed decides which transforms apply (each with its
    ``p_*``) and seeds only those, so a sample is a pure function of (run seed, epoch, index),
    whatever the number of data-loader workers; the transforms that do not apply cost nothing
    (``scripts/bench_train_throughput.py --augment`` times a crop). Flips and 90° turns (the
    dihedral group: a radiograph may be displayed in any of these) are numpy views.
    """

    def __init__(self, cfg: AugmentConfig | None = None) -> None:
        c = cfg or AugmentConfig()
        self.cfg = c
        reflect = cv2.BORDER_REFLECT_101
        self.steps: list[tuple[float, A.BasicTransform]] = [] if not c.enabled else [
            (c.p_affine, A.Affine(rotate=(-c.rotate_deg, c.rotate_deg), scale=c.scale, border_mode=reflect, p=1)),
            (c.p_elastic, A.ElasticTransform(alpha=20, sigma=6, border_mode=reflect, p=1)),
            (c.p_gamma, A.RandomGamma(gamma_limit=c.gamma, p=1)),
            (c.p_brightness_contrast,
             A.RandomBrightnessContrast(brightness_limit=c.brightness, contrast_limit=c.contrast, p=1)),
            (c.p_blur, A.GaussianBlur(blur_limit=0, sigma_limit=c.blur_sigma, p=1)),
            (c.p_noise, A.GaussNoise(std_range=c.noise_std, p=1)),
            (c.p_jpeg, A.ImageCompression(quality_range=c.jpeg_quality, p=1)),
        ]

    def __call__(self, image: np.ndarray, seed: int) -> np.ndarray:
        return self._apply(image, None, seed)[0]

    def with_mask(self, image: np.ndarray, mask: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """``(augmented image, mask)``: the image exactly as ``self(image, seed)`` gives it, and
        the uint8 ``mask`` of the same shape moved with it by the geometric transforms (flips,
        turns, affine, elastic; nearest neighbour), untouched by the intensity ones."""
        return self._apply(image, mask, seed)

    def _apply(self, image: np.ndarray, mask: np.ndarray | None, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
        if not self.cfg.enabled:
            return image, mask
        rng = np.random.default_rng(seed)
        out = np.asarray(image, dtype=np.float32)
        if self.cfg.flips:
            k = int(rng.integers(8))
            out = _dihedral(out, k)
            mask = None if mask is None else np.ascontiguousarray(_dihedral(mask, k))
        out = np.ascontiguousarray(out)
        draws = rng.random(len(self.steps))
        seeds = rng.integers(2**31, size=len(self.steps))
        for (p, tf), u, s in zip(self.steps, draws, seeds):
            if u < p:
                tf.set_random_seed(int(s))
                if mask is None:
                    out = tf(image=out)["image"]
                else:
                    res = tf(image=out, mask=mask)
                    out, mask = res["image"], res["mask"]
        return np.clip(out, 0.0, 1.0).astype(np.float32, copy=False), mask


def _dihedral(a: np.ndarray, k: int) -> np.ndarray:
    """Element ``k`` (0-7) of the dihedral group: ``k % 4`` quarter turns, then a mirror for k >= 4 (a view)."""
    return np.rot90(a, k % 4)[:, ::-1] if k >= 4 else np.rot90(a, k)
