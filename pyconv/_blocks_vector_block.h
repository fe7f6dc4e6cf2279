/*
 * The blocks of PYCONV_NV vectors of one type (see _blocks_vector_type.h),
 * included once per block size with PYCONV_NV defined (8, 4, 2 or 1), and
 * undefined again at the end: pyconv_block<NV>_<T> and pyconv_unit<NV>_<T>.
 * PYCONV_NV is a constant, so the k loops unroll and the accumulator array
 * is indexed by constants only: it lives in registers.
 */
#define PYCONV_BLOCK_NAME(name) PYCONV_NAME(PYCONV_CAT(name, PYCONV_NV))

/* NV vectors of outputs from j on, into out[0 .. NV * V), taps with any
 * steps (0: a row of cval, the same value everywhere). */
static inline void PYCONV_BLOCK_NAME(pyconv_block)(PYCONV_T *out, Py_ssize_t j,
                                                   const PYCONV_T *const *sources,
                                                   const Py_ssize_t *steps,
                                                   const PYCONV_T *weights, Py_ssize_t n_taps)
{
    PYCONV_VT acc[PYCONV_NV];
#pragma GCC unroll 8
    for (int k = 0; k < PYCONV_NV; k++)
        acc[k] = (PYCONV_VT){0};
    for (Py_ssize_t t = 0; t < n_taps; t++) {
        const Py_ssize_t step = steps[t];
        const PYCONV_T *src = sources[t] + j * step;
        const PYCONV_VT w = PYCONV_NAME(pyconv_splat)(weights[t]);
        if (step == 0) {
            const PYCONV_VT x = PYCONV_NAME(pyconv_splat)(src[0]);
#pragma GCC unroll 8
            for (int k = 0; k < PYCONV_NV; k++)
                acc[k] += w * x;
        } else {
#pragma GCC unroll 8
            for (int k = 0; k < PYCONV_NV; k++)
                acc[k] += w * PYCONV_NAME(pyconv_load)(src + k * PYCONV_V * step, step);
        }
    }
#pragma GCC unroll 8
    for (int k = 0; k < PYCONV_NV; k++)
        memcpy(out + k * PYCONV_V, &acc[k], sizeof(PYCONV_VT));
}

/* The same for taps that all read consecutive values (every step 1):
 * one unaligned load per vector and tap. */
static inline void PYCONV_BLOCK_NAME(pyconv_unit)(PYCONV_T *out, Py_ssize_t j,
                                                  const PYCONV_T *const *sources,
                                                  const PYCONV_T *weights, Py_ssize_t n_taps)
{
    PYCONV_VT acc[PYCONV_NV];
#pragma GCC unroll 8
    for (int k = 0; k < PYCONV_NV; k++)
        acc[k] = (PYCONV_VT){0};
    Py_ssize_t t = 0;
    while (t < n_taps) {
        const PYCONV_T *src = sources[t] + j;
        /* run: taps from t on that read consecutive values and share their
         * loads (the 64-byte build only; elsewhere always 1). */
        int run = 1;
#if PYCONV_SHIFTED_RUNS
        if (PYCONV_NV > 1)
            while (run < PYCONV_RUN_TAPS && t + run < n_taps
                   && sources[t + run] == sources[t] + run)
                run++;
#endif
        if (run == 1) {
            const PYCONV_VT w = PYCONV_NAME(pyconv_splat)(weights[t]);
#pragma GCC unroll 8
            for (int k = 0; k < PYCONV_NV; k++) {
                PYCONV_VT x;
                memcpy(&x, src + k * PYCONV_V, sizeof(PYCONV_VT));
                acc[k] += w * x;
            }
            t++;
            continue;
        }
#if PYCONV_SHIFTED_RUNS
        /* Taps t .. t + run - 1 read consecutive values: load the
         * block's values once and shift them across registers for each
         * tap. The last vector loads its own, so nothing past the last
         * value used is read. */
        PYCONV_VT x[PYCONV_NV];
#pragma GCC unroll 8
        for (int k = 0; k < PYCONV_NV; k++)
            memcpy(&x[k], src + k * PYCONV_V, sizeof(PYCONV_VT));
#pragma GCC unroll 8
        for (int shift = 0; shift < PYCONV_RUN_TAPS; shift++) {
            if (shift < run) {
                const PYCONV_VT w = PYCONV_NAME(pyconv_splat)(weights[t + shift]);
#pragma GCC unroll 8
                for (int k = 0; k < PYCONV_NV - 1; k++)
                    acc[k] += w * PYCONV_NAME(pyconv_shift)(x[k], x[k + 1], shift);
                PYCONV_VT last;
                memcpy(&last, src + (PYCONV_NV - 1) * PYCONV_V + shift, sizeof(PYCONV_VT));
                acc[PYCONV_NV - 1] += w * last;
            }
        }
        t += run;
#endif
    }
#pragma GCC unroll 8
    for (int k = 0; k < PYCONV_NV; k++)
        memcpy(out + k * PYCONV_V, &acc[k], sizeof(PYCONV_VT));
}

