"""Which compiled build of the direct kernels this CPU runs.

The kernels are compiled up to three times (see pyconv/meson.build): for the
compiler's baseline (any x86-64) and, where the build can, for AVX2 + FMA and
for AVX-512 (x86-64-v4). All give bitwise the same results. The choice is made
once, here, at import, from the CPU features numpy detected: the widest build
the CPU can run. ``PYCONV_SIMD`` in the environment forces one (``baseline``,
``avx2+fma`` or ``avx512``; for tests and comparisons); a build that was not
compiled or that the CPU cannot run falls back to the best one below it.
"""

import importlib
import os
import warnings

from pyconv import _build_info
from pyconv import _direct as _baseline

# Each optional build, widest first: (name, module, CPU features it needs).
BUILDS = [
    ("avx512", "_direct_avx512", ("AVX512F", "AVX512BW", "AVX512DQ", "AVX512VL", "AVX2", "FMA3")),
    ("avx2+fma", "_direct_avx2", ("AVX2", "FMA3")),
]


def _cpu_features():
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__
    return __cpu_features__


def runnable():
    """Names of the optional builds compiled in and runnable on this CPU, widest first."""
    features = _cpu_features()
    built = _build_info.SIMD_VARIANTS.split()
    return [name for name, _, needs in BUILDS
            if name in built and all(features.get(need) for need in needs)]


def _select():
    forced = os.environ.get("PYCONV_SIMD", "").strip().lower()
    names = [name for name, _, _ in BUILDS]
    if forced and forced != "baseline" and forced not in names:
        warnings.warn(f"PYCONV_SIMD={forced!r} is not one of baseline, {', '.join(names)}; "
                      "ignored", RuntimeWarning, stacklevel=2)
        forced = ""
    note = " (forced by PYCONV_SIMD)" if forced else ""
    if forced == "baseline":
        return _baseline, "baseline" + note
    available = runnable()
    if forced:  # the forced build, or the best one below it
        available = [name for name in available if names.index(name) >= names.index(forced)]
    if not available:
        return _baseline, "baseline" + note
    name = available[0]
    module = next(module for n, module, _ in BUILDS if n == name)
    return importlib.import_module("pyconv." + module), name + note


direct, LEVEL = _select()
