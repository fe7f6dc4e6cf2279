"""Timing helpers, and the machine and thread count a run is reported with."""

import platform
import time
from dataclasses import dataclass

import numpy as np

import pyconv

# Calls before any is timed: one of each function, then more rounds for up
# to WARM_UP seconds (at most WARM_UP_CALLS rounds). A fresh process's first
# parallel calls meet fresh memory and a thread team still starting, which
# pyconv's busy-machine check can take for a busy machine: it then runs on
# one thread for its back-off (at least a quarter of a second).
WARM_UP = 0.5
WARM_UP_CALLS = 200


def warm_up(functions):
    """Call the functions in turn, for the warm-up described above."""
    start = time.perf_counter()
    for _ in range(WARM_UP_CALLS):
        for function in functions:
            function()
        if time.perf_counter() - start >= WARM_UP:
            return


def best_time(function, runs):
    """Best of `runs` timed calls (no warm-up call), in seconds."""
    best = np.inf
    for _ in range(runs):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def best_times(first, second, budget, min_runs=3, max_runs=20):
    """Best time of each function, called alternately after the warm-up
    (`warm_up`), until both ran `min_runs` times and `budget` seconds have
    passed (or `max_runs` times)."""
    warm_up((first, second))
    times = ([], [])
    start = time.perf_counter()
    while len(times[0]) < max_runs and (
            len(times[0]) < min_runs or time.perf_counter() - start < budget):
        for function, store in ((first, times[0]), (second, times[1])):
            begin = time.perf_counter()
            function()
            store.append(time.perf_counter() - begin)
    return min(times[0]), min(times[1])


@dataclass
class Timings:
    """Seconds of each timed call: `times[f][r]` is function f's call in
    round r (one call of each function per round)."""
    times: np.ndarray

    @property
    def calls(self):
        """Timed calls of each function."""
        return self.times.shape[1]

    @property
    def medians(self):
        """Median seconds of each function."""
        return [float(np.median(row)) for row in self.times]

    def ratio(self, numerator, denominator):
        """Median over the rounds of the two functions' time ratio.

        Both calls of a round run under the same conditions (which other
        processes share a core with this one, the frequency), and those
        conditions last seconds. On a busy machine a call's time takes one
        of a few values a time slice apart, so the medians of two identical
        functions can land on different values; their per-round ratios
        cancel what the two calls shared."""
        return float(np.median(self.times[numerator] / self.times[denominator]))


def median_times(functions, budget, max_calls, min_calls=3):
    """Timings of the functions called in turn after the warm-up
    (`warm_up`), until each ran `max_calls` times, or `budget` seconds have
    passed and each ran `min_calls` times.

    A call runs with the caches (and the scheduler's view of the process)
    that the calls before it left: a large scipy call leaves them cold for
    the next two. So the first two functions, the pair compared, swap
    places every round, and a third (an anchor) always runs last: the first
    two then see the same histories, each the other's mirror image."""
    if not 1 <= len(functions) <= 3:
        raise ValueError("median_times balances the order of one to three functions")
    orders = (list(range(len(functions))), [*range(min(2, len(functions)))][::-1]
              + list(range(2, len(functions))))
    warm_up([functions[index] for index in orders[1]])  # (as the round before an even one)
    times = [[] for _ in functions]
    start = time.perf_counter()
    while len(times[0]) < max_calls and (
            len(times[0]) < min_calls or time.perf_counter() - start < budget):
        for index in orders[len(times[0]) % 2]:
            begin = time.perf_counter()
            functions[index]()
            times[index].append(time.perf_counter() - begin)
    return Timings(np.array(times))


def three_timings(x, w, workers, timing):
    """Timings of pyconv at `workers`, pyconv at 1 worker and
    scipy.ndimage.correlate, in that order, on the same data (see
    median_times)."""
    import scipy.ndimage as ndi

    return median_times([lambda: pyconv.correlate(x, w, workers=workers),
                         lambda: pyconv.correlate(x, w, workers=1),
                         lambda: ndi.correlate(x, w)], *timing)


def cores():
    """Cores this process may run on, as pyconv counts them."""
    return pyconv.show_config(mode="dicts")["openmp"]["cores"]


def thread_count(workers):
    """The number of threads pyconv runs for `workers` (None: OpenMP's
    default; -1 every core, -2 one fewer, ...), for the report.

    Raises pyconv's own ValueError or TypeError for a `workers` it refuses.
    """
    pyconv.correlate(np.zeros(1), np.ones(1), workers=workers)  # pyconv's checks
    if workers is None:
        return pyconv.show_config(mode="dicts")["openmp"]["default_workers"]
    return workers if workers > 0 else cores() + 1 + workers


def machine_description():
    """CPU model and core count, as far as the platform tells."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {cores()} cores"
