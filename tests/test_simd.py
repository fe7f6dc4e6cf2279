"""Runtime CPU dispatch: the baseline, AVX2+FMA and AVX-512 builds of the
direct kernels exist where they should, are picked as the CPU allows, and
give bitwise the same results (no build fuses a*b + c, see
pyconv/meson.build)."""

import os
import subprocess
import sys
import textwrap

import pytest

import pyconv
from pyconv import _build_info, _kernels

CODE = textwrap.dedent("""
    import hashlib, numpy as np, pyconv
    rng = np.random.default_rng(0)
    digest = hashlib.sha256()
    gappy = rng.standard_normal((3, 12))
    gappy[:, [2, 9, 10]] = 0  # zero taps are skipped: runs of 2, 6 and 1 consecutive taps
    for shape, weights, kwargs in [((300, 257), (3, 3), {}),
                                   ((50_000,), (31,), {"mode": "constant"}),
                                   ((17, 40, 33), (3, 3, 3), {"mode": "wrap"}),
                                   ((120, 130), (7, 7), {"stride": (2, 3), "dilation": 2,
                                                         "padding": "full"}),
                                   ((64, 300), (3, 5), {"stride": 2, "mode": "nearest"}),
                                   ((9, 203), (2, 17), {"mode": "mirror"}),
                                   ((40, 1000), gappy, {"mode": "reflect"}),
                                   ((11, 700), (1, 9), {"padding": "valid"})]:
        for dtype in (np.float32, np.float64, np.complex64, np.uint8, np.int16):
            x = (rng.standard_normal(shape) * 20).astype(dtype)
            w = rng.standard_normal(weights) if isinstance(weights, tuple) else weights
            out = pyconv.correlate(x, w, method="direct", **kwargs)
            digest.update(out.tobytes())
    for weights in (np.full((3, 3), 1 / 9), [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
                    np.full((1, 11), 1 / 11)):  # int16 sums
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


def test_the_widest_runnable_build_is_the_default(tmp_path):
    level, _ = run(tmp_path)
    assert level == (_kernels.runnable() or ["baseline"])[0]


@pytest.mark.parametrize("name", [name for name, _, _ in _kernels.BUILDS])
def test_builds_agree_bitwise(tmp_path, name):
    if name not in _kernels.runnable():
        pytest.skip(f"the {name} build is not compiled in or this CPU cannot run it")
    forced_level, forced_digest = run(tmp_path, PYCONV_SIMD=name)
    baseline_level, baseline_digest = run(tmp_path, PYCONV_SIMD="baseline")
    assert forced_level == f"{name} (forced by PYCONV_SIMD)"
    assert baseline_level == "baseline (forced by PYCONV_SIMD)"
    assert forced_digest == baseline_digest


def test_x86_64_builds_compile_every_variant():
    if _build_info.HOST_CPU == "x86_64":
        assert _build_info.SIMD_VARIANTS.split() == ["avx2+fma", "avx512"]


def test_forcing_an_unknown_build_warns_and_picks_the_default(tmp_path):
    code = ("import warnings; warnings.simplefilter('error')\n"
            "try:\n    import pyconv\nexcept RuntimeWarning as e:\n    print('warned', e)\n")
    base = {key: value for key, value in os.environ.items() if key != "PYCONV_SIMD"}
    completed = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True,
                               capture_output=True, text=True, timeout=300,
                               env={**base, "PYCONV_SIMD": "sse9"})
    assert "warned PYCONV_SIMD='sse9' is not one of baseline, avx512, avx2+fma" \
        in completed.stdout


def test_show_config_reports_the_kernels_in_use():
    simd = pyconv.show_config(mode="dicts")["simd"]
    assert simd["direct_kernels"] == _kernels.LEVEL
    assert simd["built_variants"].split()[0] == "baseline"
