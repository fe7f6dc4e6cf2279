/*
 * One type's portable sums (see _blocks_portable.h), included once per type
 * with PYCONV_T (the working type), PYCONV_SUFFIX (the names' ending) and
 * PYCONV_BLOCK (outputs per block) defined.
 */
#define PYCONV_NAME(name) PYCONV_PASTE(name, PYCONV_SUFFIX)

/* One block of PYCONV_BLOCK outputs from j on, every step 1, into
 * out[0 .. PYCONV_BLOCK): the hot loop. Nothing but the sums in the loop
 * over taps, and constant bounds, so the accumulators stay in registers. */
static inline void PYCONV_NAME(pyconv_unit8)(PYCONV_T *PYCONV_RESTRICT out, Py_ssize_t j,
                                             const PYCONV_T *const *sources,
                                             const PYCONV_T *weights, Py_ssize_t n_taps)
{
    PYCONV_T acc[PYCONV_BLOCK];
    for (int k = 0; k < PYCONV_BLOCK; k++)
        acc[k] = 0;
    for (Py_ssize_t t = 0; t < n_taps; t++) {
        const PYCONV_T w = weights[t];
        const PYCONV_T *PYCONV_RESTRICT src = sources[t] + j;
        PYCONV_SIMD_LOOP
        for (int k = 0; k < PYCONV_BLOCK; k++)
            acc[k] = (PYCONV_T)(acc[k] + w * src[k]);
    }
    for (int k = 0; k < PYCONV_BLOCK; k++)
        out[k] = acc[k];
}

/* n <= PYCONV_BLOCK outputs from j on with any steps (0: one value, a row
 * of cval), into out[0 .. n). */
static inline void PYCONV_NAME(pyconv_strided)(PYCONV_T *PYCONV_RESTRICT out, Py_ssize_t j,
                                               Py_ssize_t n, const PYCONV_T *const *sources,
                                               const Py_ssize_t *steps,
                                               const PYCONV_T *weights, Py_ssize_t n_taps)
{
    PYCONV_T acc[PYCONV_BLOCK];
    for (Py_ssize_t k = 0; k < n; k++)
        acc[k] = 0;
    for (Py_ssize_t t = 0; t < n_taps; t++) {
        const PYCONV_T w = weights[t];
        const Py_ssize_t step = steps[t];
        const PYCONV_T *PYCONV_RESTRICT src = sources[t] + j * step;
        for (Py_ssize_t k = 0; k < n; k++)
            acc[k] = (PYCONV_T)(acc[k] + w * src[k * step]);
    }
    for (Py_ssize_t k = 0; k < n; k++)
        out[k] = acc[k];
}

static inline void PYCONV_NAME(pyconv_accumulate)(PYCONV_T *out, Py_ssize_t count,
                                                  const PYCONV_T *const *sources,
                                                  const Py_ssize_t *steps,
                                                  const PYCONV_T *weights,
                                                  Py_ssize_t n_taps, int unit_steps)
{
    Py_ssize_t j = 0;
    if (unit_steps)
        for (; j + PYCONV_BLOCK <= count; j += PYCONV_BLOCK)
            PYCONV_NAME(pyconv_unit8)(out + j, j, sources, weights, n_taps);
    for (; j < count; j += PYCONV_BLOCK) {
        const Py_ssize_t n = count - j < PYCONV_BLOCK ? count - j : PYCONV_BLOCK;
        PYCONV_NAME(pyconv_strided)(out + j, j, n, sources, steps, weights, n_taps);
    }
}

/* Column strips (see _blocks.h): the sums of n <= PYCONV_COLUMN_BLOCK
 * outputs of every line from j on, into acc; the full blocks pass n as a
 * constant. */
