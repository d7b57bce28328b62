"""Draw real-world clutter and anatomical look-alikes at label-independent rates (ranges.yaml)."""
from __future__ import annotations

from . import hardware as hw
from . import variants as va
from .scene import Scene


def apply_clutter(S: Scene) -> None:
    """Each item is drawn with its own probability, identical for lesion and lesion-free images."""
    p, r = S.cfg["clutter_p"]["value"], S.rng
    va.growth_plates(S)
    steps = [
        ("contralateral", lambda: va.contralateral(S)), ("sesamoid", lambda: va.sesamoid_or_ossicle(S)),
        ("ossicle", lambda: va.sesamoid_or_ossicle(S)), ("bone_island", lambda: va.bone_island(S)),
        ("osteophyte", lambda: [va.osteophyte(S) for _ in range(int(r.integers(1, 4)))]),
        ("callus", lambda: va.callus(S)), ("nutrient_canal", lambda: va.nutrient_canal(S)),
        ("harris_lines", lambda: va.harris_lines(S)), ("vascular_groove", lambda: va.vascular_groove(S)),
        ("bowel_gas", lambda: va.bowel(S)),
        ("screw", lambda: [hw.screw(S, *_pt(S), r.uniform(0, 6.28), r.uniform(20, 80), r.uniform(1.5, 3.2))
                           for _ in range(int(r.integers(1, 4)))]),
        ("plate", lambda: hw.plate_fix(S)), ("kwire", lambda: hw.kwires(S)),
        ("prosthesis", lambda: hw.prosthesis(S)), ("clips", lambda: hw.clips(S, False)),
        ("staples", lambda: hw.clips(S, True)), ("button", lambda: hw.button(S, "button")),
        ("zipper", lambda: hw.zipper(S)), ("snap", lambda: hw.button(S, "snap")), ("ecg", lambda: hw.ecg(S)),
        ("jewellery", lambda: hw.jewellery(S)), ("cast", lambda: hw.cast(S)),
        ("marker", lambda: hw.marker(S, str(r.choice(["L", "R", "LT", "RT", "AP"])))),
        ("ruler", lambda: hw.marker(S, "", ruler=True)),
    ]
    for name, fn in steps:
        if r.random() < p[name]:
            fn()


def _pt(S: Scene) -> tuple[float, float]:
    bs = S.sites["shaft"]
    if bs and S.rng.random() < 0.7:
        x, y, _, _ = bs[int(S.rng.integers(len(bs)))]
        return x, y
    return S.rng.uniform(0.15, 0.85) * S.W, S.rng.uniform(0.15, 0.85) * S.H
