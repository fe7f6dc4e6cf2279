"""Measure the constants of pyconv's cost model (pyconv/_plan.py) and check auto.

    python tools/calibrate_plan.py [--quick] [--workers N] [--check-only]
                                   [--fft-backend {scipy,ducc0}]

How: for a grid of problems spanning the direct/FFT crossover (1-D, 2-D,
3-D; float32, float64; complex on a smaller grid), time both methods in the
same process, alternately, best of 7 runs each (and of two sweeps of the
grid), first at workers=1 and
then at workers=2. The constants are the non-negative least-squares fit,
in relative error, of

    direct = outputs * (multiply_adds * per_multiply_add + fixed)
             + row_visits * per_row_visit
    fft    = elements * (log2(transform) * per_element_log + per_element)
             + boxes * per_box

to the workers=1 times (counts from pyconv._plan.direct_counts and
pyconv._fft.plan). Parallel efficiencies are medians of t1 / t2 - 1: for
the direct method over the grid, for the FFT over the points with several
boxes (threads take whole boxes) and, for single-box points, of the
transforms' share alone (only they are threaded there). It prints the fitted constants in _plan.py's
format, then how auto (with the constants currently in _plan.py) compares
with the faster method: the fraction of points within 1.25x, and the worst.

The FFT's constants belong to the FFT backend (pyconv.set_fft_backend): run
once with each, ``--fft-backend scipy`` and ``--fft-backend ducc0``, and
copy each run's FFT constants under that backend's name in _plan.py (the
direct method's constants do not depend on it). On a machine busy with
other work, ``--direct-ruler`` keeps the FFT's constants in the direct
method's time base, and ``--fft-backend ducc0 --relative-to-scipy`` times
only the two backends' FFTs against each other, point by point.
"""

import argparse
import time
from typing import NamedTuple

import numpy as np
from scipy.optimize import nnls

import pyconv
from pyconv import _direct_plan, _fft, _fft_backends, _plan
from pyconv._normalize import normalize


class Point(NamedTuple):
    shape: tuple
    taps: tuple
    dtype: str
    x: np.ndarray
    w: np.ndarray
    t_direct: float = np.inf
    t_fft: float = np.inf


def grid(quick):
    """(shape, taps, dtype) points spanning the crossover."""
    points = []
    sizes_1d = [20_000, 200_000, 2_000_000] if not quick else [200_000]
    for n in sizes_1d:
        for k in (8, 16, 32, 64, 128, 256, 512):
            points.append(((n,), (k,)))
    for n in ([128, 512, 1024] if not quick else [512]):
        for k in (3, 5, 7, 9, 11, 15, 21, 31):
            points.append(((n, n), (k, k)))
    for n in ([32, 64, 128] if not quick else [64]):
        for k in (3, 5, 7, 9, 11):
            points.append(((n, n, n), (k, k, k)))
    result = []
    for dtype in ("float32", "float64"):
        result += [(shape, taps, dtype) for shape, taps in points]
    for dtype in ("complex64", "complex128"):  # a smaller grid: the model's complex rows
        result += [(shape, taps, dtype) for shape, taps in points[::3]]
    return result


def best_times(first, second, runs=7):
    """Best of `runs` for two functions, run alternately (the machine's load
    drifts; alternating exposes both to the same drift)."""
    first()
    second()
    times = ([], [])
    for _ in range(runs):
        for function, store in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            function()
            store.append(time.perf_counter() - start)
    return min(times[0]), min(times[1])


def problem_for(x, w, workers, method):
    return normalize(x, w, None, "reflect", 0.0, 0, axes=None, stride=1, dilation=1,
                     padding="same", workers=workers, convolution=False, method=method)


