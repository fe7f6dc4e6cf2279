"""The package's shape: short functions and imports that run one way.

These tests read pyconv's sources (not the installed copy): the tree next
to this file's directory, as in a checkout or an unpacked sdist. Without
it (the tests copied elsewhere) they are skipped.

* Every function, Python or Cython (``def``, ``cdef``, ``cpdef``), is at
  most MAX_FUNCTION_LINES long, counted from its ``def`` line to its last
  line, without its docstring.
* The imports between pyconv's own modules (``import`` and ``cimport``,
  lazy ones inside functions included) form no cycle.
"""

import ast
import re
import textwrap
from pathlib import Path

import pytest

MAX_FUNCTION_LINES = 60

SOURCE = Path(__file__).resolve().parent.parent / "pyconv"
PACKAGE = "pyconv"
CYTHON_SUFFIXES = (".pyx", ".pxd", ".pxi")

pytestmark = pytest.mark.skipif(
    not (SOURCE / "__init__.py").is_file(),
    reason=f"pyconv's source tree is not at {SOURCE}",
)


def _sources(*suffixes):
    return sorted(p for p in SOURCE.rglob("*") if p.is_file() and p.name.endswith(suffixes))


def _module_name(path):
    """Dotted module name of a source file (``pyconv/_build_info.py.in`` included)."""
    parts = list(path.relative_to(SOURCE.parent).parts)
    parts[-1] = parts[-1].split(".", 1)[0]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


# --------------------------------------------------------------------------
# Reading Cython source line by line
# --------------------------------------------------------------------------

_TRIPLE = re.compile(r"'''|\"\"\"")


def _code_lines(text):
    """Each line of `text` with whether it starts inside a triple-quoted string.

    Returns a list of (line, in_string) pairs, in_string True for a line that
    starts within a string opened on an earlier line. Quotes inside
    single-quoted strings and comments are rare enough in pyconv's sources
    to be ignored, except that a comment's own text is never scanned.
    """
    result, open_quote = [], None
    for line in text.splitlines():
        result.append((line, open_quote is not None))
        position = 0
        while True:
            if open_quote is None:
                comment = line.find("#", position)
                match = _TRIPLE.search(line, position)
                if match is None or (comment != -1 and comment < match.start()):
                    break
                open_quote, position = match.group(), match.end()
            else:
                end = line.find(open_quote, position)
                if end == -1:
                    break
                open_quote, position = None, end + 3
    return result


def _indent(line):
    return len(line) - len(line.lstrip())


def _is_code(line, in_string):
    stripped = line.strip()
    return not in_string and stripped != "" and not stripped.startswith("#")


