"""``python -m pyconv --streams``: a stream against the whole-array call.

Each case pushes the data through a stream in chunks and times that (all
the pushes and the finish, each output consumed and dropped as a streaming
application does, so that the stream's memory stays bounded) against the
same data filtered in one call, and
the 1-D case also against ``scipy.signal.lfilter(b, 1, chunk, zi=...)``
over the same chunks, the three called in turn in one process at the run's
workers. Every stream's result is first checked against the whole call
(bitwise: both run the direct method). Ratios are the median over rounds
of the stream's time over the anchor's: lower is better.
"""

from dataclasses import dataclass

import numpy as np

import pyconv
from pyconv.bench._display import progress, seconds_text, text_table
from pyconv.bench._timing import median_times

# Timed runs of each side (at least MIN_RUNS, at most RUNS within BUDGET seconds).
RUNS = {"quick": 3, "default": 9, "full": 15}
MIN_RUNS = {"quick": 1, "default": 3, "full": 5}
BUDGET = {"quick": 0.5, "default": 8.0, "full": 20.0}


@dataclass
class Case:
    name: str
    shape: dict  # size: the data's shape
    chunk: dict  # size: samples per push along axis 0
    taps: tuple  # the kernel's shape
    dtype: str
    target_whole: float  # stream time / whole-array time aimed for
    target_lfilter: float | None  # stream time / lfilter time (1-D only)


CASES = [
    Case("1-D float64, 31 taps, chunks of 4096",
         {"quick": (200_000,), "default": (10_000_000,), "full": (10_000_000,)},
         {"quick": 4096, "default": 4096, "full": 4096}, (31,), "float64", 1.25, 0.1),
    Case("480x640 float32 frames one at a time, 5x5x5",
         {"quick": (16, 120, 160), "default": (64, 480, 640), "full": (64, 480, 640)},
         {"quick": 1, "default": 1, "full": 1}, (5, 5, 5), "float32", 1.3, None),
]


@dataclass
class Row:
    name: str
    shape: tuple
    chunk: int
    stream_seconds: float  # median over runs
    whole_seconds: float
    lfilter_seconds: float | None
    whole_ratio: float | None  # None when the check failed
    lfilter_ratio: float | None
    target_whole: float
    target_lfilter: float | None
    runs: int
    passed: bool


def stream_through(w, x, chunk, workers):
    """Every output of a stream fed `x` in chunks of `chunk` along axis 0."""
    stream = pyconv.correlate_stream(w, axis=0, workers=workers)
    pieces = [stream.push(x[start:start + chunk]) for start in range(0, x.shape[0], chunk)]
    pieces.append(stream.finish())
    return pieces


def drain(w, x, chunk, workers):
    """A stream fed `x` in chunks of `chunk`, its outputs dropped as they come."""
    stream = pyconv.correlate_stream(w, axis=0, workers=workers)
    for start in range(0, x.shape[0], chunk):
        stream.push(x[start:start + chunk])
    stream.finish()


def lfilter_through(w, x, chunk):
    """scipy.signal.lfilter over the same chunks, its state carried (1-D)."""
    from scipy.signal import lfilter

    state = np.zeros(w.size - 1)
    b = w[::-1]  # lfilter convolves; the stream correlates
    for start in range(0, x.size, chunk):
        _, state = lfilter(b, 1.0, x[start:start + chunk], zi=state)


def measure(case, workers, size, rng):
    """Check the stream against the whole call, then time both (and lfilter)."""
    x = rng.standard_normal(case.shape[size]).astype(case.dtype)
    w = rng.standard_normal(case.taps).astype(case.dtype)
    chunk = case.chunk[size]
    streamed = np.concatenate(stream_through(w, x, chunk, workers))
    whole = pyconv.correlate(x, w, workers=workers)
    passed = streamed.shape == whole.shape and np.array_equal(streamed, whole)
    row = Row(case.name, x.shape, chunk, float("nan"), float("nan"), None, None, None,
              case.target_whole, case.target_lfilter, 0, passed)
    if not passed:
        return row
    functions = [lambda: drain(w, x, chunk, workers),
                 lambda: pyconv.correlate(x, w, workers=workers)]
    if case.target_lfilter is not None:
        functions.append(lambda: lfilter_through(w, x, chunk))
    timings = median_times(functions, BUDGET[size], RUNS[size], MIN_RUNS[size])
    row.runs = timings.calls
    row.stream_seconds, row.whole_seconds = timings.medians[:2]
    row.whole_ratio = timings.ratio(0, 1)
    if case.target_lfilter is not None:
        row.lfilter_seconds = timings.medians[2]
        row.lfilter_ratio = timings.ratio(0, 2)
    return row


def run(workers, size, rng, show=False):
    """A Row for each case at size 'quick', 'default' or 'full'."""
    return [measure(case, workers, size, rng)
            for case in progress(CASES, show, desc="streams")]


def _ratio_text(ratio, target):
    if ratio is None:
        return "-"
    return f"{ratio:.2f}x (<= {target}x: {'yes' if ratio <= target else 'no'})"


def format_table(rows):
    header = ("case", "stream", "whole call", "lfilter", "stream/whole", "stream/lfilter",
              "runs")
    lines = []
    for r in rows:
        if not r.passed:
            lines.append((r.name, "FAILED: the stream's result differs from the whole "
                                  "call's", "", "", "", "", "0"))
            continue
        lines.append((r.name, seconds_text(r.stream_seconds), seconds_text(r.whole_seconds),
                       "-" if r.lfilter_seconds is None else seconds_text(r.lfilter_seconds),
                       _ratio_text(r.whole_ratio, r.target_whole),
                       _ratio_text(r.lfilter_ratio, r.target_lfilter), str(r.runs)))
    return text_table(header, lines)
