"""``python -m pyconv``: time pyconv against scipy on this machine, check, report.

Every case makes its own synthetic data, computes pyconv's result and the
reference (scipy.ndimage, or scipy.signal's FFT convolutions for large
kernels, or scipy.ndimage followed by slicing/zero-filling for stride and
dilation, which scipy does not have), checks they agree to floating-point
rounding, and only then times both, alternately, best of several runs. A
case that fails its check prints FAILED instead of a speed-up, and the
command exits with status 1.
"""

import argparse
import json
import platform
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np
import scipy.ndimage as ndi
import scipy.signal

import pyconv
from pyconv._openmp import effective_workers, num_procs


@dataclass
class Case:
    name: str
    shape: tuple
    dtype: str
    taps: tuple
    kwargs: dict  # for pyconv.correlate
    reference: str  # how scipy computes the same thing


@dataclass
class Result:
    case: str
    reference: str
    pyconv_seconds: float
    scipy_seconds: float
    speedup: float | None  # None when the check failed
    max_error: float
    tolerance: float
    passed: bool
    method: str


def cases(size):
    """The cases at size 'quick', 'default' or 'full'."""
    scale = {"quick": 0.25, "default": 1.0, "full": 2.0}[size]

    def n(value):
        return max(16, int(value * scale))

    chosen = [
        Case("1-D signal, small kernel", (n(2_000_000),), "float64", (31,),
             {"mode": "reflect"}, "ndimage"),
        Case("1-D signal, large kernel", (n(2_000_000),), "float32", (1025,),
             {"mode": "constant"}, "oaconvolve"),
        Case("2-D image, small kernel", (n(2048), n(2048)), "float32", (3, 3),
             {"mode": "reflect"}, "ndimage"),
        Case("2-D image, 7x7", (n(1536), n(1536)), "float64", (7, 7),
             {"mode": "reflect"}, "ndimage"),
        Case("2-D image, large kernel", (n(1024), n(1024)), "float64", (41, 41),
             {"mode": "constant"}, "fftconvolve"),
        Case("3-D video, small kernel", (n(64), n(256), n(256)), "float32", (3, 3, 3),
             {"mode": "reflect"}, "ndimage"),
        Case("3-D video, 2-D kernel per frame", (n(32), n(384), n(384)), "float64", (5, 5),
             {"mode": "nearest", "axes": (1, 2)}, "ndimage"),
        Case("2-D image, stride 2", (n(2048), n(2048)), "float32", (3, 3),
             {"mode": "constant", "stride": 2}, "ndimage then [::2, ::2]"),
        Case("2-D image, dilation 2", (n(2048), n(2048)), "float32", (3, 3),
             {"mode": "constant", "dilation": 2}, "ndimage, zero-filled 5x5"),
    ]
    if size == "full":
        chosen += [
            Case("1-D 10M samples, 1025 taps", (10_000_000,), "float64", (1025,),
                 {"mode": "constant"}, "oaconvolve"),
            Case("3-D volume 128^3, 5x5x5", (128, 128, 128), "float64", (5, 5, 5),
                 {"mode": "nearest"}, "ndimage"),
            Case("2-D 4096^2 uint8, 3x3 box", (4096, 4096), "uint8", (3, 3),
                 {"mode": "reflect"}, "ndimage"),
        ]
    return chosen


def make_data(case, rng):
    if np.dtype(case.dtype).kind in "iu":
        x = rng.integers(0, 256, size=case.shape).astype(case.dtype)
        w = np.full(case.taps, 1.0 / np.prod(case.taps))
    else:
        x = rng.standard_normal(case.shape).astype(case.dtype)
        w = rng.standard_normal(case.taps)
    return x, w


def reference_function(case, x, w):
    """scipy's way of computing the case, as a zero-argument function."""
    kwargs = dict(case.kwargs)
    stride = kwargs.pop("stride", 1)
    dilation = kwargs.pop("dilation", 1)
    axes = kwargs.pop("axes", None)
    mode = kwargs.pop("mode")
    if case.reference in ("oaconvolve", "fftconvolve"):
        # correlate = convolve with the reversed kernel; 'same' with constant 0.
        flipped = w[(slice(None, None, -1),) * w.ndim]
        convolve = getattr(scipy.signal, case.reference)
        return lambda: convolve(x, flipped, mode="same")
    if dilation != 1:
        zero_filled = np.zeros([dilation * (k - 1) + 1 for k in w.shape])
        zero_filled[(slice(None, None, dilation),) * w.ndim] = w
        return lambda: ndi.correlate(x, zero_filled, mode=mode)
    if stride != 1:
        keep = (slice(None, None, stride),) * x.ndim
        return lambda: ndi.correlate(x, w, mode=mode)[keep]
    if axes is not None:
        return lambda: ndi.correlate(x, w, mode=mode, axes=axes)
    return lambda: ndi.correlate(x, w, mode=mode)


