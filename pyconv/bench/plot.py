"""``python -m pyconv --plot PATH``: the speed-ups over scipy as a bar chart."""

import pyconv

MISSING = ("--plot needs matplotlib, which is not installed: pip install matplotlib "
           "(or pip install 'pyconv-nd[bench]')")


def plot(results, path, run):
    """The speed-ups as a bar chart in `path` (PNG), each bar labelled with
    its value (FAILED for a case whose check failed), titled with the run
    it shows: `run` has the date, machine, workers and size. Returns the
    matplotlib Figure."""
    try:
        from matplotlib.figure import Figure  # (no pyplot: no backend to choose)
    except ImportError:
        raise SystemExit(MISSING) from None
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
