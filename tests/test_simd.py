"""Builds of the direct kernels and runtime dispatch: the portable, AVX2+FMA
and AVX-512 builds exist where they should, the fastest one for the CPU is
picked, every build gives bitwise the portable build's results (no build
fuses a*b + c, see pyconv/meson.build), and the headers keep every
compiler-specific construct behind its guard."""

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import numpy as np
import pytest

import pyconv
from pyconv import _build_info, _cpu, _kernels

SOURCE = Path(__file__).resolve().parents[1] / "pyconv"

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
                                   ((11, 700), (1, 9), {"padding": "valid"}),
                                   # lines shorter than a vector (two half vectors)
                                   ((10, 10, 10), (3, 3, 3), {}),
                                   ((30, 13), (3, 5), {"stride": (1, 2), "mode": "constant"}),
                                   ((25, 7), (2, 3), {"mode": "wrap", "dilation": 2}),
                                   # column strips, and separable strips summed as them
                                   ((70, 300), (9, 1), {"mode": "reflect"}),
                                   ((20, 9, 33), (5, 1, 1),
                                    {"mode": "constant", "cval": 1.0, "stride": (2, 1, 1)}),
                                   ((50, 13), (4, 1), {"dilation": (2, 1)}),
                                   ((300, 257), np.outer(np.arange(1.0, 6.0), [1.0, -2.0, 0.5]),
                                    {"mode": "mirror", "stride": (2, 1)})]:
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
    # nan_policy="omit" (_omit.h): lines, gathered and separable strips, with holes.
    for shape, weights, kwargs in [((40, 1000), (1, 9), {}),
                                   ((40, 50), (5, 4), {"mode": "constant", "cval": np.nan}),
                                   ((300, 257), (5, 7), {"mode": "constant", "cval": np.nan}),
                                   ((64, 300), (3, 5), {"stride": 2, "mode": "nearest"})]:
        for dtype in (np.float32, np.float64, np.complex64):
            x = (rng.standard_normal(shape) * 20).astype(dtype)
            x[rng.random(shape) < 0.1] = np.nan
            w = rng.random(weights) + 0.1
            if len(weights) == 2 and weights[1] == 7:
                w = np.outer(w[:, 0], w[0])
            out = pyconv.correlate(x, w, method="direct", nan_policy="omit", **kwargs)
            digest.update(out.tobytes())
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


def test_the_fastest_runnable_build_is_the_default(tmp_path):
    level, _ = run(tmp_path)
    assert level == _kernels.fastest(_kernels.runnable(), _cpu.x86_identity())
    assert level in ["portable"] + _kernels.runnable()


@pytest.mark.parametrize(("available", "identity", "expected"), [
    (["avx512", "avx2+fma"], ("AuthenticAMD", 0x19, 0x11), "avx2+fma"),  # Zen 4: split 512
    (["avx512", "avx2+fma"], ("AuthenticAMD", 0x1A, 0x02), "avx512"),    # Zen 5
    (["avx512", "avx2+fma"], ("GenuineIntel", 6, 0x8F), "avx512"),       # Sapphire Rapids
    (["avx2+fma"], ("AuthenticAMD", 0x19, 0x11), "avx2+fma"),
    (["avx512", "avx2+fma"], None, "avx512"),
    ([], ("AuthenticAMD", 0x19, 0x11), "portable"),
    ([], None, "portable"),
])
def test_fastest_build_for_each_cpu(available, identity, expected):
    assert _kernels.fastest(available, identity) == expected


def test_cpu_identity_matches_the_operating_system():
    identity = _cpu.x86_identity()
    if _build_info.HOST_CPU not in ("x86_64", "x86"):
        assert identity is None
        return
    vendor, family, model = identity
    assert len(vendor) == 12
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        text = cpuinfo.read_text()
        assert vendor == re.search(r"vendor_id\s*:\s*(\S+)", text).group(1)
        assert family == int(re.search(r"cpu family\s*:\s*(\d+)", text).group(1))
        assert model == int(re.search(r"model\s*:\s*(\d+)", text).group(1))


@pytest.mark.parametrize("name", [name for name, _, _ in _kernels.BUILDS])
def test_builds_agree_bitwise_with_the_portable_build(tmp_path, name):
    if name not in _kernels.runnable():
        pytest.skip(f"the {name} build is not compiled in or this CPU cannot run it")
    forced_level, forced_digest = run(tmp_path, PYCONV_SIMD=name)
    portable_level, portable_digest = run(tmp_path, PYCONV_SIMD="portable")
    assert forced_level == f"{name} (forced by PYCONV_SIMD)"
    assert portable_level == "portable (forced by PYCONV_SIMD)"
    assert forced_digest == portable_digest


