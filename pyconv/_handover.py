"""Running Python inside a checkout: hand over to the installed pyconv.

With Python's working directory at the top of a pyconv checkout, ``import
pyconv`` (and ``python -m pyconv``) finds the source tree's ``pyconv/``
first, which has no compiled modules. Rather than fail, that copy replaces
itself in ``sys.modules`` with the installed copy found further along
``sys.path`` -- the same thing a src/ layout would give. With no installed
copy, the import fails with a message saying what to do.
"""

import importlib.machinery
import importlib.util
import sys
from pathlib import Path


def hand_over(error):
    """Load the installed pyconv in place of this source tree, or raise ImportError."""
    source_package = Path(__file__).resolve().parent
    checkout = source_package.parent
    search = [entry for entry in sys.path if Path(entry or ".").resolve() != checkout]
    spec = importlib.machinery.PathFinder.find_spec("pyconv", search)
    if spec is None or spec.origin is None or Path(spec.origin).resolve().parent == source_package:
        raise ImportError(
            "pyconv's compiled modules could not be imported, and no installed copy was "
            "found: install it with 'pip install .' from a checkout"
        ) from error
    installed = importlib.util.module_from_spec(spec)
    sys.modules["pyconv"] = installed
    try:
        spec.loader.exec_module(installed)
    except BaseException:
        del sys.modules["pyconv"]
        raise
