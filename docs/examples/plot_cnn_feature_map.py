"""
==========================================
A strided, dilated CNN-style feature map
==========================================

The forward pass of two convolution layers, as a convolutional network
computes them (cross-correlation, zero padding), on a small three-channel
image: a 3 x 3 layer with stride 2, then a 3 x 3 layer with dilation 2.
"""

import matplotlib.pyplot as plt
import numpy as np

import pyconv

# A 3-channel 64 x 64 image, channels first: a red disk, green vertical
# stripes, a blue square.
size = 64
yy, xx = np.mgrid[:size, :size]
image = np.zeros((3, size, size), dtype=np.float32)
image[0][(yy - 20) ** 2 + (xx - 20) ** 2 < 12**2] = 1.0
image[1][:, (xx[0] // 4) % 2 == 0] = 0.6
image[2, 36:58, 34:58] = 1.0

# %%
# A layer is one correlation per output channel
# ---------------------------------------------
# A filter of a layer with 3 input channels has shape ``(3, 3, 3)``: channels,
# rows, columns. Correlating the whole ``(3, 64, 64)`` image with it, with
# ``padding="valid"`` on the channel axis, places the kernel at the one
# position where it covers all three channels, so the sum runs over channels
# too and that axis has length 1 in the output. On the spatial axes, padding 1
# with ``mode="constant"`` is the usual zero padding, and ``stride=2`` halves
# the resolution.

ones, zeros = np.ones((3, 3)), np.zeros((3, 3))
edge = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
filters_1 = np.stack([
    [edge, edge, edge],            # vertical edges, in any channel
    [edge.T, edge.T, edge.T],      # horizontal edges
    [ones / 9, -ones / 9, zeros],  # red, not green
    [zeros, zeros, ones / 9],      # blue
])
layer_1 = dict(padding=["valid", 1, 1], stride=(1, 2, 2))  # the geometry
print("one filter's output:",
      pyconv.output_shape(image.shape, (3, 3, 3), **layer_1))


def relu(x):
    return np.maximum(x, 0.0)


maps_1 = relu(np.concatenate(
    [pyconv.correlate(image, f, mode="constant", **layer_1)
     for f in filters_1]))
print("layer 1 feature maps:", maps_1.shape)

# %%
# The second layer reads the four maps with taps two apart (``dilation=2`` on
# the spatial axes): nine weights per channel that span five positions of the
# stride-2 map. Its filters combine what layer 1 found: the first adds the
# vertical-edge map to the blue one, the second spreads out the red one.

filters_2 = np.stack([
    [ones / 9, zeros, zeros, ones / 9],  # vertical edges plus blue
    [zeros, zeros, ones / 9, zeros],     # red
])
layer_2 = dict(padding=["valid", "same", "same"], dilation=(1, 2, 2))
maps_2 = relu(np.concatenate(
    [pyconv.correlate(maps_1, f, mode="constant", **layer_2)
     for f in filters_2]))
print("layer 2 feature maps:", maps_2.shape)

# %%
# Checking one output by hand
# ---------------------------
# Before the ReLU, output ``(i, j)`` of layer 1 is the sum of the filter
# times the zero-padded image around input pixel ``(2i, 2j)``: rows and
# columns ``2i - 1 .. 2i + 1`` and ``2j - 1 .. 2j + 1``. Written out with
# NumPy at a point on the disk's left edge:

padded = np.pad(image, ((0, 0), (1, 1), (1, 1)))
i, j = 10, 4
window = padded[:, 2 * i:2 * i + 3, 2 * j:2 * j + 3]
by_hand = np.sum(filters_1[0] * window)
before_relu = pyconv.correlate(image, filters_1[0], mode="constant",
                               **layer_1)
print(f"by hand {by_hand:.6f}, pyconv {before_relu[0, i, j]:.6f}")

# %%
# The receptive field
# -------------------
# Which input pixels can reach one output of layer 2? Push impulses through
# both layers with all-ones kernels (so nothing cancels): a batch of 64
# single-pixel images along a new first axis, filtered with ``axes=(1, 2,
# 3)``, one impulse in each column of row 32. Layer-2 output ``(16, 16)``
# sits over input pixel ``(32, 32)``; the impulses that reach it give the
# field's columns, and by symmetry its rows. The field spans 11 pixels but
# has holes: layer 2 reads every second layer-1 output, and those read
# 3-pixel groups that start 4 pixels apart, one pixel missing between each
# two. Stacking dilated layers without a
# stride in between (or with kernels wider than the step) fills them. The
# last panel of the figure enlarges the field.

impulses = np.zeros((size, 3, size, size), dtype=np.float32)
impulses[np.arange(size), 0, 32, np.arange(size)] = 1.0
through_1 = pyconv.correlate(impulses, np.ones((3, 3, 3)), axes=(1, 2, 3),
                             mode="constant", **layer_1)
through_1 = np.repeat(through_1, 4, axis=1)  # four channels, as in layer 1
through_2 = pyconv.correlate(through_1, np.ones((4, 3, 3)), axes=(1, 2, 3),
                             mode="constant", **layer_2)
reached = np.flatnonzero(through_2[:, 0, 16, 16] > 0)
print("layer-2 output (16, 16) sees input columns", reached)

fig, axes = plt.subplots(2, 4, figsize=(7.5, 4.4))
axes[0, 0].imshow(np.moveaxis(image, 0, -1))
field_rows, field_columns = np.meshgrid(reached, reached, indexing="ij")
axes[0, 0].scatter(field_columns, field_rows, s=2, color="white")
axes[0, 0].set_title("input; dots: receptive\nfield of one L2 output",
                     fontsize=8)
titles = ["L1: vertical edges", "L1: horizontal edges",
          "L1: red, not green", "L1: blue",
          "L2: edges + blue", "L2: red regions"]
panels = list(axes[0, 1:]) + list(axes[1, :3])
for ax, data, title in zip(panels, list(maps_1) + list(maps_2), titles,
                           strict=True):
    ax.imshow(data, cmap="viridis")
    ax.set_title(f"{title}\n{data.shape[0]} x {data.shape[1]}", fontsize=8)
# The last panel enlarges the receptive field: input pixels 24..40 on both
# axes, white where an input pixel reaches layer-2 output (16, 16).
field = np.zeros((size, size))
field[np.ix_(reached, reached)] = 1.0
low, high = 24, 41
axes[1, 3].imshow(field[low:high, low:high], cmap="gray", vmin=0, vmax=1.6,
                  extent=(low - 0.5, high - 0.5, high - 0.5, low - 0.5))
axes[1, 3].scatter([32], [32], marker="+", color="tab:red", s=40)
span = reached.max() - reached.min() + 1
axes[1, 3].set_title(f"the field: {reached.size ** 2} of {span} x {span}"
                     "\npixels (+: input (32, 32))", fontsize=8)
for ax in axes.flat:
    ax.set_axis_off()
fig.tight_layout()
plt.show()
