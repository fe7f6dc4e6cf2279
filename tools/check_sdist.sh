#!/usr/bin/env bash
# sdist round trip, run from the repository root: bash tools/check_sdist.sh
#
# 1. Build the sdist with `python -m build --sdist` (meson-python packs the
#    committed files of the git tree: commit before running this).
# 2. Check that it holds LICENSE, CHANGELOG.md, README.md, every file of
#    pyconv/ that git tracks, and the test suite.
# 3. Install it with the test extra in a fresh virtual environment (pip
#    builds the extensions from the sdist alone).
# 4. Unpack it and run a subset of its tests that together reach every
#    compiled kernel (direct, every SIMD build, boundary rules, OpenMP, FFT
#    pairs) against the installed package, from outside the unpacked tree so
#    that its pyconv/ sources are never imported.
#
# PYTHON chooses the interpreter (default python3). Everything happens in a
# temporary directory, removed on exit.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

tests=(
    tests/test_vs_scipy.py      # direct kernel and boundary modes against scipy
    tests/test_dtypes.py        # every dtype through the kernels and stores
    tests/test_geometry.py      # stride, dilation, padding, origin
    tests/test_simd.py          # every SIMD build compiled in, bitwise
    tests/test_integer_sums.py  # exact int16 sums of 8-bit inputs
    tests/test_threads.py       # OpenMP: results independent of workers
    tests/test_fft.py           # FFT method
    tests/test_pairs.py         # FFT pair packing kernel
    tests/test_packaging.py     # version, changelog, licence, name
)

echo "== build the sdist ($("$python" --version))"
"$python" -m venv "$scratch/build-env"
"$scratch/build-env/bin/python" -m pip install --quiet --upgrade pip build
"$scratch/build-env/bin/python" -m build --sdist --outdir "$scratch/dist" "$repo"
shopt -s nullglob
sdists=("$scratch"/dist/pyconv_nd-*.tar.gz)
shopt -u nullglob
if [[ ${#sdists[@]} -ne 1 ]]; then
    echo "error: expected one pyconv_nd-*.tar.gz, found ${#sdists[@]}" >&2
    exit 1
fi
sdist="${sdists[0]}"
top="$(basename "$sdist" .tar.gz)"
echo "built $(basename "$sdist")"

echo "== check the sdist's contents"
tar -tzf "$sdist" | sed -n "s|^$top/||p" | sort -u > "$scratch/contents"
expected=(LICENSE CHANGELOG.md README.md pyproject.toml meson.build PKG-INFO)
while IFS= read -r path; do
    expected+=("$path")
done < <(git -C "$repo" ls-files pyconv tests)
missing=0
for path in "${expected[@]}"; do
    if ! grep -qxF -- "$path" "$scratch/contents"; then
        echo "missing from the sdist: $path" >&2
        missing=1
    fi
done
if [[ $missing -ne 0 ]]; then
    exit 1
fi
tar -xzf "$sdist" -C "$scratch"
tree="$scratch/$top"
for line in "Name: pyconv-nd" "License-Expression: BSD-3-Clause" "License-File: LICENSE"; do
    if ! grep -qxF -- "$line" "$tree/PKG-INFO"; then
        echo "error: PKG-INFO lacks the line '$line'" >&2
        exit 1
    fi
done
echo "all ${#expected[@]} expected files are there"

echo "== install the sdist with the test extra in a fresh environment"
"$python" -m venv "$scratch/test-env"
"$scratch/test-env/bin/python" -m pip install --quiet --upgrade pip
"$scratch/test-env/bin/python" -m pip install "$sdist[test]"

echo "== tests from the unpacked sdist against the installed package"
cd "$scratch"
installed="$("$scratch/test-env/bin/python" -c 'import pyconv; print(pyconv.__file__)')"
case "$installed" in
    "$scratch/test-env/"*) echo "pyconv imported from $installed" ;;
    *) echo "error: pyconv imported from $installed, not the test environment" >&2
       exit 1 ;;
esac
"$scratch/test-env/bin/python" -m pytest -p no:cacheprovider "${tests[@]/#/$tree/}"
