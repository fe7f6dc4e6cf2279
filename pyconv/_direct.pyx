"""The direct method: correlation as a loop nest over output lines.

Scheme
------
Every axis is treated as filtered; a batch axis is a filtered axis with a
one-tap kernel, no padding and stride 1. The axes are permuted (as views) so
that the *line axis* -- the input's most contiguous axis -- comes last.

Each output value is the sum, in a fixed order, of ``w[t] * x[j*stride +
t*dilation]`` over every non-zero tap of every *kernel row* (a fixed tap on
every other axis); a row reads one input line, picked through the boundary
rule of each other axis. The sums run in blocks of outputs held in
registers (_blocks.h), so each output is stored once.

The output is cut into independent work items, in one of three ways
(_layout.lay_out chooses):

* Lines: one output line times one *chunk* of it. Outputs whose window lies
  inside a contiguous input line of the working dtype read it in place; the
  rest of the chunk (its edges, widened to a vector's worth, or all of it
  for a converted dtype or strided lines) first gathers what it reads into
  a per-thread buffer: the contiguous range of positions, or one run per
  tap when stride or dilation make that range much longer than what the
  taps read.
* Gathered strips: a strip of output lines along axis ndim - 2 (times a
  chunk). Every input line the strip reads is gathered once, and each
  output line reads all its rows there in place -- the same terms in the
  same order as the line loop, for short lines (whose edges weigh) and
  converted inputs (converted once, not once per kernel row).
* Separable strips: for w = outer(a, b), b along the line once per input
  line the strip reads, then a across those filtered lines.

Positions past an edge go through ``extend_index`` (any distance is exact),
dtypes are converted as lines are gathered, and nothing the size of the
input is ever copied. 8-bit inputs whose kernel is a scale times small
integers (_layout.integer_kernel) sum exactly in int16, scaled on the way
out. Each item is computed by one thread in a fixed order,
and the cut into items does not depend on the thread count, so results are
bitwise identical for any ``workers``. Items run in chunks; between chunks
the GIL is taken to let Ctrl-C through.
"""

import numpy as np

cimport numpy as cnp
from cython.parallel cimport parallel, prange, threadid
from libc.math cimport nearbyint, nearbyintf
from libc.string cimport memcpy
from libc.stdint cimport (
    INT8_MAX, INT8_MIN, INT16_MAX, INT16_MIN, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN,
    UINT8_MAX, UINT16_MAX, UINT32_MAX, UINT64_MAX,
    int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t,
)

from pyconv._boundary cimport extend_index
from pyconv._layout import intp_array, lay_out

cnp.import_array()

cdef extern from "Python.h":
    int PyErr_CheckSignals() except -1


# --------------------------------------------------------------------------
# Types
# --------------------------------------------------------------------------

# Working precision: what the kernels accumulate in. int16: exact sums of
# 8-bit data with small integer weights, scaled on the way out (Plan.scale).
ctypedef fused W:
    float
    double
    float complex
    double complex
    int16_t

# What the kernels can read (gather converts on the fly).
ctypedef fused In:
    int8_t
    uint8_t
    int16_t
    uint16_t
    int32_t
    uint32_t
    int64_t
    uint64_t
    float
    double
    float complex
    double complex

ctypedef fused OutFloat:
    float
    double
    float complex
    double complex

ctypedef fused OutInt:
    int8_t
    uint8_t
    int16_t
    uint16_t
    int32_t
    uint32_t
    int64_t
    uint64_t


cpdef enum TypeCode:
    INT8
    UINT8
    INT16
    UINT16
    INT32
    UINT32
    INT64
    UINT64
    FLOAT32
    FLOAT64
    COMPLEX64
    COMPLEX128
    FLOAT16


TYPE_CODES = {
    np.dtype(np.int8): TypeCode.INT8,
    np.dtype(np.uint8): TypeCode.UINT8,
    np.dtype(np.int16): TypeCode.INT16,
    np.dtype(np.uint16): TypeCode.UINT16,
    np.dtype(np.int32): TypeCode.INT32,
    np.dtype(np.uint32): TypeCode.UINT32,
    np.dtype(np.int64): TypeCode.INT64,
    np.dtype(np.uint64): TypeCode.UINT64,
    np.dtype(np.float32): TypeCode.FLOAT32,
    np.dtype(np.float64): TypeCode.FLOAT64,
    np.dtype(np.complex64): TypeCode.COMPLEX64,
    np.dtype(np.complex128): TypeCode.COMPLEX128,
    np.dtype(np.float16): TypeCode.FLOAT16,  # read and written as float32 (W float)
}

# numpy's limit on dimensions (NPY_MAXDIMS is 64 in numpy 2, 32 before).
DEF MAX_DIMS = 64


ctypedef struct Plan:
    int ndim                          # the line axis is ndim - 1
    const char* input
    int input_type
    Py_ssize_t input_itemsize         # bytes per unit of in_strides (1: see irregular)
    bint input_irregular              # byte-swapped or misaligned: read through a copy
    bint input_swapped                # ... with each component's bytes reversed
    Py_ssize_t input_element_size     # ... bytes per element
    const Py_ssize_t* in_shape
    const Py_ssize_t* in_strides      # in units of input_itemsize
    char* output
    int output_type
    Py_ssize_t output_itemsize
    bint output_is_accumulator        # working dtype, unit stride along the line
    float scale                       # int16 work: output = scale * the integer sum
    const Py_ssize_t* out_shape
    const Py_ssize_t* out_strides     # in elements
    const Py_ssize_t* stride
    const Py_ssize_t* dilation
    const Py_ssize_t* before
    const int* mode
    Py_ssize_t span                   # dilation * (taps - 1) along the line
    Py_ssize_t n_rows
    Py_ssize_t max_taps
    const Py_ssize_t* row_outer_taps  # n_rows x (ndim - 1)
    const Py_ssize_t* row_n_taps      # n_rows
    const Py_ssize_t* row_offsets     # n_rows x max_taps: tap * dilation on the line
    const void* row_weights           # n_rows x max_taps, working dtype
    bint skip_constant_rows           # cval == 0 and every weight finite
    Py_ssize_t n_segments             # chunks of an output line, one per work item
    const Py_ssize_t* seg_start
    const Py_ssize_t* seg_len
    Py_ssize_t interior_low           # outputs [low, high) have their window inside
    Py_ssize_t interior_high
    bint in_place                     # the input's lines can be read where they are
    Py_ssize_t max_taps_on_line       # most taps a gathered line holds (per-tap layout)
    Py_ssize_t edge_piece             # fewest outputs an edge piece takes (see pieces)
    Py_ssize_t buf_len                # values per gathered row (per-thread scratch)
    # Strips of output lines along axis ndim - 2 (see _layout.Strips):
    int strips                        # NO_STRIPS, SEPARABLE_STRIPS or GATHERED_STRIPS
    Py_ssize_t strip_group            # output lines per strip
    Py_ssize_t strip_n_other          # combinations of taps on axes before ndim - 2
    const Py_ssize_t* strip_other_taps  # n_other x (ndim - 2): each combination's taps
    Py_ssize_t strip_positions        # buffered lines per combination
    Py_ssize_t strip_line_len         # values per buffered line (gathered strips)
    const uint8_t* strip_phase_read   # gathered: per phase along the line, a tap reads it
    # ... separable, w = a (outer taps) x b (line taps):
    Py_ssize_t sep_outer_taps         # taps on axis ndim - 2
    const void* sep_outer_weights     # a: n_other x outer_taps
    Py_ssize_t sep_line_taps          # non-zero taps of b
    const Py_ssize_t* sep_line_offsets  # tap * dilation along the line
    const void* sep_line_weights      # b
    # ... gathered: each kernel row's combination and its tap on axis ndim - 2
    const Py_ssize_t* row_other
    const Py_ssize_t* row_strip_tap


