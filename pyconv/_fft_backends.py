"""The transforms of the FFT method, behind one small interface, and which backend runs them.

Two backends give the same results to rounding:

* ``scipy``: :mod:`scipy.fft` (pocketfft), always there.
* ``ducc0``: ``ducc0.fft``, by pocketfft's author, which vectorises over
  several transforms at once and runs real transforms about twice as fast
  (docs/dev/performance_notes.rst). Optional (the ``fft`` extra; licence
  GPL-2.0-or-later), never required.

Each backend is a `Transforms` object; `_fft` plans with it (whether real
units go two to a complex transform) and calls its three methods, and
`_plan` reads the cost constants under its name.

Which one runs: set_fft_backend's choice, else ``PYCONV_FFT`` (read once,
at the first call that may use the FFT -- method 'fft' or 'auto' -- or
show_config), else ducc0 when it can be imported and
scipy otherwise. A ``PYCONV_FFT`` that cannot be honoured (an unknown name,
or ducc0 when it is not installed) warns once and falls back to that
default: an environment variable is set for a whole cluster or container,
where a worker without ducc0 should still compute, and say so. The choice is
global to the process, not per thread: the backends differ in speed only,
and a per-thread choice would not reach the threads of dask's scheduler, on
which pyconv runs a dask array's blocks.
"""

import abc
import os
import threading
import warnings

import numpy as np
import scipy.fft as sfft

ENVIRONMENT_VARIABLE = "PYCONV_FFT"
NAMES = ("scipy", "ducc0")


class Transforms(abc.ABC):
    """One backend's transforms.

    Every method transforms along the axes given and returns the result;
    `workers` is the thread count handed to the library. The inverse is
    normalised by 1/n, the forward transforms are not. `scratch`, where
    given, is ``scratch(shape, dtype)``: an array the caller reuses from box
    to box, into which a backend that takes outputs writes its result
    (ducc0; scipy.fft allocates its own). Fresh arrays of a box's size cost
    page faults on every box when the allocator hands their memory back to
    the system in between, and those took longer than the transforms
    themselves (docs/dev/performance_notes.rst).
    """

    name = None
    # Whether real data on one filtered axis go two units to a complex
    # transform (real part, imaginary part): worth it only where one complex
    # transform costs less than two real ones (see _fft.plan).
    pairs = False

    @abc.abstractmethod
    def version(self):
        """The library's version string."""

    @abc.abstractmethod
    def forward(self, x, axes, real, workers, overwrite, scratch=None):
        """The n-D transform over `axes` (real: the last of them halved, as rfftn).

        `overwrite`: `x` is scratch the transform may destroy.
        """

    @abc.abstractmethod
    def forward_padded(self, x, axis, n, real, workers):
        """The transform along `axis` of `x` zero-padded to length `n` there."""

    @abc.abstractmethod
    def inverse(self, x, axis, n, real, workers, scratch=None):
        """The inverse along `axis` (real: a length-`n` real result, as irfft).

        `x` is scratch: it may be destroyed or returned overwritten.
        """


class ScipyTransforms(Transforms):
    name = "scipy"
    pairs = True  # pocketfft: one complex transform measured cheaper than two real ones

    def version(self):
        import scipy

        return scipy.__version__

    def forward(self, x, axes, real, workers, overwrite, scratch=None):
        if real:
            return sfft.rfftn(x, axes=axes, workers=workers, overwrite_x=overwrite)
        return sfft.fftn(x, axes=axes, workers=workers, overwrite_x=overwrite)

    def forward_padded(self, x, axis, n, real, workers):
        function = sfft.rfft if real else sfft.fft
        return function(x, n=n, axis=axis, workers=workers)

    def inverse(self, x, axis, n, real, workers, scratch=None):
        if real:
            return sfft.irfft(x, n=n, axis=axis, workers=workers, overwrite_x=True)
        return sfft.ifft(x, axis=axis, workers=workers, overwrite_x=True)


