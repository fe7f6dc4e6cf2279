"""The direct method: correlation as a loop nest over output lines.

This module is the binding: :func:`correlate` takes a checked problem and
its :class:`~pyconv._direct_plan.DirectPlan`, fills the C struct ``Plan``
(the same field names), allocates each thread's scratch and runs the items.
The loops are in ``_direct_loops.pxi``, reading and writing in
``_direct_io.pxi``, the register-blocked sums in ``_blocks.h``.

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

The output is cut into independent work items, in one of four ways
(_direct_plan.plan chooses):

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
* Column strips: a kernel one tap wide along the line whose taps lie on
  axis ndim - 2 alone (a 1-D pass across lines). Output lines are summed
  COLUMN_LINES at a time, each input line loaded once for all of them
  (_blocks.h), in place; the same terms in the same order as the line loop.

With nan_policy="omit" (``Plan.omit``) every sum is formed twice in the
same pass over the same values: of ``w * x`` and of ``w``, both over the
taps whose value is not NaN (``_omit.h``); the item stores their ratio
times the sum of every weight, NaN where no weight is present. Separable
strips keep both sums of the line pass for each buffered line and add the
a-weighted rows of each. Rows past a constant edge are skipped when cval
is NaN (missing), never when it is a present 0.

Positions past an edge go through ``extend_index`` (any distance is exact),
dtypes are converted as lines are gathered, and nothing the size of the
input is ever copied. 8-bit inputs whose kernel is a scale times small
integers (_direct_plan.integer_kernel) sum exactly in int16, scaled on the way
out. Each item is computed by one thread in a fixed order,
and the cut into items does not depend on the thread count, so results are
bitwise identical for any ``workers``. Items run in chunks; between chunks
the GIL is taken to let Ctrl-C through.
"""

import numpy as np

cimport numpy as cnp
from cython.parallel cimport parallel, prange, threadid
from libc.math cimport NAN, nearbyint, nearbyintf
from libc.string cimport memcpy
from libc.stdint cimport (
    INT8_MAX, INT8_MIN, INT16_MAX, INT16_MIN, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN,
    UINT8_MAX, UINT16_MAX, UINT32_MAX, UINT64_MAX,
    int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t,
)

from pyconv._boundary cimport extend_index
from pyconv._openmp cimport omp_get_wtime

from pyconv import _openmp

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

# The real type of a complex working precision.
ctypedef fused R:
    float
    double

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
cdef enum:
    MAX_DIMS = 64

# How work items are made (the same values as _direct_plan's constants).
cdef enum:
    LINES = 0
    SEPARABLE_STRIPS = 1
    GATHERED_STRIPS = 2
    COLUMN_STRIPS = 3


ctypedef struct Plan:
    # The arrays (set from them, not from the DirectPlan).
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
    const Py_ssize_t* out_shape
    const Py_ssize_t* out_strides     # in elements
    # The DirectPlan's fields, under the same names (see _direct_plan.DirectPlan).
    int ndim                          # the line axis is ndim - 1
    bint output_is_accumulator
    float scale
    const Py_ssize_t* stride
    const Py_ssize_t* dilation
    const Py_ssize_t* before
    const int* mode
    Py_ssize_t span
    Py_ssize_t n_rows
    Py_ssize_t max_taps
    const Py_ssize_t* row_outer_taps
    const Py_ssize_t* row_n_taps
    const Py_ssize_t* row_offsets
    const void* row_weights
    bint skip_constant_rows
    Py_ssize_t n_segments
    const Py_ssize_t* seg_bounds
    Py_ssize_t max_taps_on_line
    Py_ssize_t buf_len
    int strips
    Py_ssize_t strip_group
    Py_ssize_t strip_n_other
    const Py_ssize_t* strip_other_taps
    Py_ssize_t strip_positions
    const uint8_t* strip_phase_read
    Py_ssize_t sep_outer_taps
    const void* sep_outer_weights
    Py_ssize_t sep_line_taps
    const Py_ssize_t* sep_line_offsets
    const void* sep_line_weights
    bint sep_columns
    bint sep_split
    const Py_ssize_t* row_other
    const Py_ssize_t* row_strip_tap
    Py_ssize_t column_reach
    const uint8_t* column_masks
    const void* column_weights
    Py_ssize_t n_items
    Py_ssize_t chunk
    bint omit                         # nan_policy="omit": normalised sums (see finish)
    const void* weights_sum           # ... rescaled by the sum of every weight (one W)


