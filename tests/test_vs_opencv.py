"""`python -m pyconv --opencv` (pyconv._vs_opencv): the OpenCV table.

OpenCV is a benchmark-only dependency: these tests run where it is installed
(the bench extra) and are skipped elsewhere.
"""

import json

import numpy as np
import pytest

from pyconv import _bench, _kernels, _vs_opencv

cv2 = pytest.importorskip("cv2")

TINY = 0.005
LIMITS = _vs_opencv.Limits(bandwidth=20e9, flops32=200e9, flops64=100e9)


def test_the_table_runs_checks_and_reports_floors(capsys, tmp_path):
    out = tmp_path / "opencv.json"
    assert _vs_opencv.report(json_path=out, progress=False, scale=TINY, limits=LIMITS)
    printed = capsys.readouterr().out
    assert "floor x" in printed and "FAILED" not in printed
    saved = json.loads(out.read_text())
    rows = saved["rows"]
    assert [row["case"] for row in rows] == list(_vs_opencv.NAMES)
    for row in rows:
        assert row["passed"] and row["ratio"] > 0 and row["floor_seconds"] > 0
        assert row["peak_memory"] >= 1.0  # (tiny data: the scratch is not small beside it)
    assert set(saved["scaling"]) == set(_vs_opencv.COMPUTE_BOUND)
    assert set(saved["scaling_fresh_output"]) == set(_vs_opencv.COMPUTE_BOUND)
    assert saved["workers"] == 2 and saved["opencv"] and saved["machine"]
    assert saved["direct_kernels"] == _kernels.LEVEL


def test_every_anchor_agrees_with_pyconv_before_timing():
    # The checks are real: each case's anchor (or check) equals pyconv's result,
    # and a wrong anchor is caught.
    for case in _vs_opencv.cases(TINY):
        row = _vs_opencv.run(case, LIMITS, runs=1)
        assert row.passed, (case.name, row.max_error)
    case = _vs_opencv.cases(TINY)[0]
    case.check = lambda: np.zeros(case.x.shape, case.x.dtype)
    row = _vs_opencv.run(case, LIMITS, runs=1)
    assert not row.passed and np.isnan(row.ratio)


@pytest.mark.parametrize("into_output", [True, False])
def test_scaling_times_each_worker_count_into_one_output_or_fresh_ones(monkeypatch,
                                                                      into_output):
    case = next(c for c in _vs_opencv.cases(TINY) if c.name in _vs_opencv.COMPUTE_BOUND)
    calls = []
    correlate = _vs_opencv.pyconv.correlate

    def recording(x, w, output=None, **kwargs):
        calls.append((kwargs.get("workers", 1), output))
        return correlate(x, w, output, **kwargs)

    monkeypatch.setattr(_vs_opencv.pyconv, "correlate", recording)
    assert _vs_opencv.scaling(case, runs=2, rounds=1, into_output=into_output) > 0
    timed = calls[1:]  # after the call that sizes the output
    assert {workers for workers, _ in timed} == {1, 2}
    if into_output:
        assert all(output is timed[0][1] and output is not None for _, output in timed)
    else:
        assert all(output is None for _, output in timed)


def test_work_counts():
    cases = {case.name: case for case in _vs_opencv.cases()}
    moved, multiply_adds, _ = _vs_opencv.work(cases["2-D 2048^2 float64, 7x7, reflect"])
    assert moved == 2 * 2048**2 * 8 and multiply_adds == 2048**2 * 49
    # A separable kernel counts its two passes; stride counts the outputs kept.
    _, gaussian, _ = _vs_opencv.work(cases["2-D 2048^2 float32, 15x15 Gaussian (2-D kernel)"])
    assert gaussian == 2048**2 * 30
    moved, strided, _ = _vs_opencv.work(cases["2-D 4096^2 float32, 3x3, stride 2, constant"])
    assert moved == 4096**2 * 4 + 2048**2 * 4 and strided == 2048**2 * 9
    # The FFT's flops grow as N log N: far below the direct count for 1025 taps.
    _, direct, fft = _vs_opencv.work(cases["1-D 10^7 float64, 1025 taps, constant"])
    assert fft < direct / 10


def test_without_opencv_the_option_is_a_clear_error(monkeypatch, capsys):
    def missing():
        raise ImportError("the OpenCV comparison needs opencv-python-headless")

    monkeypatch.setattr(_vs_opencv, "import_cv2", missing)
    with pytest.raises(SystemExit) as exit_info:
        _bench.main(["--opencv"])
    assert exit_info.value.code == 2
    assert "opencv-python-headless" in capsys.readouterr().err