def tolerance(x, w, dtype):
    """Rounding of a sum in the working precision (integers: one unit)."""
    if np.dtype(dtype).kind in "iu":
        return 1.0
    eps = np.finfo(dtype).eps
    terms = max(w.size, np.log2(max(x.size, 2)))
    return float((terms + 2) * eps * np.abs(w).sum() * np.abs(x).max())


def best_time(function, runs):
    """Best of `runs` timed calls (no warm-up call)."""
    best = np.inf
    for _ in range(runs):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def best_times(first, second, budget, min_runs=3, max_runs=20):
    """Best time of each function, run alternately."""
    first()
    second()
    times = ([], [])
    start = time.perf_counter()
    while len(times[0]) < max_runs and (
            len(times[0]) < min_runs or time.perf_counter() - start < budget):
        for function, store in ((first, times[0]), (second, times[1])):
            begin = time.perf_counter()
            function()
            store.append(time.perf_counter() - begin)
    return min(times[0]), min(times[1])


def run_case(case, workers, budget, rng):
    x, w = make_data(case, rng)
    ours = pyconv.correlate(x, w, workers=workers, **case.kwargs)
    theirs = reference_function(case, x, w)()
    if np.dtype(case.dtype).kind in "iu":  # scipy truncates; compare to its float result
        theirs = np.rint(reference_function(case, x.astype(np.float64), w)())
    error = float(np.max(np.abs(ours.astype(np.float64) - theirs))) if ours.size else 0.0
    limit = tolerance(x, w, case.dtype)
    passed = ours.shape == theirs.shape and error <= limit
    method = pyconv.choose_method(x, w, workers=workers, **case.kwargs)
    if not passed:
        return Result(case.name, case.reference, float("nan"), float("nan"), None, error,
                      limit, False, method)
    ours_time, theirs_time = best_times(
        lambda: pyconv.correlate(x, w, workers=workers, **case.kwargs),
        reference_function(case, x, w), budget)
    return Result(case.name, case.reference, ours_time, theirs_time, theirs_time / ours_time,
                  error, limit, True, method)


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
    return f"{model}, {num_procs()} cores"


@dataclass
class SweepPoint:
    signal: str  # "1-D" or "2-D"
    taps: int  # per axis
    direct_seconds: float
    fft_seconds: float
    scipy_seconds: float
    auto_method: str
    max_error: float  # direct against fft against scipy.ndimage, worst pair
    passed: bool


def sweep(workers, budget, rng, quick=False):
    """Direct, FFT and scipy.ndimage across kernel sizes (1-D and 2-D, float64)."""
    signals = {
        "1-D": ((50_000 if quick else 200_000,), [3, 7, 15, 31, 63, 127, 255, 511, 1023]),
        "2-D": ((128, 128) if quick else (256, 256), [3, 5, 9, 15, 25, 41, 63]),
    }
    points = []
    for signal, (shape, taps_list) in signals.items():
        x = rng.standard_normal(shape)
        for taps in taps_list:
            w = rng.standard_normal((taps,) * len(shape))

            def run(method, x=x, w=w):
                return pyconv.correlate(x, w, method=method, workers=workers, mode="constant")

            def reference(x=x, w=w):
                return ndi.correlate(x, w, mode="constant")

            results = [run("direct"), run("fft"), reference()]
            error = max(float(np.max(np.abs(a - b))) for a in results for b in results)
            passed = error <= tolerance(x, w, x.dtype)
            direct, fft = best_times(lambda run=run: run("direct"), lambda run=run: run("fft"),
                                     budget)
            _, scipy_time = best_times(lambda run=run: run("auto"), reference, budget,
                                       min_runs=2, max_runs=3)
            points.append(SweepPoint(signal, taps, direct, fft, scipy_time,
                                     pyconv.choose_method(x, w, workers=workers,
                                                          mode="constant"),
                                     error, passed))
    return points


def format_sweep(points):
    lines = ["signal  taps   direct      fft    scipy  auto    direct/fft  speed-up (auto)"]
    for p in points:
        if not p.passed:
            lines.append(f"{p.signal:6s} {p.taps:5d}  FAILED (max error {p.max_error:.1e})")
            continue
        auto = p.direct_seconds if p.auto_method == "direct" else p.fft_seconds
        lines.append(f"{p.signal:6s} {p.taps:5d} {p.direct_seconds * 1e3:7.2f}ms "
                     f"{p.fft_seconds * 1e3:7.2f}ms {p.scipy_seconds * 1e3:7.1f}ms  "
                     f"{p.auto_method:6s} {p.direct_seconds / p.fft_seconds:9.2f}  "
                     f"{p.scipy_seconds / auto:10.1f}x")
    return "\n".join(lines)


