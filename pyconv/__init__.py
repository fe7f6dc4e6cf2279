"""pyconv: fast N-dimensional correlation and convolution.

The scipy.ndimage filtering calls (``correlate``, ``convolve``,
``correlate1d``, ``convolve1d``) with stride, dilation, padding, batch axes
and OpenMP threads.
"""

from pyconv._api import convolve, convolve1d, correlate, correlate1d, output_shape
from pyconv._build_info import VERSION as __version__
from pyconv._config import show_config

__all__ = [
    "convolve",
    "convolve1d",
    "correlate",
    "correlate1d",
    "output_shape",
    "show_config",
    "__version__",
]
