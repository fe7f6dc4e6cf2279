"""
=================================
Blurring and edges in an image
=================================

A Gaussian blur, done once as a 2-D kernel and once as two 1-D passes, and
the Sobel edge detector on the blurred image.
"""

import matplotlib.pyplot as plt
import numpy as np

import pyconv

# A synthetic 160 x 160 image: a square, a disk and a diagonal bar, with noise.
rng = np.random.default_rng(11)
yy, xx = np.mgrid[:160, :160]
image = np.zeros((160, 160), dtype=np.float32)
image[30:80, 25:75] = 1.0
image[(yy - 105) ** 2 + (xx - 110) ** 2 < 30**2] = 0.7
image[np.abs(yy - (170 - xx)) < 5] += 0.5
image += 0.15 * rng.standard_normal(image.shape).astype(np.float32)

# %%
# Gaussian blur: one 2-D kernel or two 1-D passes
# -----------------------------------------------
# A 2-D Gaussian is the outer product of two 1-D ones, so filtering each axis
# in turn with :func:`pyconv.correlate1d` gives the same image with 2 * 13
# instead of 13 * 13 multiply-adds per pixel. The data are float32, and so is
# the arithmetic: both results differ only by float32 rounding. The top-right
# panel of the figure below draws that difference, with its colour bar: noise
# of a few units in the seventh significant digit, largest where the image is
# brightest, since a rounding error is relative to the value rounded.

offsets = np.arange(-6, 7)
gauss_1d = np.exp(-0.5 * (offsets / 2.0) ** 2)
gauss_1d /= gauss_1d.sum()
gauss_2d = np.outer(gauss_1d, gauss_1d)

blur_2d = pyconv.correlate(image, gauss_2d, mode="nearest")
rows_blurred = pyconv.correlate1d(image, gauss_1d, axis=0, mode="nearest")
blur_separable = pyconv.correlate1d(rows_blurred, gauss_1d, axis=1,
                                    mode="nearest")
print("dtype:", blur_2d.dtype)
print("largest difference between the two:",
      np.abs(blur_2d - blur_separable).max())

# %%
# Edges
# -----
# The Sobel kernels estimate the derivative across columns and across rows;
# their magnitude is large on edges. On the raw image the noise makes edges
# everywhere; after the blur only the outlines remain.

sobel_x = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=np.float32)
sobel_y = sobel_x.T


def edge_strength(picture):
    across_columns = pyconv.correlate(picture, sobel_x, mode="nearest")
    across_rows = pyconv.correlate(picture, sobel_y, mode="nearest")
    return np.hypot(across_columns, across_rows)


laplacian = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.float32)

difference = blur_2d - blur_separable
panels = [
    (image, "image", "gray"),
    (blur_separable, "gaussian blur (sigma 2)", "gray"),
    (difference, "2-D minus separable blur\n(float32 rounding noise)", "RdBu_r"),
    (edge_strength(image), "Sobel magnitude of the image", "magma"),
    (edge_strength(blur_separable), "Sobel magnitude after blur", "magma"),
    (pyconv.correlate(blur_separable, laplacian, mode="nearest"),
     "Laplacian after blur", "RdBu_r"),
]
fig, axes = plt.subplots(2, 3, figsize=(7.5, 5.6), layout="constrained")
for ax, (data, title, cmap) in zip(axes.flat, panels, strict=True):
    if cmap == "RdBu_r":
        limit = np.abs(data).max()
        shown = ax.imshow(data, cmap=cmap, vmin=-limit, vmax=limit)
    else:
        shown = ax.imshow(data, cmap=cmap)
    if data is difference:
        bar = fig.colorbar(shown, ax=ax, shrink=0.8, format="%.0e")
        bar.ax.tick_params(labelsize=7)
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()
plt.show()
