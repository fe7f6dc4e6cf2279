"""The command line of ``python -m pyconv``."""

import argparse
import json
import sys
import time
from dataclasses import asdict

import numpy as np

import pyconv
import pyconv.bench.opencv as opencv
from pyconv.bench._display import on_terminal, progress
from pyconv.bench._timing import machine_description, thread_count
from pyconv.bench.plot import MISSING as MATPLOTLIB_MISSING
from pyconv.bench.plot import plot
from pyconv.bench.scipy_table import BUDGET, cases, format_table, run_case
from pyconv.bench.sweep import format_sweep, sweep


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m pyconv",
        description="Time pyconv against scipy on synthetic 1-D, 2-D and 3-D data "
                    "(float32 and float64, small and large kernels, stride and dilation), "
                    "after checking that both give the same result. Prints one table and "
                    "how pyconv was built.")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small data, a few seconds")
    size.add_argument("--full", action="store_true",
                      help="larger data and more cases (a few minutes)")
    parser.add_argument("--workers", type=int, default=None,
                        help="threads for pyconv (default: all that OpenMP may use)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--plot", metavar="PATH",
                        help="also draw the speed-ups as a PNG bar chart (needs matplotlib)")
    parser.add_argument("--sweep", action="store_true",
                        help="also time direct, FFT and scipy.ndimage across kernel sizes "
                             "(1-D and 2-D; adds about half a minute)")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar (there is one only when stderr is a terminal)")
    parser.add_argument("--version", action="version", version=f"pyconv {pyconv.__version__}")
    parser.add_argument("--opencv", action="store_true",
                        help="instead: the table against OpenCV at workers=2, each time also "
                             "as a multiple of this machine's floor (needs "
                             "opencv-python-headless and threadpoolctl; a few minutes)")
    return parser


def _opencv_table(args, parser):
    try:
        opencv.import_cv2()
        opencv.import_threadpoolctl()
    except ImportError as error:
        parser.error(str(error))
    passed = opencv.report(json_path=args.json,
                           progress=not args.no_progress and on_terminal(sys.stderr))
    return 0 if passed else 1


def _scipy_table(args, workers):
    size = "quick" if args.quick else "full" if args.full else "default"
    budget = BUDGET[size]
    rng = np.random.default_rng(2026)
    results = [run_case(case, workers, budget, rng)
               for case in progress(cases(size), not args.no_progress)]
    points = sweep(workers, budget, rng, quick=size == "quick") if args.sweep else []
    run = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine_description(),
           "workers": workers, "size": size}
    print(f"pyconv {pyconv.__version__} against scipy, workers={workers}, "
          f"{run['date'][:10]}, {run['machine']}")
    print(format_table(results))
    print()
    if points:
        print("kernel sweep (float64, mode='constant'):")
        print(format_sweep(points))
        print()
    pyconv.show_config()
    if args.json:
        with open(args.json, "w") as stream:
            json.dump({**run, "config": pyconv.show_config(mode="dicts"),
                       "results": [asdict(r) for r in results],
                       "sweep": [asdict(p) for p in points]}, stream, indent=2)
    if args.plot:
        plot(results, args.plot, run)
    return 0 if all(r.passed for r in results) and all(p.passed for p in points) else 1


def main(argv=None):
    """``python -m pyconv [options]``: run the benchmark; returns the exit
    status (1 when a case's results disagreed)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.opencv:
        return _opencv_table(args, parser)
    try:
        workers = thread_count(args.workers)
    except (TypeError, ValueError) as error:
        parser.error(f"--workers: {error}")
    if args.plot:  # fail before the work, not after
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            parser.error(MATPLOTLIB_MISSING)
    return _scipy_table(args, workers)