def measure(points, workers, sweeps=2):
    """Time both methods at every point; the grid is swept `sweeps` times and
    each point keeps its best (a young process pays first-touch page faults
    that a warm one does not)."""
    from pyconv import correlate

    rng = np.random.default_rng(0)
    rows = []
    for shape, taps, dtype in points:
        x = rng.standard_normal(shape).astype(dtype)
        w = rng.standard_normal(taps)
        if np.dtype(dtype).kind == "c":
            x = x + 1j * rng.standard_normal(shape).astype(dtype)
        rows.append(Point(shape, taps, dtype, x, w))
    for _ in range(sweeps):
        for i, row in enumerate(rows):
            t_direct, t_fft = best_times(
                lambda row=row: correlate(row.x, row.w, method="direct", workers=workers),
                lambda row=row: correlate(row.x, row.w, method="fft", workers=workers))
            rows[i] = row._replace(t_direct=min(row.t_direct, t_direct),
                                   t_fft=min(row.t_fft, t_fft))
    for row in rows:
        print(f"  {row.dtype:10s} {str(row.shape):16s} {str(row.taps):14s} direct "
              f"{row.t_direct * 1e3:9.2f} ms   fft {row.t_fft * 1e3:9.2f} ms", flush=True)
    return rows


def fit(rows, ruler=False):
    """Non-negative least-squares constants per dtype: (direct, fft).

    `ruler`: scale the FFT's times by the median, over the dtype's points, of
    the direct time that _plan's constants predict over the one measured
    beside it. On a machine shared with other work, which slows both
    methods alike, the FFT's constants then stay in the time base of the
    direct constants in _plan.py (the ones auto compares them with). (The
    median: the direct model is off by more than the load at a few points.)
    """
    direct, fft = {}, {}
    for dtype in sorted({row.dtype for row in rows}):
        d_features, f_features, d_times, f_times, predicted = [], [], [], [], []
        for row in rows:
            if row.dtype != dtype:
                continue
            problem = problem_for(row.x, row.w, 1, "auto")
            outputs, per_output, row_visits = _plan.direct_counts(
                problem, _direct_plan.plan(problem))
            d_features.append([outputs * per_output, outputs, row_visits])
            d_times.append(row.t_direct)
            plan = _fft.plan(problem)
            elements = plan.n_boxes * plan.box_elements
            f_features.append([elements * plan.log2_transform, elements, plan.n_boxes])
            f_times.append(row.t_fft)
            predicted.append(_plan.direct_cost(problem, _direct_plan.plan(problem)))
        d_features, d_times = np.array(d_features, float), np.array(d_times)
        f_features, f_times = np.array(f_features, float), np.array(f_times)
        if ruler:
            f_times = f_times * np.median(np.array(predicted) / d_times)
        direct[dtype] = nnls(d_features / d_times[:, None], np.ones(len(d_times)))[0]
        fft[dtype] = nnls(f_features / f_times[:, None], np.ones(len(f_times)))[0]
    return direct, fft


def relative_to_scipy(points, backend, workers=1):
    """{dtype: median over its points of time(FFT on `backend`) / time(FFT on
    scipy)}, the two timed alternately at each point (best of 7 each).

    On a machine shared with other work, the ratio holds where absolute
    times do not: `backend`'s constants are then scipy's times this ratio.
    """
    from pyconv import correlate

    rng = np.random.default_rng(0)
    ratios = {}
    for shape, taps, dtype in points:
        x = rng.standard_normal(shape).astype(dtype)
        w = rng.standard_normal(taps)

        def on(name, x=x, w=w):
            with pyconv.set_fft_backend(name):
                correlate(x, w, method="fft", workers=workers)

        t_backend, t_scipy = best_times(lambda: on(backend), lambda: on("scipy"))
        ratios.setdefault(dtype, []).append(t_backend / t_scipy)
        print(f"  {dtype:10s} {str(shape):16s} {str(taps):14s} {backend} / scipy "
              f"{t_backend / t_scipy:5.2f}", flush=True)
    return {dtype: float(np.median(values)) for dtype, values in ratios.items()}


