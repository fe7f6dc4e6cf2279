"""scipy.ndimage's own filter tests, run against pyconv.

``test_scipy_filters_suite`` runs the installed scipy's
``scipy/ndimage/tests/test_filters.py`` (every test, numpy backend) in a
fresh pytest process that loads this module as a plugin
(``-p test_scipy_suite``). Its hooks -- inert in the normal run, where this
is a test module, not a plugin -- swap pyconv's ``correlate``,
``convolve``, ``correlate1d``, ``convolve1d`` and the filter family
(FUNCTIONS: gaussian_filter, uniform_filter, sobel, laplace, ...) in for
scipy's during each test, and count the calls:

* ``scipy.ndimage.<name>``, where the test file looks them up;
* parameters that are scipy's functions (``@parametrize("filter_func",
  [ndimage.correlate, ...])`` is collected before the swap), so that those
  tests call pyconv and still find ``filter_func is ndimage.correlate``;
* ``scipy.ndimage._filters.<name>`` too (REPLACE_INSIDE_SCIPY), which is
  where scipy's own generic_laplace, generic_gradient_magnitude and the
  rest find correlate1d and gaussian_filter: their tests then run on
  pyconv's kernels as well, and
  tests that build a filter by hand from ``ndimage.correlate1d`` compare
  pyconv with pyconv rather than with scipy.

Every test that fails against pyconv because of a deliberate difference
(docs/migrating.rst) is listed in SKIPS with the exception it fails with and
the difference that explains it. A listed test still runs: it is reported
skipped only when it fails with that exception; any other exception, or a
pass (the entry is stale), is a failure. A run with fewer than MIN_REACHED
tests reaching pyconv fails too, so the check cannot pass by running
nothing.
"""

import fnmatch
import functools
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPORT_ENV = "PYCONV_SCIPY_SUITE_REPORT"
INTERNAL_ENV = "PYCONV_SCIPY_SUITE_INTERNAL"
FUNCTIONS = ("correlate", "convolve", "correlate1d", "convolve1d",
             "gaussian_filter", "gaussian_filter1d", "uniform_filter", "uniform_filter1d",
             "sobel", "prewitt", "laplace", "gaussian_laplace", "gaussian_gradient_magnitude")
REPLACE_INSIDE_SCIPY = True

# SKIPS follows this scipy's test file (older ones are organised differently).
SCIPY_VERSION = (1, 17)
# scipy 1.17.1: 2478 tests, of which 1830 reach pyconv (1648 with correlate,
# convolve, correlate1d and convolve1d alone, 1534 of those without
# REPLACE_INSIDE_SCIPY): more than 1700 shows the filter family is reached.
MIN_REACHED = 1700

_Failed = pytest.fail.Exception  # "DID NOT RAISE": pyconv accepts what scipy refuses

REAL_OUTPUT_ARRAY = ("a real output array for complex data: TypeError (scipy: RuntimeError); "
                     "every check before that one passes")