cdef enum:
    NO_STRIPS = 0
    SEPARABLE_STRIPS = 1
    GATHERED_STRIPS = 2


# --------------------------------------------------------------------------
# Reading: convert a run of input elements to the working dtype
# --------------------------------------------------------------------------

cdef inline void copy_run(W* dst, const In* src, Py_ssize_t step,
                          Py_ssize_t count) noexcept nogil:
    cdef Py_ssize_t q
    if (W is float or W is double or W is int16_t) and (
            In is floatcomplex or In is doublecomplex):
        return  # unreachable: complex data always works in a complex dtype
    else:
        if step == 1:
            for q in range(count):
                dst[q] = <W> src[q]
        elif step == 2:  # a constant stride vectorises (gathered strips' phases)
            for q in range(count):
                dst[q] = <W> src[2 * q]
        else:
            for q in range(count):
                dst[q] = <W> src[q * step]


cdef extern from "_half.h":
    float pyconv_half_to_float(uint16_t half) noexcept nogil
    uint16_t pyconv_float_to_half(float value) noexcept nogil


cdef inline void copy_half(W* dst, const uint16_t* src, Py_ssize_t step,
                           Py_ssize_t count) noexcept nogil:
    cdef Py_ssize_t q
    for q in range(count):
        dst[q] = <W> pyconv_half_to_float(src[q * step])


cdef inline void convert(W* dst, const char* src, Py_ssize_t step, Py_ssize_t count,
                         int in_type) noexcept nogil:
    # `step` counts elements of the input dtype.
    if in_type == FLOAT16:
        copy_half(dst, <const uint16_t*> src, step, count)
    elif in_type == FLOAT32:
        copy_run(dst, <const float*> src, step, count)
    elif in_type == FLOAT64:
        copy_run(dst, <const double*> src, step, count)
    elif in_type == COMPLEX64:
        copy_run(dst, <const float complex*> src, step, count)
    elif in_type == COMPLEX128:
        copy_run(dst, <const double complex*> src, step, count)
    elif in_type == UINT8:
        copy_run(dst, <const uint8_t*> src, step, count)
    elif in_type == INT8:
        copy_run(dst, <const int8_t*> src, step, count)
    elif in_type == UINT16:
        copy_run(dst, <const uint16_t*> src, step, count)
    elif in_type == INT16:
        copy_run(dst, <const int16_t*> src, step, count)
    elif in_type == UINT32:
        copy_run(dst, <const uint32_t*> src, step, count)
    elif in_type == INT32:
        copy_run(dst, <const int32_t*> src, step, count)
    elif in_type == UINT64:
        copy_run(dst, <const uint64_t*> src, step, count)
    else:
        copy_run(dst, <const int64_t*> src, step, count)


cdef void convert_irregular(W* dst, const char* src, Py_ssize_t byte_step,
                            Py_ssize_t count, const Plan* p) noexcept nogil:
    # Byte-swapped or misaligned elements: each copied into aligned storage
    # (bytes reversed within each real component when swapped), then read.
    cdef double storage[2]  # the largest element, complex128, aligned
    cdef char* element = <char*> storage
    cdef Py_ssize_t q, b, part, size = p.input_element_size
    cdef Py_ssize_t component = size // 2 if p.input_type in (COMPLEX64, COMPLEX128) else size
    cdef const char* source
    for q in range(count):
        source = src + q * byte_step
        if p.input_swapped:
            part = 0
            while part < size:
                for b in range(component):
                    element[part + b] = source[part + component - 1 - b]
                part += component
        else:
            memcpy(element, source, size)
        convert(dst + q, element, 1, 1, p.input_type)


cdef inline void read_run(W* dst, const char* src, Py_ssize_t step, Py_ssize_t count,
                          const Plan* p) noexcept nogil:
    # `step` counts units of in_strides (bytes for an irregular input).
    if p.input_irregular:
        convert_irregular(dst, src, step, count, p)
    else:
        convert(dst, src, step, count, p.input_type)


cdef void gather(W* dst, Py_ssize_t count, Py_ssize_t first, Py_ssize_t step,
                 const Plan* p, const char* line, W cval) noexcept nogil:
    """dst[q] = x_ext[first + q*step] along the line axis, q in [0, count)."""
    cdef int axis = p.ndim - 1
    cdef Py_ssize_t n = p.in_shape[axis]
    cdef Py_ssize_t elem_stride = p.in_strides[axis]
    cdef Py_ssize_t bytes_stride = elem_stride * p.input_itemsize
    cdef Py_ssize_t q, q_low, q_high, index
    # Positions grow with q: some before the edge, a run inside, some after.
    q_low = 0 if first >= 0 else (step - 1 - first) // step
    q_high = (n - first + step - 1) // step if first < n else 0
    q_low = min(q_low, count)
    q_high = max(q_low, min(q_high, count))
    if q_high > q_low:
        read_run(dst + q_low, line + (first + q_low * step) * bytes_stride,
                 step * elem_stride, q_high - q_low, p)
    for q in range(q_low):
        index = extend_index(first + q * step, n, p.mode[axis])
        if index < 0:
            dst[q] = cval
        else:
            read_run(dst + q, line + index * bytes_stride, 1, 1, p)
    for q in range(q_high, count):
        index = extend_index(first + q * step, n, p.mode[axis])
        if index < 0:
            dst[q] = cval
        else:
            read_run(dst + q, line + index * bytes_stride, 1, 1, p)


# --------------------------------------------------------------------------
# Writing: working dtype to the output dtype (round and saturate integers)
# --------------------------------------------------------------------------

