"""Streams: correlate and convolve data that arrives in pieces along one axis.

A :class:`Stream` keeps the input samples that outputs still to come will
read (the kernel's span along the stream axis, and a few more the boundary
rule at the far end needs) in one buffer, appends each chunk behind them,
and computes the outputs that are final with one ordinary call of the
engine on a view of that buffer: the same planning, the same compiled
loops, the same sums as the whole-array call. Which outputs a view yields,
and what lies past its edges, is chosen so that every output is the one
the whole-array call gives:

* an output whose window lies inside the samples received so far is
  computed from a view whose stream-axis padding is ``(b_loc, 0)``, with
  ``b_loc`` chosen to keep the stride's phase (the extra outputs at the front
  of the view are dropped);
* an output that reads past the start is computed while the buffer still
  starts at sample 0, once the boundary rule's values there no longer depend
  on the stream's length (reflect: ``before`` samples received; mirror: one
  more; wrap: only at the end);
* the outputs that read past the end come with ``finish``: from a view with
  the stream axis' own padding past the end, the buffer having kept the
  ``after`` samples reflect or mirror read there (wrap: the stream's first
  samples, kept aside).

A stream whose buffer never let go of sample 0 finishes with the
whole-array call itself.
"""

import copy

import numpy as np

from pyconv import _fft, _plan
from pyconv._boundary import Mode
from pyconv._dispatch import filter_any
from pyconv._docstrings import fill
from pyconv._kernels import direct
from pyconv._normalize import (
    as_int,
    normalize,
    normalize_geometry,
    parse_axes,
    per_axis,
    stand_in,
)

__all__ = ["Stream", "convolve_stream", "correlate_stream"]

# A new buffer holds this many times the samples it must hold (those kept
# and the chunk), so that moving the kept samples to its front is rare.
BUFFER_SLACK = 4

# Bound calls a stream keeps, one per layout of the buffer's views (a stream
# of chunks of one length uses two or three; one of ever new lengths would
# otherwise keep one per length).
KEPT_CALLS = 16


def _as_given(value, name):
    return value


def _along(array, axis, start, stop=None):
    index = [slice(None)] * array.ndim
    index[axis] = slice(start, stop)
    return array[tuple(index)]


