# Reading and writing for the direct method (included by _direct.pyx):
# gather a run of input positions along a line through the boundary rule,
# converting to the working dtype W; store the working dtype to the output
# dtype (integers rounded half to even and saturated, NaN to 0). The dtype
# dispatch happens here, once per run of values, and nowhere else.

cdef extern from "_half.h":
    float pyconv_half_to_float(uint16_t half) noexcept nogil
    uint16_t pyconv_float_to_half(float value) noexcept nogil


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------

cdef inline void copy_run(W* dst, const In* src, Py_ssize_t step,
                          Py_ssize_t count) noexcept nogil:
    cdef Py_ssize_t q
    if step == 1:
        for q in range(count):
            dst[q] = <W> src[q]
    elif step == 2:  # a constant stride vectorises (gathered strips' phases)
        for q in range(count):
            dst[q] = <W> src[2 * q]
    else:
        for q in range(count):
            dst[q] = <W> src[q * step]


cdef inline void copy_half(W* dst, const uint16_t* src, Py_ssize_t step,
                           Py_ssize_t count) noexcept nogil:
    cdef Py_ssize_t q
    for q in range(count):
        dst[q] = <W> pyconv_half_to_float(src[q * step])


cdef inline void convert(W* dst, const char* src, Py_ssize_t step, Py_ssize_t count,
                         int in_type) noexcept nogil:
    # `step` counts elements of the input dtype. Complex data always works in
    # a complex dtype (the real ones never see it).
    if W is floatcomplex or W is doublecomplex:
        if in_type == COMPLEX64:
            copy_run(dst, <const float complex*> src, step, count)
            return
        if in_type == COMPLEX128:
            copy_run(dst, <const double complex*> src, step, count)
            return
    if in_type == FLOAT32:
        copy_run(dst, <const float*> src, step, count)
    elif in_type == FLOAT64:
        copy_run(dst, <const double*> src, step, count)
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
    elif in_type == INT64:
        copy_run(dst, <const int64_t*> src, step, count)
    elif in_type == FLOAT16:
        copy_half(dst, <const uint16_t*> src, step, count)

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
# Writing
# --------------------------------------------------------------------------

cdef inline void store_float(OutFloat* out, Py_ssize_t step, const W* acc,
                             Py_ssize_t count) noexcept nogil:
    cdef Py_ssize_t q
    if step == 1:
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



cdef inline void store_int(OutInt* out, Py_ssize_t step, const R* acc,
                           Py_ssize_t count) noexcept nogil:
    # Round half to even, then saturate; NaN becomes 0.
    cdef Py_ssize_t q, done
    cdef OutInt lowest, highest
    cdef R value, low, high
    int_limits(&lowest, &highest)
    low = <R> lowest
    high = <R> highest
    if sizeof(OutInt) < 8:
        # The limits are exact in W and integers, so clamping before
        # rounding is the same as after; branch-free. On an AVX2 build,
        # float32 sums to 8/16 bits go through _store_small_int.h, whole
        # vectors at a time (8- and 16-bit images are the common case).
        if step == 1:
            done = 0
            if R is float and sizeof(OutInt) <= 2:
                done = pyconv_store_small_int(<char*> out, acc, NULL, 1, count,
                                              sizeof(OutInt), lowest < 0)
            for q in range(done, count):
                value = acc[q] if acc[q] == acc[q] else 0
                value = value if value > low else low
                value = value if value < high else high
                out[q] = <OutInt> (nearbyintf(value) if R is float else nearbyint(value))
        else:
            for q in range(count):
                value = acc[q] if acc[q] == acc[q] else 0
                value = value if value > low else low
                value = value if value < high else high
                out[q * step] = <OutInt> (nearbyintf(value) if R is float else nearbyint(value))
    else:
        # 64-bit limits round up to 2**63 / 2**64 in W, so "value >= high"
        # is the exact saturation test and every value below it converts.
        for q in range(count):
            value = nearbyint(acc[q]) if R is double else nearbyintf(acc[q])
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
            store_values(out + done * step * p.output_itemsize, step, scaled, n, out_type)
            done += n
    else:
        store_values(out, step, acc, count, out_type)


cdef inline void store_values(char* out, Py_ssize_t step, const W* acc, Py_ssize_t count,
                              int out_type) noexcept nogil:
    # Complex results always go to a complex output; a float16 output always
    # works in float32; integer sums arrive scaled to float32 (see store).
    cdef Py_ssize_t q
    if W is floatcomplex or W is doublecomplex:
        if out_type == COMPLEX64:
            store_float(<float complex*> out, step, acc, count)
        else:
            store_float(<double complex*> out, step, acc, count)
    elif W is float or W is double:
        if out_type == FLOAT32:
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
        elif out_type == INT64:
            store_int(<int64_t*> out, step, acc, count)
        elif W is float and out_type == FLOAT16:
            for q in range(count):
                (<uint16_t*> out)[q * step] = pyconv_float_to_half(acc[q])