cdef inline void store_float(OutFloat* out, Py_ssize_t step, const W* acc,
                             Py_ssize_t count) noexcept nogil:
    cdef Py_ssize_t q
    if (W is floatcomplex or W is doublecomplex) and (OutFloat is float or OutFloat is double):
        return  # unreachable: complex results always go to a complex output
    elif step == 1:
        for q in range(count):
            out[q] = <OutFloat> acc[q]
    else:
        for q in range(count):
            out[q * step] = <OutFloat> acc[q]


cdef inline void int_limits(OutInt* lowest, OutInt* highest) noexcept nogil:
    if OutInt is int8_t:
        lowest[0] = INT8_MIN
        highest[0] = INT8_MAX
    elif OutInt is uint8_t:
        lowest[0] = 0
        highest[0] = UINT8_MAX
    elif OutInt is int16_t:
        lowest[0] = INT16_MIN
        highest[0] = INT16_MAX
    elif OutInt is uint16_t:
        lowest[0] = 0
        highest[0] = UINT16_MAX
    elif OutInt is int32_t:
        lowest[0] = INT32_MIN
        highest[0] = INT32_MAX
    elif OutInt is uint32_t:
        lowest[0] = 0
        highest[0] = UINT32_MAX
    elif OutInt is int64_t:
        lowest[0] = INT64_MIN
        highest[0] = INT64_MAX
    else:
        lowest[0] = 0
        highest[0] = UINT64_MAX


cdef inline void store_int(OutInt* out, Py_ssize_t step, const W* acc,
                           Py_ssize_t count) noexcept nogil:
    # Round half to even, then saturate; NaN becomes 0.
    cdef Py_ssize_t q, done
    cdef OutInt lowest, highest
    cdef W value, low, high
    if W is floatcomplex or W is doublecomplex or W is int16_t:
        return  # unreachable: complex results go to a complex output; store scales int16
    else:
        int_limits(&lowest, &highest)
        low = <W> lowest
        high = <W> highest
        if sizeof(OutInt) < 8:
            # The limits are exact in W and integers, so clamping before
            # rounding is the same as after; branch-free. On an AVX2 build,
            # float32 sums to 8/16 bits go through _store_small_int.h, whole
            # vectors at a time (8- and 16-bit images are the common case).
            if step == 1:
                done = 0
                if W is float and sizeof(OutInt) <= 2:
                    done = pyconv_store_small_int(<char*> out, acc, NULL, 1, count,
                                                  sizeof(OutInt), lowest < 0)
                for q in range(done, count):
                    value = acc[q] if acc[q] == acc[q] else 0
                    value = value if value > low else low
                    value = value if value < high else high
                    out[q] = <OutInt> (nearbyintf(value) if W is float else nearbyint(value))
            else:
                for q in range(count):
                    value = acc[q] if acc[q] == acc[q] else 0
                    value = value if value > low else low
                    value = value if value < high else high
                    out[q * step] = <OutInt> (nearbyintf(value) if W is float else nearbyint(value))
        else:
            # 64-bit limits round up to 2**63 / 2**64 in W, so "value >= high"
            # is the exact saturation test and every value below it converts.
            for q in range(count):
                value = nearbyint(acc[q]) if W is double else nearbyintf(acc[q])
                if value != value:
                    out[q * step] = 0
                elif value >= high:
                    out[q * step] = highest
                elif value <= low:
                    out[q * step] = lowest
                else:
                    out[q * step] = <OutInt> value


cdef inline void store(char* out, Py_ssize_t step, const W* acc, Py_ssize_t count,
                       const Plan* p) noexcept nogil:
    cdef int out_type = p.output_type
    cdef float scaled[256]
    cdef Py_ssize_t done, n
    if W is int16_t:
        # Exact integer sums: times the scale in float32 (one rounding), then
        # stored as a float32 sum would be: to 8/16 bits in whole vectors on
        # AVX2, else (and the tail) a stack-sized block at a time.
        done = 0
        if step == 1 and out_type in (UINT8, INT8, UINT16, INT16):
            done = pyconv_store_small_int(out, NULL, acc, p.scale, count, p.output_itemsize,
                                          out_type in (INT8, INT16))
        while done < count:
            n = min(256, count - done)
            pyconv_scale_i16(scaled, acc + done, n, p.scale)
            store_values(out + done * step * p.output_itemsize, step, scaled, n, p)
            done += n
    else:
        store_values(out, step, acc, count, p)


cdef inline void store_values(char* out, Py_ssize_t step, const W* acc, Py_ssize_t count,
                              const Plan* p) noexcept nogil:
    cdef int out_type = p.output_type
    cdef Py_ssize_t q
    if W is int16_t:
        return  # unreachable: store scales integer sums first
    elif out_type == FLOAT16:
        if W is float:  # (a float16 output always works in float32)
            for q in range(count):
                (<uint16_t*> out)[q * step] = pyconv_float_to_half(acc[q])
    elif out_type == FLOAT32:
        store_float(<float*> out, step, acc, count)
    elif out_type == FLOAT64:
        store_float(<double*> out, step, acc, count)
    elif out_type == COMPLEX64:
        store_float(<float complex*> out, step, acc, count)
    elif out_type == COMPLEX128:
        store_float(<double complex*> out, step, acc, count)
    elif out_type == UINT8:
        store_int(<uint8_t*> out, step, acc, count)
    elif out_type == INT8:
        store_int(<int8_t*> out, step, acc, count)
    elif out_type == UINT16:
        store_int(<uint16_t*> out, step, acc, count)
    elif out_type == INT16:
        store_int(<int16_t*> out, step, acc, count)
    elif out_type == UINT32:
        store_int(<uint32_t*> out, step, acc, count)
    elif out_type == INT32:
        store_int(<int32_t*> out, step, acc, count)
    elif out_type == UINT64:
        store_int(<uint64_t*> out, step, acc, count)
    else:
        store_int(<int64_t*> out, step, acc, count)


# --------------------------------------------------------------------------
# The hot loop: out[j] = sum over taps, in order, of w[t] * src_t[j * step_t]
# --------------------------------------------------------------------------