class Stream:
    """Correlation or convolution of data that arrives in chunks along one axis.

    Made by :func:`correlate_stream` or :func:`convolve_stream`. Push chunks
    in order with :meth:`push`; each call returns the outputs that are final
    (possibly none); :meth:`finish` returns the rest and closes the stream.
    The outputs, concatenated along `axis`, are what ``correlate`` (or
    ``convolve``) returns for the concatenated chunks with the same
    arguments. ``copy.deepcopy`` forks a stream. A stream is for one thread
    at a time.

    Parameters
    ----------
    weights, axis, mode, cval, origin, axes, stride, dilation, padding, method, workers : object
        As in :func:`correlate_stream`.
    convolution : bool
        Flip the kernel, as :func:`convolve_stream` does, instead of
        conjugating complex weights.

    See Also
    --------
    correlate_stream : Makes a stream that correlates.
    convolve_stream : Makes a stream that convolves.

    Examples
    --------
    >>> import numpy as np
    >>> import pyconv
    >>> stream = pyconv.correlate_stream(np.ones(3), mode="nearest")
    >>> stream.push(np.array([1.0, 2.0, 3.0]))
    array([4., 6.])
    >>> stream.finish()
    array([8.])
    """

    def __init__(self, weights, axis, mode, cval, origin, axes, stride, dilation, padding,
                 method, workers, convolution):
        self._arguments = dict(mode=mode, cval=cval, origin=origin, axes=axes,
                               stride=stride, dilation=dilation, padding=padding,
                               method=method, workers=workers, convolution=convolution)
        self._weights = weights = np.asarray(weights)
        if weights.ndim == 0:
            raise ValueError("weights must have at least one axis, got a scalar")
        axis = as_int(axis, "axis")
        if axes is None:
            ndim = weights.ndim
            if not -ndim <= axis < ndim:
                raise ValueError(f"axis={axis} is out of range for {ndim}-D data "
                                 f"(weights has {ndim} axes and axes=None)")
            self._weights_axis = axis % ndim
            guess = ndim
        else:
            written = [as_int(a, "axes") for a in (axes if isinstance(axes, (list, tuple))
                                                   else [axes])]
            if axis not in written:
                raise ValueError(f"axis={axis} must be one of the filtered axes as written "
                                 f"in axes={tuple(written)}")
            self._weights_axis = written.index(axis)
            guess = weights.ndim + max(abs(a) for a in written) + 1
        self._axis_as_written = axis
        # Every argument checked once, on a stand-in of some shape (complex,
        # so that any cval passes here; the real dtype is checked at the first push).
        self._check(stand_in((1,) * guess, np.complex128))
        self._shape = None  # the chunks' shape with the stream axis 0, set by the first push
        self._dtype = self._ndim = None
        self._closed = False
        self._received = 0  # samples pushed (n, once finished)
        self._emitted = 0  # the next output to return (its index in the whole result)
        self._buffer = None
        self._capacity = 0  # the buffer's length along the stream axis
        self._low = self._high = 0  # the buffer's live part [low, high)
        self._start = 0  # the stream position of buffer[low]
        self._head = None  # wrap: the stream's first samples, once the buffer drops them
        # (view length, buffer length, padding) -> (problem without data,
        # decision, the direct method bound to it or None): see _call.
        self._calls = {}

    # ----------------------------------------------------------------------
    # Setting up from the first chunk
    # ----------------------------------------------------------------------

    def _check(self, sample):
        """normalize on `sample` (any data of the stream's shape): the checked
        problem, and the stream axis' geometry and mode."""
        a = self._arguments
        problem = normalize(sample, self._weights, None, a["mode"], a["cval"], a["origin"],
                            axes=a["axes"], stride=a["stride"], dilation=a["dilation"],
                            padding=a["padding"], workers=a["workers"], method=a["method"],
                            convolution=a["convolution"], allocate=False)
        geometry = normalize_geometry(sample.shape, self._weights.shape, axes=a["axes"],
                                      stride=a["stride"], dilation=a["dilation"],
                                      padding=a["padding"], origin=a["origin"],
                                      convolution=a["convolution"])
        g = geometry.filtered[self._weights_axis]
        self._axis = g.axis
        self._n_axes = len(geometry.axes)
        self._step, self._before, self._after = g.stride, g.before, g.after
        self._span = g.dilation * (g.taps - 1)
        self._mode = Mode(problem.mode[g.axis])
        self._wrap = self._mode == Mode.WRAP
        # Outputs whose window starts before sample 0: under wrap they need
        # the stream's end and come last, with finish().
        self._wrapped = -(-self._before // self._step) if self._wrap else 0
        self._out_dtype = problem.output.dtype if problem.bool_output is None else np.dtype(bool)
        self._out_shape = geometry.out_shape
        return problem

    def _setup(self, chunk):
        shape = list(chunk.shape)
        parse_axes(self._arguments["axes"], chunk.ndim)  # a clear error for a wrong ndim
        self._check(stand_in(chunk.shape, chunk.dtype))
        shape[self._axis] = 0
        self._shape, self._dtype = tuple(shape), chunk.dtype
        self._ndim = chunk.ndim
        self._other = self._shape[:self._axis] + self._shape[self._axis + 1:]
        self._prefix = (slice(None),) * self._axis
        self._no_outputs = self._out_shape[:self._axis] + (0,) + self._out_shape[self._axis + 1:]
        # Whether the kernels would sum the whole array along the stream axis
        # (the last axis longer than 1) but a view one sample long along
        # another one, in another order: such a view waits for a second sample.
        self._line_axis = (any(n > 1 for n in chunk.shape[:self._axis])
                           and all(n == 1 for n in chunk.shape[self._axis + 1:]))
        a = self._arguments
        # (checked by normalize: taken as they are)
        self._paddings = list(per_axis(a["padding"], self._n_axes, "padding", _as_given))
        self._origins = list(per_axis(a["origin"], self._n_axes, "origin", _as_given))
        self._origins[self._weights_axis] = 0
        self._emitted = self._wrapped
        # Samples after which reflect and mirror before sample 0 no longer
        # depend on the stream's length.
        self._settled = {Mode.REFLECT: self._before, Mode.MIRROR: self._before + 1}.get(
            self._mode, 0)
        # What the buffer keeps past the next window's start, for the far edge.
        after = self._after
        self._keep = max(1, {Mode.REFLECT: after, Mode.MIRROR: after + 1,
                             Mode.WRAP: self._before}.get(self._mode, 1))
        # wrap: the first samples read past the end, and by the first outputs.
        self._head_len = max(after, (self._wrapped - 1) * self._step - self._before
                             + self._span + 1, 0)

    @property
    def delay(self):
        """Input samples an output waits for past its own position.

        Output ``j`` along the stream axis sits at input position
        ``j * stride`` and reads up to ``delay`` samples after it: it comes
        with the push that brings sample ``j * stride + delay``, or later at
        the start of a stream, where ``mode='reflect'`` needs the first
        ``before`` samples (``before + 1`` for ``'mirror'``) to know what
        lies before sample 0, and a chunk of one sample along the last
        axis longer than one waits for a second sample.

        See Also
        --------
        wrapped : The outputs that wait for the end under ``mode='wrap'``.

        Examples
        --------
        >>> import numpy as np
        >>> import pyconv
        >>> pyconv.correlate_stream(np.ones(5)).delay  # 'same': half the kernel
        2
        >>> pyconv.correlate_stream(np.ones(5), padding=[(4, 0)]).delay  # causal
        0
        """
        return max(0, self._span - self._before)

    @property
    def wrapped(self):
        """How many first outputs come last, from :meth:`finish`.

        Under ``mode='wrap'`` along the stream axis the first outputs read
        the stream's end: they come after all the others, so the
        concatenated outputs are the whole result rolled by ``-wrapped``
        along the axis. 0 for every other mode.

        See Also
        --------
        delay : How long the other outputs wait.

        Examples
        --------
        >>> import numpy as np
        >>> import pyconv
        >>> x = np.arange(6.0)
        >>> stream = pyconv.correlate_stream([1.0, 1.0, 1.0], mode="wrap")
        >>> stream.wrapped
        1
        >>> y = np.concatenate([stream.push(x), stream.finish()])
        >>> np.array_equal(np.roll(y, stream.wrapped), pyconv.correlate(x, np.ones(3),
        ...                                                             mode="wrap"))
        True
        """
        return self._wrapped

    # ----------------------------------------------------------------------
    # Pushing
    # ----------------------------------------------------------------------

    def _accept(self, chunk):
        """The chunk as an array, or ValueError with the stream unchanged."""
        if type(chunk) is np.ndarray and chunk.dtype is self._dtype and not self._closed:
            shape, axis = chunk.shape, self._axis
            if len(shape) == self._ndim and shape[:axis] + shape[axis + 1:] == self._other:
                return chunk  # (the usual case, checked quickly)
        if self._closed:
            raise ValueError("the stream is finished: push() after finish() is not allowed")
        if type(chunk) is not np.ndarray:
            if hasattr(chunk, "__dask_graph__"):
                raise TypeError("a stream takes NumPy chunks, not dask arrays; "
                                "compute each chunk first")
            chunk = np.asarray(chunk)
        if self._shape is None:
            self._setup(chunk)
            return chunk
        shape, axis = chunk.shape, self._axis
        if chunk.dtype != self._dtype:
            raise ValueError(f"chunk has dtype {chunk.dtype} but the stream's chunks are "
                             f"{self._dtype}; convert it (nothing was pushed)")
        if len(shape) != self._ndim or shape[:axis] + shape[axis + 1:] != self._other:
            expected = list(self._shape)
            expected[axis] = "n"
            raise ValueError(f"chunk has shape {shape} but the stream's chunks have "
                             f"shape ({', '.join(map(str, expected))}"
                             f"{',' if len(expected) == 1 else ''}) with any n along "
                             f"axis {axis} (nothing was pushed)")
        return chunk

    def push(self, chunk):
        """Append `chunk` along the stream axis; return the outputs now final.

        Parameters
        ----------
        chunk : array_like
            The next samples: the same shape as the first chunk except along
            the stream axis (any length, 0 included), and the same dtype.

        Returns
        -------
        ndarray
            The outputs along the stream axis that no later sample can
            change, in order, following those returned before (length 0
            when there are none yet).

        Raises
        ------
        ValueError
            A chunk of another shape or dtype (the stream is unchanged), or a
            push after :meth:`finish`.

        See Also
        --------
        finish : The outputs that read past the end.

        Examples
        --------
        >>> import numpy as np
        >>> import pyconv
        >>> stream = pyconv.correlate_stream(np.ones(3), mode="constant")
        >>> stream.push(np.array([1.0]))  # output 0 also reads sample 1
        array([], dtype=float64)
        >>> stream.push(np.array([2.0, 3.0]))
        array([3., 6.])
        """
        chunk = self._accept(chunk)
        axis, step, start = self._axis, self._step, self._start
        length = chunk.shape[axis]
        high = self._high
        if high + length > self._capacity or self._buffer is None:
            high = self._room(length)
        end = high + length
        self._buffer[self._prefix + (slice(high, end),)] = chunk
        received = self._received + length
        first = self._emitted * step - self._before  # the next window's first position
        count = (received - 1 + self._before - self._span) // step + 1 - self._emitted
        if first < 0 and received < self._settled or received == 0:
            # The boundary rule at the start still depends on the length (or
            # there is no sample yet: an empty stream has no outputs at all).
            count = 0
        if count > 0 and (received - start >= 2 or not self._line_axis):
            result = self._outputs(self._buffer[self._prefix + (slice(self._low, end),)],
                                   first, count, 0)
        else:
            count = 0
            result = np.empty(self._no_outputs, dtype=self._out_dtype)
        # Computed: now the stream takes the chunk.
        self._high, self._received = end, received
        self._emitted += count
        # Let go of the samples no output to come reads (the buffer's front).
        keep_from = min(first + count * step, received - self._keep)
        if keep_from > start and (not self._wrap or self._may_let_go()):
            self._low += keep_from - start
            self._start = keep_from
        return result

    def _room(self, length):
        """Where the chunk goes: the buffer's end, after making room for it."""
        live = self._high - self._low
        if self._buffer is None or live + length > self._capacity:
            shape = list(self._shape)
            shape[self._axis] = self._capacity = BUFFER_SLACK * (live + length)
            buffer = np.empty(shape, dtype=self._dtype)
        else:
            buffer = self._buffer
        if live:
            buffer[self._prefix + (slice(0, live),)] = self._buffer[
                self._prefix + (slice(self._low, self._high),)]
        self._buffer, self._low, self._high = buffer, 0, live
        return live

    def _may_let_go(self):
        """wrap: whether the buffer may drop its first samples (keeping them
        aside the first time)."""
        if self._received < max(self._after, self._before, self._head_len):
            return False
        if self._head is None:  # the buffer still starts at sample 0
            self._head = _along(self._buffer, self._axis, self._low,
                                self._low + self._head_len).copy()
        return True

    def _outputs(self, view, first, count, after, buffered=True, start=None):
        """Outputs whose windows start at stream positions first, first + stride, ...

        (`count` of them) from `view`, whose first sample is stream position
        `start` (default ``self._start``), with `after` samples of the
        boundary rule past its end. `buffered`: `view` is a view of the
        buffer (the calls on those are kept for the next pushes).
        """
        start = self._start if start is None else start
        if first < start:  # only while the buffer starts at sample 0
            before, skip = start - first, 0
        else:
            before = (start - first) % self._step
            skip = (first - start + before) // self._step
        key = (view.shape[self._axis], self._capacity, before, after) if buffered else None
        result = self._call(view, before, after, key)
        if skip == 0 and result.shape[self._axis] == count:
            return result
        return _along(result, self._axis, skip, skip + count)

    def _call(self, view, before, after, key):
        """The engine on `view`, its stream-axis padding (before, after).

        The first call of each `key` (the view's length along the axis and
        the buffer's, which give its layout, and the padding) is checked
        and planned as any call is; the next ones reuse that problem and
        plan with the new data (a direct plan bound once: only the data
        pointers change). No key: a call made once (finish).
        """
        found = self._calls.get(key)
        if found is not None:
            fields, decision, bound, slot = found
            output = np.empty(fields.output, dtype=self._out_dtype)
            if bound is not None:
                bound.run(view, output)
                return output
            return _plan.run(fields.with_arrays(view, output), decision, slot)
        paddings = list(self._paddings)
        paddings[self._weights_axis] = (before, after)
        a = self._arguments
        problem = normalize(view, self._weights, None, a["mode"], a["cval"], self._origins,
                            axes=a["axes"], stride=a["stride"], dilation=a["dilation"],
                            padding=paddings, workers=a["workers"], method=a["method"],
                            convolution=a["convolution"])
        if key is None or problem.bool_output is not None or problem.output.size == 0 or \
                problem.input is not view:
            return problem.finish(_plan.run(problem))
        decision = _plan.decide(problem)
        method, plan = decision
        bound = None
        if method == "direct" and plan.writes_output:
            bound = direct.Bound(plan, view, problem.output)
        if len(self._calls) >= KEPT_CALLS:
            del self._calls[next(iter(self._calls))]
        # The template keeps no data, only the output's shape where the output goes.
        slot = _fft.SpectrumSlot() if method == "fft" else None
        self._calls[key] = (
            problem._replace(input=None, output=problem.output.shape), decision, bound, slot)
        return _plan.run(problem, decision, slot)

    # ----------------------------------------------------------------------
    # Finishing
    # ----------------------------------------------------------------------

    def finish(self):
        """Return the last outputs and close the stream.

        Returns
        -------
        ndarray
            The outputs not returned by :meth:`push`: those that read past
            the stream's end (and, under ``mode='wrap'`` along the stream
            axis, then the first :attr:`wrapped` outputs, which read it
            too).

        Raises
        ------
        ValueError
            A second finish(), or a stream that was never pushed a chunk
            (its shape is unknown).

        See Also
        --------
        push : The outputs that are final before the end.

        Examples
        --------
        >>> import numpy as np
        >>> import pyconv
        >>> stream = pyconv.correlate_stream(np.ones(3), mode="constant")
        >>> stream.push(np.array([1.0, 2.0, 3.0]))
        array([3., 6.])
        >>> stream.finish()  # output 2 reads past the end (cval)
        array([5.])
        """
        if self._closed:
            raise ValueError("the stream is already finished")
        if self._shape is None:
            raise ValueError("finish() before any push(): the stream does not know the "
                             "shape and dtype of its data; push at least one chunk "
                             "(of length 0 along the axis if there are no samples)")
        n = self._received
        span, step = self._span, self._step
        total = max(0, (n + self._before + self._after - span - 1) // step + 1) if n else 0
        view = _along(self._buffer, self._axis, self._low, self._high)
        if self._start == 0:  # the buffer holds the whole stream: the whole-array call
            a = self._arguments
            whole = filter_any(view, self._weights, None, a["mode"], a["cval"], a["origin"],
                               dict(axes=a["axes"], stride=a["stride"],
                                    dilation=a["dilation"], padding=a["padding"],
                                    workers=a["workers"], method=a["method"],
                                    convolution=a["convolution"]))
            pieces = [_along(whole, self._axis, self._emitted),
                      _along(whole, self._axis, 0, min(self._wrapped, total))]
        else:
            first = self._emitted * step - self._before
            remaining = total - self._emitted
            if not self._wrap:
                pieces = [self._outputs(view, first, remaining, self._after, False)]
            else:
                seam = np.concatenate([view, _along(self._head, self._axis, 0, self._after)],
                                      axis=self._axis)
                pieces = [self._outputs(seam, first, remaining, 0, False)]
                if self._wrapped:
                    # The first outputs: the stream's last `before` samples, then its first.
                    seam = np.concatenate([_along(view, self._axis, view.shape[self._axis]
                                                  - self._before),
                                           self._head], axis=self._axis)
                    pieces.append(self._outputs(seam, -self._before, self._wrapped, 0, False,
                                                start=-self._before))
        self._closed = True
        self._buffer = self._head = None
        self._calls = {}
        return np.concatenate(pieces, axis=self._axis) if len(pieces) > 1 else pieces[0]

    def __deepcopy__(self, memo):
        fork = copy.copy(self)
        fork._arguments = copy.deepcopy(self._arguments, memo)
        fork._weights = self._weights.copy()
        if self._buffer is not None:
            fork._buffer = self._buffer.copy()
        if self._head is not None:
            fork._head = self._head.copy()
        fork._calls = {}  # a bound call's scratch is its own: the fork binds anew
        return fork

    def __repr__(self):
        state = "finished" if self._closed else f"{self._received} samples in"
        return (f"<pyconv.Stream along axis {self._axis_as_written}, delay {self.delay}, "
                f"{state}>")


@fill
def correlate_stream(weights, axis=0, mode="reflect", cval=0.0, origin=0, *, axes=None,
                     stride=1, dilation=1, padding="same", method="auto", workers=None):
    """A stream that correlates data arriving in chunks along `axis`.

    Push chunks in order with :meth:`Stream.push`; each push returns the
    outputs that are final, and :meth:`Stream.finish` the rest. Their
    concatenation along `axis` is :func:`correlate` of the concatenated
    chunks with the same arguments: bitwise with ``method='direct'``, to
    rounding with the FFT. The stream's memory is a few times the kernel's
    span plus one chunk, whatever its length.

    Parameters
    ----------
    weights : array_like
        The kernel, real or complex (conjugated), one axis per filtered axis.
    %(stream_parameters)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    convolve_stream : The same with the kernel flipped.
    correlate : The whole-array call a stream reproduces.
    scipy.signal.lfilter : Streams a causal 1-D FIR filter with ``zi``.

    Notes
    -----
    An output is returned by the push that brings the last sample its
    window reads: ``delay`` samples past its own position (``j * stride``
    for output ``j``; at the start of a stream a little later, see
    :attr:`Stream.delay`). With ``padding='same'`` and an odd kernel of length
    ``k`` along `axis`, that is ``(k - 1) // 2 * dilation``; ``padding='full'``
    returns each output as soon as its sample arrives. The outputs that
    read past the end of the stream (the boundary rule needs the last
    samples) come with :meth:`~Stream.finish`. Under ``mode='wrap'`` along
    `axis` the first :attr:`~Stream.wrapped` outputs read the stream's end
    too: they come last, after the others, from :meth:`~Stream.finish`, so
    the concatenation is the whole result rolled by ``-wrapped`` along
    `axis`.

    Examples
    --------
    >>> import numpy as np
    >>> import pyconv
    >>> x = np.arange(10.0)
    >>> stream = pyconv.correlate_stream([1.0, 2.0, 1.0])
    >>> stream.delay
    1
    >>> pieces = [stream.push(x[:4]), stream.push(x[4:])]
    >>> pieces.append(stream.finish())
    >>> pieces
    [array([1., 4., 8.]), array([12., 16., 20., 24., 28., 32.]), array([35.])]
    >>> np.array_equal(np.concatenate(pieces), pyconv.correlate(x, [1.0, 2.0, 1.0]))
    True
    """
    return Stream(weights, axis, mode, cval, origin, axes, stride, dilation, padding,
                  method, workers, convolution=False)


@fill
def convolve_stream(weights, axis=0, mode="reflect", cval=0.0, origin=0, *, axes=None,
                    stride=1, dilation=1, padding="same", method="auto", workers=None):
    """A stream that convolves data arriving in chunks along `axis`.

    :func:`correlate_stream` with the kernel flipped on every filtered axis
    (and not conjugated): the concatenated outputs are :func:`convolve` of
    the concatenated chunks.

    Parameters
    ----------
    weights : array_like
        The kernel, real or complex, one axis per filtered axis.
    %(stream_parameters)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    correlate_stream : Without the flip; the details.
    convolve : The whole-array call a stream reproduces.

    Examples
    --------
    A causal moving sum (each output as soon as its sample arrives):

    >>> import numpy as np
    >>> import pyconv
    >>> stream = pyconv.convolve_stream(np.ones(3), padding=[(2, 0)], mode="constant")
    >>> stream.push(np.array([1.0, 2.0]))
    array([1., 3.])
    >>> stream.push(np.array([3.0, 4.0]))
    array([6., 9.])
    >>> stream.finish()
    array([], dtype=float64)
    """
    return Stream(weights, axis, mode, cval, origin, axes, stride, dilation, padding,
                  method, workers, convolution=True)