def on_terminal(stream):
    """Whether `stream` is a terminal (a progress display belongs there only)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _progress(items, enabled):
    """The items, with a progress bar on stderr when `enabled` and stderr is
    a terminal (tqdm's disable=None): never in a log, a pipe or CI's output."""
    try:
        from tqdm import tqdm
    except ImportError:
        shown = enabled and on_terminal(sys.stderr)
        if shown:
            print("(pip install tqdm for a progress bar)", file=sys.stderr)
        for i, item in enumerate(items, 1):
            if shown:
                print(f"[{i}/{len(items)}] {item.name}", file=sys.stderr, flush=True)
            yield item
        return
    yield from tqdm(items, desc="pyconv benchmark", unit="case", file=sys.stderr,
                    disable=None if enabled else True)


def format_table(results):
    header = ("case", "method", "pyconv", "scipy", "speed-up", "max error")
    rows = []
    for r in results:
        if r.passed:
            rows.append((r.case, r.method, f"{r.pyconv_seconds * 1e3:.2f} ms",
                         f"{r.scipy_seconds * 1e3:.2f} ms", f"{r.speedup:.1f}x",
                         f"{r.max_error:.1e}"))
        else:
            rows.append((r.case, r.method, "-", "-", "FAILED",
                         f"{r.max_error:.1e} > {r.tolerance:.1e}"))
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(widths[i]) if i < 2 else h.rjust(widths[i])
                       for i, h in enumerate(header))]
    lines.append("  ".join("-" * width for width in widths))
    for row in rows:
        lines.append("  ".join(c.ljust(widths[i]) if i < 2 else c.rjust(widths[i])
                               for i, c in enumerate(row)))
    return "\n".join(lines)


def plot(results, path, run):
    """The speed-ups as a bar chart in `path` (PNG), each bar labelled with
    its value (FAILED for a case whose check failed), titled with the run
    it shows: `run` has the date, machine, workers and size. Returns the
    matplotlib Figure."""
    try:
        from matplotlib.figure import Figure  # (no pyplot: no backend to choose)
    except ImportError:
        raise SystemExit(
            "--plot needs matplotlib, which is not installed: pip install matplotlib "
            "(or pip install 'pyconv-nd[bench]')") from None
    figure = Figure(figsize=(9, 0.45 * len(results) + 2.0), layout="constrained")
    axis = figure.add_subplot()
    names = [f"{r.case} ({r.method})" for r in results]
    speedups = [r.speedup if r.passed else 0.0 for r in results]
    bars = axis.barh(names, speedups, color=["tab:blue" if r.passed else "tab:red"
                                             for r in results])
    axis.bar_label(bars, padding=3, labels=[f"{r.speedup:.1f}x" if r.passed else "FAILED"
                                            for r in results])
    axis.axvline(1.0, color="black", linewidth=0.8)
    axis.set_xlim(0, max(speedups + [1.0]) * 1.15)  # room for the labels
    axis.set_xlabel("speed-up over scipy (higher is better)")
    axis.invert_yaxis()
    figure.suptitle(f"pyconv {pyconv.__version__} against scipy, workers={run['workers']}")
    axis.set_title(f"{run['date']}, {run['machine']}, {run['size']} size", fontsize=9)
    figure.savefig(path, dpi=120)
    return figure


def main(argv=None):
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
                             "opencv-python-headless; a few minutes)")
    args = parser.parse_args(argv)
    if args.opencv:
        from pyconv import _vs_opencv

        try:
            _vs_opencv.import_cv2()
        except ImportError as error:
            parser.error(str(error))
        passed = _vs_opencv.report(json_path=args.json,
                                   progress=not args.no_progress and on_terminal(sys.stderr))
        return 0 if passed else 1
    if args.plot:  # fail before the work, not after
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            parser.error("--plot needs matplotlib, which is not installed: "
                         "pip install matplotlib (or pip install 'pyconv-nd[bench]')")
    size = "quick" if args.quick else "full" if args.full else "default"
    workers = effective_workers(args.workers)
    budget = {"quick": 0.05, "default": 0.4, "full": 1.0}[size]
    rng = np.random.default_rng(2026)
    results = [run_case(case, workers, budget, rng)
               for case in _progress(cases(size), not args.no_progress)]

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