def test_x86_64_builds_compile_every_variant():
    variants = _build_info.SIMD_VARIANTS.split()
    if _build_info.SIMD_OPTION == "none" or _build_info.HOST_CPU != "x86_64":
        assert variants == []
    elif _build_info.COMPILER in ("gcc", "clang"):
        assert variants == ["avx2+fma", "avx512"]


def test_forcing_an_unknown_build_warns_and_picks_the_default(tmp_path):
    code = ("import warnings; warnings.simplefilter('error')\n"
            "try:\n    import pyconv\nexcept RuntimeWarning as e:\n    print('warned', e)\n")
    base = {key: value for key, value in os.environ.items() if key != "PYCONV_SIMD"}
    completed = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True,
                               capture_output=True, text=True, timeout=300,
                               env={**base, "PYCONV_SIMD": "sse9"})
    assert "warned PYCONV_SIMD='sse9' is not one of portable, avx512, avx2+fma" \
        in completed.stdout


def test_show_config_reports_the_kernels_in_use():
    simd = pyconv.show_config(mode="dicts")["simd"]
    assert simd["direct_kernels"] == _kernels.LEVEL
    assert simd["built_variants"].split() == ["portable"] + _build_info.SIMD_VARIANTS.split()
    assert simd["simd_option"] == _build_info.SIMD_OPTION


# Constructs that only GCC and Clang accept. They may appear in the
# vector-extension headers alone: _blocks.h includes _blocks_vector.h only for
# those compilers, and the template headers are included from there.
GNU_ONLY = re.compile(r'__builtin_|__attribute__|vector_size|_Pragma\("GCC|#\s*pragma\s+GCC'
                      r'|__asm|typeof')
VECTOR_HEADERS = {"_blocks_vector.h": None,  # header: the one header that includes it
                  "_blocks_vector_type.h": "_blocks_vector.h",
                  "_blocks_vector_block.h": "_blocks_vector_type.h"}


def headers():
    if not (SOURCE / "_blocks.h").exists():
        pytest.skip("the source tree's headers are not here (tests run from an installed copy)")
    return sorted(SOURCE.glob("*.h"))


def test_compiler_specific_code_stays_behind_its_guard():
    for header in headers():
        if header.name not in VECTOR_HEADERS:
            assert not GNU_ONLY.search(header.read_text()), header.name
    for name, parent in VECTOR_HEADERS.items():
        if parent is None:
            continue
        including = [header.name for header in headers()
                     if f'#include "{name}"' in header.read_text()]
        assert including == [parent], name
    blocks = (SOURCE / "_blocks.h").read_text()
    guard = blocks.index(
        "#if !defined(PYCONV_PORTABLE) && (defined(__GNUC__) || defined(__clang__))")
    assert blocks.index('#include "_blocks_vector.h"') > guard
    assert blocks.index('#include "_blocks_portable.h"') > blocks.index("#else", guard)
    # The x86 intrinsics are only reached on builds compiled for AVX2.
    store = (SOURCE / "_store_small_int.h").read_text()
    assert store.index("#include <immintrin.h>") > store.index(
        "#if defined(__AVX2__) && !defined(PYCONV_PORTABLE)")


def test_no_macro_defines_functions():
    """Per-type and per-size functions come from template headers included
    with #define'd parameters (_blocks_vector_type.h, _blocks_vector_block.h,
    _blocks_portable_type.h), not from macros: no macro that runs over
    several lines has a block in braces."""
    for header in headers():
        macro = []
        for line in header.read_text().splitlines():
            if macro or line.lstrip().startswith("#define"):
                macro.append(line)
                if not line.rstrip().endswith("\\"):
                    assert len(macro) == 1 or "{" not in "".join(macro), \
                        f"{header.name}: {macro[0]}"
                    macro = []


AVX512 = ["-mavx2", "-mfma", "-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl",
          "-DPYCONV_VECTOR_BYTES=64"]
SYNTAX_CHECKS = [  # (compiler, language options, defines and target flags)
    ("gcc", ["-std=c99", "-pedantic-errors"], ["-DPYCONV_PORTABLE"]),
    ("clang", ["-std=c99", "-pedantic-errors"], ["-DPYCONV_PORTABLE"]),
    ("gcc", ["-std=c11"], ["-mavx2", "-mfma"]),
    ("clang", ["-std=c11"], ["-mavx2", "-mfma"]),
    ("gcc", ["-std=c11"], AVX512),
    ("clang", ["-std=c11"], AVX512),
    ("gcc", ["-std=c11"], ["-DPYCONV_VECTOR_BYTES=16"]),
    ("clang", ["-std=c11"], ["-DPYCONV_VECTOR_BYTES=16"]),
    ("gcc<12", ["-std=c11"], ["-mavx2", "-mfma"]),
    ("gcc<12", ["-std=c11"], AVX512),
]


