# The direct method's loop nest (included by _direct.pyx): one work item --
# a chunk of one output line, or a strip of output lines -- and the parallel
# loop over items. See the scheme in _direct.pyx's module docstring.

# --------------------------------------------------------------------------
# Sums: out[j] = sum over taps, in order, of w[t] * src_t[j * step_t]
# --------------------------------------------------------------------------

cdef inline void accumulate_taps(W* out, Py_ssize_t count, const W** sources,
                                 const Py_ssize_t* steps, const W* weights,
                                 Py_ssize_t n_taps, bint unit_steps,
                                 void* parts) noexcept nogil:
    # Register blocks for lines of half a vector's worth of outputs or more
    # (_blocks.h); fewer (a short edge piece or line) add the same terms in
    # the same order, output by output. `parts`: scratch for complex weights.
    cdef Py_ssize_t j = 0, t
    cdef W total
    if W is floatcomplex:
        accumulate_complex(<float*> out, count, <const float**> sources, steps,
                           <const float*> weights, n_taps, unit_steps, <float*> parts)
    elif W is doublecomplex:
        accumulate_complex(<double*> out, count, <const double**> sources, steps,
                           <const double*> weights, n_taps, unit_steps, <double*> parts)
    elif W is double and count >= PYCONV_SHORTEST_F64:
        pyconv_accumulate_f64(out, count, sources, steps, weights, n_taps, unit_steps)
    elif W is float and count >= PYCONV_SHORTEST_F32:
        pyconv_accumulate_f32(out, count, sources, steps, weights, n_taps, unit_steps)
    elif W is int16_t and count >= PYCONV_SHORTEST_I16:
        pyconv_accumulate_i16(out, count, sources, steps, weights, n_taps, unit_steps)
    else:
        while j < count:
            total = 0
            for t in range(n_taps):
                total = total + weights[t] * sources[t][j * steps[t]]
            out[j] = total
            j += 1


cdef inline void unit_block(R* out, Py_ssize_t j, const R** sources, const R* weights,
                            Py_ssize_t n_taps) noexcept nogil:
    if R is double:
        pyconv_unit8_f64(out, j, sources, weights, n_taps)
    else:
        pyconv_unit8_f32(out, j, sources, weights, n_taps)


