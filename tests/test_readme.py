"""The README stays true: its examples run and print what they show, and
CI runs its quick start exactly as written."""

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CI = ROOT / ".ci" / "run"


@pytest.mark.skipif(not README.exists(), reason="README.md is not next to tests/")
def test_readme_examples():
    result = doctest.testfile(str(README), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 5
    assert result.failed == 0


def commands(lines):
    """The non-blank lines of a shell script, comments and indentation removed."""
    stripped = (re.sub(r"(^|\s)#.*", "", line).strip() for line in lines)
    return [line for line in stripped if line]


@pytest.mark.skipif(not (README.exists() and CI.exists()),
                    reason="README.md or .ci/run is not next to tests/")
def test_ci_runs_the_quick_start():
    """The quick start's commands are consecutive lines of .ci/run, in order."""
    section = README.read_text().split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    quick_start = commands(block.splitlines())
    assert len(quick_start) >= 3
    ci = commands(CI.read_text().splitlines())
    starts = [i for i, line in enumerate(ci) if line == quick_start[0]]
    assert any(ci[i:i + len(quick_start)] == quick_start for i in starts), (
        f".ci/run does not run the README's quick start as written: {quick_start}")