cdef extern from "_blocks.h":
    # Blocked sums for float32 / float64 / int16: GCC/Clang vector extensions
    # or portable C loops, one contract (see the header's note).
    enum: PYCONV_VECTOR_F64
    enum: PYCONV_VECTOR_F32
    enum: PYCONV_BLOCK_REALS_F64
    enum: PYCONV_BLOCK_REALS_F32
    void pyconv_accumulate_f64(double* out, Py_ssize_t count, const double** sources,
                               const Py_ssize_t* steps, const double* weights,
                               Py_ssize_t n_taps, int unit_steps) noexcept nogil
    void pyconv_accumulate_f32(float* out, Py_ssize_t count, const float** sources,
                               const Py_ssize_t* steps, const float* weights,
                               Py_ssize_t n_taps, int unit_steps) noexcept nogil
    void pyconv_unit8_f64(double* out, Py_ssize_t j, const double** sources,
                          const double* weights, Py_ssize_t n_taps) noexcept nogil
    void pyconv_unit8_f32(float* out, Py_ssize_t j, const float** sources,
                          const float* weights, Py_ssize_t n_taps) noexcept nogil
    Py_ssize_t pyconv_store_small_int(char* out, const float* acc, const int16_t* sums,
                                      float scale, Py_ssize_t count, int bytes,
                                      int is_signed) noexcept nogil
    enum: PYCONV_VECTOR_I16
    void pyconv_accumulate_i16(int16_t* out, Py_ssize_t count, const int16_t** sources,
                               const Py_ssize_t* steps, const int16_t* weights,
                               Py_ssize_t n_taps, int unit_steps) noexcept nogil
    void pyconv_scale_i16(float* dst, const int16_t* src, Py_ssize_t count,
                          float scale) noexcept nogil


cdef inline void accumulate_taps(W* out, Py_ssize_t count, const W** sources,
                                 const Py_ssize_t* steps, const W* weights,
                                 Py_ssize_t n_taps, bint unit_steps,
                                 void* parts) noexcept nogil:
    # Register blocks for a vector's worth of outputs or more (_blocks.h);
    # fewer (a short edge piece or line) add the same terms in the same
    # order, output by output. `parts`: scratch for complex weights.
    cdef Py_ssize_t j = 0, t
    cdef W total
    if W is floatcomplex or W is doublecomplex:
        accumulate_complex(out, count, sources, steps, weights, n_taps, unit_steps, parts)
        return
    if W is double:
        if count >= PYCONV_VECTOR_F64:
            pyconv_accumulate_f64(out, count, sources, steps, weights, n_taps, unit_steps)
            return
    elif W is float:
        if count >= PYCONV_VECTOR_F32:
            pyconv_accumulate_f32(out, count, sources, steps, weights, n_taps, unit_steps)
            return
    elif W is int16_t:
        if count >= PYCONV_VECTOR_I16:
            pyconv_accumulate_i16(out, count, sources, steps, weights, n_taps, unit_steps)
            return
    while j < count:
        total = 0
        for t in range(n_taps):
            total = total + weights[t] * sources[t][j * steps[t]]
        out[j] = total
        j += 1