ctypedef struct Scratch:
    # One thread's working space (see _direct_plan.Scratch).
    void* acc
    void* row_bufs
    void** sources
    Py_ssize_t* steps
    void* weights
    void* parts
    Py_ssize_t* row_sources
    uint8_t* row_constant
    void* lines
    uint8_t* needed
    void* den                         # omit: the item's sum of present weights
    void* present                     # omit, separable strips: values and presence


cdef extern from "_blocks.h":
    # Blocked sums for float32 / float64 / int16: GCC/Clang vector extensions
    # or portable C loops, one contract (see the header's note).
    enum: PYCONV_SHORTEST_F64  # the shortest line pyconv_accumulate_<T> takes
    enum: PYCONV_SHORTEST_F32
    enum: PYCONV_SHORTEST_I16
    enum: PYCONV_BLOCK_REALS_F64
    enum: PYCONV_BLOCK_REALS_F32
    enum: PYCONV_COLUMN_LINES
    void pyconv_accumulate_f64(double* out, Py_ssize_t count, const double** sources,
                               const Py_ssize_t* steps, const double* weights,
                               Py_ssize_t n_taps, int unit_steps) noexcept nogil
    void pyconv_accumulate_f32(float* out, Py_ssize_t count, const float** sources,
                               const Py_ssize_t* steps, const float* weights,
                               Py_ssize_t n_taps, int unit_steps) noexcept nogil
    void pyconv_columns_f64(double* const* out, int n_lines, Py_ssize_t count,
                            const double* const* lines, const uint8_t* masks,
                            const double* weights, Py_ssize_t n_positions) noexcept nogil
    void pyconv_columns_f32(float* const* out, int n_lines, Py_ssize_t count,
                            const float* const* lines, const uint8_t* masks,
                            const float* weights, Py_ssize_t n_positions) noexcept nogil
    void pyconv_columns_ratio_f64(double* const* out, int n_lines, Py_ssize_t count,
                                  const double* const* lines, const uint8_t* masks,
                                  const double* weights, Py_ssize_t n_positions,
                                  const double* const* nums, double scale) noexcept nogil
    void pyconv_columns_ratio_f32(float* const* out, int n_lines, Py_ssize_t count,
                                  const float* const* lines, const uint8_t* masks,
                                  const float* weights, Py_ssize_t n_positions,
                                  const float* const* nums, float scale) noexcept nogil
    void pyconv_unit8_f64(double* out, Py_ssize_t j, const double** sources,
                          const double* weights, Py_ssize_t n_taps) noexcept nogil
    void pyconv_unit8_f32(float* out, Py_ssize_t j, const float** sources,
                          const float* weights, Py_ssize_t n_taps) noexcept nogil
    Py_ssize_t pyconv_store_small_int(char* out, const float* acc, const int16_t* sums,
                                      float scale, Py_ssize_t count, int bytes,
                                      int is_signed) noexcept nogil
    void pyconv_accumulate_i16(int16_t* out, Py_ssize_t count, const int16_t** sources,
                               const Py_ssize_t* steps, const int16_t* weights,
                               Py_ssize_t n_taps, int unit_steps) noexcept nogil
    void pyconv_scale_i16(float* dst, const int16_t* src, Py_ssize_t count,
                          float scale) noexcept nogil


cdef extern from "_omit.h":
    # nan_policy="omit": the sums of w*x and of w over present samples, in
    # one pass, float32 / float64 (see the header's note).
    void pyconv_omit_f64(double* num, double* den, Py_ssize_t count, const double** sources,
                         const Py_ssize_t* steps, const double* weights, Py_ssize_t n_taps,
                         int unit_steps) noexcept nogil
    void pyconv_omit_f32(float* num, float* den, Py_ssize_t count, const float** sources,
                         const Py_ssize_t* steps, const float* weights, Py_ssize_t n_taps,
                         int unit_steps) noexcept nogil
    void pyconv_omit_ratio_f64(double* out, const double* num, const double* den,
                               Py_ssize_t count, double scale) noexcept nogil
    void pyconv_omit_ratio_f32(float* out, const float* num, const float* den,
                               Py_ssize_t count, float scale) noexcept nogil


