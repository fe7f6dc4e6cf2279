"""The command line of ``python -m pyconv``."""

import argparse
import json
import sys
import time
from dataclasses import asdict

import numpy as np

import pyconv
import pyconv.bench.busy as busy
import pyconv.bench.missing as missing
import pyconv.bench.opencv as opencv
import pyconv.bench.small as small
import pyconv.bench.streams as streams
from pyconv.bench._display import on_terminal, progress
from pyconv.bench._timing import cores, machine_description, thread_count
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
                      help="larger data and more cases, then the --small table and its size "
                           "sweep (a few minutes)")
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
    parser.add_argument("--small", action="store_true",
                        help="instead: the fixed cost of a call, pyconv (at its default "
                             "workers and at workers=1) against scipy.ndimage on small "
                             "arrays, up to 300 calls each, each ratio (the median over "
                             "rounds of pyconv time / scipy time) beside its target; with "
                             "--full also a sweep of sizes from 10 to 10^7 elements (1-D, "
                             "2-D, 3-D; float32 and float64) naming the sizes at which "
                             "pyconv is slower (about a minute more)")
    parser.add_argument("--busy", action="store_true",
                        help="instead (or after --small): pyconv (default workers and "
                             "workers=1) and scipy.ndimage on float32 data, up to 300 calls "
                             "each (ratios: median over rounds), while 2 and then 4 "
                             "CPU-bound processes started by the benchmark run beside them "
                             "(stopped afterwards; about a minute)")
    parser.add_argument("--streams", action="store_true",
                        help="instead: a stream (pyconv.correlate_stream, data pushed in "
                             "chunks) against the whole-array call on the same data, and "
                             "against scipy.signal.lfilter with zi over the same chunks (1-D "
                             "10^7 samples; 64 video frames one at a time; about a minute)")
    parser.add_argument("--fft-backend", choices=["scipy", "ducc0"],
                        help="the FFT method's backend (pyconv.set_fft_backend; default: "
                             "ducc0 when installed, else scipy)")
    parser.add_argument("--version", action="version", version=f"pyconv {pyconv.__version__}")
    parser.add_argument("--opencv", action="store_true",
                        help="instead: the table against OpenCV at workers=2, each time also "
                             "as a multiple of this machine's floor (needs "
                             "opencv-python-headless and threadpoolctl; a few minutes)")
    parser.add_argument("--nan", action="store_true",
                        help="instead: nan_policy='omit' (5%% NaN) at workers=2 against "
                             "astropy's convolve (when installed) and against pyconv's plain "
                             "call on the same data with NaN set to 0 (under a minute)")
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


def _size(args):
    return "quick" if args.quick else "full" if args.full else "default"


def _run_info(workers, size):
    return {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine_description(),
            "workers": workers, "size": size,
            "fft_backend": pyconv.show_config(mode="dicts")["fft"]["backend"]}


def _write_json(path, run, report):
    with open(path, "w") as stream:
        json.dump({**run, "config": pyconv.show_config(mode="dicts"), **report}, stream,
                  indent=2)


def _small_and_busy(args, workers, rng, sweep):
    """Print the --small table (and its sweep if `sweep`) and the --busy
    table, as asked: (JSON entries, whether every check passed)."""
    size, show = _size(args), not args.no_progress
    default = (f"default: workers=None ({workers} threads)" if args.workers is None
               else f"default: workers={args.workers}")
    report = {}
    if args.small or sweep:
        report["small"] = rows = small.run_table(args.workers, size, rng, show)
        print(f"fixed cost: pyconv time / scipy.ndimage time, the same function (correlate "
              f"unless named; above 1.0 pyconv is slower), median over rounds of up to "
              f"{small.CALLS[size]} calls each; {default}:")
        print(small.format_table(rows))
        print()
    if sweep:
        report["size_sweep"] = rows = small.run_sweep(args.workers, size, rng, show)
        print(f"size sweep, mode='reflect', median over rounds of up to {small.CALLS[size]} calls "
              f"within {small.SWEEP_BUDGET[size]} s per point; {default}:")
        print(small.format_sweep(rows))
        print()
    if args.busy:
        report["busy"] = rows = busy.run(args.workers, size, rng, show)
        print(f"busy machine: float32, up to {busy.CALLS[size]} calls each (times: medians; "
              f"ratios: median over rounds of the two calls' ratio), while "
              f"{' and then '.join(map(str, busy.LOADS))} CPU-bound processes run beside "
              f"them on {cores()} cores; {default}; targets: default/1 <= "
              f"{busy.TARGETS[0]}x, default/scipy <= {busy.TARGETS[1]}x:")
        print(busy.format_table(rows))
        print()
    passed = all(row.passed for rows in report.values() for row in rows)
    return {key: [asdict(row) for row in rows] for key, rows in report.items()}, passed