def compiler(name):
    """The compiler's path, or skip. "gcc<12": an older GCC (gcc-11 or gcc-10,
    where installed), whose shuffles go through __builtin_shuffle."""
    names = ["gcc-11", "gcc-10"] if name == "gcc<12" else [name]
    for candidate in names:
        if path := shutil.which(candidate):
            return path
    pytest.skip(f"{' or '.join(names)} is not installed")


@pytest.mark.parametrize(("name", "language", "flags"), SYNTAX_CHECKS)
def test_headers_compile_cleanly(tmp_path, name, language, flags):
    """The headers as each build sees them: the portable one as pedantic C99,
    the vector-extension ones with Clang as well as GCC, warnings as errors."""
    headers()
    path = compiler(name)
    if any(flag.startswith("-m") for flag in flags) and _build_info.HOST_CPU != "x86_64":
        pytest.skip("x86 target flags")
    source = tmp_path / "headers.c"
    source.write_text('#include "_blocks.h"\n#include "_cpu.h"\n#include "_omit.h"\n')
    completed = subprocess.run(
        [path, *language, "-Wall", "-Wextra", "-Werror", "-fsyntax-only",
         f"-I{SOURCE}", f"-I{sysconfig.get_paths()['include']}", *flags, str(source)],
        capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr


# The blocked sums, each build's; with -DOMIT, nan_policy="omit"'s two sums
# (_omit.h) and their ratio, over values a fifth of which are NaN.
SUMS = r"""
#include <Python.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "_blocks.h"
#include "_omit.h"
#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
int main(void)
{
    for (int taps = 1; taps <= 12; taps++)
        for (Py_ssize_t count = 1; count < 300; count += count < 40 ? 1 : 13)
            for (Py_ssize_t step = 0; step <= 3; step++) {
                Py_ssize_t len = (count + 64) * (step + 1) + 4 * taps + 64;
                T *x = malloc(sizeof(T) * len * 3), *out = malloc(sizeof(T) * count);
                const T *sources[16];
                Py_ssize_t steps[16];
                T weights[16];
                srand((unsigned)(taps * 1000 + count * 10 + step));
                for (Py_ssize_t i = 0; i < len * 3; i++)
                    x[i] = (T)((rand() % 2001) - 1000) / (T)7;
                for (int t = 0; t < taps; t++) {
                    /* the first 8 taps read consecutive values (shared loads on
                     * 64-byte vectors), the rest other rows */
                    sources[t] = t < 8 ? x + t : x + (t % 3) * len + t / 3;
                    steps[t] = step;
                    weights[t] = (T)((rand() % 200) - 100) / (T)3;
                }
#ifdef OMIT
                T *den = malloc(sizeof(T) * count);
                for (Py_ssize_t i = 0; i < len * 3; i += 1 + rand() % 9)
                    x[i] = (T)NAN;
                CAT(pyconv_omit, SUF)(out, den, count, sources, steps, weights, taps,
                                      step == 1);
                CAT(pyconv_omit_ratio, SUF)(out, out, den, count, (T)1.5);
                free(den);
#else
                if (count >= SHORTEST) {
                    CAT(pyconv_accumulate, SUF)(out, count, sources, steps, weights, taps,
                                                step == 1);
                } else {  /* the scalar loop of _direct_loops.pxi */
                    for (Py_ssize_t i = 0; i < count; i++) {
                        T total = 0;
                        for (int t = 0; t < taps; t++)
                            total = (T)(total + weights[t] * sources[t][i * steps[t]]);
                        out[i] = total;
                    }
                }
#endif
                fwrite(out, sizeof(T), (size_t)count, stdout);
                free(x);
                free(out);
            }
    return 0;
}
"""


# Column strips' sums (pyconv_columns_<T>): up to PYCONV_COLUMN_LINES lines
# at once, with positions some lines skip and lines no line reads. With
# -DRATIO, nan_policy="omit"'s ratios (pyconv_columns_ratio_<T>) over lines a
# third of whose values are 0 (sums of nothing present: NaN), in place.
COLUMNS = r"""
#include <Python.h>
#include <stdio.h>
#include <stdlib.h>
#include "_blocks.h"
#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
enum { L = PYCONV_COLUMN_LINES };
int main(void)
{
    for (int n_positions = 1; n_positions <= 14; n_positions++)
        for (Py_ssize_t count = 1; count < 300; count += count < 40 ? 1 : 13)
            for (int n_lines = 1; n_lines <= L; n_lines++) {
                T *x = malloc(sizeof(T) * count * n_positions);
                T *out = malloc(sizeof(T) * count * L);
                T *outs[L];
                const T *lines[16];
                unsigned char masks[16];
                T weights[16 * L];
                srand((unsigned)(n_positions * 1000 + count * 10 + n_lines));
                for (Py_ssize_t i = 0; i < count * n_positions; i++)
#ifdef RATIO
                    x[i] = rand() % 3 ? (T)(rand() % 1000) / (T)7 : (T)0;
#else
                    x[i] = (T)((rand() % 2001) - 1000) / (T)7;
#endif
                for (int u = 0; u < n_positions; u++) {
                    lines[u] = x + u * count;
                    /* mostly every line (the fast path), sometimes some or none */
                    masks[u] = (unsigned char)(rand() % 3 ? (1 << n_lines) - 1
                                               : rand() % (1 << n_lines));
                    for (int r = 0; r < L; r++)
                        weights[u * L + r] = (T)((rand() % 200) - 100) / (T)3;
                }
                for (int r = 0; r < L; r++)
                    outs[r] = out + r * count;
#ifdef RATIO
                for (Py_ssize_t i = 0; i < count * L; i++)
                    out[i] = (T)((rand() % 2001) - 1000) / (T)3;
                CAT(pyconv_columns_ratio, SUF)(outs, n_lines, count, lines, masks, weights,
                                               n_positions, (const T *const *)outs, (T)1.5);
#else
                CAT(pyconv_columns, SUF)(outs, n_lines, count, lines, masks, weights,
                                         n_positions);
#endif
                fwrite(out, sizeof(T), (size_t)(count * n_lines), stdout);
                free(x);
                free(out);
            }
    return 0;
}
"""


def compile_and_run(tmp_path, path, defines, ctype, suffix, program=SUMS):
    """Each build's output of `program` (T = ctype, SUF = suffix, and
    `defines`): the portable C loops and the vector blocks at 16, 32 and 64
    bytes."""
    source = tmp_path / "sums.c"
    source.write_text(program)
    outputs = {}
    builds = {"portable": ["-DPYCONV_PORTABLE"],
              "vector16": ["-DPYCONV_VECTOR_BYTES=16"],
              "vector32": ["-mavx2", "-mfma"],
              "vector64": ["-mavx2", "-mfma", "-DPYCONV_VECTOR_BYTES=64"]}
    for build, flags in builds.items():
        binary = tmp_path / build
        subprocess.run([path, "-O2", "-std=c11", "-ffp-contract=off", f"-DT={ctype}",
                        f"-DSUF={suffix}", f"-DSHORTEST=PYCONV_SHORTEST_{suffix.upper()}",
                        *defines, f"-I{SOURCE}",
                        f"-I{sysconfig.get_paths()['include']}", *flags, str(source),
                        "-o", str(binary), "-lm"], check=True, capture_output=True,
                       timeout=120)
        outputs[build] = subprocess.run([str(binary)], check=True, capture_output=True,
                                        timeout=120).stdout
    return outputs


@pytest.mark.parametrize("name", ["gcc", "clang", "gcc<12"])
@pytest.mark.parametrize(("program", "ctype", "suffix"), [
    ("sums", "double", "f64"), ("sums", "float", "f32"), ("sums", "short", "i16"),
    ("omit", "double", "f64"), ("omit", "float", "f32"),
    ("columns", "double", "f64"), ("columns", "float", "f32"),
    ("ratios", "double", "f64"), ("ratios", "float", "f32")])
def test_vector_code_of_every_width_sums_as_the_portable_code(tmp_path, name, program, ctype,
                                                             suffix):
    """The vector-extension blocks at 16, 32 and 64 bytes (the AVX-512
    build's shared loads included), compiled for AVX2 so that any x86-64 CPU
    with it runs them, give bitwise the portable blocks' sums -- and so do
    nan_policy="omit"'s blocks (masked loads on the vector builds, selects
    in the portable loops), NaN where nothing is present."""
    headers()
    path = compiler(name)
    if _build_info.HOST_CPU != "x86_64" or not _kernels._cpu_features().get("AVX2"):
        pytest.skip("needs an x86-64 CPU with AVX2")
    defines = {"omit": ["-DOMIT"], "ratios": ["-DRATIO"]}.get(program, [])
    outputs = compile_and_run(tmp_path, path, defines, ctype, suffix,
                              COLUMNS if program in ("columns", "ratios") else SUMS)
    assert len(outputs["portable"]) > 100_000
    if program == "ratios":  # some sums of nothing present, most not
        values = np.frombuffer(outputs["portable"], dtype={"f64": np.float64,
                                                           "f32": np.float32}[suffix])
        missing = np.isnan(values)
        assert 0 < missing.mean() < 0.5
    for build in ("vector16", "vector32", "vector64"):
        assert outputs[build] == outputs["portable"], build