include "_direct_io.pxi"
include "_direct_loops.pxi"


# --------------------------------------------------------------------------
# The entry point
# --------------------------------------------------------------------------

def correlate(problem, plan):
    """Fill ``problem.output`` by the direct method as `plan` says and return it.

    `problem` comes from ``pyconv._normalize`` (every argument checked) and
    `plan` from ``pyconv._direct_plan.plan(problem)``.
    """
    output = problem.output
    target = output if plan.writes_output else np.empty(output.shape,
                                                        output.dtype.newbyteorder("="))
    Bound(plan, problem.input, target).run(problem.input, target)
    if target is not output:
        output[...] = target
    return output


cdef inline const Py_ssize_t* intp_data(cnp.ndarray array):
    return <const Py_ssize_t*> cnp.PyArray_DATA(array)


cdef inline const void* data(cnp.ndarray array):
    return cnp.PyArray_DATA(array)


def _irregular(array):
    """Byte-swapped, or misaligned: read element by element through a copy."""
    return (not array.dtype.isnative or not array.flags.aligned
            or any(stride % array.itemsize for stride in array.strides))


# The kernels' type codes by numpy type number (the same for either byte order).
CODES_BY_NUM = {dtype.num: code for dtype, code in TYPE_CODES.items()}


cdef void bind_arrays(Plan* c, cnp.ndarray x, cnp.ndarray target, Py_ssize_t* in_strides,
                      Py_ssize_t* out_strides):
    """The arrays' fields of `c`, strides written to the two arrays given."""
    cdef bint irregular = _irregular(x)
    # An irregular input is addressed in bytes: its strides need not be whole elements.
    cdef Py_ssize_t unit = 1 if irregular else x.itemsize
    cdef int a
    for a in range(x.ndim):
        in_strides[a] = x.strides[a] // unit
        out_strides[a] = target.strides[a] // target.itemsize
    c.input = <const char*> cnp.PyArray_DATA(x)
    c.input_type = CODES_BY_NUM[cnp.PyArray_TYPE(x)]
    c.input_itemsize = unit
    c.input_irregular = irregular
    c.input_swapped = not x.dtype.isnative
    c.input_element_size = x.itemsize
    c.in_shape = <const Py_ssize_t*> cnp.PyArray_DIMS(x)
    c.in_strides = in_strides
    c.output = <char*> cnp.PyArray_DATA(target)
    c.output_type = CODES_BY_NUM[cnp.PyArray_TYPE(target)]
    c.output_itemsize = target.itemsize
    c.out_shape = <const Py_ssize_t*> cnp.PyArray_DIMS(target)
    c.out_strides = out_strides


cdef void bind_plan(Plan* c, plan):
    """The DirectPlan's fields of `c` (its arrays stay alive with `plan`)."""
    c.ndim = plan.ndim
    c.output_is_accumulator = plan.output_is_accumulator
    c.scale = plan.scale
    c.stride = intp_data(plan.stride)
    c.dilation = intp_data(plan.dilation)
    c.before = intp_data(plan.before)
    c.mode = <const int*> data(plan.mode)
    c.span = plan.span
    c.n_rows = plan.n_rows
    c.max_taps = plan.max_taps
    c.row_outer_taps = intp_data(plan.row_outer_taps)
    c.row_n_taps = intp_data(plan.row_n_taps)
    c.row_offsets = intp_data(plan.row_offsets)
    c.row_weights = data(plan.row_weights)
    c.skip_constant_rows = plan.skip_constant_rows
    c.n_segments = plan.n_segments
    c.seg_bounds = intp_data(plan.seg_bounds)
    c.max_taps_on_line = plan.max_taps_on_line
    c.buf_len = plan.buf_len
    c.strips = plan.strips
    c.strip_group = plan.strip_group
    c.strip_n_other = plan.strip_n_other
    c.strip_other_taps = intp_data(plan.strip_other_taps)
    c.strip_positions = plan.strip_positions
    c.strip_phase_read = <const uint8_t*> data(plan.strip_phase_read)
    c.sep_outer_taps = plan.sep_outer_taps
    c.sep_outer_weights = data(plan.sep_outer_weights)
    c.sep_line_taps = plan.sep_line_taps
    c.sep_line_offsets = intp_data(plan.sep_line_offsets)
    c.sep_line_weights = data(plan.sep_line_weights)
    c.sep_columns = plan.sep_columns
    c.sep_split = plan.sep_split
    c.row_other = intp_data(plan.row_other)
    c.row_strip_tap = intp_data(plan.row_strip_tap)
    c.column_reach = plan.column_reach
    c.column_masks = <const uint8_t*> data(plan.column_masks)
    c.column_weights = data(plan.column_weights)
    c.n_items = plan.n_items
    c.chunk = plan.chunk
    c.omit = plan.omit
    c.weights_sum = data(plan.weights_sum)


