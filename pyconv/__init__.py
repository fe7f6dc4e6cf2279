"""pyconv: fast N-dimensional correlation and convolution.

The scipy.ndimage filtering calls (``correlate``, ``convolve``,
``correlate1d``, ``convolve1d``) with stride, dilation, padding, batch axes
and OpenMP threads.
"""

try:
    from pyconv import _direct  # noqa: F401  (compiled: fails in a source tree)
except ImportError as error:
    raise ImportError(
        "pyconv's compiled modules could not be imported. If this is pyconv's source "
        "directory, Python found the uncompiled source tree instead of the installed "
        "package: run Python from another directory. Otherwise reinstall with "
        "'pip install .' from a checkout."
    ) from error

from pyconv._api import (
    choose_method,
    convolve,
    convolve1d,
    correlate,
    correlate1d,
    output_shape,
)
from pyconv._build_info import VERSION as __version__
from pyconv._config import show_config

__all__ = [
    "choose_method",
    "convolve",
    "convolve1d",
    "correlate",
    "correlate1d",
    "output_shape",
    "show_config",
    "__version__",
]
