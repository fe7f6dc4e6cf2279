"""``python -m pyconv --busy``: pyconv on a busy machine. The benchmark
starts its own CPU-bound processes (two, then four) beside the measurement,
and times pyconv at its default workers, pyconv at workers=1 and
scipy.ndimage.correlate in turn under the same load (float32, many calls).
A ratio is the median over rounds of the two calls' ratio in the round:
both calls of a round meet the same load (see ``_timing.Timings.ratio``).

The load processes spin in a pure-Python loop. Each stops by itself when
its lifetime is over or its parent is gone, and ``hogs`` terminates and
reaps them on leaving its block, however it is left (an exception,
Ctrl-C), so none is left running.
"""

import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import scipy.ndimage as ndi

import pyconv
from pyconv.bench._display import progress, seconds_text, text_table
from pyconv.bench._timing import three_timings
from pyconv.bench.scipy_table import tolerance

# The number of load processes, one run each.
LOADS = (2, 4)
# shape, taps per axis (float32)
CASES = (((64, 64), 3), ((200_000,), 7), ((512, 512), 3), ((2048, 2048), 5))
# At most this many calls of each side per case, within BUDGET seconds per
# case (all sides together; at least MIN_CALLS calls each).
CALLS = {"quick": 3, "default": 300, "full": 300}
BUDGET = {"quick": 0.05, "default": 4.0, "full": 12.0}
MIN_CALLS = {"quick": 1, "default": 5, "full": 10}
# Targets: default / workers=1, and default / scipy.
TARGETS = (1.1, 1.0)

# A load process: spins until its lifetime (argv[1], seconds) is over or its
# parent is gone; says "ready" once running.
_SPIN = """
import os, sys, time
parent = os.getppid()
deadline = time.monotonic() + float(sys.argv[1])
print("ready", flush=True)
try:
    while time.monotonic() < deadline and os.getppid() == parent:
        for _ in range(100_000):
            pass
except KeyboardInterrupt:
    pass
"""


@contextmanager
def hogs(count, lifetime):
    """`count` CPU-bound processes, running when the block starts, stopped
    (terminated and reaped) when it ends; each also stops by itself after
    `lifetime` seconds. Yields their subprocess.Popen objects."""
    processes = []
    try:
        for _ in range(count):
            processes.append(subprocess.Popen(
                [sys.executable, "-I", "-c", _SPIN, str(lifetime)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL))
        for process in processes:
            if process.stdout.readline().strip() != b"ready":
                raise RuntimeError("a load process did not start")
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.stdout.close()


@dataclass
class Row:
    load: int  # CPU-bound processes beside the measurement
    name: str
    shape: tuple
    taps: int
    default_seconds: float  # pyconv at the run's workers (median)
    one_worker_seconds: float  # pyconv at workers=1
    scipy_seconds: float
    default_over_one_worker: float | None  # None when the check failed
    default_over_scipy: float | None
    calls: int  # timed calls of each side
    load_held: bool  # every load process ran until the end
    max_error: float
    passed: bool


@dataclass
class Entry:
    """A case's data, checked against scipy before any load starts."""
    name: str
    shape: tuple
    taps: int
    x: np.ndarray
    w: np.ndarray
    max_error: float
    passed: bool


def case_name(shape, taps):
    if len(shape) == 1:
        return f"1-D {shape[0]:,} samples, {taps} taps"
    return f"{len(shape)}-D {'x'.join(map(str, shape))}, {'x'.join([str(taps)] * len(shape))}"


def entries(size, rng):
    """An Entry for each case (float32); --quick shrinks each axis 4 times."""
    table = []
    for shape, taps in CASES:
        if size == "quick":
            shape = tuple(max(16, n // 4) for n in shape)
        x = rng.standard_normal(shape).astype(np.float32)
        w = rng.standard_normal((taps,) * len(shape))
        ours, theirs = pyconv.correlate(x, w), ndi.correlate(x, w)
        error = float(np.max(np.abs(ours.astype(np.float64) - theirs)))
        passed = ours.shape == theirs.shape and error <= tolerance(x, w, x.dtype)
        table.append(Entry(case_name(shape, taps), shape, taps, x, w, error, passed))
    return table


def run(workers, size, rng, show=False, lifetime=None):
    """A Row for each load and case: the cases are made and checked first,
    then timed under each load in turn. `lifetime` bounds each load
    process (default: ample for the run)."""
    table = entries(size, rng)
    timing = (BUDGET[size], CALLS[size], MIN_CALLS[size])
    lifetime = lifetime or 60 + 10 * len(CASES) * BUDGET[size]
    rows = []
    for load in LOADS:
        with hogs(load, lifetime) as processes:
            measured = [_measure(load, entry, workers, timing)
                        for entry in progress(table, show, desc=f"{load} others busy")]
            held = all(process.poll() is None for process in processes)
        for row in measured:
            row.load_held = held
        rows += measured
    return rows


def _measure(load, entry, workers, timing):
    x, w = entry.x, entry.w
    row = Row(load, entry.name, entry.shape, entry.taps, float("nan"), float("nan"),
              float("nan"), None, None, 0, True, entry.max_error, entry.passed)
    if entry.passed:
        timings = three_timings(x, w, workers, timing)
        row.default_seconds, row.one_worker_seconds, row.scipy_seconds = timings.medians
        row.calls = timings.calls
        row.default_over_one_worker = timings.ratio(0, 1)
        row.default_over_scipy = timings.ratio(0, 2)
    return row


def format_table(rows):
    """The rows as a text table; `met` tells which ratio misses its target."""
    header = ("others", "case", "default", "workers=1", "scipy", "default/1",
              "default/scipy", "met", "calls")
    lines = []
    for r in rows:
        if not r.passed:
            lines.append((str(r.load), r.name, "-", "-", "-", "FAILED",
                          f"error {r.max_error:.1e}", "-", "0"))
            continue
        missed = [label for label, ratio, target in (
            ("default/1", r.default_over_one_worker, TARGETS[0]),
            ("default/scipy", r.default_over_scipy, TARGETS[1])) if ratio > target]
        met = "yes" if not missed else "no" if len(missed) == 2 else f"no ({missed[0]})"
        if not r.load_held:
            met += ", load ended early"
        lines.append((str(r.load), r.name, seconds_text(r.default_seconds),
                      seconds_text(r.one_worker_seconds), seconds_text(r.scipy_seconds),
                      f"{r.default_over_one_worker:.2f}x", f"{r.default_over_scipy:.2f}x",
                      met, str(r.calls)))
    return text_table(header, lines, left=2)