#if PYCONV_NV <= 2
/* Column strips (see _blocks.h): the sums of NV vectors of up to
 * PYCONV_COLUMN_LINES output lines from j on, into acc. The accumulators of
 * every line stay in registers (4 lines of 2 vectors: 8 of the AVX2 build's
 * 16 registers), and each input vector is loaded once for all of them. */
static inline __attribute__((always_inline)) void PYCONV_BLOCK_NAME(pyconv_column_sums)(
    PYCONV_VT acc[PYCONV_COLUMN_LINES][PYCONV_NV], Py_ssize_t j, const PYCONV_T *const *lines,
    const unsigned char *masks, const PYCONV_T *weights, Py_ssize_t n_positions)
{
    enum { L = PYCONV_COLUMN_LINES, ALL = (1 << PYCONV_COLUMN_LINES) - 1 };
#pragma GCC unroll 8
    for (int r = 0; r < L; r++)
#pragma GCC unroll 8
        for (int k = 0; k < PYCONV_NV; k++)
            acc[r][k] = (PYCONV_VT){0};
    for (Py_ssize_t u = 0; u < n_positions; u++) {
        const unsigned mask = masks[u];
        if (mask == 0)
            continue;
        const PYCONV_T *src = lines[u] + j;
        const PYCONV_T *w = weights + u * L;
        PYCONV_VT x[PYCONV_NV];
#pragma GCC unroll 8
        for (int k = 0; k < PYCONV_NV; k++)
            memcpy(&x[k], src + k * PYCONV_V, sizeof(PYCONV_VT));
        /* Every line (the interior of a strip): no test per line. */
        if (mask == ALL) {
#pragma GCC unroll 8
            for (int r = 0; r < L; r++) {
                const PYCONV_VT wr = PYCONV_NAME(pyconv_splat)(w[r]);
#pragma GCC unroll 8
                for (int k = 0; k < PYCONV_NV; k++)
                    acc[r][k] += wr * x[k];
            }
        } else {
#pragma GCC unroll 8
            for (int r = 0; r < L; r++) {
                if (mask >> r & 1) {
                    const PYCONV_VT wr = PYCONV_NAME(pyconv_splat)(w[r]);
#pragma GCC unroll 8
                    for (int k = 0; k < PYCONV_NV; k++)
                        acc[r][k] += wr * x[k];
                }
            }
        }
    }
}

/* The column sums of n_lines lines from j on, into out[r][j ..). */
static inline void PYCONV_BLOCK_NAME(pyconv_column)(PYCONV_T *const *out, int n_lines,
                                                    Py_ssize_t j,
                                                    const PYCONV_T *const *lines,
                                                    const unsigned char *masks,
                                                    const PYCONV_T *weights,
                                                    Py_ssize_t n_positions)
{
    PYCONV_VT acc[PYCONV_COLUMN_LINES][PYCONV_NV];
    PYCONV_BLOCK_NAME(pyconv_column_sums)(acc, j, lines, masks, weights, n_positions);
#pragma GCC unroll 8
    for (int r = 0; r < PYCONV_COLUMN_LINES; r++)
        if (r < n_lines)
#pragma GCC unroll 8
            for (int k = 0; k < PYCONV_NV; k++)
                memcpy(out[r] + j + k * PYCONV_V, &acc[r][k], sizeof(PYCONV_VT));
}

#if PYCONV_FLOATING
/* nan_policy="omit" (see _blocks.h): the column sums are the present
 * weights' (den); out[r][i] = nums[r][i] / den * scale, NaN where den is 0,
 * from j on. The divisions overlap the next block's sums. */
static inline void PYCONV_BLOCK_NAME(pyconv_column_ratio)(
    PYCONV_T *const *out, int n_lines, Py_ssize_t j, const PYCONV_T *const *lines,
    const unsigned char *masks, const PYCONV_T *weights, Py_ssize_t n_positions,
    const PYCONV_T *const *nums, PYCONV_T scale)
{
    PYCONV_VT acc[PYCONV_COLUMN_LINES][PYCONV_NV];
    PYCONV_BLOCK_NAME(pyconv_column_sums)(acc, j, lines, masks, weights, n_positions);
    const PYCONV_VT s = PYCONV_NAME(pyconv_splat)(scale);
    const PYCONV_IT nan = (PYCONV_IT)PYCONV_NAME(pyconv_splat)((PYCONV_T)NAN);
#pragma GCC unroll 8
    for (int r = 0; r < PYCONV_COLUMN_LINES; r++)
        if (r < n_lines)
#pragma GCC unroll 8
            for (int k = 0; k < PYCONV_NV; k++) {
                PYCONV_VT num;
                memcpy(&num, nums[r] + j + k * PYCONV_V, sizeof num);
                const PYCONV_VT den = acc[r][k];
                const PYCONV_IT present = den != (PYCONV_VT){0};
                const PYCONV_VT q = (PYCONV_VT)(((PYCONV_IT)(num / den * s) & present)
                                                | (nan & ~present));
                memcpy(out[r] + j + k * PYCONV_V, &q, sizeof q);
            }
}
#endif
#endif

#undef PYCONV_BLOCK_NAME
#undef PYCONV_NV