class DuccTransforms(Transforms):
    name = "ducc0"
    # ducc0's real transforms measured faster than the complex transform of
    # a pair, before counting the pairs' packing (docs/dev/performance_notes.rst).
    pairs = False

    def __init__(self, module):
        self.ducc0 = module
        self.fft = module.fft

    def version(self):
        return self.ducc0.__version__

    def forward(self, x, axes, real, workers, overwrite, scratch=None):
        axes = tuple(axes)
        if real:
            shape = list(x.shape)
            shape[axes[-1]] = shape[axes[-1]] // 2 + 1
            out = scratch(shape, np.result_type(x.dtype, np.complex64)) if scratch else None
            return self.fft.r2c(x, axes=axes, out=out, nthreads=workers)
        # In place when the tiles are ours to overwrite (c2c takes out=a).
        out = x if overwrite else scratch(x.shape, x.dtype) if scratch else None
        return self.fft.c2c(x, axes=axes, out=out, nthreads=workers)

    def forward_padded(self, x, axis, n, real, workers):
        shape = list(x.shape)
        shape[axis] = n
        dtype = x.dtype if real else np.result_type(x.dtype, np.complex64)
        padded = np.zeros(shape, dtype=dtype)  # ducc0 has no n=: the padding is ours
        padded[(slice(None),) * axis + (slice(0, x.shape[axis]),)] = x
        if real:
            return self.fft.r2c(padded, axes=(axis,), nthreads=workers)
        return self.fft.c2c(padded, axes=(axis,), out=padded, nthreads=workers)

    def inverse(self, x, axis, n, real, workers, scratch=None):
        if real:
            shape = list(x.shape)
            shape[axis] = n
            out = scratch(shape, x.real.dtype) if scratch else None
            return self.fft.c2r(x, axes=(axis,), lastsize=n, forward=False, inorm=2,
                                out=out, nthreads=workers, allow_overwriting_input=True)
        return self.fft.c2c(x, axes=(axis,), forward=False, inorm=2, out=x, nthreads=workers)


SCIPY = ScipyTransforms()


def _import_ducc0():
    """ducc0 as a `DuccTransforms`, or None when it cannot be imported."""
    try:
        import ducc0
        import ducc0.fft  # noqa: F401
    except ImportError:
        return None
    return DuccTransforms(ducc0)


class _Selection:
    """The backend in use (None until first asked for) and what chose it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.transforms = None
        self.chosen_by = None
        self.ducc0 = None  # DuccTransforms once imported


_selection = _Selection()


def _ducc0():
    if _selection.ducc0 is None:
        _selection.ducc0 = _import_ducc0()
    return _selection.ducc0


def _by_name(name):
    """The backend called `name`; ImportError for ducc0 when it is not installed."""
    if name == "scipy":
        return SCIPY
    ducc0 = _ducc0()
    if ducc0 is None:
        raise ImportError("the FFT backend 'ducc0' needs ducc0, which is not installed: "
                          "pip install ducc0 (or 'pyconv-nd[fft]')")
    return ducc0


def _default():
    """(backend, chosen_by) from PYCONV_FFT, else ducc0 if importable, else scipy."""
    asked = os.environ.get(ENVIRONMENT_VARIABLE, "").strip().lower()
    if asked in NAMES:
        try:
            return _by_name(asked), ENVIRONMENT_VARIABLE
        except ImportError as error:
            warnings.warn(f"{ENVIRONMENT_VARIABLE}={asked!r} is ignored: {error}",
                          RuntimeWarning, stacklevel=4)
    elif asked not in ("", "auto"):
        warnings.warn(f"{ENVIRONMENT_VARIABLE}={asked!r} is not one of auto, "
                      f"{', '.join(NAMES)}; ignored", RuntimeWarning, stacklevel=4)
    ducc0 = _ducc0()
    return (ducc0 or SCIPY), "default"


def current():
    """The backend in use (resolved, and PYCONV_FFT read, on the first call)."""
    transforms = _selection.transforms
    if transforms is None:
        with _selection.lock:
            if _selection.transforms is None:
                _selection.transforms, _selection.chosen_by = _default()
            transforms = _selection.transforms
    return transforms


def current_if_chosen():
    """The backend in use, or None before the first call that needed one
    (without importing ducc0 or reading PYCONV_FFT)."""
    return _selection.transforms


def summary():
    """show_config's ``fft`` section."""
    transforms = current()
    ducc0 = _ducc0()
    return {
        "backend": transforms.name,
        "chosen_by": _selection.chosen_by,
        "scipy": SCIPY.version(),
        "ducc0": ducc0.version() if ducc0 is not None else "not installed",
    }


