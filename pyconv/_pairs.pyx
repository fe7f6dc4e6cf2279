"""Real tiles in pairs, as complex transforms: the FFT method's packing copy.

``_fft`` puts two real units (tiles or batch indices) into one complex
transform, one as the real part and its neighbour as the imaginary part.
NumPy does that copy as two strided passes, one element at a time, over the
packed array; this loop writes each complex value once, from the two tiles
side by side, in well under half NumPy's time (docs/dev/performance_notes.rst).
It runs without the GIL, so the boxes of several threads pack at the same
time.
"""

import numpy as np

cimport numpy as cnp

cnp.import_array()

# The loops take a null `real_t *kind` only to pick their specialisation.
ctypedef fused real_t:
    float
    double


def _row_offsets(shape, strides):
    """Byte offset of every index of the axes `shape` (C order), as intp."""
    offsets = np.zeros(1, dtype=np.intp)
    for n, step in zip(shape, strides):
        offsets = (offsets[:, None] + np.arange(n, dtype=np.intp) * step).ravel()
    return offsets


cdef void _pack(real_t *kind, const char *tiles, char *packed,
                Py_ssize_t count, Py_ssize_t tile_unit, Py_ssize_t packed_unit,
                const Py_ssize_t *tile_rows, const Py_ssize_t *packed_rows,
                Py_ssize_t rows, Py_ssize_t n, Py_ssize_t tile_step,
                Py_ssize_t packed_step) noexcept nogil:
    """Unit 2p of `tiles` to the real parts of unit p of `packed`, 2p + 1 to the
    imaginary parts (0 past the last unit); steps and offsets in bytes."""
    cdef Py_ssize_t p, r, j, odd_step
    cdef const real_t *even
    cdef const real_t *odd
    cdef real_t *out
    cdef real_t zero = 0
    for p in range((count + 1) // 2):
        for r in range(rows):
            even = <const real_t *> (tiles + 2 * p * tile_unit + tile_rows[r])
            odd, odd_step = &zero, 0  # an odd count's last unit: paired with zeros
            if 2 * p + 1 < count:
                odd = <const real_t *> (tiles + (2 * p + 1) * tile_unit + tile_rows[r])
                odd_step = tile_step
            out = <real_t *> (packed + p * packed_unit + packed_rows[r])
            if (tile_step == sizeof(real_t) and odd_step == tile_step
                    and packed_step == 2 * sizeof(real_t)):
                for j in range(n):
                    out[2 * j] = even[j]
                    out[2 * j + 1] = odd[j]
            else:
                for j in range(n):
                    (<real_t *> (<char *> out + j * packed_step))[0] = (
                        (<const real_t *> (<const char *> even + j * tile_step))[0])
                    (<real_t *> (<char *> out + j * packed_step))[1] = (
                        (<const real_t *> (<const char *> odd + j * odd_step))[0])


def pack_pairs(tiles, Py_ssize_t unit, packed):
    """Fill `packed` with the units of `tiles` along axis `unit`, in pairs.

    `tiles`: float32 or float64, any strides (windows of the input may
    overlap); `packed`: the matching complex dtype, aligned, with the shape
    of `tiles` but ``(count + 1) // 2`` units. Unit 2p of `tiles` becomes the
    real part of unit p, unit 2p + 1 its imaginary part, 0 when the count is
    odd. The inner loop runs along the last remaining axis.
    """
    if tiles.ndim < 2 or not tiles.flags.aligned:
        raise ValueError("pack_pairs: tiles must be aligned, with a unit axis and another")
    t = np.moveaxis(tiles, unit, 0)
    k = np.moveaxis(packed, unit, 0)
    count = t.shape[0]
    expected = (-(-count // 2),) + t.shape[1:]
    if k.shape != expected or k.dtype != np.result_type(t.dtype, np.complex64) \
            or t.dtype not in (np.float32, np.float64) or not k.flags.aligned \
            or not k.flags.writeable:
        raise ValueError("pack_pairs: packed must be a writeable, aligned complex "
                         f"array of shape {expected} for float {t.dtype} tiles")
    if t.size == 0:
        return
    last = t.ndim - 1  # (wraparound is off: no negative indices)
    cdef cnp.ndarray tile_rows = _row_offsets(t.shape[1:last], t.strides[1:last])
    cdef cnp.ndarray packed_rows = _row_offsets(k.shape[1:last], k.strides[1:last])
    cdef const char *tile_data = <const char *> cnp.PyArray_DATA(<cnp.ndarray> t)
    cdef char *packed_data = <char *> cnp.PyArray_DATA(<cnp.ndarray> k)
    cdef const Py_ssize_t *tile_offsets = <const Py_ssize_t *> cnp.PyArray_DATA(tile_rows)
    cdef const Py_ssize_t *packed_offsets = <const Py_ssize_t *> cnp.PyArray_DATA(packed_rows)
    cdef Py_ssize_t rows = tile_rows.shape[0]
    cdef Py_ssize_t n = t.shape[t.ndim - 1]
    cdef Py_ssize_t tile_unit = t.strides[0], packed_unit = k.strides[0]
    cdef Py_ssize_t tile_step = t.strides[t.ndim - 1]
    cdef Py_ssize_t packed_step = k.strides[k.ndim - 1]
    cdef Py_ssize_t c_count = count
    if t.dtype == np.float64:
        with nogil:
            _pack(<double *> NULL, tile_data, packed_data, c_count, tile_unit, packed_unit,
                  tile_offsets, packed_offsets, rows, n, tile_step, packed_step)
    else:
        with nogil:
            _pack(<float *> NULL, tile_data, packed_data, c_count, tile_unit, packed_unit,
                  tile_offsets, packed_offsets, rows, n, tile_step, packed_step)


cdef void _unpack(real_t *kind, const char *values, char *target, Py_ssize_t odd_offset,
                  const Py_ssize_t *value_rows, const Py_ssize_t *target_rows,
                  Py_ssize_t rows, Py_ssize_t n, Py_ssize_t value_step,
                  Py_ssize_t target_step) noexcept nogil:
    """Real parts of `values` to `target`, imaginary parts `odd_offset` bytes
    further on; steps and offsets in bytes."""
    cdef Py_ssize_t r, j
    cdef const real_t *source
    cdef real_t *even
    cdef real_t *odd
    for r in range(rows):
        source = <const real_t *> (values + value_rows[r])
        even = <real_t *> (target + target_rows[r])
        odd = <real_t *> (target + target_rows[r] + odd_offset)
        if value_step == 2 * sizeof(real_t) and target_step == sizeof(real_t):
            for j in range(n):
                even[j] = source[2 * j]
                odd[j] = source[2 * j + 1]
        else:
            for j in range(n):
                (<real_t *> (<char *> even + j * target_step))[0] = (
                    (<const real_t *> (<const char *> source + j * value_step))[0])
                (<real_t *> (<char *> odd + j * target_step))[0] = (
                    (<const real_t *> (<const char *> source + j * value_step))[1])


def unpack_pairs(values, target, Py_ssize_t odd_offset):
    """The inverse of `pack_pairs`, into the output: every element of complex
    `values` stored as two reals, its real part at the same index of `target`
    (an aligned, writeable view with the same shape, of the matching real
    dtype) and its imaginary part `odd_offset` bytes past that: the same
    position of the next unit, whose view `target` does not show.
    """
    if values.shape != target.shape or values.ndim < 1 or target.dtype.kind != "f" \
            or values.dtype != np.result_type(target.dtype, np.complex64) \
            or not (values.flags.aligned and target.flags.aligned
                    and target.flags.writeable):
        raise ValueError("unpack_pairs: values must be complex, and target an aligned, "
                         "writeable view of the same shape and matching real dtype")
    if values.size == 0:
        return
    last = values.ndim - 1  # (wraparound is off: no negative indices)
    cdef cnp.ndarray value_rows = _row_offsets(values.shape[:last], values.strides[:last])
    cdef cnp.ndarray target_rows = _row_offsets(target.shape[:last], target.strides[:last])
    cdef const char *value_data = <const char *> cnp.PyArray_DATA(<cnp.ndarray> values)
    cdef char *target_data = <char *> cnp.PyArray_DATA(<cnp.ndarray> target)
    cdef const Py_ssize_t *value_offsets = <const Py_ssize_t *> cnp.PyArray_DATA(value_rows)
    cdef const Py_ssize_t *target_offsets = <const Py_ssize_t *> cnp.PyArray_DATA(target_rows)
    cdef Py_ssize_t rows = value_rows.shape[0]
    cdef Py_ssize_t n = values.shape[values.ndim - 1]
    cdef Py_ssize_t value_step = values.strides[values.ndim - 1]
    cdef Py_ssize_t target_step = target.strides[target.ndim - 1]
    if target.dtype == np.float64:
        with nogil:
            _unpack(<double *> NULL, value_data, target_data, odd_offset, value_offsets,
                    target_offsets, rows, n, value_step, target_step)
    else:
        with nogil:
            _unpack(<float *> NULL, value_data, target_data, odd_offset, value_offsets,
                    target_offsets, rows, n, value_step, target_step)
