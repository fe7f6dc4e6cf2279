"""The public surface: names, version, show_config, and the docstring examples."""

import doctest
import importlib.metadata
import inspect

import pytest

import pyconv

FAMILY = {"gaussian_filter", "gaussian_filter1d", "uniform_filter", "uniform_filter1d", "sobel",
          "prewitt", "laplace", "gaussian_laplace", "gaussian_gradient_magnitude"}
PUBLIC_FUNCTIONS = {"correlate", "convolve", "correlate1d", "convolve1d", "output_shape",
                    "choose_method", "show_config", "set_fft_backend", "correlate_stream",
                    "convolve_stream", "Stream"} | FAMILY


def test_public_names():
    assert set(pyconv.__all__) == PUBLIC_FUNCTIONS | {"__version__"}
    for name in pyconv.__all__:
        assert hasattr(pyconv, name)


def test_version_matches_metadata():
    assert pyconv.__version__ == importlib.metadata.version("pyconv-nd")


def test_scipy_positional_signature():
    """The first seven parameters are scipy.ndimage's, in order, with its defaults."""
    import scipy.ndimage as ndi

    for name in ("correlate", "convolve", "correlate1d", "convolve1d"):
        ours = list(inspect.signature(getattr(pyconv, name)).parameters.values())
        theirs = [p for p in inspect.signature(getattr(ndi, name)).parameters.values()
                  if p.kind is not inspect.Parameter.KEYWORD_ONLY]
        assert [(p.name, p.default) for p in ours[: len(theirs)]] == [
            (p.name, p.default) for p in theirs]
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in ours[len(theirs):])


def test_show_config(capsys):
    assert pyconv.show_config() is None
    printed = capsys.readouterr().out
    for word in ("version", "compiler", "openmp", "default_workers", "cpu_features",
                 "fft:", "backend"):
        assert word in printed
    config = pyconv.show_config(mode="dicts")
    assert config["pyconv"]["version"] == pyconv.__version__
    assert config["openmp"]["default_workers"] >= 1
    assert config["fft"]["backend"] in ("scipy", "ducc0")


@pytest.mark.parametrize("name", sorted(FAMILY))
def test_the_family_takes_scipys_parameters(name):
    """scipy's parameters, in order, with its defaults (its keyword-only
    ones too); pyconv's extras are keyword-only."""
    import scipy.ndimage as ndi

    ours = inspect.signature(getattr(pyconv, name)).parameters
    theirs = inspect.signature(getattr(ndi, name)).parameters
    positional = [p for p in theirs.values() if p.kind not in (
        inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.VAR_KEYWORD)]
    assert [(p.name, p.default, p.kind) for p in list(ours.values())[: len(positional)]] == [
        (p.name, p.default, p.kind) for p in positional]
    for p in theirs.values():
        assert (ours[p.name].kind, ours[p.name].default) == (p.kind, p.default), p.name
    extras = [p for n, p in ours.items() if n not in theirs]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in extras), extras


@pytest.mark.parametrize("module", ["pyconv._api", "pyconv._config", "pyconv._filters",
                                    "pyconv._fft_backends", "pyconv._stream"])
def test_docstring_examples(module):
    """Every example in the public docstrings runs and prints what it shows."""
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_docstrings_have_numpydoc_sections():
    for name in ("correlate", "convolve", "correlate1d", "convolve1d", "output_shape",
                 "show_config", "set_fft_backend", "correlate_stream", "convolve_stream",
                 *sorted(FAMILY)):
        doc = inspect.getdoc(getattr(pyconv, name))
        for section in ("Parameters", "Returns", "Raises", "See Also", "Examples"):
            assert f"\n{section}\n" in doc, (name, section)
        assert "%(" not in doc