class _Restore:
    """What set_fft_backend returns: as a context manager, puts back the
    backend that was in use before."""

    def __init__(self, previous):
        self.previous = previous

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        with _selection.lock:
            _selection.transforms, _selection.chosen_by = self.previous
        return False

    def __repr__(self):
        return f"<pyconv FFT backend {_selection.transforms.name!r}>"


def set_fft_backend(name):
    """Choose the library that computes the FFT method's transforms.

    Parameters
    ----------
    name : {'scipy', 'ducc0', 'auto'}
        'scipy' for :mod:`scipy.fft`; 'ducc0' for ``ducc0.fft`` (the
        optional ducc0 package, installed by the ``fft`` extra); 'auto'
        for ducc0 when it can be imported and scipy otherwise, ignoring
        ``PYCONV_FFT``.

    Returns
    -------
    restore : context manager
        The choice holds from the call on. Used in a ``with`` statement,
        the backend that was in use before comes back at the end of the
        block; otherwise it can be ignored.

    Raises
    ------
    ValueError
        For a name other than those above.
    ImportError
        For 'ducc0' when ducc0 is not installed.

    See Also
    --------
    show_config : Its ``fft`` section names the backend in use.
    choose_method : The cost model it uses is calibrated for each backend.

    Notes
    -----
    Both backends give the same results to floating-point rounding; they
    differ in speed only. Without a call to this function, pyconv uses the
    backend that the environment variable ``PYCONV_FFT`` names ('scipy',
    'ducc0' or 'auto'), read at the first call with ``method='fft'`` or
    ``'auto'``; without it (or when it names ducc0 and ducc0 is not
    installed, or names nothing known, either of which warns once), ducc0
    when it can be imported, else scipy.

    The choice is global to the process: every thread sees it, including
    the threads of dask's scheduler that compute a dask array's blocks
    (worker processes, as dask.distributed starts them, read their own
    ``PYCONV_FFT``). A call that has started keeps the backend it planned
    with. Two threads that each enter a ``with set_fft_backend(...)`` block
    at the same time share one setting: the last one set applies to both.

    Examples
    --------
    >>> import numpy as np
    >>> import pyconv
    >>> x = np.arange(20.0)
    >>> with pyconv.set_fft_backend("scipy"):
    ...     y = pyconv.correlate1d(x, [1.0, 2.0, 1.0], method="fft")
    ...     pyconv.show_config(mode="dicts")["fft"]["backend"]
    'scipy'
    >>> bool(np.allclose(y, pyconv.correlate1d(x, [1.0, 2.0, 1.0], method="direct")))
    True
    """
    if name == "auto":
        transforms, chosen_by = (_ducc0() or SCIPY), "set_fft_backend"
    elif name in NAMES:
        transforms, chosen_by = _by_name(name), "set_fft_backend"
    else:
        raise ValueError(f"the FFT backend must be one of 'scipy', 'ducc0' or 'auto', "
                         f"got {name!r}")
    current()  # the previous choice, PYCONV_FFT's included
    with _selection.lock:
        previous = (_selection.transforms, _selection.chosen_by)
        _selection.transforms, _selection.chosen_by = transforms, chosen_by
    return _Restore(previous)