def check_auto(rows, workers):
    ratios = []
    for row in rows:
        chosen = _plan.choose(problem_for(row.x, row.w, workers, "auto"))
        t_auto = row.t_direct if chosen == "direct" else row.t_fft
        ratio = t_auto / min(row.t_direct, row.t_fft)
        ratios.append(ratio)
        flag = "  <-- over 1.25x" if ratio > 1.25 else ""
        print(f"  {row.dtype:10s} {str(row.shape):16s} {str(row.taps):14s} auto={chosen:6s} "
              f"{ratio:5.2f}x the faster{flag}")
    ratios = np.array(ratios)
    print(f"auto within 1.25x of the faster method at {np.mean(ratios <= 1.25):.0%} of "
          f"{len(ratios)} points; worst {ratios.max():.2f}x")
    return ratios


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small grid")
    parser.add_argument("--workers", type=int, default=2, help="for the auto check")
    parser.add_argument("--check-only", action="store_true",
                        help="only check auto against both methods at --workers")
    parser.add_argument("--fft-backend", choices=_fft_backends.NAMES,
                        help="the FFT backend to measure (default: the one in use)")
    parser.add_argument("--direct-ruler", action="store_true",
                        help="fit the FFT's constants to its times in units of the direct "
                             "method's (a machine shared with other work; see fit)")
    parser.add_argument("--relative-to-scipy", action="store_true",
                        help="only time the FFT on --fft-backend against scipy.fft, and "
                             "print its constants as scipy's in _plan.py times the ratio")
    args = parser.parse_args()
    if args.fft_backend:
        pyconv.set_fft_backend(args.fft_backend)
    backend = _fft_backends.current().name
    print(f"FFT backend: {backend}")
    points = grid(args.quick)
    if args.relative_to_scipy:
        for dtype, ratio in relative_to_scipy(points, backend).items():
            constants = ", ".join(f"{c * ratio:.2e}" for c in _plan.FFT["scipy"][dtype])
            print(f'    "{dtype}": ({constants}),  # FFT["{backend}"]: scipy\'s x {ratio:.2f}')
        return
    if not args.check_only:
        print("== workers=1")
        single = measure(points, 1)
        direct, fft = fit(single, args.direct_ruler)
        print("== fitted constants (workers=1)")
        for dtype in direct:
            print(f'    "{dtype}": ({", ".join(f"{c:.2e}" for c in direct[dtype])}),  # DIRECT')
        for dtype in fft:
            print(f'    "{dtype}": ({", ".join(f"{c:.2e}" for c in fft[dtype][:2])}),  '
                  f'# FFT["{backend}"]  per box {fft[dtype][2]:.1e}')
    print(f"== workers={args.workers}")
    rows = measure(points, args.workers)
    if not args.check_only:
        single_times = {(row.shape, row.taps, row.dtype): row for row in single}
        direct_gain, box_gain, transform_gain = [], [], []
        for row in rows:
            one = single_times[(row.shape, row.taps, row.dtype)]
            direct_gain.append(one.t_direct / row.t_direct - 1)
            plan = _fft.plan(problem_for(row.x, row.w, args.workers, "auto"))
            if plan.n_boxes > 1:
                box_gain.append(one.t_fft / row.t_fft - 1)
            else:  # only the transforms are threaded: solve for their speed-up
                transforms = plan.box_elements * plan.log2_transform * fft[row.dtype][0]
                rest = one.t_fft - transforms
                if row.t_fft > rest > 0:
                    transform_gain.append(transforms / (row.t_fft - rest) - 1)
        print(f"parallel efficiency per added thread (median; FFT on {backend}): "
              f"direct {np.median(direct_gain):.2f}, fft over boxes "
              f"{np.median(box_gain) if box_gain else float('nan'):.2f}, fft transforms "
              f"{np.median(transform_gain) if transform_gain else float('nan'):.2f}")
    print("== auto with the constants in pyconv/_plan.py")
    check_auto(rows, args.workers)


if __name__ == "__main__":
    main()
