# The boundary rule, in one place: which input index a position past the edge
# of an axis reads. Every kernel inlines extend_index; _boundary.pyx exposes it
# to Python (for tests and planning) and publishes the mode codes.

cpdef enum Mode:
    REFLECT = 0     # d c b a | a b c d | d c b a   (period 2n)
    CONSTANT = 1    # k k k k | a b c d | k k k k   (k = cval)
    NEAREST = 2     # a a a a | a b c d | d d d d
    MIRROR = 3      # d c b | a b c d | c b a       (period 2n - 2)
    WRAP = 4        # a b c d | a b c d | a b c d   (period n)


cdef inline Py_ssize_t positive_mod(Py_ssize_t a, Py_ssize_t m) noexcept nogil:
    # C's % keeps the sign of the dividend (the modules use cdivision).
    cdef Py_ssize_t r = a % m
    return r + m if r < 0 else r


cdef inline Py_ssize_t extend_index(Py_ssize_t pos, Py_ssize_t n, int mode) noexcept nogil:
    """Index read at position `pos` of an axis of length n >= 1, or -1 for cval.

    Exact for any distance past either edge: the periodic modes reduce `pos`
    modulo their period instead of reflecting once.
    """
    cdef Py_ssize_t q
    if 0 <= pos < n:
        return pos
    if mode == CONSTANT:
        return -1
    if mode == NEAREST:
        return 0 if pos < 0 else n - 1
    if mode == WRAP:
        return positive_mod(pos, n)
    if mode == REFLECT:
        q = positive_mod(pos, 2 * n)
        return q if q < n else 2 * n - 1 - q
    # MIRROR: the edge sample is not repeated; one sample mirrors onto itself.
    if n == 1:
        return 0
    q = positive_mod(pos, 2 * n - 2)
    return q if q < n else 2 * n - 2 - q