#define PYCONV_COLUMN_BLOCK (PYCONV_BLOCK / PYCONV_COLUMN_LINES)
static inline void PYCONV_NAME(pyconv_column_sums)(PYCONV_T acc[][PYCONV_COLUMN_BLOCK],
                                                   Py_ssize_t j, Py_ssize_t n,
                                                   const PYCONV_T *const *lines,
                                                   const unsigned char *masks,
                                                   const PYCONV_T *weights,
                                                   Py_ssize_t n_positions)
{
    for (int r = 0; r < PYCONV_COLUMN_LINES; r++)
        for (Py_ssize_t k = 0; k < n; k++)
            acc[r][k] = 0;
    for (Py_ssize_t u = 0; u < n_positions; u++) {
        if (masks[u] == 0)  /* (a line skipped: no pointer) */
            continue;
        const PYCONV_T *PYCONV_RESTRICT src = lines[u] + j;
        for (int r = 0; r < PYCONV_COLUMN_LINES; r++) {
            if (masks[u] >> r & 1) {
                const PYCONV_T w = weights[u * PYCONV_COLUMN_LINES + r];
                PYCONV_SIMD_LOOP
                for (Py_ssize_t k = 0; k < n; k++)
                    acc[r][k] = (PYCONV_T)(acc[r][k] + w * src[k]);
            }
        }
    }
}

static inline void PYCONV_NAME(pyconv_column)(PYCONV_T *const *out, int n_lines, Py_ssize_t j,
                                              Py_ssize_t n, const PYCONV_T *const *lines,
                                              const unsigned char *masks,
                                              const PYCONV_T *weights, Py_ssize_t n_positions)
{
    PYCONV_T acc[PYCONV_COLUMN_LINES][PYCONV_COLUMN_BLOCK];
    PYCONV_NAME(pyconv_column_sums)(acc, j, n, lines, masks, weights, n_positions);
    for (int r = 0; r < n_lines; r++)
        for (Py_ssize_t k = 0; k < n; k++)
            out[r][j + k] = acc[r][k];
}

static inline void PYCONV_NAME(pyconv_columns)(PYCONV_T *const *out, int n_lines,
                                               Py_ssize_t count, const PYCONV_T *const *lines,
                                               const unsigned char *masks,
                                               const PYCONV_T *weights, Py_ssize_t n_positions)
{
    Py_ssize_t j = 0;
    for (; j + PYCONV_COLUMN_BLOCK <= count; j += PYCONV_COLUMN_BLOCK)
        PYCONV_NAME(pyconv_column)(out, n_lines, j, PYCONV_COLUMN_BLOCK, lines, masks, weights,
                                   n_positions);
    if (j < count)
        PYCONV_NAME(pyconv_column)(out, n_lines, j, count - j, lines, masks, weights,
                                   n_positions);
}

#if PYCONV_FLOATING
/* nan_policy="omit" (see _blocks.h): the column sums are the present
 * weights' (den); out[r][i] = nums[r][i] / den * scale, NaN where den is
 * 0 (out may be nums). */
static inline void PYCONV_NAME(pyconv_columns_ratio)(PYCONV_T *const *out, int n_lines,
                                                     Py_ssize_t count,
                                                     const PYCONV_T *const *lines,
                                                     const unsigned char *masks,
                                                     const PYCONV_T *weights,
                                                     Py_ssize_t n_positions,
                                                     const PYCONV_T *const *nums,
                                                     PYCONV_T scale)
{
    PYCONV_T acc[PYCONV_COLUMN_LINES][PYCONV_COLUMN_BLOCK];
    for (Py_ssize_t j = 0; j < count; j += PYCONV_COLUMN_BLOCK) {
        const Py_ssize_t n = count - j < PYCONV_COLUMN_BLOCK ? count - j : PYCONV_COLUMN_BLOCK;
        PYCONV_NAME(pyconv_column_sums)(acc, j, n, lines, masks, weights, n_positions);
        for (int r = 0; r < n_lines; r++)
            for (Py_ssize_t k = 0; k < n; k++)
                out[r][j + k] = acc[r][k] != 0
                    ? (PYCONV_T)(nums[r][j + k] / acc[r][k] * scale) : (PYCONV_T)NAN;
    }
}
#endif
#undef PYCONV_COLUMN_BLOCK

#undef PYCONV_NAME
#undef PYCONV_T
#undef PYCONV_SUFFIX
#undef PYCONV_BLOCK
#undef PYCONV_FLOATING