cdef inline void accumulate_complex(R* out, Py_ssize_t count, const R** sources,
                                    const Py_ssize_t* steps, const R* weights,
                                    Py_ssize_t n_taps, bint unit_steps,
                                    R* parts) noexcept nogil:
    # A complex sum as two real ones over the interleaved (re, im) values
    # (every array here is complex, seen as pairs of reals R; `steps` count
    # complex values): P = sum Re(w) x and Q = sum Im(w) x, out = (P.re -
    # Q.im) + i (P.im + Q.re). With unit steps the interleaved values are
    # contiguous reals and the real register blocks do the work; the tail
    # forms the very same sums.
    cdef Py_ssize_t block = PYCONV_BLOCK_REALS_F64 if R is double else PYCONV_BLOCK_REALS_F32
    cdef Py_ssize_t j = 0, t, k, index
    cdef R p_block[PYCONV_BLOCK_REALS_F32]  # at least block values
    cdef R q_block[PYCONV_BLOCK_REALS_F32]
    cdef R p_re, p_im, q_re, q_im
    cdef R* real = parts
    cdef R* imag = parts + n_taps
    if unit_steps:
        for t in range(n_taps):
            real[t] = weights[2 * t]
            imag[t] = weights[2 * t + 1]
        while j + block // 2 <= count:
            unit_block(p_block, 2 * j, sources, real, n_taps)
            unit_block(q_block, 2 * j, sources, imag, n_taps)
            for k in range(block // 2):
                out[2 * (j + k)] = p_block[2 * k] - q_block[2 * k + 1]
                out[2 * (j + k) + 1] = p_block[2 * k + 1] + q_block[2 * k]
            j += block // 2
    while j < count:
        p_re = p_im = q_re = q_im = 0
        for t in range(n_taps):
            index = 2 * j * steps[t]
            p_re = p_re + weights[2 * t] * sources[t][index]
            p_im = p_im + weights[2 * t] * sources[t][index + 1]
            q_re = q_re + weights[2 * t + 1] * sources[t][index]
            q_im = q_im + weights[2 * t + 1] * sources[t][index + 1]
        out[2 * j] = p_re - q_im
        out[2 * j + 1] = p_im + q_re
        j += 1


# --------------------------------------------------------------------------
# One output line (a chunk of it)
# --------------------------------------------------------------------------

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


cdef inline Py_ssize_t seg_start(const Plan* p, Py_ssize_t segment) noexcept nogil:
    return p.seg_bounds[4 * segment]


cdef inline Py_ssize_t seg_len(const Plan* p, Py_ssize_t segment) noexcept nogil:
    return p.seg_bounds[4 * segment + 3] - p.seg_bounds[4 * segment]


cdef inline Py_ssize_t pieces(const Plan* p, Py_ssize_t segment, Py_ssize_t* piece_start,
                              Py_ssize_t* piece_count, bint* piece_interior) noexcept nogil:
    """The non-empty pieces of a chunk (up to 3): edge, interior, edge, as the
    plan cut them (_direct_plan.line_chunks); the interior reads in place."""
    cdef const Py_ssize_t* bounds = p.seg_bounds + 4 * segment
    cdef Py_ssize_t n = 0
    cdef int k
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
    """Sum the taps into the output at `out_offset` (converting if it must).

    With omit: the sums of w*x and of w over the present taps, in one pass,
    then their ratio times the sum of every weight is stored.
    """
    cdef int line_axis = p.ndim - 1
    cdef W* out_scratch = <W*> scratch.acc
    cdef bint unit = all_unit(steps, n)
    if p.omit:
        accumulate_present(out_scratch, <W*> scratch.den, count, sources, steps, weights, n,
                           unit)
        store_ratio(p, out_offset, count, out_scratch, <const W*> scratch.den)
    elif p.output_is_accumulator:
        accumulate_taps((<W*> p.output) + out_offset, count, sources, steps, weights, n,
                        unit, scratch.parts)
    else:
        accumulate_taps(out_scratch, count, sources, steps, weights, n, unit, scratch.parts)
        store(p.output + out_offset * p.output_itemsize, p.out_strides[line_axis],
              out_scratch, count, p)


cdef inline void store_ratio(const Plan* p, Py_ssize_t out_offset, Py_ssize_t count, W* num,
                             const W* den) noexcept nogil:
    """Omit: store num / den * (sum of every weight), NaN where den is 0:
    straight into an output of the working dtype with unit steps, else
    through `num` (the item's accumulator) and the conversion."""
    cdef W scale = (<const W*> p.weights_sum)[0]
    cdef W* target = (<W*> p.output) + out_offset if p.output_is_accumulator else num
    cdef Py_ssize_t j
    if W is double:
        pyconv_omit_ratio_f64(target, num, den, count, scale)
    elif W is float:
        pyconv_omit_ratio_f32(target, num, den, count, scale)
    elif W is floatcomplex or W is doublecomplex:
        for j in range(count):
            if den[j] != 0:
                target[j] = num[j] / den[j] * scale
            else:
                target[j] = <W> NAN
    if not p.output_is_accumulator:
        store(p.output + out_offset * p.output_itemsize, p.out_strides[p.ndim - 1], num,
              count, p)


cdef inline void accumulate_present(W* num, W* den, Py_ssize_t count, const W** sources,
                                    const Py_ssize_t* steps, const W* weights,
                                    Py_ssize_t n_taps, bint unit_steps) noexcept nogil:
    """Omit: num[j] = sum of w * x and den[j] = sum of w over the taps whose
    x is present (not NaN; a complex value with either part NaN is missing),
    in tap order, in one pass over the values (_omit.h for real types)."""
    cdef Py_ssize_t j, t
    cdef W x, zero = 0
    if W is double:
        pyconv_omit_f64(num, den, count, sources, steps, weights, n_taps, unit_steps)
    elif W is float:
        pyconv_omit_f32(num, den, count, sources, steps, weights, n_taps, unit_steps)
    elif W is floatcomplex or W is doublecomplex:
        for j in range(count):
            num[j] = zero
            den[j] = zero
        for t in range(n_taps):
            for j in range(count):
                x = sources[t][j * steps[t]]
                if x.real == x.real and x.imag == x.imag:
                    num[j] = num[j] + weights[t] * x
                    den[j] = den[j] + weights[t]


cdef inline void split_present(W* num, W* den, Py_ssize_t count, const W** sources,
                               Py_ssize_t n_taps, const Scratch* scratch) noexcept nogil:
    """Omit, unit steps, taps reading one range: the values there with 0 for
    NaN, and 1 or 0 for present or not, once each (scratch.present); then
    num and den are the plain sums over those, in the fast blocked loops.
    w * 0 may be -0, where accumulate_present adds +0: a sum that starts at
    +0 never becomes -0 this way, so both give the same bits."""
    cdef const W* low = sources[0]
    cdef const W* high = sources[0]
    cdef Py_ssize_t i, t, region
    cdef W x
    for t in range(1, n_taps):
        low = min(low, sources[t])
        high = max(high, sources[t])
    region = high - low + count
    cdef W* values = <W*> scratch.present
    cdef W* present = values + region
    for i in range(region):
        x = low[i]
        values[i] = x if x == x else 0
        present[i] = 1 if x == x else 0
    for t in range(n_taps):
        sources[n_taps + t] = present + (sources[t] - low)
        sources[t] = values + (sources[t] - low)
    accumulate_taps(num, count, sources, scratch.steps, <W*> scratch.weights, n_taps, True,
                    scratch.parts)
    accumulate_taps(den, count, sources + n_taps, scratch.steps, <W*> scratch.weights, n_taps,
                    True, scratch.parts)


cdef inline Py_ssize_t output_line(const Plan* p, Py_ssize_t line, Py_ssize_t* out_index,
                                   int n_axes) noexcept nogil:
    """Output line number `line` over the first `n_axes` axes: its index on
    each (`out_index`) and its output element offset (returned)."""
    cdef Py_ssize_t a, out_offset = 0
    for a in range(n_axes - 1, -1, -1):
        out_index[a] = line % p.out_shape[a]
        line = line // p.out_shape[a]
        out_offset += out_index[a] * p.out_strides[a]
    return out_offset


cdef inline void row_lines(const Plan* p, const Py_ssize_t* out_index,
                           Py_ssize_t* row_sources, uint8_t* row_constant) noexcept nogil:
    """The input line each kernel row reads (element offset), through each
    axis' boundary rule, or row_constant when it lies past a constant edge."""
    cdef int line_axis = p.ndim - 1
    cdef Py_ssize_t r, a, position, index, src_offset
    cdef bint constant
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


cdef void process_item(const Plan* p, Py_ssize_t item, const W* cval_cell,
                       const Scratch* scratch) noexcept nogil:
    """One chunk of one output line: every kernel row's taps, piece by piece."""
    cdef int line_axis = p.ndim - 1
    cdef Py_ssize_t segment = item % p.n_segments
    cdef Py_ssize_t step = p.stride[line_axis]
    cdef Py_ssize_t out_index[MAX_DIMS]
    cdef Py_ssize_t out_offset = output_line(p, item // p.n_segments, out_index, line_axis)
    cdef Py_ssize_t piece_start[3]
    cdef Py_ssize_t piece_count[3]
    cdef bint piece_interior[3]
    cdef Py_ssize_t r, n, k, n_pieces
    cdef bint direct, per_tap
    cdef Py_ssize_t* row_sources = scratch.row_sources
    cdef uint8_t* row_constant = scratch.row_constant
    cdef const W** sources = <const W**> scratch.sources
    cdef Py_ssize_t* steps = scratch.steps
    cdef W* weights = <W*> scratch.weights

    # Once per item, whatever pieces the chunk has.
    row_lines(p, out_index, row_sources, row_constant)
    # Edge pieces gather (past the line's ends), the interior reads in place.
    n_pieces = pieces(p, segment, piece_start, piece_count, piece_interior)
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


# --------------------------------------------------------------------------
# Strips of output lines along axis ndim - 2
# --------------------------------------------------------------------------

cdef inline Py_ssize_t strip_start(const Plan* p, Py_ssize_t item, Py_ssize_t* out_index,
                                   Py_ssize_t* base, Py_ssize_t* n_out) noexcept nogil:
    """A strip item's first output line y0 (returned), its index on the axes
    before ndim - 2 (`out_index`, `base` the output offset) and its lines."""
    cdef int strip_axis = p.ndim - 2
    cdef Py_ssize_t group = item // p.n_segments
    cdef Py_ssize_t out_len = p.out_shape[strip_axis]
    cdef Py_ssize_t groups_per_run = (out_len + p.strip_group - 1) // p.strip_group
    cdef Py_ssize_t y0 = (group % groups_per_run) * p.strip_group
    n_out[0] = min(p.strip_group, out_len - y0)
    base[0] = output_line(p, group // groups_per_run, out_index, strip_axis)
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


cdef void filter_strip_lines(const Plan* p, Py_ssize_t segment, const Py_ssize_t* out_index,
                             Py_ssize_t first_y, Py_ssize_t n_positions, const W* cval_cell,
                             const Scratch* scratch) noexcept nogil:
    """Separable strips: H = b along the line, for every input line the strip
    reads (`needed`), into the strip's buffer, piece by piece."""
    cdef int line_axis = p.ndim - 1
    cdef int strip_axis = p.ndim - 2
    cdef Py_ssize_t piece_start[3]
    cdef Py_ssize_t piece_count[3]
    cdef bint piece_interior[3]
    cdef Py_ssize_t n_pieces = pieces(p, segment, piece_start, piece_count, piece_interior)
    cdef Py_ssize_t o, q, k, n, count, first, index, src_other
    cdef bint constant_other, direct, per_tap
    cdef const W** sources = <const W**> scratch.sources
    cdef W* filtered = <W*> scratch.lines
    cdef W* line
    cdef Py_ssize_t den_offset = p.strip_n_other * p.strip_positions * seg_len(p, segment)
    cdef Py_ssize_t* line_sources = scratch.row_sources  # per position of the strip
    cdef uint8_t* line_constant = scratch.row_constant
    for o in range(p.strip_n_other):
        # The input lines this combination of other taps reads, once per item.
        constant_other = other_lines(p, out_index, o, &src_other)
        for q in range(n_positions):
            if not scratch.needed[q]:
                continue
            index = extend_index(first_y + q, p.in_shape[strip_axis], p.mode[strip_axis])
            line_constant[q] = constant_other or index < 0
            line_sources[q] = 0 if line_constant[q] else (
                src_other + index * p.in_strides[strip_axis])
        for k in range(n_pieces):
            count = piece_count[k]
            first = piece_start[k] * p.stride[line_axis] - p.before[line_axis]
            direct = piece_interior[k]
            per_tap = not direct and gathers_per_tap(p, count)
            for q in range(n_positions):
                if not scratch.needed[q]:
                    continue
                n = line_taps(p, direct, per_tap, count, first,
                              p.input + line_sources[q] * p.input_itemsize, line_constant[q],
                              cval_cell, p.sep_line_taps, p.sep_line_offsets,
                              <const W*> p.sep_line_weights, <W*> scratch.row_bufs,
                              sources, scratch.steps, <W*> scratch.weights)
                line = (filtered + (o * p.strip_positions + q) * seg_len(p, segment)
                        + piece_start[k] - seg_start(p, segment))
                if p.omit:  # H of w*x, and H of w where x is present, half a buffer on
                    if p.sep_split and n > 0 and not per_tap and all_unit(scratch.steps, n):
                        split_present(line, line + den_offset, count, sources, n, scratch)
                    else:
                        accumulate_present(line, line + den_offset, count, sources,
                                           scratch.steps, <W*> scratch.weights, n,
                                           all_unit(scratch.steps, n))
                else:
                    accumulate_taps(line, count, sources, scratch.steps, <W*> scratch.weights,
                                    n, all_unit(scratch.steps, n), scratch.parts)


cdef void process_strip(const Plan* p, Py_ssize_t item, const W* cval_cell,
                        const Scratch* scratch) noexcept nogil:
    """A separable kernel, for a strip of output lines (see the module note).

    First H = b applied along the line, once per input line the strip reads;
    then each output line is the sum of a-weighted rows of H (as column
    strips sum them, when a has no other axes). Lines and rows
    past the edges go through the boundary rule as in process_item.
    """
    cdef int line_axis = p.ndim - 1
    cdef int strip_axis = p.ndim - 2
    cdef Py_ssize_t segment = item % p.n_segments
    cdef Py_ssize_t count = seg_len(p, segment)
    cdef Py_ssize_t out_index[MAX_DIMS]
    cdef Py_ssize_t base, n_out
    cdef Py_ssize_t y0 = strip_start(p, item, out_index, &base, &n_out)
    cdef Py_ssize_t step_y = p.stride[strip_axis], dilation_y = p.dilation[strip_axis]
    cdef Py_ssize_t n_positions = (n_out - 1) * step_y + (p.sep_outer_taps - 1) * dilation_y + 1
    cdef Py_ssize_t o, q, y, t, n, out_offset
    cdef Py_ssize_t den_offset = p.strip_n_other * p.strip_positions * count
    cdef const W** sources = <const W**> scratch.sources
    cdef W* weights = <W*> scratch.weights
    cdef const W* filtered = <const W*> scratch.lines
    cdef const W* outer_weights = <const W*> p.sep_outer_weights

    for q in range(n_positions):
        scratch.needed[q] = 0
    for y in range(n_out):
        for t in range(p.sep_outer_taps):
            scratch.needed[y * step_y + t * dilation_y] = 1
    filter_strip_lines(p, segment, out_index, y0 * step_y - p.before[strip_axis], n_positions,
                       cval_cell, scratch)
    if p.sep_columns:
        for q in range(n_positions):
            sources[q] = filtered + q * count
            if p.omit:  # the lines of the sums of w, half a buffer on
                sources[n_positions + q] = filtered + den_offset + q * count
        sum_columns(p, sources, sources + n_positions, n_out,
                    base + y0 * p.out_strides[strip_axis]
                    + seg_start(p, segment) * p.out_strides[line_axis], count, scratch)
        return
    # Each output line: the a-weighted rows of H.
    for y in range(n_out):
        n = 0
        for o in range(p.strip_n_other):
            for t in range(p.sep_outer_taps):
                if outer_weights[o * p.sep_outer_taps + t] == 0:
                    continue
                sources[n] = filtered + (o * p.strip_positions + y * step_y
                                         + t * dilation_y) * count
                scratch.steps[n] = 1
                weights[n] = outer_weights[o * p.sep_outer_taps + t]
                n += 1
        out_offset = (base + (y0 + y) * p.out_strides[strip_axis]
                      + seg_start(p, segment) * p.out_strides[line_axis])
        if p.omit:
            # Plain sums of a-weighted rows of both buffers (no NaN left in them).
            accumulate_taps(<W*> scratch.acc, count, sources, scratch.steps, weights, n, True,
                            scratch.parts)
            for t in range(n):
                sources[t] = sources[t] + den_offset
            accumulate_taps(<W*> scratch.den, count, sources, scratch.steps, weights, n, True,
                            scratch.parts)
            store_ratio(p, out_offset, count, <W*> scratch.acc, <const W*> scratch.den)
        else:
            finish(p, scratch, out_offset, count, sources, scratch.steps, weights, n)


cdef void gather_strip_lines(const Plan* p, const Py_ssize_t* out_index, Py_ssize_t first,
                             Py_ssize_t first_y, Py_ssize_t n_positions, Py_ssize_t phase_len,
                             const W* cval_cell, const Scratch* scratch) noexcept nogil:
    """Gathered strips: every input line the strip reads (`needed`), in phases,
    into the strip's buffer; `row_constant` marks those past a constant edge."""
    cdef int strip_axis = p.ndim - 2
    cdef Py_ssize_t step_x = p.stride[p.ndim - 1]
    cdef Py_ssize_t line_len = step_x * phase_len
    cdef Py_ssize_t o, q, slot, phase, index, src_other
    cdef bint constant_other
    cdef W* lines = <W*> scratch.lines
    for o in range(p.strip_n_other):
        constant_other = other_lines(p, out_index, o, &src_other)
        for q in range(n_positions):
            if not scratch.needed[q]:
                continue
            slot = o * p.strip_positions + q
            index = extend_index(first_y + q, p.in_shape[strip_axis], p.mode[strip_axis])
            scratch.row_constant[slot] = constant_other or index < 0
            if scratch.row_constant[slot]:
                continue
            for phase in range(step_x):
                if p.strip_phase_read[phase]:
                    gather(lines + slot * line_len + phase * phase_len, phase_len, first + phase,
                           step_x, p, p.input + (src_other + index * p.in_strides[strip_axis])
                           * p.input_itemsize, cval_cell[0])


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
    cdef int strip_axis = p.ndim - 2
    cdef Py_ssize_t segment = item % p.n_segments
    cdef Py_ssize_t start = seg_start(p, segment)
    cdef Py_ssize_t step_x = p.stride[p.ndim - 1]
    cdef Py_ssize_t phase_len = seg_len(p, segment) + p.span // step_x
    cdef Py_ssize_t out_index[MAX_DIMS]
    cdef Py_ssize_t base, n_out
    cdef Py_ssize_t y0 = strip_start(p, item, out_index, &base, &n_out)
    cdef Py_ssize_t step_y = p.stride[strip_axis], dilation_y = p.dilation[strip_axis]
    cdef Py_ssize_t n_positions = 0
    cdef Py_ssize_t q, y, r

    for r in range(p.n_rows):
        n_positions = max(n_positions, (n_out - 1) * step_y
                          + p.row_strip_tap[r] * dilation_y + 1)
    for q in range(n_positions):
        scratch.needed[q] = 0
    for y in range(n_out):
        for r in range(p.n_rows):
            scratch.needed[y * step_y + p.row_strip_tap[r] * dilation_y] = 1
    gather_strip_lines(p, out_index, start * step_x - p.before[p.ndim - 1],
                       y0 * step_y - p.before[strip_axis], n_positions, phase_len, cval_cell,
                       scratch)
    for y in range(n_out):
        sum_gathered_rows(p, y * step_y, phase_len, base + (y0 + y) * p.out_strides[strip_axis]
                          + start * p.out_strides[p.ndim - 1], seg_len(p, segment), cval_cell,
                          scratch)


cdef inline void sum_gathered_rows(const Plan* p, Py_ssize_t position, Py_ssize_t phase_len,
                                   Py_ssize_t out_offset, Py_ssize_t count, const W* cval_cell,
                                   const Scratch* scratch) noexcept nogil:
    """One output line of a gathered strip, its first row at strip `position`:
    every kernel row's taps, read in place in the buffered lines."""
    cdef Py_ssize_t step_x = p.stride[p.ndim - 1]
    cdef Py_ssize_t dilation_y = p.dilation[p.ndim - 2]
    cdef Py_ssize_t r, i, n = 0, slot, offset
    cdef bint constant
    cdef const W** sources = <const W**> scratch.sources
    cdef W* weights = <W*> scratch.weights
    cdef const W* row_weights = <const W*> p.row_weights
    cdef const W* line
    for r in range(p.n_rows):
        slot = p.row_other[r] * p.strip_positions + position + p.row_strip_tap[r] * dilation_y
        constant = scratch.row_constant[slot]
        if constant and p.skip_constant_rows:
            continue
        line = (<const W*> scratch.lines) + slot * step_x * phase_len
        for i in range(p.row_n_taps[r]):
            if constant:  # a line past a constant edge reads cval at step 0
                sources[n] = cval_cell
                scratch.steps[n] = 0
            else:
                offset = p.row_offsets[r * p.max_taps + i]
                if step_x == 1:  # (the common case: no integer division per tap)
                    sources[n] = line + offset
                else:
                    sources[n] = line + (offset % step_x) * phase_len + offset // step_x
                scratch.steps[n] = 1
            weights[n] = row_weights[r * p.max_taps + i]
            n += 1
    finish(p, scratch, out_offset, count, sources, scratch.steps, weights, n)


# --------------------------------------------------------------------------
# Column strips: a kernel one tap wide along the line, across lines
# --------------------------------------------------------------------------

cdef void process_column_strip(const Plan* p, Py_ssize_t item, const W* cval_cell,
                               const Scratch* scratch) noexcept nogil:
    """A strip of output lines along axis ndim - 2 of a kernel whose taps all
    lie on that axis, COLUMN_LINES lines at a time (pyconv_columns_<T>).

    Every input line the strip reads is read in place, or is a line of cval
    past a constant edge (skipped when those add nothing, as in process_item).
    """
    cdef int line_axis = p.ndim - 1
    cdef int strip_axis = p.ndim - 2
    cdef Py_ssize_t segment = item % p.n_segments
    cdef Py_ssize_t start = seg_start(p, segment), count = seg_len(p, segment)
    cdef Py_ssize_t out_index[MAX_DIMS]
    cdef Py_ssize_t base, n_out
    cdef Py_ssize_t y0 = strip_start(p, item, out_index, &base, &n_out)
    cdef Py_ssize_t step_y = p.stride[strip_axis]
    cdef Py_ssize_t first_y = y0 * step_y - p.before[strip_axis]
    cdef Py_ssize_t n_positions = (n_out - 1) * step_y + p.column_reach + 1
    cdef Py_ssize_t q, i, index, src_other
    cdef bint constant_other = other_lines(p, out_index, 0, &src_other)
    cdef bint cval_filled = False
    cdef const W** lines = <const W**> scratch.sources
    cdef W* cval_line = <W*> scratch.lines
    for q in range(n_positions):
        index = extend_index(first_y + q, p.in_shape[strip_axis], p.mode[strip_axis])
        if not constant_other and index >= 0:
            lines[q] = (<const W*> (p.input + (src_other + index * p.in_strides[strip_axis])
                                    * p.input_itemsize)) + start
        elif p.skip_constant_rows:
            lines[q] = NULL
        else:
            if not cval_filled:
                for i in range(count):
                    cval_line[i] = cval_cell[0]
                cval_filled = True
            lines[q] = cval_line
    sum_columns(p, lines, NULL, n_out, base + y0 * p.out_strides[strip_axis]
                + start * p.out_strides[line_axis], count, scratch)


cdef inline void sum_columns(const Plan* p, const W** lines, const W** den_lines,
                             Py_ssize_t n_out, Py_ssize_t out_offset, Py_ssize_t count,
                             const Scratch* scratch) noexcept nogil:
    """A strip's `n_out` output lines (the first at `out_offset`) from the
    lines it reads (`lines`, one per position along axis ndim - 2; NULL: a
    line that adds nothing), COLUMN_LINES at a time, with the plan's column
    masks and weights (pyconv_columns_<T>). With omit, `den_lines` are the
    lines of the sums of w, summed the same way, and the ratio is stored."""
    cdef int line_axis = p.ndim - 1
    cdef int strip_axis = p.ndim - 2
    cdef Py_ssize_t step_y = p.stride[strip_axis]
    cdef Py_ssize_t y = 0, u, r, n_used
    cdef Py_ssize_t out_offsets[PYCONV_COLUMN_LINES]
    cdef W* outs[PYCONV_COLUMN_LINES]
    cdef W* ratios[PYCONV_COLUMN_LINES]
    cdef int n_lines
    cdef uint8_t* masks = scratch.needed
    while y < n_out:
        n_lines = <int> min(<Py_ssize_t> PYCONV_COLUMN_LINES, n_out - y)
        n_used = (n_lines - 1) * step_y + p.column_reach + 1
        for u in range(n_used):
            masks[u] = (p.column_masks[u] & ((1 << n_lines) - 1)
                        if lines[y * step_y + u] != NULL else 0)
        for r in range(n_lines):
            out_offsets[r] = out_offset + (y + r) * p.out_strides[strip_axis]
            outs[r] = ((<W*> p.output) + out_offsets[r]
                       if p.output_is_accumulator and not p.omit
                       else (<W*> scratch.acc) + r * count)
        columns(outs, n_lines, count, lines + y * step_y, masks, p, n_used)
        if p.omit:
            for r in range(n_lines):
                ratios[r] = ((<W*> p.output) + out_offsets[r] if p.output_is_accumulator
                             else outs[r])
            columns_ratio(ratios, n_lines, count, den_lines + y * step_y, masks, p, n_used, outs)
            if not p.output_is_accumulator:
                for r in range(n_lines):
                    store(p.output + out_offsets[r] * p.output_itemsize,
                          p.out_strides[line_axis], outs[r], count, p)
        elif not p.output_is_accumulator:
            for r in range(n_lines):
                store(p.output + out_offsets[r] * p.output_itemsize, p.out_strides[line_axis],
                      outs[r], count, p)
        y += n_lines


cdef inline void columns(W** outs, int n_lines, Py_ssize_t count, const W** lines,
                         const uint8_t* masks, const Plan* p, Py_ssize_t n_used) noexcept nogil:
    if W is double:
        pyconv_columns_f64(outs, n_lines, count, lines, masks,
                           <const double*> p.column_weights, n_used)
    elif W is float:
        pyconv_columns_f32(outs, n_lines, count, lines, masks,
                           <const float*> p.column_weights, n_used)


cdef inline void columns_ratio(W** outs, int n_lines, Py_ssize_t count, const W** den_lines,
                               const uint8_t* masks, const Plan* p, Py_ssize_t n_used,
                               W** nums) noexcept nogil:
    """Omit: the column sums of `den_lines`, and outs[r] = nums[r] / those
    sums * (the sum of every weight), NaN where a sum is 0 (outs may be nums)."""
    if W is double:
        pyconv_columns_ratio_f64(outs, n_lines, count, den_lines, masks,
                                 <const double*> p.column_weights, n_used,
                                 <const double* const*> nums, (<const double*> p.weights_sum)[0])
    elif W is float:
        pyconv_columns_ratio_f32(outs, n_lines, count, den_lines, masks,
                                 <const float*> p.column_weights, n_used,
                                 <const float* const*> nums, (<const float*> p.weights_sum)[0])


# --------------------------------------------------------------------------
# Every item, in parallel
# --------------------------------------------------------------------------

cdef inline void process(const Plan* p, Py_ssize_t item, const W* cval_cell,
                         const Scratch* scratch) noexcept nogil:
    if p.strips == COLUMN_STRIPS:
        process_column_strip(p, item, cval_cell, scratch)
    elif p.strips == GATHERED_STRIPS:
        process_gathered_strip(p, item, cval_cell, scratch)
    elif p.strips == SEPARABLE_STRIPS:
        process_strip(p, item, cval_cell, scratch)
    else:
        process_item(p, item, cval_cell, scratch)


cdef void run_items(const Plan* p, const W* cval_cell, const Scratch* scratch_all,
                    Py_ssize_t begin, Py_ssize_t end, int n_threads,
                    double* timing) noexcept nogil:
    """Items [begin, end) on `n_threads` threads. Adds to `timing` the seconds
    the first thread spent on items, those it then waited for the others,
    the items it did and the items in all (see _openmp.record_wait)."""
    cdef Py_ssize_t item
    cdef const Scratch* scratch
    cdef double marks[3]  # start; the first thread's last item done; its items
    cdef double* mark = marks
    cdef Py_ssize_t grab = max(1, (end - begin) // (8 * n_threads))
    if n_threads == 1:  # no parallel region: no team to wake or wait for
        for item in range(begin, end):
            process(p, item, cval_cell, scratch_all)
        return
    mark[0] = mark[1] = omp_get_wtime()
    mark[2] = 0
    # Items are handed out as threads ask (a few at a time): a thread the OS
    # runs late takes fewer, and the others are not left waiting for its share.
    with parallel(num_threads=n_threads):
        scratch = scratch_all + threadid()
        for item in prange(begin, end, schedule="dynamic", chunksize=grab):
            process(p, item, cval_cell, scratch)
            if threadid() == 0:
                mark[1] = omp_get_wtime()
                mark[2] += 1
    timing[0] += mark[1] - mark[0]
    timing[1] += omp_get_wtime() - mark[1]
    timing[2] += mark[2]
    timing[3] += end - begin


cdef void run_chunks(const Plan* p, const W* cval_cell, const Scratch* scratch_all,
                     int n_threads, double* timing) except *:
    """Every item, a chunk at a time; between chunks, Ctrl-C gets through."""
    cdef Py_ssize_t begin = 0, end
    while begin < p.n_items:
        end = min(begin + p.chunk, p.n_items)
        with nogil:
            run_items(p, cval_cell, scratch_all, begin, end, n_threads, timing)
        PyErr_CheckSignals()
        begin = end
