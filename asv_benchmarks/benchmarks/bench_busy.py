"""pyconv on a busy machine: float32 calls timed while 2 or 4 CPU-bound
processes, started by the benchmark's setup and stopped by its teardown,
run beside them.

``track_default_over_one_worker``: the median over rounds of pyconv's time
at its default workers over its time at workers=1 (target <= 1.1: the default does not
lose to one thread when cores are taken). ``track_default_over_scipy``:
over scipy.ndimage.correlate's (target <= 1.0). Both sides are called in
turn under the same load. Each load process also stops by itself when its
benchmark's process is gone or its lifetime is over.
"""

import subprocess
import sys

import scipy.ndimage as ndi

import pyconv

from .common import array, kernel, median_ratio

LOADS = [2, 4]
# name: (shape, taps per axis), float32
CASES = {
    "2d-64x64-3x3": ((64, 64), 3),
    "1d-200k-k7": ((200_000,), 7),
    "2d-512x512-3x3": ((512, 512), 3),
    "2d-2048x2048-5x5": ((2048, 2048), 5),
}
# Most calls of each side, and seconds per measurement (both sides).
CALLS = 60
BUDGET = 3.0
# A load process's lifetime in seconds: past the benchmark's timeout.
HOG_SECONDS = 130

# Spins until its lifetime (argv[1]) is over or its parent is gone.
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


def start_hogs(count, lifetime):
    """`count` CPU-bound processes, each running when this returns."""
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
    except BaseException:
        stop_hogs(processes)
        raise
    return processes


def stop_hogs(processes):
    """Terminate and reap the processes (kill any that lingers)."""
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


class Busy:
    params = [LOADS, list(CASES)]
    param_names = ["others", "case"]
    timeout = 120

    def setup(self, others, case):
        shape, taps = CASES[case]
        self.x = array(shape, "float32")
        self.w = kernel(taps, len(shape))
        self.processes = start_hogs(others, HOG_SECONDS)

    def teardown(self, others, case):
        stop_hogs(self.processes)

    def _pyconv(self, workers):
        return lambda: pyconv.correlate(self.x, self.w, workers=workers)

    def track_default_over_one_worker(self, others, case):
        return median_ratio(self._pyconv(None), self._pyconv(1), CALLS, BUDGET)

    track_default_over_one_worker.unit = "ratio"

    def track_default_over_scipy(self, others, case):
        return median_ratio(self._pyconv(None), lambda: ndi.correlate(self.x, self.w),
                            CALLS, BUDGET)

    track_default_over_scipy.unit = "ratio"
