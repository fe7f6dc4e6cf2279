"""
===========================================
Smoothing and downsampling a time series
===========================================

A slow signal measured with noise, smoothed by a moving average and by a
Gaussian kernel, then downsampled with ``stride`` in the same call.
"""

import matplotlib.pyplot as plt
import numpy as np

import pyconv

rng = np.random.default_rng(7)
t = np.linspace(0.0, 4.0, 2000)
clean = np.sin(2 * np.pi * 0.6 * t) + 0.4 * np.sin(2 * np.pi * 2.1 * t)
noisy = clean + 0.35 * rng.standard_normal(t.size)

# %%
# Two smoothing kernels
# ---------------------
# A moving average weighs its 41 samples equally; a Gaussian of comparable
# width (sigma 10 samples, cut at 3 sigma) weighs the middle more and lets
# less of the high frequencies through. Both are normalised to
# sum to one so the level of the signal is kept. ``mode="nearest"`` repeats
# the end samples, which suits a signal that does not wrap around.

box = np.ones(41) / 41
offsets = np.arange(-30, 31)
gaussian = np.exp(-0.5 * (offsets / 10.0) ** 2)
gaussian /= gaussian.sum()

by_box = pyconv.correlate1d(noisy, box, mode="nearest")
by_gaussian = pyconv.correlate1d(noisy, gaussian, mode="nearest")

for name, estimate in [("noisy", noisy), ("moving average", by_box),
                       ("gaussian", by_gaussian)]:
    rms = np.sqrt(np.mean((estimate - clean) ** 2))
    print(f"{name:15s} RMS error against the clean signal: {rms:.3f}")

# %%
# Filter and downsample in one call
# ---------------------------------
# Keeping every 20th sample of the smoothed signal is ``stride=20``. Only the
# kept outputs are computed, and the result equals smoothing everything and
# slicing ``[::20]``.

stride = 20
decimated = pyconv.correlate1d(noisy, gaussian, mode="nearest", stride=stride)
print("samples:", noisy.size, "->", decimated.size)
print("equals smoothing then slicing:",
      np.allclose(decimated, by_gaussian[::stride]))

# %%
# The two smoothed signals lie close together, so each gets a panel of its
# own, over the measurement (grey) and the clean signal (dashed); the bottom
# panel shows the strided output.

fig, axes = plt.subplots(3, 1, figsize=(7, 6.4), sharex=True, sharey=True)
panels = [(by_box, "moving average (41 taps)", "tab:blue"),
          (by_gaussian, "gaussian (61 taps, sigma 10)", "tab:orange")]
for ax, (estimate, label, colour) in zip(axes[:2], panels, strict=True):
    ax.plot(t, noisy, color="0.8", linewidth=0.6, label="measured")
    ax.plot(t, estimate, color=colour, linewidth=1.4, label=label)
    ax.plot(t, clean, "k--", linewidth=0.8, label="clean")
    ax.legend(loc="upper right", ncol=3, fontsize=8)
axes[2].plot(t, clean, "k--", linewidth=0.8, label="clean")
axes[2].plot(t[::stride], decimated, "o", color="tab:orange", markersize=3,
             label=f"gaussian, stride={stride}")
axes[2].legend(loc="upper right", ncol=2, fontsize=8)
axes[2].set_ylim(-2.6, 3.3)  # room for the legends
axes[2].set_xlabel("time (s)")
fig.tight_layout()
plt.show()