cdef inline void accumulate_complex(W* out, Py_ssize_t count, const W** sources,
                                    const Py_ssize_t* steps, const W* weights,
                                    Py_ssize_t n_taps, bint unit_steps,
                                    void* parts) noexcept nogil:
    # A complex sum as two real ones over the interleaved (re, im) values:
    # P = sum Re(w) x and Q = sum Im(w) x, out = (P.re - Q.im) + i (P.im + Q.re).
    # With unit steps the interleaved values are contiguous reals and the
    # real register blocks do the work; the tail forms the very same sums.
    cdef Py_ssize_t j = 0, t, k, index
    cdef double pd[PYCONV_BLOCK_REALS_F64]
    cdef double qd[PYCONV_BLOCK_REALS_F64]
    cdef float pf[PYCONV_BLOCK_REALS_F32]
    cdef float qf[PYCONV_BLOCK_REALS_F32]
    cdef double p_re, p_im, q_re, q_im
    cdef float pf_re, pf_im, qf_re, qf_im
    cdef double* real_d = <double*> parts
    cdef double* imag_d = real_d + n_taps
    cdef float* real_f = <float*> parts
    cdef float* imag_f = real_f + n_taps
    if W is doublecomplex:
        if unit_steps:
            for t in range(n_taps):
                real_d[t] = weights[t].real
                imag_d[t] = weights[t].imag
            while j + PYCONV_BLOCK_REALS_F64 // 2 <= count:
                pyconv_unit8_f64(pd, 2 * j, <const double**> sources, real_d, n_taps)
                pyconv_unit8_f64(qd, 2 * j, <const double**> sources, imag_d, n_taps)
                for k in range(PYCONV_BLOCK_REALS_F64 // 2):
                    out[j + k].real = pd[2 * k] - qd[2 * k + 1]
                    out[j + k].imag = pd[2 * k + 1] + qd[2 * k]
                j += PYCONV_BLOCK_REALS_F64 // 2
        while j < count:
            p_re = p_im = q_re = q_im = 0
            for t in range(n_taps):
                index = j * steps[t]
                p_re = p_re + weights[t].real * sources[t][index].real
                p_im = p_im + weights[t].real * sources[t][index].imag
                q_re = q_re + weights[t].imag * sources[t][index].real
                q_im = q_im + weights[t].imag * sources[t][index].imag
            out[j].real = p_re - q_im
            out[j].imag = p_im + q_re
            j += 1
    elif W is floatcomplex:
        if unit_steps:
            for t in range(n_taps):
                real_f[t] = weights[t].real
                imag_f[t] = weights[t].imag
            while j + PYCONV_BLOCK_REALS_F32 // 2 <= count:
                pyconv_unit8_f32(pf, 2 * j, <const float**> sources, real_f, n_taps)
                pyconv_unit8_f32(qf, 2 * j, <const float**> sources, imag_f, n_taps)
                for k in range(PYCONV_BLOCK_REALS_F32 // 2):
                    out[j + k].real = pf[2 * k] - qf[2 * k + 1]
                    out[j + k].imag = pf[2 * k + 1] + qf[2 * k]
                j += PYCONV_BLOCK_REALS_F32 // 2
        while j < count:
            pf_re = pf_im = qf_re = qf_im = 0
            for t in range(n_taps):
                index = j * steps[t]
                pf_re = pf_re + weights[t].real * sources[t][index].real
                pf_im = pf_im + weights[t].real * sources[t][index].imag
                qf_re = qf_re + weights[t].imag * sources[t][index].real
                qf_im = qf_im + weights[t].imag * sources[t][index].imag
            out[j].real = pf_re - qf_im
            out[j].imag = pf_im + qf_re
            j += 1


# --------------------------------------------------------------------------
# One work item, and the parallel loop over items
# --------------------------------------------------------------------------

ctypedef struct Scratch:
    # One thread's working space (pointers into arrays allocated in Python).
    void* acc            # acc_len values: the item's result before conversion
    void* row_bufs       # n_rows x buf_len values: gathered rows
    void** sources       # total_taps pointers: where each tap reads
    Py_ssize_t* steps    # total_taps: elements between consecutive outputs
    void* weights        # total_taps values: each tap's weight
    void* parts          # 2 x total_taps reals: complex weights' real and imaginary parts
    Py_ssize_t* row_sources  # n_rows: each kernel row's input line (element offset)
    uint8_t* row_constant    # n_rows: the row lies past a constant edge
    void* lines          # strips: n_other x positions buffered lines
    uint8_t* needed      # strips: positions flags


cdef inline Py_ssize_t line_taps(const Plan* p, bint direct, bint per_tap, Py_ssize_t count,
                                 Py_ssize_t first, const char* line_start, bint constant,
                                 const W* cval_cell, Py_ssize_t n_taps,
                                 const Py_ssize_t* offsets, const W* tap_weights, W* row_buf,
                                 const W** sources, Py_ssize_t* steps,
                                 W* weights) noexcept nogil:
    """Append where each of `n_taps` taps on one input line reads, over `count` outputs.

    In place (`direct`) for interior outputs of a readable line; otherwise
    from `row_buf`, gathered once (one run per tap with `per_tap`, or the
    whole range); a line past a constant edge reads cval at step 0.
    Returns n_taps.
    """
    cdef Py_ssize_t i, step = p.stride[p.ndim - 1]
    for i in range(n_taps):
        weights[i] = tap_weights[i]
    if constant:  # every value is cval
        for i in range(n_taps):
            sources[i] = cval_cell
            steps[i] = 0
    elif direct:
        for i in range(n_taps):
            sources[i] = (<const W*> line_start) + first + offsets[i]
            steps[i] = step
    elif per_tap:
        for i in range(n_taps):
            gather(row_buf + i * count, count, first + offsets[i], step, p, line_start,
                   cval_cell[0])
            sources[i] = row_buf + i * count
            steps[i] = 1
    else:
        gather(row_buf, (count - 1) * step + p.span + 1, first, 1, p, line_start,
               cval_cell[0])
        for i in range(n_taps):
            sources[i] = row_buf + offsets[i]
            steps[i] = step
    return n_taps


cdef inline Py_ssize_t pieces(const Plan* p, Py_ssize_t start, Py_ssize_t count,
                              Py_ssize_t* piece_start, Py_ssize_t* piece_count,
                              bint* piece_interior) noexcept nogil:
    """Cut outputs [start, start + count) into up to 3 pieces: edge, interior, edge.

    Only an input read in place has an interior. An edge piece (gathered)
    takes at least `edge_piece` outputs, so it runs in vector blocks rather
    than output by output; _layout.line_chunks sizes the buffers the same way.
    """
    cdef Py_ssize_t end = start + count, n = 0
    cdef Py_ssize_t bounds[4]
    cdef int k
    bounds[0] = start
    bounds[3] = end
    if p.in_place:
        bounds[1] = max(start, min(end, p.interior_low))
        bounds[2] = max(bounds[1], min(end, p.interior_high))
        if bounds[1] > start:
            bounds[1] = min(end, max(bounds[1], start + p.edge_piece))
            bounds[2] = max(bounds[2], bounds[1])
        if bounds[2] < end:
            bounds[2] = max(bounds[1], min(bounds[2], end - p.edge_piece))
    else:
        bounds[1] = bounds[2] = start
    for k in range(3):
        if bounds[k + 1] > bounds[k]:
            piece_start[n] = bounds[k]
            piece_count[n] = bounds[k + 1] - bounds[k]
            piece_interior[n] = k == 1
            n += 1
    return n


cdef inline bint gathers_per_tap(const Plan* p, Py_ssize_t count) noexcept nogil:
    # One run per tap when that is shorter than the range of positions.
    cdef Py_ssize_t step = p.stride[p.ndim - 1]
    return p.max_taps_on_line * count < (count - 1) * step + p.span + 1


cdef inline bint all_unit(const Py_ssize_t* steps, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        if steps[i] != 1:
            return False
    return True


cdef inline void finish(const Plan* p, const Scratch* scratch, Py_ssize_t out_offset,
                        Py_ssize_t count, const W** sources, const Py_ssize_t* steps,
                        const W* weights, Py_ssize_t n) noexcept nogil:
    """Sum the taps into the output at `out_offset` (converting if it must)."""
    cdef int line_axis = p.ndim - 1
    cdef W* out_scratch = <W*> scratch.acc
    if p.output_is_accumulator:
        accumulate_taps((<W*> p.output) + out_offset, count, sources, steps, weights, n,
                        all_unit(steps, n), scratch.parts)
    else:
        accumulate_taps(out_scratch, count, sources, steps, weights, n, all_unit(steps, n),
                        scratch.parts)
        store(p.output + out_offset * p.output_itemsize, p.out_strides[line_axis],
              out_scratch, count, p)


cdef void process_item(const Plan* p, Py_ssize_t item, const W* cval_cell,
                       const Scratch* scratch) noexcept nogil:
    cdef int line_axis = p.ndim - 1
    cdef Py_ssize_t segment = item % p.n_segments
    cdef Py_ssize_t line = item // p.n_segments
    cdef Py_ssize_t start = p.seg_start[segment]
    cdef Py_ssize_t count = p.seg_len[segment]
    cdef Py_ssize_t step = p.stride[line_axis]
    cdef Py_ssize_t out_index[MAX_DIMS]
    cdef Py_ssize_t out_offset = 0
    cdef Py_ssize_t piece_start[3]
    cdef Py_ssize_t piece_count[3]
    cdef bint piece_interior[3]
    cdef Py_ssize_t a, r, n, k, n_pieces, position, index, src_offset
    cdef bint constant, direct, per_tap
    cdef Py_ssize_t* row_sources = scratch.row_sources
    cdef uint8_t* row_constant = scratch.row_constant
    cdef const W** sources = <const W**> scratch.sources
    cdef Py_ssize_t* steps = scratch.steps
    cdef W* weights = <W*> scratch.weights

    for a in range(line_axis - 1, -1, -1):
        out_index[a] = line % p.out_shape[a]
        line = line // p.out_shape[a]
        out_offset += out_index[a] * p.out_strides[a]

    # The input line each kernel row reads, through each axis' boundary: once
    # per item, whatever pieces the chunk has.
    for r in range(p.n_rows):
        constant = False
        src_offset = 0
        for a in range(line_axis):
            position = (out_index[a] * p.stride[a] - p.before[a]
                        + p.row_outer_taps[r * line_axis + a] * p.dilation[a])
            index = extend_index(position, p.in_shape[a], p.mode[a])
            if index < 0:
                constant = True
                break
            src_offset += index * p.in_strides[a]
        row_sources[r] = src_offset
        row_constant[r] = constant

    # Edge pieces gather (past the line's ends), the interior reads in place.
    n_pieces = pieces(p, start, count, piece_start, piece_count, piece_interior)
    for k in range(n_pieces):
        direct = piece_interior[k]
        per_tap = not direct and gathers_per_tap(p, piece_count[k])
        n = 0
        for r in range(p.n_rows):
            if row_constant[r] and p.skip_constant_rows:
                continue
            n += line_taps(p, direct, per_tap, piece_count[k],
                           piece_start[k] * step - p.before[line_axis],
                           p.input + row_sources[r] * p.input_itemsize, row_constant[r],
                           cval_cell, p.row_n_taps[r], p.row_offsets + r * p.max_taps,
                           (<const W*> p.row_weights) + r * p.max_taps,
                           (<W*> scratch.row_bufs) + r * p.buf_len,
                           sources + n, steps + n, weights + n)
        finish(p, scratch, out_offset + piece_start[k] * p.out_strides[line_axis],
               piece_count[k], sources, steps, weights, n)


cdef inline Py_ssize_t strip_start(const Plan* p, Py_ssize_t item, Py_ssize_t* out_index,
                                   Py_ssize_t* base, Py_ssize_t* n_out) noexcept nogil:
    """A strip item's first output line y0 (returned), its index on the axes
    before ndim - 2 (`out_index`, `base` the output offset) and its lines."""
    cdef int strip_axis = p.ndim - 2
    cdef Py_ssize_t group = item // p.n_segments
    cdef Py_ssize_t out_len = p.out_shape[strip_axis]
    cdef Py_ssize_t groups_per_run = (out_len + p.strip_group - 1) // p.strip_group
    cdef Py_ssize_t run = group // groups_per_run
    cdef Py_ssize_t y0 = (group % groups_per_run) * p.strip_group
    cdef Py_ssize_t a
    n_out[0] = min(p.strip_group, out_len - y0)
    base[0] = 0
    for a in range(strip_axis - 1, -1, -1):
        out_index[a] = run % p.out_shape[a]
        run = run // p.out_shape[a]
        base[0] += out_index[a] * p.out_strides[a]
    return y0


cdef inline bint other_lines(const Plan* p, const Py_ssize_t* out_index, Py_ssize_t o,
                             Py_ssize_t* src_other) noexcept nogil:
    """Where combination `o` of taps on the axes before ndim - 2 reads (input
    element offset), or True when one of them falls past a constant edge."""
    cdef int strip_axis = p.ndim - 2
    cdef Py_ssize_t a, position, index
    src_other[0] = 0
    for a in range(strip_axis):
        position = (out_index[a] * p.stride[a] - p.before[a]
                    + p.strip_other_taps[o * strip_axis + a] * p.dilation[a])
        index = extend_index(position, p.in_shape[a], p.mode[a])
        if index < 0:
            return True
        src_other[0] += index * p.in_strides[a]
    return False


cdef void process_strip(const Plan* p, Py_ssize_t item, const W* cval_cell,
                        const Scratch* scratch) noexcept nogil:
    """A separable kernel, for a strip of output lines (see the module note).

    First H = b applied along the line, once per input line the strip reads;
    then each output line is the sum of a-weighted rows of H. Lines and rows
    past the edges go through the boundary rule as in process_item.
    """
    cdef int line_axis = p.ndim - 1
    cdef int strip_axis = p.ndim - 2
    cdef Py_ssize_t segment = item % p.n_segments
    cdef Py_ssize_t out_index[MAX_DIMS]
    cdef Py_ssize_t base, n_out
    cdef Py_ssize_t y0 = strip_start(p, item, out_index, &base, &n_out)
    cdef Py_ssize_t step_y = p.stride[strip_axis], dilation_y = p.dilation[strip_axis]
    cdef Py_ssize_t first_y = y0 * step_y - p.before[strip_axis]
    cdef Py_ssize_t n_positions = (n_out - 1) * step_y + (p.sep_outer_taps - 1) * dilation_y + 1
    cdef Py_ssize_t piece_start[3]
    cdef Py_ssize_t piece_count[3]
    cdef bint piece_interior[3]
    cdef Py_ssize_t o, q, y, t, n, k, n_pieces, count, first, index, src_other
    cdef bint constant_other, direct, per_tap
    cdef const W** sources = <const W**> scratch.sources
    cdef Py_ssize_t* steps = scratch.steps
    cdef W* weights = <W*> scratch.weights
    cdef W* filtered = <W*> scratch.lines
    cdef uint8_t* needed = scratch.needed
    cdef Py_ssize_t* line_sources = scratch.row_sources   # per position of the strip
    cdef uint8_t* line_constant = scratch.row_constant
    cdef const W* outer_weights = <const W*> p.sep_outer_weights
    cdef W weight

    for q in range(n_positions):
        needed[q] = 0
    for y in range(n_out):
        for t in range(p.sep_outer_taps):
            needed[y * step_y + t * dilation_y] = 1

    n_pieces = pieces(p, p.seg_start[segment], p.seg_len[segment], piece_start, piece_count,
                      piece_interior)
    for o in range(p.strip_n_other):
        # The input lines this combination of other taps reads, once per item.
        constant_other = other_lines(p, out_index, o, &src_other)
        for q in range(n_positions):
            if not needed[q]:
                continue
            index = extend_index(first_y + q, p.in_shape[strip_axis], p.mode[strip_axis])
            line_constant[q] = constant_other or index < 0
            line_sources[q] = 0 if line_constant[q] else (
                src_other + index * p.in_strides[strip_axis])
        # H: b along the line, for every input line the strip reads, per piece.
        for k in range(n_pieces):
            count = piece_count[k]
            first = piece_start[k] * p.stride[line_axis] - p.before[line_axis]
            direct = piece_interior[k]
            per_tap = not direct and gathers_per_tap(p, count)
            for q in range(n_positions):
                if not needed[q]:
                    continue
                n = line_taps(p, direct, per_tap, count, first,
                              p.input + line_sources[q] * p.input_itemsize, line_constant[q],
                              cval_cell, p.sep_line_taps, p.sep_line_offsets,
                              <const W*> p.sep_line_weights, <W*> scratch.row_bufs,
                              sources, steps, weights)
                accumulate_taps(filtered + (o * p.strip_positions + q) * p.seg_len[segment]
                                + piece_start[k] - p.seg_start[segment], count, sources,
                                steps, weights, n, all_unit(steps, n), scratch.parts)

    # Each output line: the a-weighted rows of H.
    count = p.seg_len[segment]
    for y in range(n_out):
        n = 0
        for o in range(p.strip_n_other):
            for t in range(p.sep_outer_taps):
                weight = outer_weights[o * p.sep_outer_taps + t]
                if weight == 0:
                    continue
                sources[n] = filtered + (o * p.strip_positions + y * step_y
                                         + t * dilation_y) * count
                steps[n] = 1
                weights[n] = weight
                n += 1
        finish(p, scratch, base + (y0 + y) * p.out_strides[strip_axis]
               + p.seg_start[segment] * p.out_strides[line_axis], count, sources, steps,
               weights, n)


cdef void process_gathered_strip(const Plan* p, Py_ssize_t item, const W* cval_cell,
                                 const Scratch* scratch) noexcept nogil:
    """A strip of output lines over input lines gathered once (see the module note).

    Every input line the strip reads is gathered once -- extended past the
    line's edges by the boundary rule, in the working dtype -- over the
    range this chunk reads; each output line then reads all its kernel rows
    there in place, with the same terms in the same order as process_item.
    With a stride s along the line, a line is gathered as s phases (phase r
    holds positions first + r + s*i), so that every tap reads consecutive
    values: offset o is phase o % s from index o // s on.
    """
    cdef int line_axis = p.ndim - 1
    cdef int strip_axis = p.ndim - 2
    cdef Py_ssize_t segment = item % p.n_segments
    cdef Py_ssize_t start = p.seg_start[segment]
    cdef Py_ssize_t count = p.seg_len[segment]
    cdef Py_ssize_t step_x = p.stride[line_axis]
    cdef Py_ssize_t first = start * step_x - p.before[line_axis]
    cdef Py_ssize_t phase_len = count + p.span // step_x
    cdef Py_ssize_t line_len = step_x * phase_len
    cdef Py_ssize_t out_index[MAX_DIMS]
    cdef Py_ssize_t base, n_out
    cdef Py_ssize_t y0 = strip_start(p, item, out_index, &base, &n_out)
    cdef Py_ssize_t step_y = p.stride[strip_axis], dilation_y = p.dilation[strip_axis]
    cdef Py_ssize_t first_y = y0 * step_y - p.before[strip_axis]
    cdef Py_ssize_t n_positions = 0
    cdef Py_ssize_t o, q, y, r, i, n, index, src_other, slot, phase, offset
    cdef bint constant_other, constant
    cdef const W** sources = <const W**> scratch.sources
    cdef Py_ssize_t* steps = scratch.steps
    cdef W* weights = <W*> scratch.weights
    cdef W* lines = <W*> scratch.lines
    cdef uint8_t* needed = scratch.needed
    cdef uint8_t* line_constant = scratch.row_constant  # per (combination, position)
    cdef const W* row_weights = <const W*> p.row_weights
    cdef const W* line

    for r in range(p.n_rows):
        n_positions = max(n_positions, (n_out - 1) * step_y
                          + p.row_strip_tap[r] * dilation_y + 1)
    for q in range(n_positions):
        needed[q] = 0
    for y in range(n_out):
        for r in range(p.n_rows):
            needed[y * step_y + p.row_strip_tap[r] * dilation_y] = 1

    for o in range(p.strip_n_other):
        constant_other = other_lines(p, out_index, o, &src_other)
        for q in range(n_positions):
            if not needed[q]:
                continue
            slot = o * p.strip_positions + q
            index = extend_index(first_y + q, p.in_shape[strip_axis], p.mode[strip_axis])
            line_constant[slot] = constant_other or index < 0
            if line_constant[slot]:
                continue
            for phase in range(step_x):
                if p.strip_phase_read[phase]:
                    gather(lines + slot * line_len + phase * phase_len, phase_len, first + phase,
                           step_x, p, p.input + (src_other + index * p.in_strides[strip_axis])
                           * p.input_itemsize, cval_cell[0])

    for y in range(n_out):
        n = 0
        for r in range(p.n_rows):
            slot = p.row_other[r] * p.strip_positions + y * step_y + p.row_strip_tap[r] * dilation_y
            constant = line_constant[slot]
            if constant and p.skip_constant_rows:
                continue
            line = lines + slot * line_len
            for i in range(p.row_n_taps[r]):
                if constant:  # a line past a constant edge reads cval at step 0
                    sources[n] = cval_cell
                    steps[n] = 0
                else:
                    offset = p.row_offsets[r * p.max_taps + i]
                    sources[n] = line + (offset % step_x) * phase_len + offset // step_x
                    steps[n] = 1
                weights[n] = row_weights[r * p.max_taps + i]
                n += 1
        finish(p, scratch, base + (y0 + y) * p.out_strides[strip_axis]
               + start * p.out_strides[line_axis], count, sources, steps, weights, n)


cdef void run_items(const Plan* p, const W* cval_cell, const Scratch* scratch_all,
                    Py_ssize_t begin, Py_ssize_t end, int n_threads) noexcept nogil:
    cdef Py_ssize_t item
    cdef const Scratch* scratch
    with parallel(num_threads=n_threads):
        scratch = scratch_all + threadid()
        for item in prange(begin, end, schedule="static"):
            if p.strips == GATHERED_STRIPS:
                process_gathered_strip(p, item, cval_cell, scratch)
            elif p.strips == SEPARABLE_STRIPS:
                process_strip(p, item, cval_cell, scratch)
            else:
                process_item(p, item, cval_cell, scratch)


cdef void run_chunks(const Plan* p, const W* cval_cell, const Scratch* scratch_all,
                     Py_ssize_t n_items, Py_ssize_t chunk, int n_threads) except *:
    cdef Py_ssize_t begin = 0, end
    while begin < n_items:
        end = min(begin + chunk, n_items)
        with nogil:
            run_items(p, cval_cell, scratch_all, begin, end, n_threads)
        PyErr_CheckSignals()
        begin = end


# --------------------------------------------------------------------------
# Python level: the entry point
# --------------------------------------------------------------------------

cdef inline const Py_ssize_t* intp_data(cnp.ndarray array):
    return <const Py_ssize_t*> cnp.PyArray_DATA(array)


def _irregular(array):
    """Byte-swapped, or misaligned: read element by element through a copy."""
    return (not array.dtype.isnative or not array.flags.aligned
            or any(stride % array.itemsize for stride in array.strides))


def _kernel_can_write(output, input):
    """Whether the kernel may write `output` directly (else: a temporary, then a copy)."""
    return (output.dtype in TYPE_CODES
            and output.dtype.isnative
            and output.flags.aligned
            and not any(s % output.dtype.itemsize or (s == 0 and n > 1)
                        for s, n in zip(output.strides, output.shape))
            and not np.may_share_memory(output, input))


def correlate(problem):
    """Fill ``problem.output`` by the direct method and return it.

    `problem` comes from ``pyconv._normalize``: every argument is checked,
    the weights are flipped/conjugated, in the working dtype, with a
    length-1 axis for each batch axis.
    """
    output = problem.output
    if output.size == 0:
        return output
    target = output
    if not _kernel_can_write(output, problem.input):
        target = np.empty(output.shape, output.dtype.newbyteorder("="))
    _run(lay_out(problem, problem.input, target))
    if target is not output:
        output[...] = target
    return output


def _run(layout):
    x, target, weights = layout.input, layout.target, layout.row_weights
    in_shape = intp_array(x.shape)
    irregular = _irregular(x)
    # An irregular input is addressed in bytes: its strides need not be
    # whole elements.
    in_strides = intp_array(x.strides) // (1 if irregular else x.itemsize)
    out_shape = intp_array(target.shape)
    out_strides = intp_array(target.strides) // target.itemsize

    cdef Plan plan
    plan.ndim = x.ndim
    plan.input = <const char*> cnp.PyArray_DATA(x)
    plan.input_type = TYPE_CODES[x.dtype.newbyteorder("=")]
    plan.input_itemsize = 1 if irregular else x.itemsize
    plan.input_irregular = irregular
    plan.input_swapped = not x.dtype.isnative
    plan.input_element_size = x.itemsize
    plan.in_shape = intp_data(in_shape)
    plan.in_strides = intp_data(in_strides)
    plan.output = <char*> cnp.PyArray_DATA(target)
    plan.output_type = TYPE_CODES[target.dtype]
    plan.output_itemsize = target.itemsize
    plan.output_is_accumulator = layout.output_is_accumulator
    plan.scale = layout.scale
    plan.out_shape = intp_data(out_shape)
    plan.out_strides = intp_data(out_strides)
    plan.stride = intp_data(layout.stride)
    plan.dilation = intp_data(layout.dilation)
    plan.before = intp_data(layout.before)
    plan.mode = <const int*> cnp.PyArray_DATA(layout.mode)
    plan.span = layout.span
    plan.n_rows = layout.row_n_taps.size
    plan.max_taps = layout.row_offsets.shape[1]
    plan.row_outer_taps = intp_data(layout.row_outer_taps)
    plan.row_n_taps = intp_data(layout.row_n_taps)
    plan.row_offsets = intp_data(layout.row_offsets)
    plan.row_weights = <const void*> cnp.PyArray_DATA(weights)
    plan.skip_constant_rows = layout.skip_constant_rows
    plan.n_segments = layout.seg_start.size
    plan.seg_start = intp_data(layout.seg_start)
    plan.seg_len = intp_data(layout.seg_len)
    plan.interior_low = layout.interior[0]
    plan.interior_high = layout.interior[1]
    plan.in_place = layout.in_place
    plan.max_taps_on_line = layout.max_taps_on_line
    plan.edge_piece = layout.edge_piece
    plan.buf_len = layout.buf_len
    strips = layout.strips
    plan.strips = NO_STRIPS
    if strips is not None:
        plan.strips = SEPARABLE_STRIPS if strips.separable else GATHERED_STRIPS
        plan.strip_group = strips.group
        plan.strip_n_other = strips.other_taps.shape[0]
        plan.strip_other_taps = intp_data(strips.other_taps)
        plan.strip_positions = strips.positions
        plan.strip_line_len = strips.line_len
        plan.strip_phase_read = <const uint8_t*> cnp.PyArray_DATA(strips.phase_read)
        plan.sep_outer_taps = strips.outer_weights.shape[1]
        plan.sep_outer_weights = <const void*> cnp.PyArray_DATA(strips.outer_weights)
        plan.sep_line_taps = strips.line_offsets.size
        plan.sep_line_offsets = intp_data(strips.line_offsets)
        plan.sep_line_weights = <const void*> cnp.PyArray_DATA(strips.line_weights)
        plan.row_other = intp_data(strips.row_other)
        plan.row_strip_tap = intp_data(strips.row_strip_tap)

    # One Scratch per thread, pointing into the arrays the layout allocated.
    cdef int n_threads = layout.acc.shape[0]
    scratch_array = np.empty(n_threads * sizeof(Scratch), dtype=np.uint8)
    cdef Scratch* scratch = <Scratch*> cnp.PyArray_DATA(scratch_array)
    cdef char* acc = <char*> cnp.PyArray_DATA(layout.acc)
    cdef char* row_bufs = <char*> cnp.PyArray_DATA(layout.row_bufs)
    cdef char* sources = <char*> cnp.PyArray_DATA(layout.sources)
    cdef char* steps = <char*> cnp.PyArray_DATA(layout.steps)
    cdef char* tap_weights = <char*> cnp.PyArray_DATA(layout.tap_weights)
    cdef Py_ssize_t acc_row = layout.acc.strides[0], buf_row = layout.row_bufs.strides[0]
    cdef Py_ssize_t sources_row = layout.sources.strides[0]
    cdef Py_ssize_t steps_row = layout.steps.strides[0]
    cdef Py_ssize_t weights_row = layout.tap_weights.strides[0]
    cdef int thread
    for thread in range(n_threads):
        scratch[thread].acc = acc + thread * acc_row
        scratch[thread].row_bufs = row_bufs + thread * buf_row
        scratch[thread].sources = <void**> (sources + thread * sources_row)
        scratch[thread].steps = <Py_ssize_t*> (steps + thread * steps_row)
        scratch[thread].weights = tap_weights + thread * weights_row
        scratch[thread].parts = (<char*> cnp.PyArray_DATA(layout.parts)
                                 + thread * <Py_ssize_t> layout.parts.strides[0])
        scratch[thread].row_sources = <Py_ssize_t*> (
            <char*> cnp.PyArray_DATA(layout.row_sources)
            + thread * <Py_ssize_t> layout.row_sources.strides[0])
        scratch[thread].row_constant = (<uint8_t*> cnp.PyArray_DATA(layout.row_constant)
                                        + thread * <Py_ssize_t> layout.row_constant.strides[0])
        if strips is not None:
            scratch[thread].lines = (<char*> cnp.PyArray_DATA(strips.buffer)
                                     + thread * <Py_ssize_t> strips.buffer.strides[0])
            scratch[thread].needed = (<uint8_t*> cnp.PyArray_DATA(strips.needed)
                                      + thread * <Py_ssize_t> strips.needed.strides[0])

    cdef Py_ssize_t n_items = layout.n_items, chunk = layout.chunk
    cdef void* cval_cell = cnp.PyArray_DATA(layout.cval_cell)
    work = weights.dtype
    if work == np.float32:
        run_chunks[float](&plan, <float*> cval_cell, scratch, n_items, chunk, n_threads)
    elif work == np.float64:
        run_chunks[double](&plan, <double*> cval_cell, scratch, n_items, chunk, n_threads)
    elif work == np.int16:
        run_chunks[int16_t](&plan, <int16_t*> cval_cell, scratch, n_items, chunk, n_threads)
    elif work == np.complex64:
        run_chunks["float complex"](&plan, <float complex*> cval_cell, scratch, n_items,
                                    chunk, n_threads)
    else:
        run_chunks["double complex"](&plan, <double complex*> cval_cell, scratch, n_items,
                                     chunk, n_threads)
