"""pyconv: fast N-dimensional correlation and convolution.

The scipy.ndimage filtering calls (``correlate``, ``convolve``,
``correlate1d``, ``convolve1d``) with stride, dilation, padding, batch axes
and OpenMP threads.
"""

try:
    from pyconv import _direct  # noqa: F401  (compiled: missing in a source checkout)
except ImportError as _error:
    # Imported from an unbuilt source tree: use the installed copy instead.
    from pyconv._handover import hand_over

    hand_over(_error)
else:
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
