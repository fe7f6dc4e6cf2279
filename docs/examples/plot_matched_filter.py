"""
=====================================
Finding a known pulse in noise
=====================================

A matched filter correlates a recording with the pulse it is looking for:
where the pulse sits, every tap lines up and the output peaks, even when the
pulse is invisible to the eye.
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy.signal import find_peaks

import pyconv

rng = np.random.default_rng(3)
fs = 1000.0  # samples per second

# A 0.2 s chirp from 40 to 120 Hz under a Hann window: the known pulse.
pulse_t = np.arange(0, 0.2, 1 / fs)
phase = 2 * np.pi * (40 * pulse_t + 0.5 * (120 - 40) / 0.2 * pulse_t**2)
window = np.hanning(pulse_t.size)
pulse = window * np.cos(phase)

# Three copies at known starts, no stronger than the noise.
recording = rng.standard_normal(6000)
starts = [900, 2500, 4300]
for start in starts:
    recording[start : start + pulse.size] += 1.2 * pulse

# %%
# Correlate with the pulse
# ------------------------
# With ``padding="valid"`` output ``j`` compares the pulse with the recording
# from sample ``j`` on, so a peak's index is where a pulse starts. Dividing
# by the kernel's norm gives the noise unit variance in the output, so the
# output reads as a signal-to-noise ratio.

detection = pyconv.correlate1d(
    recording, pulse, padding="valid", mode="constant"
)
detection /= np.linalg.norm(pulse)

# %%
# The real pulse gives an output that oscillates at the chirp's frequency.
# Correlating with the *analytic* pulse (complex, its imaginary part a
# quarter-period shifted copy) gives a complex output whose magnitude is the
# smooth envelope. ``correlate`` conjugates complex weights, as
# scipy.ndimage and scipy.signal do, so this is the usual complex matched
# filter.

analytic_pulse = window * np.exp(1j * phase)
envelope = np.abs(
    pyconv.correlate1d(
        recording, analytic_pulse, padding="valid", mode="constant"
    )
)
envelope /= np.linalg.norm(analytic_pulse)

# Peaks above the threshold, at least a pulse length apart. Noise alone
# exceeds 3.5 here with a probability of about exp(-3.5**2) per sample.
threshold = 3.5
found, _ = find_peaks(envelope, height=threshold, distance=pulse.size)
print("true starts:    ", starts)
print("detected starts:", found.tolist())

fig, axes = plt.subplots(2, 1, figsize=(7, 4.6), sharex=True)
time = np.arange(recording.size) / fs
axes[0].plot(time, recording, color="0.5", linewidth=0.5)
for start in starts:
    axes[0].axvspan(
        start / fs, (start + pulse.size) / fs, color="tab:orange", alpha=0.25
    )
axes[0].set_title("recording (pulses hidden in the shaded spans)")
lag = np.arange(detection.size) / fs
axes[1].plot(lag, detection, linewidth=0.6, label="real pulse")
axes[1].plot(lag, envelope, linewidth=1.2, label="analytic pulse, |output|")
axes[1].axhline(
    threshold, color="k", linestyle=":", linewidth=0.8, label="threshold"
)
axes[1].set_xlabel("pulse start (s)")
axes[1].set_title("matched filter output (signal-to-noise ratio)")
axes[1].legend(loc="upper right", fontsize=8)
fig.tight_layout()
plt.show()
