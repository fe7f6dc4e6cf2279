"""
=======================================
Filtering a video in space and time
=======================================

A noisy video of a moving disk, filtered frame by frame with a 2-D kernel
(``axes=(1, 2)``), along time, and with one 3-D kernel; then a temporal
derivative that keeps only what moves.
"""

import matplotlib.pyplot as plt
import numpy as np

import pyconv

# 24 frames of 64 x 64: a disk moving to the right, in noise. Axis 0 is time.
rng = np.random.default_rng(5)
frames, size = 24, 64
yy, xx = np.mgrid[:size, :size]
video = np.zeros((frames, size, size), dtype=np.float32)
for t in range(frames):
    video[t][(yy - 32) ** 2 + (xx - (12 + 1.7 * t)) ** 2 < 8**2] = 1.0
clean = video.copy()
video += 0.6 * rng.standard_normal(video.shape).astype(np.float32)


def gaussian(sigma, radius):
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    return taps / taps.sum()


g = gaussian(1.5, 4)
kernel_2d = np.outer(g, g)
kernel_3d = g[:, None, None] * kernel_2d

# %%
# Three ways to smooth
# --------------------
# * **In space, per frame.** A 2-D kernel with ``axes=(1, 2)``: axis 0 is a
#   batch axis, and each frame is filtered independently.
# * **In time, per pixel.** :func:`pyconv.correlate1d` along ``axis=0``.
# * **In space and time.** A 3-D kernel over all three axes.

per_frame = pyconv.correlate(video, kernel_2d, axes=(1, 2), mode="nearest")
along_time = pyconv.correlate1d(video, g, axis=0, mode="nearest")
space_time = pyconv.correlate(video, kernel_3d, mode="nearest")

# %%
# The batch axis really is independent: the result is a loop over frames.
# ``method="auto"`` decides once for the whole call, and for 24 frames at once
# it may pick the FFT where a single frame would be filtered directly, so the
# two agree to float32 rounding; with the method fixed they agree bit for bit.

print("auto picks",
      pyconv.choose_method(video, kernel_2d, axes=(1, 2), mode="nearest"),
      "for the video and",
      pyconv.choose_method(video[0], kernel_2d, mode="nearest"),
      "for one frame")
loop = np.stack([pyconv.correlate(frame, kernel_2d, mode="nearest")
                 for frame in video])
print("largest difference from the loop:", np.abs(per_frame - loop).max())

both_direct = pyconv.correlate(video, kernel_2d, axes=(1, 2), mode="nearest",
                               method="direct")
loop = np.stack([pyconv.correlate(frame, kernel_2d, mode="nearest",
                                  method="direct")
                 for frame in video])
print("both direct, identical:", np.array_equal(both_direct, loop))

# %%
# How close each result comes to the clean video:

for name, result in [
    ("noisy", video),
    ("2-D per frame", per_frame),
    ("1-D along time", along_time),
    ("3-D space-time", space_time),
]:
    rms = np.sqrt(np.mean((result - clean) ** 2))
    print(f"{name:15s} RMS error against the clean video: {rms:.3f}")

# %%
# What moves
# ----------
# A central difference along time, ``[-1, 0, 1] / 2``, of the video smoothed
# in space and time is positive where the disk arrives and negative where it
# leaves; the static background cancels.

motion = pyconv.correlate1d(space_time, [-0.5, 0.0, 0.5], axis=0,
                            mode="nearest")

shown = [2, 10, 18]
rows = [
    (video, "noisy"),
    (per_frame, "2-D per frame"),
    (along_time, "1-D along time"),
    (space_time, "3-D space-time"),
    (motion, "d/dt after 3-D"),
]
fig, axes = plt.subplots(len(shown), len(rows), figsize=(7.5, 4.8))
for column, (data, title) in enumerate(rows):
    for row, t in enumerate(shown):
        ax = axes[row, column]
        if data is motion:
            ax.imshow(data[t], cmap="RdBu_r", vmin=-0.25, vmax=0.25)
        else:
            ax.imshow(data[t], cmap="gray", vmin=-0.5, vmax=1.5)
        ax.set_xticks([])
        ax.set_yticks([])
        if row == 0:
            ax.set_title(title, fontsize=8)
        if column == 0:
            ax.set_ylabel(f"frame {t}", fontsize=8)
fig.tight_layout()
plt.show()
