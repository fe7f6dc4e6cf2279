"""pyconv: fast N-dimensional correlation and convolution.

The scipy.ndimage filtering calls (``correlate``, ``convolve``,
``correlate1d``, ``convolve1d``) with stride, dilation, padding, batch axes
and OpenMP threads, scipy.ndimage's linear-filter family
(``gaussian_filter``, ``uniform_filter``, ``sobel`` and the rest), and
streams for data that arrives in pieces (``correlate_stream``).
"""

try:
    from pyconv import _direct  # noqa: F401  (compiled: missing in a source checkout)
except ImportError as _error:
    from pathlib import Path as _Path

    _here = _Path(__file__).resolve().parent
    if (_here / "meson.build").is_file():
        # numpy and scipy stop the same way: the source tree's pyconv/ was
        # found first on sys.path (Python started in the checkout), and its
        # compiled modules are built elsewhere.
        raise ImportError(
            f"pyconv is being imported from its source directory ({_here}), which has "
            "no compiled modules. Run Python from another directory to use the "
            "installed pyconv, or make an editable install of the checkout "
            "(pip install --no-build-isolation -e .), which builds them; see the "
            "'Development' section of the README."
        ) from _error
    raise ImportError(
        f"pyconv's compiled modules could not be imported from {_here}: the "
        "installation is incomplete or was built for another Python or platform; "
        "reinstall pyconv"
    ) from _error

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
from pyconv._fft_backends import set_fft_backend
from pyconv._filters import (
    gaussian_filter,
    gaussian_filter1d,
    gaussian_gradient_magnitude,
    gaussian_laplace,
    laplace,
    prewitt,
    sobel,
    uniform_filter,
    uniform_filter1d,
)
from pyconv._stream import Stream, convolve_stream, correlate_stream

__all__ = [
    "Stream",
    "choose_method",
    "convolve",
    "convolve1d",
    "convolve_stream",
    "correlate",
    "correlate1d",
    "correlate_stream",
    "gaussian_filter",
    "gaussian_filter1d",
    "gaussian_gradient_magnitude",
    "gaussian_laplace",
    "laplace",
    "output_shape",
    "prewitt",
    "set_fft_backend",
    "show_config",
    "sobel",
    "uniform_filter",
    "uniform_filter1d",
    "__version__",
]