def scratch_block(plan):
    """Uninitialised scratch for every thread: (block, byte offset of thread 0's row).

    Thread t's row starts at offset + t * row_bytes; the spare cache line
    before the first row and after each one keeps malloc's neighbours and
    the other threads' rows off every line a thread writes.
    """
    cdef Py_ssize_t line = plan.scratch.line
    cdef cnp.ndarray block = np.empty(plan.n_threads * plan.scratch.row_bytes + 2 * line,
                                      dtype=np.uint8)
    cdef size_t address = <size_t> cnp.PyArray_DATA(block)
    return block, <Py_ssize_t> ((line - address % line) % line) + line


cdef void point_scratch(Scratch* scratch, char* row, s, int n_threads):
    """Each thread's Scratch: pointers into its row of the block (see scratch_block)."""
    cdef int thread
    for thread in range(n_threads):
        scratch[thread] = Scratch(
            acc=row + <Py_ssize_t> s.acc, row_bufs=row + <Py_ssize_t> s.row_bufs,
            sources=<void**> (row + <Py_ssize_t> s.sources),
            steps=<Py_ssize_t*> (row + <Py_ssize_t> s.steps),
            weights=row + <Py_ssize_t> s.weights, parts=row + <Py_ssize_t> s.parts,
            row_sources=<Py_ssize_t*> (row + <Py_ssize_t> s.row_sources),
            row_constant=<uint8_t*> (row + <Py_ssize_t> s.row_constant),
            lines=row + <Py_ssize_t> s.lines, needed=<uint8_t*> (row + <Py_ssize_t> s.needed),
            den=row + <Py_ssize_t> s.den, present=row + <Py_ssize_t> s.present)
        row += <Py_ssize_t> s.row_bytes


ctypedef struct Layout:
    # What a bound call depends on in an array, all but its data.
    int ndim
    Py_ssize_t shape[MAX_DIMS]
    Py_ssize_t strides[MAX_DIMS]
    int type_num
    int swapped
    int aligned


cdef void remember_layout(Layout* layout, cnp.ndarray array):
    cdef int a
    layout.ndim = cnp.PyArray_NDIM(array)
    for a in range(layout.ndim):
        layout.shape[a] = cnp.PyArray_DIMS(array)[a]
        layout.strides[a] = cnp.PyArray_STRIDES(array)[a]
    layout.type_num = cnp.PyArray_TYPE(array)
    layout.swapped = cnp.PyArray_ISBYTESWAPPED(array)
    layout.aligned = cnp.PyArray_ISALIGNED(array)


cdef bint same_layout(const Layout* layout, cnp.ndarray array):
    cdef int a
    if (cnp.PyArray_NDIM(array) != layout.ndim or cnp.PyArray_TYPE(array) != layout.type_num
            or cnp.PyArray_ISBYTESWAPPED(array) != layout.swapped
            or cnp.PyArray_ISALIGNED(array) != layout.aligned):
        return False
    for a in range(layout.ndim):
        if (cnp.PyArray_DIMS(array)[a] != layout.shape[a]
                or cnp.PyArray_STRIDES(array)[a] != layout.strides[a]):
            return False
    return True


