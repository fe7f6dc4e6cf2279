"""Packaging: one version everywhere, the changelog, the licence, the name,
and what Python started inside the checkout imports.

The distribution is ``pyconv-nd`` and the import name ``pyconv``. The version
is set once, in meson.build; the installed metadata, ``pyconv.__version__``,
``show_config`` and the documentation must all report it, and the changelog
must have a section for it.

The checks of files in the repository (CHANGELOG.md, LICENSE, docs/conf.py,
README.md) find it from this file's path and are skipped when the tests run
without the project tree next to them.
"""

import ast
import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import pytest

import pyconv

DISTRIBUTION = "pyconv-nd"
ROOT = Path(__file__).resolve().parents[1]


def repo_file(name):
    """`name` in the project tree, or skip the test when it is not there."""
    path = ROOT / name
    if not path.is_file():
        pytest.skip(f"{name} is not next to tests/ (no project tree)")
    return path


def test_one_version():
    metadata_version = importlib.metadata.version(DISTRIBUTION)
    config_version = pyconv.show_config(mode="dicts")["pyconv"]["version"]
    assert metadata_version == pyconv.__version__ == config_version


def test_installed_license_metadata():
    """The wheel declares BSD-3-Clause (PEP 639) and carries the LICENSE file."""
    distribution = importlib.metadata.distribution(DISTRIBUTION)
    assert distribution.metadata["License-Expression"] == "BSD-3-Clause"
    assert distribution.metadata.get_all("License-File") == ["LICENSE"]
    files = [path for path in distribution.files or () if path.name == "LICENSE"]
    assert files, "LICENSE is not installed with the distribution"
    assert "BSD 3-Clause License" in files[0].read_text()


def test_changelog_has_the_version():
    text = repo_file("CHANGELOG.md").read_text()
    version = re.escape(pyconv.__version__)
    assert re.search(rf"^## \[?{version}\]?(\s|$)", text, re.M), (
        f"CHANGELOG.md has no section for {pyconv.__version__}")
    assert re.search(r"^## \[?Unreleased\]?", text, re.M | re.I)


def test_license_is_bsd_3_clause():
    text = " ".join(repo_file("LICENSE").read_text().split())
    assert text.startswith("BSD 3-Clause License")
    assert re.search(r"Copyright \(c\) \d{4}, the pyconv-nd developers", text)
    for clause in (
        "1. Redistributions of source code must retain the above copyright notice",
        "2. Redistributions in binary form must reproduce the above copyright notice",
        "3. Neither the name of the copyright holder nor the names of its contributors "
        "may be used to endorse or promote products derived from this software without "
        "specific prior written permission.",
        'THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"',
    ):
        assert clause in text


def test_docs_version_is_the_package_version():
    """docs/conf.py takes version and release from the installed package.

    The assignment is read from the file and its expression evaluated (no
    Sphinx needed, nothing written); a string literal there would be a copy
    of the version that goes stale.
    """
    tree = ast.parse(repo_file("docs/conf.py").read_text())
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in ("version", "release"):
                    values[target.id] = node.value
    assert set(values) == {"version", "release"}, "docs/conf.py sets no version/release"
    for name, value in values.items():
        assert not isinstance(value, ast.Constant), f"docs/conf.py hard-codes {name}"
        evaluated = eval(compile(ast.Expression(value), "docs/conf.py", "eval"),
                         {"pyconv": pyconv, "importlib": importlib})
        assert evaluated == pyconv.__version__, name


@pytest.mark.parametrize("name", ["README.md", "docs/install.rst"])
def test_install_instructions_name_the_distribution(name):
    """Users are told to install pyconv-nd, never the unrelated `pyconv`."""
    text = repo_file(name).read_text()
    assert f"pip install {DISTRIBUTION}" in text
    assert not re.search(r"pip install\s+[\"']?pyconv(?![\w-])", text)


def test_python_started_in_the_checkout():
    """Python started at the top of the checkout finds the source tree's pyconv/ first.

    With an editable install that is the installed copy (meson-python's
    import hook comes before the current directory), and it works. With a
    regular install the source tree has no compiled modules: the import
    stops with an ImportError that says what to do, as numpy's and scipy's
    do (README, "Quick start" and "Development").
    """
    source = ROOT / "pyconv" / "__init__.py"
    if not source.is_file():
        pytest.skip("no pyconv/ source tree next to tests/")
    editable = Path(pyconv.__file__).resolve() == source.resolve()
    commands = [["-c", "import pyconv; print(pyconv.__file__)"],
                ["-m", "pyconv", "--help"]]
    for command in commands:
        completed = subprocess.run([sys.executable, *command], cwd=ROOT,
                                   capture_output=True, text=True, timeout=600)
        if editable:
            assert completed.returncode == 0, completed.stderr
        else:
            assert completed.returncode != 0, completed.stdout
            assert ("ImportError: pyconv is being imported from its source directory"
                    in completed.stderr), completed.stderr
            assert "editable install" in completed.stderr
            assert "'Development' section of the README" in completed.stderr
    if editable:
        completed = subprocess.run([sys.executable, *commands[0]], cwd=ROOT,
                                   capture_output=True, text=True, timeout=600)
        assert Path(completed.stdout.strip()).resolve() == source.resolve()
