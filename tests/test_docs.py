"""The documentation stays true: the API reference lists exactly the public
functions, and every ``>>>`` example in the pages prints what it shows.

Reads docs/ as text (no Sphinx build); skipped when docs/ is not next to tests/.
"""

import doctest
import re
from pathlib import Path

import numpy as np
import pytest

import pyconv

DOCS = Path(__file__).resolve().parent.parent / "docs"
needs_docs = pytest.mark.skipif(not DOCS.is_dir(), reason="docs/ is not next to tests/")


def autosummary_entries(text):
    """The names listed under every ``.. autosummary::`` directive, in order."""
    names = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() != ".. autosummary::":
            continue
        indent = len(line) - len(line.lstrip())
        for entry in lines[i + 1:]:
            stripped = entry.strip()
            if not stripped or stripped.startswith(":"):
                continue  # blank lines and directive options
            if len(entry) - len(entry.lstrip()) <= indent:
                break  # the directive's body ended
            names.append(stripped.split()[0].removeprefix("pyconv."))
    return names


def test_autosummary_parser():
    text = ("x\n\n.. autosummary::\n   :toctree: generated/\n\n   correlate\n"
            "   pyconv.convolve\n\nAfter\n=====\n\n   not_listed\n")
    assert autosummary_entries(text) == ["correlate", "convolve"]


@needs_docs
def test_api_reference_lists_every_public_function():
    listed = autosummary_entries((DOCS / "api.rst").read_text())
    assert len(listed) == len(set(listed)), f"listed twice: {listed}"
    assert set(listed) == set(pyconv.__all__) - {"__version__"}


def pages_with_examples():
    if not DOCS.is_dir():
        return []
    pages = [path for path in sorted(DOCS.rglob("*.rst"))
             if not {"_build", "generated"} & set(path.relative_to(DOCS).parts)]
    return [path for path in pages if re.search(r"^\s*>>> ", path.read_text(), re.M)]


@needs_docs
@pytest.mark.parametrize("page", pages_with_examples(), ids=lambda path: path.stem)
def test_page_examples(page):
    """The numbers the guide states are the numbers pyconv computes."""
    result = doctest.testfile(str(page), module_relative=False,
                              globs={"np": np, "pyconv": pyconv},
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