cdef class Bound:
    """The direct method bound to a plan and to one layout of input and output.

    Binding -- the C struct, each thread's scratch -- is done once; `run`
    then computes for any input and output of exactly that layout (shape,
    strides, dtype, byte order, alignment; it checks), swapping only the
    data pointers: a stream's pushes bind once. The target must be what the
    plan writes: the output itself when ``plan.writes_output``, else a new
    native C-ordered array of its shape (see `correlate`); it must not
    overlap the input. One thread at a time: the scratch is the bound
    call's own.
    """
    cdef Plan c
    cdef Py_ssize_t in_shape[MAX_DIMS]
    cdef Py_ssize_t out_shape[MAX_DIMS]
    cdef Py_ssize_t in_strides[MAX_DIMS]
    cdef Py_ssize_t out_strides[MAX_DIMS]
    cdef Layout input_layout, output_layout
    cdef object plan, block, structs, cval
    cdef Scratch* scratch
    cdef int n_threads, work  # the plan's (read once: a small call's time is its overhead)

    def __cinit__(self, plan, cnp.ndarray x, cnp.ndarray target):
        cdef int a
        if x.ndim > MAX_DIMS:  # (normalize refuses them first)
            raise ValueError(f"at most {MAX_DIMS} dimensions")
        self.plan = plan
        self.cval, self.n_threads, self.work = plan.cval, plan.n_threads, plan.work_dtype.num
        remember_layout(&self.input_layout, x)
        remember_layout(&self.output_layout, target)
        if x.ndim == 0:
            x, target = x.reshape(1), target.reshape(1)
        else:
            x, target = x.transpose(plan.order), target.transpose(plan.order)
        bind_arrays(&self.c, x, target, self.in_strides, self.out_strides)
        for a in range(x.ndim):  # the struct's own copy: it outlives these views
            self.in_shape[a], self.out_shape[a] = x.shape[a], target.shape[a]
        self.c.in_shape, self.c.out_shape = self.in_shape, self.out_shape
        bind_plan(&self.c, plan)
        self.block, lead = scratch_block(plan)
        self.structs = np.empty(plan.n_threads * sizeof(Scratch), dtype=np.uint8)
        self.scratch = <Scratch*> cnp.PyArray_DATA(self.structs)
        point_scratch(self.scratch, <char*> cnp.PyArray_DATA(self.block) + <Py_ssize_t> lead,
                      plan.scratch, plan.n_threads)

    def run(self, cnp.ndarray x not None, cnp.ndarray target not None):
        """Fill `target` from `x`, both of the bound layout."""
        if not (same_layout(&self.input_layout, x) and same_layout(&self.output_layout, target)):
            raise ValueError("the arrays' layout is not the one this call was bound to")
        if not cnp.PyArray_ISWRITEABLE(target):
            raise ValueError("the output array is read-only")
        # A view's first element is its base's: the oriented views' data
        # pointers are the arrays' own.
        self.c.input = <const char*> cnp.PyArray_DATA(x)
        self.c.output = <char*> cnp.PyArray_DATA(target)
        cdef int n_threads = self.n_threads
        if n_threads > 1:
            n_threads = _openmp.parallel_threads(n_threads)
        cdef double timing[4]  # see run_items
        timing[0] = timing[1] = timing[2] = timing[3] = 0
        cdef int work = self.work
        if work == cnp.NPY_FLOAT32:
            run_typed[float](&self.c, self.cval, self.scratch, n_threads, timing)
        elif work == cnp.NPY_FLOAT64:
            run_typed[double](&self.c, self.cval, self.scratch, n_threads, timing)
        elif work == cnp.NPY_INT16:
            run_typed[int16_t](&self.c, self.cval, self.scratch, n_threads, timing)
        elif work == cnp.NPY_COMPLEX64:
            run_typed["float complex"](&self.c, self.cval, self.scratch, n_threads, timing)
        else:
            run_typed["double complex"](&self.c, self.cval, self.scratch, n_threads, timing)
        if n_threads > 1:
            _openmp.record_wait(timing[0], timing[1], timing[2] / max(1.0, timing[3]))


cdef void run_typed(const Plan* c, W cval, const Scratch* scratch, int n_threads,
                    double* timing) except *:
    # `cval` in the working dtype: rows past a constant edge read it.
    run_chunks(c, &cval, scratch, n_threads, timing)