# (test id pattern from the class name on, exception it fails with, the difference)
SKIPS = [
    *[(f"TestNdimageFilters::test_correlate{one_d}_complex_{kind}[*", TypeError,
       REAL_OUTPUT_ARRAY)
      for one_d in ("", "1d")
      for kind in ("kernel", "kernel_cval", "input", "input_cval", "input_and_kernel",
                   "input_and_kernel_cval")],
    ("TestNdimageFilters::test_correlate_complex_kernel_invalid_cval[*", _Failed,
     "a complex cval with real input and complex weights: accepted, the input is "
     "extended by it (scipy: ValueError)"),
    ("TestNdimageFilters::test_correlate_mode_sequence[*", _Failed,
     "a sequence of modes in correlate/convolve: accepted, one per axis "
     "(scipy: RuntimeError)"),
    *[(f"TestNdimageFilters::test_correlate_convolve_axes[*-{axes}-*", AssertionError,
       "axes out of order: the weights follow axes as given (scipy sorts axes)")
      for axes in ("axes6", "axes9", "axes10")],  # axes (-2, 0), (-1, 0), (-1, 1)
    ("TestNdimageFilters::test_filter_invalid_footprint_ndim[*-co*-kwargs*", ValueError,
     "weights of the wrong shape: ValueError (scipy: RuntimeError)"),
    ("TestNdimageFilters::test_filter_tuple_length_mismatch[*-co*-origin-*", ValueError,
     "a sequence origin of the wrong length: ValueError (scipy: RuntimeError)"),
    ("TestNdimageFilters::test_filter_invalid_axes[*-axes0-co*", AssertionError,
     "error messages are pyconv's own: a float in axes is a TypeError as in scipy, "
     "worded differently"),
    ("test_gaussian_filter_float16[*", _Failed,
     "float16 supported, computed in float32 (scipy: RuntimeError)"),
    # The filter family (gaussian, uniform, sobel, prewitt, laplace, ...).
    *[(f"TestNdimageFilters::test_filter_invalid_axes[*-axes0-{name}-*", AssertionError,
       "error messages are pyconv's own: a float in axes is a TypeError as in scipy, "
       "worded differently")
      for name in ("gaussian_filter", "uniform_filter")],
    *[(f"TestNdimageFilters::test_filter_tuple_length_mismatch[*-{name}-*", ValueError,
       "a sequence argument (sigma, order, radius, mode, size, origin) of the wrong "
       "length: ValueError (scipy: RuntimeError)")
      for name in ("gaussian_filter", "uniform_filter")],
    *[(f"TestNdimageFilters::{test}[[]*-{dtype}]", AssertionError,  # [[]: a "["
       "integer results are rounded to nearest and saturated once, at the end "
       "(scipy truncates and wraps after every pass, and after each term of a sum)")
      for test, dtypes in [
          ("test_gaussian_laplace0[12]", ("int32",)),
          ("test_gaussian_gradient_magnitude0[12]", ("int32",)),
          ("test_generic_laplace01", ("int8", "int16", "int32", "int64",
                                      "uint8", "uint16", "uint32", "uint64")),
          ("test_sobel0[123]", ("uint8", "uint16", "uint32", "uint64")),
          ("test_prewitt0[123]", ("uint8", "uint16", "uint32", "uint64"))]
      for dtype in dtypes],
    ("test_uniform_filter1d_roundoff_errors[*", AssertionError,
     "integer results are rounded to nearest (scipy truncates): the box's edges "
     "round up"),
    ("TestNdimageFilters::test_uniform02[*", ValueError,
     "uniform_filter with size 0: ValueError (scipy returns the input unchanged)"),
    ("test_gaussian_radius_invalid[*", TypeError,
     "a float radius: TypeError, a wrong type (scipy: ValueError)"),
    ("test_multiple_modes_sequentially[*", AssertionError,
     "gaussian_filter may run two passes as one 2-D call (the direct method's "
     "separable strips): equal to the chain of gaussian_filter1d to rounding, "
     "not bitwise"),
]


# --------------------------------------------------------------------------
# The plugin (active only in the child process, which sets REPORT_ENV)
# --------------------------------------------------------------------------

_calls = {"total": 0}
_results = {"outcomes": {}, "reached": {}, "listed": {}}


def _active():
    return bool(os.environ.get(REPORT_ENV))


def _counted(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        _calls["total"] += 1
        return function(*args, **kwargs)
    return wrapper


@functools.cache
def _substitutes():
    """({id(scipy's function): pyconv's, counted}, [(module, name, scipy's, pyconv's)]).

    One counted wrapper per function, so that every place holds the same
    object.
    """
    import scipy.ndimage
    import scipy.ndimage._filters

    import pyconv

    modules = [scipy.ndimage]
    if os.environ.get(INTERNAL_ENV) == "1":
        modules.append(scipy.ndimage._filters)
    wrappers = {name: _counted(getattr(pyconv, name)) for name in FUNCTIONS}
    by_id = {id(getattr(module, name)): wrappers[name]
             for module in (scipy.ndimage, scipy.ndimage._filters) for name in FUNCTIONS}
    targets = [(module, name, getattr(module, name), wrappers[name])
               for module in modules for name in FUNCTIONS]
    return by_id, targets


def _listed(nodeid):
    """(exception, reason) of the SKIPS entry matching this test, or None."""
    test_id = nodeid.split("::", 1)[-1]
    for pattern, exception, reason in SKIPS:
        if fnmatch.fnmatchcase(test_id, pattern):
            return exception, reason
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """pyconv's functions in scipy's place for the whole test; count calls."""
    if not _active():
        return (yield)
    _, targets = _substitutes()
    for module, name, _, wrapper in targets:
        setattr(module, name, wrapper)
    before = _calls["total"]
    try:
        return (yield)
    finally:
        for module, name, original, _ in targets:
            setattr(module, name, original)
        _results["reached"][item.nodeid] = _calls["total"] - before


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem):
    """Swap parametrised scipy functions; a listed test failing with its
    difference's exception is skipped, one that passes is a failure."""
    if not _active():
        return (yield)
    by_id, _ = _substitutes()
    for key, value in pyfuncitem.funcargs.items():
        if callable(value) and id(value) in by_id:
            pyfuncitem.funcargs[key] = by_id[id(value)]
    entry = _listed(pyfuncitem.nodeid)
    if entry is None:
        return (yield)
    exception, reason = entry
    try:
        result = yield
    except exception as error:
        _results["listed"][pyfuncitem.nodeid] = reason
        pytest.skip(f"pyconv differs: {reason} [{type(error).__name__}: "
                    f"{str(error).splitlines()[0] if str(error) else ''}]")
    pytest.fail(f"listed in SKIPS ({reason}) but passes against pyconv: remove the entry",
                pytrace=False)
    return result


