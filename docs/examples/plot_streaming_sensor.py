"""
=====================================
Smoothing a live signal as it arrives
=====================================

A sensor delivers blocks of noisy samples. Two streams smooth and decimate
them as they come, one with a centred Gaussian kernel and one causal; each
push returns the outputs that are final, and together they are what the
whole-array call gives.
"""

import matplotlib.pyplot as plt
import numpy as np

import pyconv

rate = 500  # samples per second
block = 250  # samples per block: half a second


def sensor(blocks, seed=7):
    """Blocks of a slow signal in noise, one at a time, with their times."""
    rng = np.random.default_rng(seed)
    for i in range(blocks):
        t = np.arange(i * block, (i + 1) * block) / rate
        clean = np.sin(2 * np.pi * 0.6 * t) + 0.4 * np.sin(2 * np.pi * 2.1 * t)
        yield t, clean + 0.35 * rng.standard_normal(block)


offsets = np.arange(-30, 31)
gaussian = np.exp(-0.5 * (offsets / 10.0) ** 2)
gaussian /= gaussian.sum()
stride = 5  # keep one output in 5: 100 per second

# %%
# A centred and a causal stream
# -----------------------------
# The centred kernel (``padding="same"``) reads 30 samples on either side of
# each output, so an output waits for the 30 samples after it: ``delay`` is
# 30. With all the padding before the start (``padding=[(60, 0)]``) the
# kernel reads only the past, and each output comes with its own sample;
# the smoothed signal then lags the data by the same 30 samples instead.
# ``stride=5`` computes only the kept outputs, and the stride's phase
# carries across the blocks (250 samples are 50 strides, but any length
# would do).

centred = pyconv.correlate_stream(gaussian, mode="nearest", stride=stride)
causal = pyconv.correlate_stream(gaussian, padding=[(60, 0)], mode="nearest",
                                 stride=stride)
print("delay: centred", centred.delay, "samples, causal", causal.delay)

times, samples, by_centred, by_causal = [], [], [], []
for t, values in sensor(12):
    times.append(t)
    samples.append(values)
    by_centred.append(centred.push(values))
    by_causal.append(causal.push(values))
    if len(samples) == 6:  # a snapshot of what is known after six blocks
        snapshot = [np.concatenate(part) for part in (times, samples, by_centred,
                                                      by_causal)]
by_centred.append(centred.finish())
by_causal.append(causal.finish())
print("outputs per push, centred:", [len(out) for out in by_centred])
print("outputs per push, causal: ", [len(out) for out in by_causal])

# %%
# The same result as one call on the whole signal
# -----------------------------------------------
# ``method="auto"`` decides for each block's shape and the whole-array call
# for its own, so the two agree to rounding (with ``method="direct"`` on
# both sides they agree bit for bit).

t = np.concatenate(times)
signal = np.concatenate(samples)
for name, pieces, padding in [("centred", by_centred, "same"),
                              ("causal", by_causal, [(60, 0)])]:
    whole = pyconv.correlate(signal, gaussian, mode="nearest", stride=stride,
                             padding=padding)
    streamed = np.concatenate(pieces)
    print(f"{name}: {streamed.size} outputs, largest difference from the whole call:"
          f" {np.abs(streamed - whole).max():.1e}")

# %%
# What is known after six blocks (left), and at the end (right): the
# centred outputs stop 30 samples (0.06 s) before the last sample received,
# the causal ones reach it but trail the data by as much. The dashed lines
# are the block boundaries.

fig, (now, end) = plt.subplots(1, 2, figsize=(7.5, 3.2), sharey=True,
                               gridspec_kw=dict(width_ratios=[1, 1.6]))
t6, signal6, centred6, causal6 = snapshot
shown = t6 >= t6[-1] - 1.0
now.plot(t6[shown], signal6[shown], color="0.8", linewidth=0.6, label="received")
for outputs, colour, label in [(centred6, "tab:orange", "centred"),
                               (causal6, "tab:blue", "causal")]:
    times6 = t6[::stride][:outputs.size]
    keep = times6 >= t6[-1] - 1.0
    now.plot(times6[keep], outputs[keep], color=colour, linewidth=1.4, label=label)
now.axvline(t6[-1], color="black", linewidth=0.8)
now.annotate("now", xy=(t6[-1], 1.6), ha="right", fontsize=8)
now.axvline(t6[-1] - block / rate + 0.5 / rate, color="0.5", linestyle="--",
            linewidth=0.8)
now.set_title("after six blocks")
now.set_xlabel("time (s)")
now.legend(loc="lower left", fontsize=8)

end.plot(t, signal, color="0.8", linewidth=0.6)
end.plot(t[::stride], np.concatenate(by_centred), color="tab:orange", linewidth=1.2)
end.plot(t[::stride], np.concatenate(by_causal), color="tab:blue", linewidth=1.2)
for boundary in t[block::block]:
    end.axvline(boundary, color="0.5", linestyle="--", linewidth=0.6)
end.set_title("after finish()")
end.set_xlabel("time (s)")
fig.tight_layout()
plt.show()
