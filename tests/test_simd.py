"""Runtime CPU dispatch: the baseline and the AVX2+FMA builds of the direct
kernels exist where they should, are picked as the CPU allows, and give
bitwise the same results (no build fuses a*b + c, see pyconv/meson.build)."""

import os
import subprocess
import sys
import textwrap

import pyconv
from pyconv import _build_info, _kernels

CODE = textwrap.dedent("""
    import hashlib, numpy as np, pyconv
    rng = np.random.default_rng(0)
    digest = hashlib.sha256()
    for shape, taps, kwargs in [((300, 257), (3, 3), {}),
                                ((50_000,), (31,), {"mode": "constant"}),
                                ((17, 40, 33), (3, 3, 3), {"mode": "wrap"}),
                                ((120, 130), (7, 7), {"stride": (2, 3), "dilation": 2,
                                                      "padding": "full"}),
                                ((64, 300), (3, 5), {"stride": 2, "mode": "nearest"})]:
        for dtype in (np.float32, np.float64, np.complex64, np.uint8, np.int16):
            x = (rng.standard_normal(shape) * 20).astype(dtype)
            out = pyconv.correlate(x, rng.standard_normal(taps), method="direct", **kwargs)
            digest.update(out.tobytes())
    for weights in (np.full((3, 3), 1 / 9), [[0, 1, 0], [1, -4, 1], [0, 1, 0]]):  # int16 sums
        x = rng.integers(0, 256, (200, 301)).astype(np.uint8)
        digest.update(pyconv.correlate(x, weights, mode="wrap", stride=(1, 2)).tobytes())
        digest.update(pyconv.correlate(x, weights, output=np.int16).tobytes())
    print(pyconv.show_config(mode="dicts")["simd"]["direct_kernels"], digest.hexdigest())
""")


def run(tmp_path, **env):
    """(kernels in use, digest of the results) from a fresh interpreter."""
    base = {key: value for key, value in os.environ.items() if key != "PYCONV_SIMD"}
    completed = subprocess.run([sys.executable, "-c", CODE], cwd=tmp_path, check=True,
                               capture_output=True, text=True, timeout=300,
                               env={**base, **env})
    *level, digest = completed.stdout.split()
    return " ".join(level), digest


def test_builds_agree_bitwise(tmp_path):
    default_level, default_digest = run(tmp_path)
    forced_level, forced_digest = run(tmp_path, PYCONV_SIMD="baseline")
    assert forced_level.split()[0] == "baseline"
    assert forced_digest == default_digest
    if "avx2+fma" in _build_info.SIMD_VARIANTS.split() and _kernels._cpu_features().get("AVX2") \
            and _kernels._cpu_features().get("FMA3"):
        assert default_level == "avx2+fma"


def test_show_config_reports_the_kernels_in_use():
    simd = pyconv.show_config(mode="dicts")["simd"]
    assert simd["direct_kernels"] == _kernels.LEVEL
    assert simd["built_variants"].split()[0] == "baseline"
