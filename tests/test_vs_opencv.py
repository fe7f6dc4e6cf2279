"""`python -m pyconv --opencv` (pyconv.bench.opencv): the OpenCV table.

OpenCV is a benchmark-only dependency: these tests run where it is installed
(the bench extra) and are skipped elsewhere.
"""

import json

import numpy as np
import pytest

import pyconv
from pyconv import bench
from pyconv.bench import opencv

cv2 = pytest.importorskip("cv2")

TINY = 0.005
LIMITS = opencv.Limits(bandwidth=20e9, flops32=200e9, flops64=100e9)


def test_the_table_runs_checks_and_reports_floors(capsys, tmp_path):
    out = tmp_path / "opencv.json"
    assert opencv.report(json_path=out, progress=False, scale=TINY, limits=LIMITS)
    printed = capsys.readouterr().out
    assert "x floor" in printed and "FAILED" not in printed
    # Every column but the times is explained under the table.
    for column in ("anchor:", "ratio:", "x floor:", "memory:"):
        assert column in printed
    saved = json.loads(out.read_text())
    rows = saved["rows"]
    assert [row["case"] for row in rows] == list(opencv.NAMES)
    for row in rows:
        assert row["passed"] and row["ratio"] > 0 and row["floor_seconds"] > 0
        assert row["target"] > 0
        assert row["peak_memory"] >= 1.0  # (tiny data: the scratch is not small beside it)
    assert set(saved["scaling"]) == set(opencv.COMPUTE_BOUND)
    assert set(saved["scaling_fresh_output"]) == set(opencv.COMPUTE_BOUND)
    assert saved["workers"] == 2 and saved["opencv"] and saved["machine"]
    assert saved["direct_kernels"] == pyconv.show_config(mode="dicts")["simd"][
        "direct_kernels"]


def test_every_anchor_agrees_with_pyconv_before_timing():
    # The checks are real: each case's anchor (or check) equals pyconv's result,
    # and a wrong anchor is caught.
    for case in opencv.cases(TINY):
        row = opencv.run(case, LIMITS, runs=1)
        assert row.passed, (case.name, row.max_error)
    case = opencv.cases(TINY)[0]
    case.check = lambda: np.zeros(case.x.shape, case.x.dtype)
    row = opencv.run(case, LIMITS, runs=1)
    assert not row.passed and np.isnan(row.ratio)


@pytest.mark.parametrize("into_output", [True, False])
def test_scaling_times_each_worker_count_into_one_output_or_fresh_ones(monkeypatch,
                                                                      into_output):
    case = next(c for c in opencv.cases(TINY) if c.name in opencv.COMPUTE_BOUND)
    calls = []
    correlate = pyconv.correlate

    def recording(x, w, output=None, **kwargs):
        calls.append((kwargs.get("workers", 1), output))
        return correlate(x, w, output, **kwargs)

    monkeypatch.setattr(pyconv, "correlate", recording)
    assert opencv.scaling(case, runs=2, rounds=1, into_output=into_output) > 0
    timed = calls[1:]  # after the call that sizes the output
    assert {workers for workers, _ in timed} == {1, 2}
    if into_output:
        assert all(output is timed[0][1] and output is not None for _, output in timed)
    else:
        assert all(output is None for _, output in timed)


def test_work_counts():
    # (The full-size cases: their kernels and shapes are what is counted.)
    cases = {case.name: case for case in opencv.cases()}
    moved, multiply_adds, _ = opencv.work(cases["2-D 2048^2 float64, 7x7, reflect"])
    assert moved == 2 * 2048**2 * 8 and multiply_adds == 2048**2 * 49
    # A separable kernel counts its two passes; stride counts the outputs kept.
    _, gaussian, _ = opencv.work(cases["2-D 2048^2 float32, 15x15 Gaussian (2-D kernel)"])
    assert gaussian == 2048**2 * 30
    moved, strided, _ = opencv.work(cases["2-D 4096^2 float32, 3x3, stride 2, constant"])
    assert moved == 4096**2 * 4 + 2048**2 * 4 and strided == 2048**2 * 9
    # The FFT's flops grow as N log N: far below the direct count for 1025 taps.
    _, direct, fft = opencv.work(cases["1-D 10^7 float64, 1025 taps, constant"])
    assert fft < direct / 10


@pytest.mark.parametrize("dependency", ["opencv-python-headless", "threadpoolctl"])
def test_without_a_dependency_the_option_is_a_clear_error(monkeypatch, capsys, dependency):
    def missing():
        raise ImportError(f"the OpenCV comparison needs {dependency}")

    name = "import_cv2" if dependency == "opencv-python-headless" else "import_threadpoolctl"
    monkeypatch.setattr(opencv, name, missing)
    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--opencv"])
    assert exit_info.value.code == 2
    assert dependency in capsys.readouterr().err
