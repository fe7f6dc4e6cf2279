"""The FFT backends: set_fft_backend and PYCONV_FFT, what show_config and the
cost model see, and the two backends agreeing (the FFT method itself runs on
both in test_fft.py)."""

import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from common import assert_close

import pyconv
from pyconv import _fft, _fft_backends, _plan
from pyconv._normalize import normalize

HAVE_DUCC0 = _fft_backends._import_ducc0() is not None
needs_ducc0 = pytest.mark.skipif(not HAVE_DUCC0, reason="ducc0 is not installed")


def backend():
    return pyconv.show_config(mode="dicts")["fft"]


@pytest.fixture
def fresh_selection(monkeypatch):
    """As before the first FFT of a process: PYCONV_FFT not read yet."""
    monkeypatch.setattr(_fft_backends, "_selection", _fft_backends._Selection())
    monkeypatch.delenv("PYCONV_FFT", raising=False)


@pytest.fixture
def without_ducc0(monkeypatch):
    """As if ducc0 were not installed."""
    monkeypatch.setattr(_fft_backends, "_import_ducc0", lambda: None)


def test_set_fft_backend_sets_and_restores():
    before = backend()["backend"]
    with pyconv.set_fft_backend("scipy") as restore:
        assert backend()["backend"] == "scipy"
        assert backend()["chosen_by"] == "set_fft_backend"
        assert "scipy" in repr(restore)
        with pyconv.set_fft_backend("auto"):
            assert backend()["backend"] == ("ducc0" if HAVE_DUCC0 else "scipy")
        assert backend()["backend"] == "scipy"
    assert backend()["backend"] == before
    # Without `with`, the choice stays.
    pyconv.set_fft_backend("scipy")
    try:
        assert backend()["backend"] == "scipy"
    finally:
        pyconv.set_fft_backend(before)


def test_set_fft_backend_errors(without_ducc0, fresh_selection):
    with pytest.raises(ValueError, match="'scipy', 'ducc0' or 'auto'.*'pocketfft'"):
        pyconv.set_fft_backend("pocketfft")
    with pytest.raises(ValueError, match="got None"):
        pyconv.set_fft_backend(None)
    with pytest.raises(ImportError, match=r"pip install ducc0 \(or 'pyconv-nd\[fft\]'\)"):
        pyconv.set_fft_backend("ducc0")
    assert backend() == {"backend": "scipy", "chosen_by": "default",
                         "scipy": _fft_backends.SCIPY.version(), "ducc0": "not installed"}


def test_the_choice_is_global_to_the_process():
    """Threads (dask's scheduler's among them) see the caller's choice."""
    seen = []
    with pyconv.set_fft_backend("scipy"):
        thread = threading.Thread(target=lambda: seen.append(_fft_backends.current().name))
        thread.start()
        thread.join()
    assert seen == ["scipy"]


@pytest.mark.parametrize("value,expected,chosen_by", [
    ("scipy", "scipy", "PYCONV_FFT"),
    (" SciPy ", "scipy", "PYCONV_FFT"),
    ("auto", "ducc0" if HAVE_DUCC0 else "scipy", "default"),
    ("", "ducc0" if HAVE_DUCC0 else "scipy", "default"),
    pytest.param("ducc0", "ducc0", "PYCONV_FFT", marks=needs_ducc0),
])
def test_environment_variable(fresh_selection, monkeypatch, value, expected, chosen_by):
    monkeypatch.setenv("PYCONV_FFT", value)
    assert backend()["backend"] == expected
    assert backend()["chosen_by"] == chosen_by


def test_environment_variable_that_cannot_be_honoured_warns(fresh_selection, monkeypatch):
    monkeypatch.setenv("PYCONV_FFT", "fftw")
    with pytest.warns(RuntimeWarning, match="PYCONV_FFT='fftw' is not one of auto, scipy, ducc0"):
        assert _fft_backends.current().name == ("ducc0" if HAVE_DUCC0 else "scipy")
    assert backend()["chosen_by"] == "default"  # warned once, at the first use