def pytest_runtest_logreport(report):
    if not _active():
        return
    if report.when == "call" or report.outcome != "passed":
        outcome = report.outcome
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
        elif report.failed and report.when != "call":
            outcome = "error"
        if _results["outcomes"].get(report.nodeid) not in ("failed", "error"):
            _results["outcomes"][report.nodeid] = outcome


def pytest_sessionfinish(session):
    if _active():
        Path(os.environ[REPORT_ENV]).write_text(json.dumps(_results))


# --------------------------------------------------------------------------
# The test (in the normal run)
# --------------------------------------------------------------------------


def _scipy_test_file():
    import scipy

    version = tuple(int(part) for part in scipy.__version__.split(".")[:2])
    if version < SCIPY_VERSION:
        pytest.skip(f"SKIPS follows scipy {SCIPY_VERSION}'s test file; this is "
                    f"scipy {scipy.__version__}")
    try:
        spec = importlib.util.find_spec("scipy.ndimage.tests.test_filters")
    except ModuleNotFoundError:
        spec = None
    if spec is None or spec.origin is None:
        pytest.skip("this scipy was installed without its tests")
    return Path(spec.origin)


def run_suite(tmp_path, replace_inside_scipy=REPLACE_INSIDE_SCIPY):
    """Run scipy's test file against pyconv: (results, pytest's output)."""
    test_file = _scipy_test_file()
    package = test_file.parents[2]  # .../site-packages/scipy
    report = tmp_path / "report.json"
    ini = tmp_path / "pytest.ini"
    ini.write_text("[pytest]\n")  # not pyconv's settings; scipy's conftest.py applies
    env = {k: v for k, v in os.environ.items()
           if k not in ("SCIPY_ARRAY_API", "PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    env[REPORT_ENV] = str(report)
    env[INTERNAL_ENV] = "1" if replace_inside_scipy else "0"
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parent)] + [p for p in [env.get("PYTHONPATH")] if p])
    # Thousands of calls on a few elements each: OpenMP threads that spin
    # while they wait cost milliseconds a call when the machine is busy.
    env.setdefault("OMP_WAIT_POLICY", "passive")
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # nothing written into site-packages
    command = [sys.executable, "-m", "pytest", str(test_file), "-c", str(ini),
               "--rootdir", str(package.parent), "--confcutdir", str(package),
               "-p", "test_scipy_suite", "-p", "no:cacheprovider", "-q", "--tb=short"]
    process = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True,
                             text=True, timeout=900)
    if not report.exists():
        pytest.fail(f"scipy's tests did not run:\n{process.stdout[-5000:]}\n"
                    f"{process.stderr[-5000:]}")
    return json.loads(report.read_text()), process.stdout


def summarize(results):
    """Counts: tests run, reaching pyconv, calls, and each outcome."""
    outcomes, reached, listed = results["outcomes"], results["reached"], results["listed"]
    summary = {
        "ran": len(outcomes),
        "reached pyconv": sum(1 for calls in reached.values() if calls),
        "calls": sum(reached.values()),
        "skipped as listed": len(listed),
    }
    for outcome in outcomes.values():
        summary[outcome] = summary.get(outcome, 0) + 1
    summary["passed, reaching pyconv"] = sum(
        1 for nodeid, outcome in outcomes.items() if outcome == "passed" and reached.get(nodeid))
    return summary


@pytest.mark.slow
def test_scipy_filters_suite(tmp_path):
    results, output = run_suite(tmp_path)
    summary = summarize(results)
    print(summary)
    failed = sorted(nodeid for nodeid, outcome in results["outcomes"].items()
                    if outcome in ("failed", "error"))
    assert not failed, (f"{len(failed)} of scipy's tests fail against pyconv:\n"
                        + "\n".join(failed[:50]) + "\n\n" + output[-20000:])
    assert summary["reached pyconv"] >= MIN_REACHED, summary