def _strip_comment(line):
    """`line` without a trailing ``# comment`` (outside simple quotes)."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#":
            return line[:i]
    return line


def _statement_end(lines, start):
    """Index of the last line of the statement starting at lines[start].

    A statement continues while its brackets are open or a line ends in a
    backslash.
    """
    depth, i = 0, start
    while True:
        code = _strip_comment(lines[i][0])
        depth += sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}")
        if (depth <= 0 and not code.rstrip().endswith("\\")) or i + 1 == len(lines):
            return i
        i += 1


_DEFINITION = re.compile(r"\s*(?:async\s+)?(def|cdef|cpdef)\b(.*)", re.S)
# cdef statements that are not functions: classes, C types, extern and cdef blocks.
_NOT_A_FUNCTION = re.compile(r"\s*(?:class|struct|union|enum|extern|packed|fused|:)")
_NAME_BEFORE_PARENTHESIS = re.compile(r"([A-Za-z_]\w*)\s*$")


def _function_name(keyword, rest):
    """The name a def/cdef/cpdef statement defines, or None if it is no function.

    The name is the identifier before the first top-level parenthesis that
    follows one (a ctuple return type comes before it). A statement without
    a parameter list declares a variable; one that does not end in a colon
    declares a function without defining it (cdef extern blocks, .pxd
    files). One-line functions (``def f(): pass``) are not counted.
    """
    if keyword != "def" and _NOT_A_FUNCTION.match(rest):
        return None
    if not rest.rstrip().endswith(":"):
        return None
    depth = 0
    for i, char in enumerate(rest):
        if char == "(":
            match = _NAME_BEFORE_PARENTHESIS.search(rest[:i]) if depth == 0 else None
            if match is not None:
                return match.group(1)
            depth += 1
        elif char == ")":
            depth -= 1
    return None


def _docstring_lines(lines, first):
    """(index of its first line, count) of a docstring starting at or after lines[first]."""
    i = first
    while i < len(lines) and not _is_code(*lines[i]):
        i += 1
    if i == len(lines):
        return i, 0
    stripped = lines[i][0].lstrip()
    match = re.match(r"[rRuUbB]{0,2}('''|\"\"\"|'|\")", stripped)
    if match is None:
        return i, 0
    quote = match.group(1)
    rest = stripped[match.end():]
    if len(quote) == 1 or quote in rest:
        return i, 1  # opens and closes on one line
    j = i + 1
    while j < len(lines) and quote not in lines[j][0]:
        j += 1
    return i, j - i + 1


def cython_functions(text):
    """(name, first line, length without docstring) of every function in Cython `text`."""
    lines = _code_lines(text)
    found = []
    for start, (line, in_string) in enumerate(lines):
        if in_string:
            continue
        match = _DEFINITION.match(line)
        if match is None:
            continue
        end = _statement_end(lines, start)
        signature = " ".join(_strip_comment(lines[i][0]).strip() for i in range(start, end + 1))
        name = _function_name(match.group(1), _DEFINITION.match(signature).group(2))
        if name is None:
            continue
        last = end
        for i in range(end + 1, len(lines)):
            if _is_code(*lines[i]):
                if _indent(lines[i][0]) <= _indent(line):
                    break
                last = i
            elif lines[i][1]:
                last = i  # inside a string of the body
        doc_start, doc_count = _docstring_lines(lines, end + 1)
        if doc_start > last:
            doc_count = 0
        found.append((name, start + 1, last - start + 1 - doc_count))
    return found


def python_functions(text):
    """(name, first line, length without docstring) of every function in Python `text`."""
    found = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        length = node.end_lineno - node.lineno + 1
        first = node.body[0]
        if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)):
            length -= first.end_lineno - first.lineno + 1
        found.append((node.name, node.lineno, length))
    return found


def test_the_cython_scanner_measures_as_ast_does():
    sample = textwrap.dedent('''\
        cdef extern from "x.h":
            void declared(int a,
                          int b) nogil

        cdef int counter = 0

        cdef inline Py_ssize_t first(Py_ssize_t a,
                                     Py_ssize_t b) noexcept nogil:  # (two lines)
            """A docstring
            on three lines.
            """
            cdef Py_ssize_t c = a
            text = """
        not code: def fake(x):
        """
            return c

        # a comment at the top level ends nothing
        cpdef double second(x):
            "One line."
            def inner(y):
                return y

            return inner(x)
        cdef class Holder:
            def method(self):
                pass
        ''')
    assert cython_functions(sample) == [
        ("first", 7, 7), ("second", 19, 5), ("inner", 21, 2), ("method", 26, 2)]
    python_like = "def" + sample.split("cpdef double")[1].replace("cdef class", "class")
    assert sorted(cython_functions(python_like)) == sorted(python_functions(python_like))
    assert cython_functions("cdef (int, int) pair(int a):\n    return a, a\n") == [
        ("pair", 1, 2)]


def test_no_function_is_longer_than_the_limit():
    measured = []
    for path in _sources(".py"):
        measured += [(path, *f) for f in python_functions(path.read_text(encoding="utf-8"))]
    for path in _sources(*CYTHON_SUFFIXES):
        measured += [(path, *f) for f in cython_functions(path.read_text(encoding="utf-8"))]
    assert len(measured) > 50  # the scanners found pyconv's functions
    too_long = [f"{path.relative_to(SOURCE.parent)}:{line}:{name}: {length} lines"
                for path, name, line, length in measured if length > MAX_FUNCTION_LINES]
    assert not too_long, (
        f"functions longer than {MAX_FUNCTION_LINES} lines (docstring excluded); "
        "split them:\n" + "\n".join(too_long)
    )


# --------------------------------------------------------------------------
# The import graph
# --------------------------------------------------------------------------


def _modules():
    """Every pyconv module name, with the files that define it."""
    modules = {}
    for path in _sources(".py", ".py.in", *CYTHON_SUFFIXES):
        modules.setdefault(_module_name(path), []).append(path)
    return modules


def _resolve(node, module, is_package, modules):
    """The pyconv modules an ``import`` or ``from ... import`` node imports.

    ``from a import b`` imports the module ``a.b`` if there is one, else a
    name from ``a``. A package imported only because a module inside it is
    (Python runs its ``__init__`` first) is not counted.
    """
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    else:
        if node.level:
            parts = module.split(".") if is_package else module.split(".")[:-1]
            parts = parts[: len(parts) - (node.level - 1)]
            base = ".".join(parts + ([node.module] if node.module else []))
        else:
            base = node.module
        targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                   for alias in node.names]
    return {t for t in targets if t in modules and t != module}


def import_nodes(text, cython):
    """The import nodes of a source text (Cython: its import and cimport lines)."""
    if not cython:
        return [n for n in ast.walk(ast.parse(text)) if isinstance(n, (ast.Import, ast.ImportFrom))]
    lines = _code_lines(text)
    nodes = []
    for start, (line, in_string) in enumerate(lines):
        if in_string or not re.match(r"\s*(from\s+\S+\s+c?import\b|c?import\s)", line):
            continue
        end = _statement_end(lines, start)
        statement = " ".join(_strip_comment(lines[i][0]).strip() for i in range(start, end + 1))
        statement = re.sub(r"\bcimport\b", "import", statement.replace("\\", " "))
        nodes += ast.parse(statement).body
    return nodes


def import_graph():
    """{module: set of the pyconv modules it imports}, over pyconv's sources.

    A module's .pyx and .pxd count as one; ``_build_info.py.in`` (a meson
    template, not Python) only names a module.
    """
    modules = _modules()
    graph = {name: set() for name in modules}
    for name, paths in modules.items():
        for path in paths:
            if path.name.endswith(".py.in"):
                continue
            nodes = import_nodes(path.read_text(encoding="utf-8"),
                                 cython=path.suffix in CYTHON_SUFFIXES)
            for node in nodes:
                graph[name] |= _resolve(node, name, path.name.startswith("__init__."), modules)
    return graph


def find_cycle(graph):
    """One cycle of `graph` as a list of nodes (first == last), or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_cycle_finder():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_import_graph_reads_pyconv_imports():
    cython = textwrap.dedent('''\
        """A docstring that says: import pyconv._fake"""
        cimport numpy as cnp
        from cython.parallel cimport parallel
        from pyconv._boundary cimport extend_index
        from pyconv._layout import (intp_array,
                                    lay_out)  # a comment
        cnp.import_array()
        ''')
    modules = {"pyconv", "pyconv._boundary", "pyconv._layout", "pyconv._x", "pyconv._fake"}
    found = set()
    for node in import_nodes(cython, cython=True):
        found |= _resolve(node, "pyconv._x", False, modules)
    assert found == {"pyconv._boundary", "pyconv._layout"}
    python = "from pyconv import _boundary, correlate\nfrom . import _layout\nimport pyconv\n"
    found = set()
    for node in import_nodes(python, cython=False):
        found |= _resolve(node, "pyconv._x", False, modules)
    assert found == {"pyconv", "pyconv._boundary", "pyconv._layout"}

    graph = import_graph()
    assert {"pyconv._normalize", "pyconv._plan"} <= graph["pyconv._api"]
    assert "pyconv._boundary" in graph["pyconv._normalize"]


def test_imports_run_one_way():
    graph = import_graph()
    cycles, remaining = [], {name: set(targets) for name, targets in graph.items()}
    while (cycle := find_cycle(remaining)) is not None:
        cycles.append(" -> ".join(cycle))
        remaining[cycle[0]].discard(cycle[1])  # report every cycle, one edge each
    assert not cycles, "import cycles between pyconv's modules:\n" + "\n".join(cycles)


@pytest.mark.parametrize("public", ["pyconv._api", "pyconv._filters", "pyconv._stream"])
def test_nothing_below_imports_the_public_functions(public):
    graph = import_graph()
    importers = sorted(name for name, targets in graph.items() if public in targets)
    assert set(importers) <= {"pyconv"}, f"only the package may import {public}: {importers}"
