"""Draws the demo campaign's hero picture (campaigns/demo_assets/hero-street.jpg): a warm
street of varied houses at dawn, made here so that the picture is the project's own.

Run: .venv/bin/python devtools/draw_demo_hero.py
"""

import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

W, H = 1600, 900
S = 2  # drawn at twice the size, then scaled down: smooth edges
img = Image.new("RGB", (W * S, H * S))
d = ImageDraw.Draw(img)
# Sky: a warm gradient from apricot at the top to pale gold at the horizon.
top, bottom = (246, 178, 122), (255, 231, 186)
for y in range(H * S):
    t = y / (H * S * 0.62)
    t = min(t, 1)
    c = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
    d.line([(0, y), (W * S, y)], fill=c)


def P(*pts):
    return [(x * S, y * S) for x, y in pts]


# Sun.
d.ellipse(P((1130, 150), (1330, 350)), fill=(255, 244, 214))
# Far hills.
d.polygon(
    P(
        (0, 520),
        (220, 440),
        (470, 500),
        (760, 420),
        (1040, 490),
        (1300, 430),
        (1600, 480),
        (1600, 900),
        (0, 900),
    ),
    fill=(214, 160, 120),
)
d.polygon(
    P(
        (0, 560),
        (300, 500),
        (640, 560),
        (980, 500),
        (1320, 550),
        (1600, 520),
        (1600, 900),
        (0, 900),
    ),
    fill=(183, 132, 101),
)
rng = random.Random(12)
# Houses along the street.
palette = [
    (196, 85, 62),
    (233, 170, 80),
    (92, 128, 150),
    (244, 216, 170),
    (127, 155, 110),
    (214, 122, 92),
    (104, 96, 140),
    (238, 196, 120),
]
roofs = [(88, 52, 46), (70, 60, 70), (120, 62, 48), (60, 66, 80)]
x = -30
i = 0
ground = 700
while x < W:
    w = rng.randint(150, 230)
    h = rng.randint(150, 250)
    body = palette[i % len(palette)]
    roof = roofs[i % len(roofs)]
    d.rectangle(P((x, ground - h), (x + w, ground)), fill=body)
    if i % 3 == 2:
        # A flat-roofed apartment block, taller, with a cornice.
        d.rectangle(P((x - 6, ground - h - 14), (x + w + 6, ground - h)), fill=roof)
        rows = h // 60
        for r in range(rows):
            for cx in range(x + 22, x + w - 30, 48):
                lit = rng.random() < 0.55
                d.rectangle(
                    P((cx, ground - h + 20 + r * 60), (cx + 26, ground - h + 56 + r * 60)),
                    fill=(255, 226, 150) if lit else (70, 80, 98),
                )
    else:
        d.polygon(
            P(
                (x - 14, ground - h),
                (x + w / 2, ground - h - rng.randint(70, 110)),
                (x + w + 14, ground - h),
            ),
            fill=roof,
        )
        # Windows and a door.
        for cx in (x + 24, x + w - 58):
            lit = rng.random() < 0.6
            d.rectangle(
                P((cx, ground - h + 34), (cx + 34, ground - h + 78)),
                fill=(255, 226, 150) if lit else (70, 80, 98),
            )
        dx = x + w / 2 - 20
        d.rectangle(P((dx, ground - 76), (dx + 40, ground)), fill=roof)
        d.ellipse(P((dx + 29, ground - 42), (dx + 35, ground - 36)), fill=(250, 214, 120))
    x += w + rng.randint(14, 40)
    i += 1
# Trees in front of the houses.
for tx in range(40, W, 260):
    tx += rng.randint(-40, 40)
    d.rectangle(P((tx - 7, ground - 60), (tx + 7, ground + 10)), fill=(96, 66, 48))
    for k in range(3):
        r = 48 - k * 6
        d.ellipse(
            P(
                (tx - r + rng.randint(-10, 10), ground - 110 - k * 26 - r),
                (tx + r, ground - 110 - k * 26 + r),
            ),
            fill=(86 + k * 18, 132 + k * 12, 82),
        )
# Sidewalk, curb and street with a dashed centre line.
d.rectangle(P((0, ground), (W, ground + 40)), fill=(222, 206, 186))
d.rectangle(P((0, ground + 40), (W, ground + 50)), fill=(170, 150, 132))
d.rectangle(P((0, ground + 50), (W, H)), fill=(92, 86, 96))
for sx in range(0, W, 120):
    d.rectangle(P((sx + 20, ground + 120), (sx + 80, ground + 130)), fill=(246, 214, 140))
# Neighbours on the sidewalk: simple figures.
for fx, colour, tall in (
    (330, (44, 92, 140), 96),
    (362, (196, 70, 62), 80),
    (980, (90, 120, 70), 92),
    (1010, (240, 180, 70), 58),
):
    base = ground + 26
    d.rounded_rectangle(P((fx - 13, base - tall + 24), (fx + 13, base)), radius=10 * S, fill=colour)
    d.ellipse(P((fx - 11, base - tall), (fx + 11, base - tall + 22)), fill=(120, 80, 60))
img = img.resize((W, H), Image.LANCZOS).filter(ImageFilter.SMOOTH)
img.save(
    Path(__file__).resolve().parent.parent / "campaigns" / "demo_assets" / "hero-street.jpg",
    quality=90,
    optimize=True,
    progressive=True,
)
