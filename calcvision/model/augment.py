"""Training augmentation (albumentations) on 0..1 images at model scale, BEFORE normalise_tile.

It imitates what differs between radiographs that show the same pattern: exposure and tone
curve (gamma, brightness/contrast), quantum and electronic noise, detector blur, small
positioning changes (rotation, scale, i.e. spacing error), orientation (flips, 90° turns),
soft-tissue deformation (elastic) and lossy-compression artefacts.

Each transform draws from its own generator seeded from the sample's seed, so a sample is a
pure function of (run seed, epoch, index), whatever the number of data-loader workers.
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
    p_blur: float = 0.15
    blur_sigma: tuple[float, float] = (0.2, 0.6)
    p_elastic: float = 0.1
    p_jpeg: float = 0.1
    jpeg_quality: tuple[int, int] = (60, 95)


class Augment:
    """Callable ``(image float32 0..1 [H, W], seed) -> augmented image`` of the same shape."""

    def __init__(self, cfg: AugmentConfig | None = None) -> None:
        c = cfg or AugmentConfig()
        self.cfg = c
        t: list = []
        if c.enabled:
            if c.flips:
                t += [A.HorizontalFlip(p=0.5), A.VerticalFlip(p=0.5), A.RandomRotate90(p=0.5)]
            t += [
                A.Affine(rotate=(-c.rotate_deg, c.rotate_deg), scale=c.scale, border_mode=cv2.BORDER_REFLECT_101,
                         p=c.p_affine),
                A.ElasticTransform(alpha=20, sigma=6, border_mode=cv2.BORDER_REFLECT_101, p=c.p_elastic),
                A.RandomGamma(gamma_limit=c.gamma, p=c.p_gamma),
                A.RandomBrightnessContrast(brightness_limit=c.brightness, contrast_limit=c.contrast,
                                           p=c.p_brightness_contrast),
                A.GaussianBlur(blur_limit=(3, 5), sigma_limit=c.blur_sigma, p=c.p_blur),
                A.GaussNoise(std_range=c.noise_std, p=c.p_noise),
                A.ImageCompression(quality_range=c.jpeg_quality, p=c.p_jpeg),
            ]
        self.transforms = t

    def __call__(self, image: np.ndarray, seed: int) -> np.ndarray:
        if not self.transforms:
            return image
        seeds = np.random.SeedSequence(seed).generate_state(len(self.transforms))
        out = np.ascontiguousarray(image, dtype=np.float32)
        for tf, s in zip(self.transforms, seeds):
            tf.set_random_seed(int(s))
            out = tf(image=out)["image"]
        return np.clip(out, 0.0, 1.0).astype(np.float32, copy=False)