def test_environment_variable_ducc0_without_ducc0_warns(fresh_selection, without_ducc0,
                                                        monkeypatch):
    monkeypatch.setenv("PYCONV_FFT", "ducc0")
    x = np.arange(50.0)
    with pytest.warns(RuntimeWarning, match="PYCONV_FFT='ducc0' is ignored.*not installed"):
        result = pyconv.correlate1d(x, [1.0, 1.0], method="fft")
    assert backend()["backend"] == "scipy"
    assert_close(result, pyconv.correlate1d(x, [1.0, 1.0], method="direct"), x, [1.0, 1.0])


def test_importing_pyconv_reads_nothing_until_the_first_fft(tmp_path):
    """ducc0 is imported at the first call that may use the FFT, not at
    import, nor for a call of the direct method."""
    script = ("import sys, pyconv, numpy as np\n"
              "pyconv.correlate(np.ones(9), [1.0, 2.0], method='direct')\n"
              "print('ducc0' in sys.modules)\n"
              "pyconv.correlate(np.ones(9), [1.0, 2.0], method='fft')\n"
              "print('ducc0' in sys.modules, "
              "pyconv.show_config(mode='dicts')['fft']['backend'])\n")
    env = {name: value for name, value in os.environ.items() if name != "PYCONV_FFT"}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", str(HAVE_DUCC0), "ducc0" if HAVE_DUCC0 else "scipy"]


def test_every_backend_has_cost_constants():
    for table in (_plan.FFT, _plan.FFT_PER_BOX, _plan.FFT_BOX_PARALLEL,
                  _plan.FFT_TRANSFORM_PARALLEL):
        assert set(table) == set(_fft_backends.NAMES)
    for constants in _plan.FFT.values():
        assert set(constants) == set(_plan.DIRECT)


def test_auto_uses_the_constants_of_the_backend_in_use(rng, monkeypatch):
    x = rng.standard_normal((512, 512))
    w = rng.standard_normal((63, 63))
    monkeypatch.setitem(_plan.FFT_PER_BOX, "scipy", 10.0)  # an FFT never pays on scipy
    with pyconv.set_fft_backend("scipy"):
        assert pyconv.choose_method(x, w) == "direct"
    if HAVE_DUCC0:
        with pyconv.set_fft_backend("ducc0"):
            assert pyconv.choose_method(x, w) == "fft"


@needs_ducc0
def test_pairs_only_on_scipy():
    problem = normalize(np.zeros((4, 5000)), np.ones(65), None, "reflect", 0.0, 0,
                        axes=(1,), stride=1, dilation=1, padding="same", workers=None,
                        convolution=False, one_axis=True)
    with pyconv.set_fft_backend("scipy"):
        scipy_plan = _fft.plan(problem)
    with pyconv.set_fft_backend("ducc0"):
        ducc0_plan = _fft.plan(problem)
    assert scipy_plan.paired and not scipy_plan.real
    assert not ducc0_plan.paired and ducc0_plan.real
    assert scipy_plan.axes == ducc0_plan.axes
    # A plan runs with the backend it was made for, whatever is set since.
    calls = []
    original = _fft_backends.SCIPY.forward
    _fft_backends.SCIPY.forward = lambda *a: calls.append(1) or original(*a)
    try:
        _fft.correlate(problem, scipy_plan)
    finally:
        del _fft_backends.SCIPY.forward
    assert calls


@needs_ducc0
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
@pytest.mark.parametrize("shape,taps", [((200_000,), (801,)), ((5, 3000), (1, 65)),
                                        ((300, 280), (41, 33)), ((40, 50, 45), (9, 7, 5))])
def test_backends_agree_to_rounding(rng, dtype, shape, taps):
    x = rng.standard_normal(shape).astype(dtype)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal(taps)
    results = {}
    for name in ("scipy", "ducc0"):
        with pyconv.set_fft_backend(name):
            results[name] = pyconv.correlate(x, w, method="fft", mode="mirror", workers=2)
    assert results["scipy"].dtype == results["ducc0"].dtype == x.dtype
    assert_close(results["ducc0"], results["scipy"], x, w)
    assert_close(results["ducc0"], pyconv.correlate(x, w, method="direct", mode="mirror"), x, w)
