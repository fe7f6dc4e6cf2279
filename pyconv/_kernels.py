"""Which compiled build of the direct kernels this CPU runs.

The kernels are compiled twice (see pyconv/meson.build): for the compiler's
baseline (any x86-64) and, where the build can, for AVX2 + FMA. The choice is
made once, here, at import, from the CPU features numpy detected. Setting
``PYCONV_SIMD=baseline`` in the environment forces the baseline build (for
tests and comparisons).
"""

import os

from pyconv import _build_info
from pyconv import _direct as _baseline


def _cpu_features():
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__
    return __cpu_features__


def _select():
    if os.environ.get("PYCONV_SIMD", "").lower() == "baseline":
        return _baseline, "baseline (forced by PYCONV_SIMD)"
    features = _cpu_features()
    if "avx2+fma" in _build_info.SIMD_VARIANTS.split() and features.get("AVX2") \
            and features.get("FMA3"):
        from pyconv import _direct_avx2

        return _direct_avx2, "avx2+fma"
    return _baseline, "baseline"


direct, LEVEL = _select()
