"""show_config(): how this copy of pyconv was built and what it will use."""

import sys

import numpy as np

from pyconv import _build_info, _cpu, _fft_backends, _kernels, _openmp


def _simd_summary():
    """The builds of the direct kernels, the one in use, and what the CPU is and has."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__
    interesting = ["SSE2", "SSE42", "AVX", "AVX2", "FMA3", "AVX512F", "AVX512_SKX",
                   "ASIMD", "SVE", "VSX", "VX"]
    available = [name for name in interesting if __cpu_features__.get(name)]
    identity = _cpu.x86_identity()
    return {
        "simd_option": _build_info.SIMD_OPTION,
        "built_variants": " ".join([_kernels.PORTABLE] + _build_info.SIMD_VARIANTS.split()),
        "direct_kernels": _kernels.LEVEL,
        "cpu": (f"{identity[0]} family {identity[1]:#x} model {identity[2]:#x}"
                if identity else _build_info.HOST_CPU),
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
        "fft": _fft_backends.summary(),
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
        None with ``mode='stdout'``. With ``mode='dicts'``, a dict of dicts
        with the sections 'pyconv' (version), 'build' (compiler, Cython,
        build type, optimisation, C flags, bounds checks), 'openmp'
        (enabled, version, default_workers, cores), 'simd' (the meson
        ``simd`` option, the builds of the direct kernels compiled in,
        the one in use, the CPU and its features), 'fft' (the FFT
        method's backend, 'scipy' or 'ducc0'; what chose it: 'default',
        'PYCONV_FFT' or 'set_fft_backend'; the versions of scipy and of
        ducc0, or 'not installed') and 'runtime' (Python and NumPy versions).

    Raises
    ------
    ValueError
        For an unknown `mode`.

    See Also
    --------
    numpy.show_config : The same idea for numpy.
    correlate : Its `workers` parameter, which default_workers describes.
    set_fft_backend : Chooses the FFT backend.

    Notes
    -----
    The build section is written by meson when pyconv is compiled; the
    rest is read at the time of the call. ``default_workers`` is the number
    of threads ``workers=None`` gives now, OpenMP's ``omp_get_max_threads()``
    (``OMP_NUM_THREADS`` or a threadpoolctl limit lowers it), and ``cores``
    the number of cores this process may run on. If pyconv was built without
    OpenMP, ``enabled`` is False, every call runs on one thread, and the
    printed report ends with a warning saying so.

    Examples
    --------
    >>> import pyconv
    >>> config = pyconv.show_config(mode="dicts")
    >>> config["pyconv"]["version"] == pyconv.__version__
    True
    >>> sorted(config)
    ['build', 'fft', 'openmp', 'pyconv', 'runtime', 'simd']
    >>> config["openmp"]["default_workers"] >= 1
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