def _small_tables(args, workers):
    """``--small`` and ``--busy``: their tables alone."""
    run = _run_info(workers, _size(args))
    print(f"pyconv {pyconv.__version__} against scipy, {run['date'][:10]}, {run['machine']}")
    report, passed = _small_and_busy(args, workers, np.random.default_rng(2026),
                                     sweep=args.small and args.full)
    pyconv.show_config()
    if args.json:
        _write_json(args.json, run, report)
    return 0 if passed else 1


def _streams_table(args, workers):
    """``--streams``: its table alone."""
    run = _run_info(workers, _size(args))
    print(f"pyconv {pyconv.__version__} streams, {run['date'][:10]}, {run['machine']}")
    rows = streams.run(args.workers, _size(args), np.random.default_rng(2026),
                       not args.no_progress)
    print(f"a stream (every push and the finish) against one call on the same data, and "
          f"against scipy.signal.lfilter with zi over the same chunks; up to "
          f"{streams.RUNS[_size(args)]} runs each (ratios: median over rounds), workers={workers}:")
    print(streams.format_table(rows))
    print()
    pyconv.show_config()
    if args.json:
        _write_json(args.json, run, {"streams": [asdict(row) for row in rows]})
    return 0 if all(row.passed for row in rows) else 1


def _scipy_table(args, workers):
    size = _size(args)
    budget = BUDGET[size]
    rng = np.random.default_rng(2026)
    results = [run_case(case, workers, budget, rng)
               for case in progress(cases(size), not args.no_progress)]
    points = sweep(workers, budget, rng, quick=size == "quick") if args.sweep else []
    run = _run_info(workers, size)
    print(f"pyconv {pyconv.__version__} against scipy, workers={workers}, "
          f"FFT backend {run['fft_backend']}, {run['date'][:10]}, {run['machine']}")
    print(format_table(results))
    print()
    if points:
        print("kernel sweep (float64, mode='constant'):")
        print(format_sweep(points))
        print()
    extra, extra_passed = _small_and_busy(args, workers, rng, sweep=True) if args.full \
        else ({}, True)
    pyconv.show_config()
    if args.json:
        _write_json(args.json, run, {"results": [asdict(r) for r in results],
                                     "sweep": [asdict(p) for p in points], **extra})
    if args.plot:
        plot(results, args.plot, run)
    return 0 if (all(r.passed for r in results) and all(p.passed for p in points)
                 and extra_passed) else 1


def main(argv=None):
    """``python -m pyconv [options]``: run the benchmark; returns the exit
    status (1 when a case's results disagreed)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.fft_backend:
        try:
            pyconv.set_fft_backend(args.fft_backend)
        except ImportError as error:
            parser.error(str(error))
    if args.opencv or args.nan:
        if args.small or args.busy or args.streams or (args.opencv and args.nan):
            parser.error("--opencv and --nan each run alone, without --small, --busy or "
                         "--streams")
        if args.nan:
            passed = missing.report(json_path=args.json,
                                    progress=not args.no_progress and on_terminal(sys.stderr))
            return 0 if passed else 1
        return _opencv_table(args, parser)
    try:
        workers = thread_count(args.workers)
    except (TypeError, ValueError) as error:
        parser.error(f"--workers: {error}")
    if (args.small or args.busy) and (args.plot or args.sweep):
        parser.error("--plot and --sweep go with the table against scipy, "
                     "not with --small or --busy")
    if args.plot:  # fail before the work, not after
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            parser.error(MATPLOTLIB_MISSING)
    if args.streams:
        if args.small or args.busy or args.plot or args.sweep:
            parser.error("--streams runs alone, without --small, --busy, --plot or --sweep")
        return _streams_table(args, workers)
    if args.small or args.busy:
        return _small_tables(args, workers)
    return _scipy_table(args, workers)
