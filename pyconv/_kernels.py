"""Which compiled build of the direct kernels this CPU runs.

The kernels are compiled once portably (plain C loops for the compiler's
baseline target: any CPU of the architecture) and, on x86-64 unless built
with ``-Dsimd=none``, again for AVX2 + FMA and for AVX-512 (see
pyconv/meson.build). All give bitwise the same results. The choice is made
once, here, at import: of the builds compiled in that the CPU can run (the
features numpy detected), the one expected to be fastest on it:

* ``avx512`` where the CPU runs 512-bit vectors at full width. Not on AMD
  family 0x19 (Zen 4): it splits every 512-bit instruction into two 256-bit
  halves, and there the AVX-512 build measured slower than the AVX2 one
  (docs/dev/performance_notes.rst). AMD family 0x1A (Zen 5) and Intel's AVX-512 CPUs keep it.
* else ``avx2+fma``;
* else ``portable``.

``PYCONV_SIMD`` in the environment forces one (``portable``, ``avx2+fma`` or
``avx512``; for tests and comparisons); a build that was not compiled or
that the CPU cannot run falls back to the best one below it.
"""

import importlib
import os
import warnings

from pyconv import _build_info, _cpu
from pyconv import _direct as _portable

# Each wider build, widest first: (name, module, CPU features it needs).
BUILDS = [
    ("avx512", "_direct_avx512", ("AVX512F", "AVX512BW", "AVX512DQ", "AVX512VL", "AVX2", "FMA3")),
    ("avx2+fma", "_direct_avx2", ("AVX2", "FMA3")),
]
PORTABLE = "portable"

# CPUs with AVX-512 whose vector units are 256 bits wide: (vendor, family).
HALF_WIDTH_AVX512 = {("AuthenticAMD", 0x19)}


def _cpu_features():
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__
    return __cpu_features__


def runnable():
    """Names of the wider builds compiled in and runnable on this CPU, widest first."""
    features = _cpu_features()
    built = _build_info.SIMD_VARIANTS.split()
    return [name for name, _, needs in BUILDS
            if name in built and all(features.get(need) for need in needs)]


def fastest(available, identity):
    """The build to run from `available` (widest first) on the CPU `identity`.

    `identity` is ``(vendor, family, model)`` as ``_cpu.x86_identity()``
    gives it, or None off x86.
    """
    if identity is not None and (identity[0], identity[1]) in HALF_WIDTH_AVX512:
        available = [name for name in available if name != "avx512"]
    return available[0] if available else PORTABLE


def _select():
    forced = os.environ.get("PYCONV_SIMD", "").strip().lower()
    names = [name for name, _, _ in BUILDS]
    if forced and forced != PORTABLE and forced not in names:
        warnings.warn(f"PYCONV_SIMD={forced!r} is not one of {PORTABLE}, {', '.join(names)}; "
                      "ignored", RuntimeWarning, stacklevel=2)
        forced = ""
    available = runnable()
    if forced:  # the forced build, or the best one below it
        available = [name for name in available
                     if forced != PORTABLE and names.index(name) >= names.index(forced)]
        name = available[0] if available else PORTABLE
    else:
        name = fastest(available, _cpu.x86_identity())
    note = " (forced by PYCONV_SIMD)" if forced else ""
    if name == PORTABLE:
        return _portable, name + note
    module = next(module for n, module, _ in BUILDS if n == name)
    return importlib.import_module("pyconv." + module), name + note


direct, LEVEL = _select()
