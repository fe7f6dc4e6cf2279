"""pytest settings: the installed-package check, hypothesis profiles, fixtures."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

try:
    import pyconv._direct  # noqa: F401  (the compiled kernels)
except ImportError as error:  # pragma: no cover - a broken environment
    # pyconv's own message says what is wrong (typically: `python -m pytest`
    # in the checkout, which imports the source tree; `pytest` does not).
    raise ImportError(
        f"{error}\nThe tests run against an installed pyconv: 'pip install \".[test]\"' "
        "and run 'pytest' (not 'python -m pytest') from the checkout, or make an "
        "editable install"
    ) from error

from common import results_of  # noqa: E402

import pyconv  # noqa: E402  (after the check above)
from pyconv import _direct_plan, _dispatch, _fft_backends  # noqa: E402

# Hypothesis: a small profile in every run; PYCONV_HYPOTHESIS_PROFILE=long
# raises the example count for a long fuzzing run.
settings.register_profile(
    "default", max_examples=60, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long", max_examples=5000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("PYCONV_HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def plans(monkeypatch):
    """The plans the direct method makes, newest last (none from the caches:
    neither the plans' nor the repeated calls')."""
    monkeypatch.setattr(_direct_plan, "CACHED_PLANS", 0)
    monkeypatch.setattr(_dispatch, "CACHED_REPEATS", 0)
    return results_of(monkeypatch, _direct_plan, "plan")


@pytest.fixture
def rng():
    return np.random.default_rng(20261124)


FFT_BACKENDS = ["scipy", "ducc0"]


@pytest.fixture(params=FFT_BACKENDS)
def fft_backend(request):
    """Each FFT backend in turn, set for the test (ducc0 skipped when absent)."""
    if request.param == "ducc0" and _fft_backends._import_ducc0() is None:
        pytest.skip("the ducc0 FFT backend is not installed")
    with pyconv.set_fft_backend(request.param):
        yield request.param


@pytest.fixture
def scipy_fft():
    """The scipy.fft backend, for tests of what only it does (real units in pairs)."""
    with pyconv.set_fft_backend("scipy"):
        yield
