"""
=======================================
A Gaussian pyramid and its edge maps
=======================================

Each level of a Gaussian pyramid is the previous one smoothed and reduced by
two in each direction: one call of :func:`pyconv.gaussian_filter` with
``stride=2``, which computes only the pixels it keeps. On every level,
:func:`pyconv.sobel` along both axes gives an edge map, so each edge shows
up at the scales where it matters.
"""

import matplotlib.pyplot as plt
import numpy as np
import scipy.ndimage

import pyconv

# A synthetic 384 x 384 image: a smooth gradient, a checkerboard of small
# squares, a ring, large bars, and noise.
rng = np.random.default_rng(7)
n = 384
yy, xx = np.mgrid[:n, :n]
image = 0.25 + 0.3 * xx / n
checkers = ((yy // 6 + xx // 6) % 2).astype(np.float32)
image[30:150, 30:150] = 0.2 + 0.6 * checkers[30:150, 30:150]
radius = np.hypot(yy - 100, xx - 280)
image[(radius > 45) & (radius < 65)] = 0.9
for left in range(40, 360, 80):
    image[230:350, left:left + 36] = 0.05
image += 0.08 * rng.standard_normal((n, n))
image = image.astype(np.float32)

# %%
# The pyramid
# -----------
# ``sigma=1`` per level removes most of the detail the halved image could not
# hold, so it does not come back as false patterns. A strided call is the
# dense result, sliced: the same values, computing a quarter of them.

levels = [image]
for _ in range(3):
    levels.append(pyconv.gaussian_filter(levels[-1], 1.0, stride=2))

print("level shapes:", [level.shape for level in levels])
dense = pyconv.gaussian_filter(image, 1.0)
print("stride 2 equals the dense filter sliced [::2, ::2]:",
      np.array_equal(levels[1], dense[::2, ::2]))

# The same level from scipy.ndimage, which has no stride: filter every pixel,
# then slice. pyconv computes float32 data in float32, scipy each pass in
# float64, so the two agree to float32 rounding.
reference = scipy.ndimage.gaussian_filter(image, 1.0)[::2, ::2]
print("largest difference from scipy.ndimage:",
      np.abs(levels[1] - reference).max())

# %%
# Edges at every scale
# --------------------
# The Sobel derivative along each axis, and their length. On level 0 every
# small square of the checkerboard has its own edges; by level 3 the squares
# have merged into one grey patch with a single outline, and the edge map
# shows only the large shapes (each edge a few of that level's pixels wide:
# one pixel of level 3 covers 8 x 8 of level 0).


def edge_map(picture):
    return np.hypot(pyconv.sobel(picture, axis=0), pyconv.sobel(picture, axis=1))


fig, axes = plt.subplots(2, 4, figsize=(7.5, 4.0))
for column, level in enumerate(levels):
    top, bottom = axes[0, column], axes[1, column]
    # Smaller levels are drawn at the same size, so each shows its own pixels.
    top.imshow(level, cmap="gray", vmin=0, vmax=1, interpolation="antialiased")
    top.set_title(f"level {column}: {level.shape[0]} x {level.shape[1]}", fontsize=8)
    bottom.imshow(edge_map(level), cmap="magma", interpolation="antialiased")
    bottom.set_title(f"sobel magnitude, level {column}", fontsize=8)
    for ax in (top, bottom):
        ax.set_axis_off()
fig.tight_layout()
plt.show()
