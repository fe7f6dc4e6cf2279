"""Mode codes and the boundary rule, seen from Python.

The rule itself is ``extend_index`` in ``_boundary.pxd``, inlined into the
kernels; this module publishes the integer mode codes (``Mode``) and a
vectorised wrapper used by the tests and by planning code.
"""

import numpy as np

cimport numpy as cnp

cnp.import_array()


def extend_indices(positions, Py_ssize_t n, int mode):
    """Indices that `positions` read on an axis of length ``n >= 1``.

    Returns an ``intp`` array of the same shape; ``-1`` marks a position that
    reads ``cval`` (``Mode.CONSTANT`` past an edge).
    """
    if n < 1:
        raise ValueError(f"axis length must be >= 1, got {n}")
    if mode not in Mode.__members__.values():
        raise ValueError(f"unknown mode code {mode}")
    cdef cnp.ndarray pos = np.ascontiguousarray(positions, dtype=np.intp)
    cdef cnp.ndarray result = np.empty_like(pos)
    cdef const Py_ssize_t* src = <const Py_ssize_t*> cnp.PyArray_DATA(pos)
    cdef Py_ssize_t* dst = <Py_ssize_t*> cnp.PyArray_DATA(result)
    cdef Py_ssize_t i, size = pos.size
    with nogil:
        for i in range(size):
            dst[i] = extend_index(src[i], n, mode)
    return result
