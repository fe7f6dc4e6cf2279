"""show_config(): how this copy of pyconv was built and what it will use."""

import sys

import numpy as np

from pyconv import _build_info, _openmp


def _simd_summary():
    """Baseline SIMD of the build (the compiler's default) and what the CPU has."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__
    interesting = ["SSE2", "SSE42", "AVX", "AVX2", "FMA3", "AVX512F", "AVX512_SKX",
                   "ASIMD", "SVE", "VSX", "VX"]
    available = [name for name in interesting if __cpu_features__.get(name)]
    return {
        "build_baseline": "compiler default for " + _build_info.HOST_CPU,
        "cpu_features": " ".join(available) or "none detected",
    }


def _config_dict():
    return {
        "pyconv": {"version": _build_info.VERSION},
        "build": {
            "compiler": f"{_build_info.COMPILER} {_build_info.COMPILER_VERSION}",
            "cython": _build_info.CYTHON_VERSION,
            "buildtype": _build_info.BUILDTYPE,
            "optimization": "-O" + _build_info.OPTIMIZATION,
            "c_args": _build_info.C_ARGS,
            "bounds_check": _build_info.BOUNDS_CHECK,
        },
        "openmp": {
            "enabled": _openmp.have_openmp(),
            "version": _build_info.OPENMP_VERSION or "none",
            "default_workers": _openmp.effective_workers(None),
            "cores": _openmp.num_procs(),
        },
        "simd": _simd_summary(),
        "runtime": {
            "python": sys.version.split()[0],
            "numpy": np.__version__,
        },
    }


def show_config(mode="stdout"):
    """Print (or return) how pyconv was built and how it will run.

    Parameters
    ----------
    mode : {'stdout', 'dicts'}, optional
        'stdout' (default) prints a short report; 'dicts' returns it as a
        nested dict instead.

    Returns
    -------
    config : dict or None
        With ``mode='dicts'``: sections 'pyconv', 'build', 'openmp', 'simd'
        and 'runtime'.

    Raises
    ------
    ValueError
        For an unknown `mode`.

    See Also
    --------
    numpy.show_config : The same idea for numpy.

    Examples
    --------
    >>> import pyconv
    >>> pyconv.show_config(mode="dicts")["pyconv"]["version"] == pyconv.__version__
    True
    """
    if mode not in ("stdout", "dicts"):
        raise ValueError(f"mode must be 'stdout' or 'dicts', got {mode!r}")
    config = _config_dict()
    if mode == "dicts":
        return config
    lines = []
    for section, entries in config.items():
        lines.append(f"{section}:")
        for key, value in entries.items():
            lines.append(f"  {key}: {value}")
    if not config["openmp"]["enabled"]:
        lines.append("WARNING: built without OpenMP; every call runs on one thread.")
    print("\n".join(lines))
    return None
