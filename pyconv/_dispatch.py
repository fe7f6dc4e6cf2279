"""One filter call, whatever the input: the path every public function takes.

A dask array gets a lazy graph (``_dask``); anything else is checked
(``normalize``, which builds a Problem) and computed by the method the plan
picks (``_plan.run``).

A call repeated with the same arguments -- the loop over patches, frames or
small images -- skips all of that: what the first call decided (the checked
problem, the method and its plan, the direct method bound to that plan) is
kept under a key made of the arguments (the input's layout, not its data),
and the next call only allocates its output and runs. Only arguments made
of plain Python values and NumPy arrays make a key, typed so that a value
the checks would refuse (``1.0`` for an int, ``True``) never finds the
entry of one they accept.

A caller that makes several calls per call of its own (the filter family's
chains of passes) may pass a list as `steps`: each call appends the kept
entry's ``run`` (what redoes it on new data of the same layout), or None
when it keeps none; the caller may then replay the list without making the
calls' keys again.
"""

import threading

import numpy as np

from pyconv import _fft, _fft_backends, _plan
from pyconv._dask import filter_dask, is_dask_array
from pyconv._direct_plan import remember
from pyconv._kernels import direct
from pyconv._normalize import normalize
from pyconv._openmp import effective_workers

# Recent calls (a dict keeps insertion order: the first is the oldest), for
# kernels of at most REPEAT_KERNEL values; a bound call is kept with its
# scratch only when that is at most BOUND_SCRATCH bytes (the cache stays
# small: 64 entries of at most 256 KiB).
_REPEATS = {}
_REPEATS_LOCK = threading.Lock()  # entries are added and evicted one thread at a time
CACHED_REPEATS = 64
REPEAT_KERNEL = 4096
BOUND_SCRATCH = 1 << 18


def filter_any(input, weights, output, mode, cval, origin, keywords, steps=None):
    """correlate/convolve with the keywords of ``normalize`` (a dict: binding
    a call's keyword arguments to ``**keywords`` cost 1 us of a small call's 4);
    dask in, dask out.

    `steps`: None, or a list to which the call appends its kept entry's
    ``run`` (None when no entry is kept; see the module note).
    """
    key = _repeat_key(input, weights, output, mode, cval, origin, keywords)
    if key is not None:
        repeat = _REPEATS.get(key)
        if repeat is not None:
            if steps is not None:
                steps.append(repeat.run)
            return repeat.run(input)
    if steps is not None:
        steps.append(None)  # replaced below when this call's entry is kept
    if is_dask_array(input):
        return filter_dask(input, weights, output, mode, cval, origin, **keywords)
    # A value past a float type's range (cval, weights or a result cast to
    # float32 or float16) becomes +-inf without a warning, as integer
    # results saturate.
    with np.errstate(over="ignore"):
        problem = normalize(input, weights, output, mode, cval, origin, **keywords)
        if problem.output.size == 0:
            return problem.finish(problem.output)
        decision = _plan.decide(problem)
        # The kernel's spectrum goes where a repeat of this call will find it.
        slot = _fft.SpectrumSlot() if key is not None and decision[0] == "fft" else None
        result = _plan.run(problem, decision, slot)
    if (key is not None and problem.input is input and problem.bool_output is None
            and (output is None or np.dtype(output) == problem.output.dtype)):
        # (Not a bool input or output, which go through a view or a scratch
        # array, nor a promoted output dtype, which warns on every call.)
        repeat = _Repeat(problem, decision, slot)
        # The key the next call will make: the FFT backend, if this call was
        # the first to choose one, is chosen now.
        key = key[:-1] + (_fft_backends.current_if_chosen(),)
        remember(_REPEATS, _REPEATS_LOCK, key, repeat, CACHED_REPEATS)
        if steps is not None and CACHED_REPEATS > 0:
            steps[-1] = repeat.run
    return problem.finish(result)  # (a bool result: nonzero sums are True)


class _Repeat:
    """What a call decided, to run again on new data of the same layout."""

    __slots__ = ("problem", "decision", "bound", "lock", "shape", "dtype", "slot")

    def __init__(self, problem, decision, slot):
        self.problem = problem._replace(input=None, output=None)  # no data kept
        self.decision = decision
        self.shape, self.dtype = problem.output.shape, problem.output.dtype
        self.slot = slot  # the FFT's: the kernel's spectrum
        method, plan = decision
        self.bound = None
        if (method == "direct" and plan.writes_output
                and plan.n_threads * plan.scratch.row_bytes <= BOUND_SCRATCH):
            self.bound = direct.Bound(plan, problem.input, problem.output)
        self.lock = threading.Lock()  # a bound call's scratch serves one thread

    def run(self, input):
        output = np.empty(self.shape, self.dtype)
        if self.bound is not None and self.lock.acquire(False):
            try:
                self.bound.run(input, output)
            finally:
                self.lock.release()
            return output
        with np.errstate(over="ignore"):  # (the FFT, or another thread has the bound call)
            return _plan.run(self.problem.with_arrays(input, output), self.decision,
                             self.slot)


class NotPlain(Exception):
    pass


def _repeat_key(input, weights, output, mode, cval, origin, keywords):
    """The key of a call's arguments, or None when they cannot make one."""
    if type(input) is not np.ndarray or keywords.get("nan_policy") == "raise":
        return None  # (nan_policy="raise" scans every call's data)
    if not (output is None or isinstance(output, (type, np.dtype, str))):
        return None
    try:
        if type(weights) is not np.ndarray:
            if type(weights) is not list and type(weights) is not tuple:
                return None
            weights = np.asarray(weights)
        if weights.size > REPEAT_KERNEL or weights.dtype.kind not in "biufc":
            return None
        arguments = frozen_arguments((mode, cval, origin, *keywords.values()))
        workers = effective_workers(keywords.get("workers"))
    except (NotPlain, ValueError, TypeError):
        return None  # (normalize says what is wrong)
    return (input.shape, input.strides, input.dtype, input.flags.aligned, weights.shape,
            weights.dtype, weights.tobytes(), output, tuple(keywords), arguments, workers,
            _fft_backends.current_if_chosen())


_SCALAR_TYPES = frozenset((int, str, float, complex, bool, type(None)))


def frozen_arguments(values):
    """The arguments' values with their types: the common case of scalars
    only is the values and their types side by side (the cheap key of a
    small call), anything else `_frozen`."""
    types = tuple(map(type, values))
    if _SCALAR_TYPES.issuperset(types):
        return values, types
    return _frozen(values)


def _frozen(value):
    """A hashable copy of `value` that keeps the types apart (1, 1.0 and True
    differ), from None, str, int, float, complex, bool, tuples and lists."""
    kind = type(value)
    if kind is int or kind is str or value is None:
        return value
    if kind is float or kind is complex or kind is bool:
        return (kind, value)
    if kind is tuple or kind is list:
        return (kind, tuple(_frozen(item) for item in value))
    raise NotPlain
