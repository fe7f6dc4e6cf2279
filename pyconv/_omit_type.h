/*
 * One type's sums for nan_policy="omit" (see _omit.h), included once per
 * type with PYCONV_T, PYCONV_SUFFIX and PYCONV_OMIT_BLOCK defined.
 */
#define PYCONV_OMIT_NAME(name) PYCONV_OMIT_PASTE(name, PYCONV_SUFFIX)

/* n <= PYCONV_OMIT_BLOCK outputs from j on (n a constant in the hot call:
 * every step 1), into num[0 .. n) and den[0 .. n). */
static inline void PYCONV_OMIT_NAME(pyconv_omit_block)(
    PYCONV_T *PYCONV_OMIT_RESTRICT num, PYCONV_T *PYCONV_OMIT_RESTRICT den, Py_ssize_t j,
    Py_ssize_t n, const PYCONV_T *const *sources, const Py_ssize_t *steps,
    const PYCONV_T *weights, Py_ssize_t n_taps, int unit_steps)
{
    PYCONV_T acc[PYCONV_OMIT_BLOCK];
    PYCONV_T present_weight[PYCONV_OMIT_BLOCK];
    for (int k = 0; k < PYCONV_OMIT_BLOCK; k++) {
        acc[k] = 0;
        present_weight[k] = 0;
    }
    if (unit_steps && n == PYCONV_OMIT_BLOCK) {
        for (Py_ssize_t t = 0; t < n_taps; t++) {
            const PYCONV_T w = weights[t];
            const PYCONV_T *PYCONV_OMIT_RESTRICT src = sources[t] + j;
            for (int k = 0; k < PYCONV_OMIT_BLOCK; k++) {
                const PYCONV_T x = src[k];
                const int present = x == x;
                acc[k] = (PYCONV_T)(acc[k] + w * (present ? x : (PYCONV_T)0));
                present_weight[k] = (PYCONV_T)(present_weight[k] + (present ? w : (PYCONV_T)0));
            }
        }
    } else {
        for (Py_ssize_t t = 0; t < n_taps; t++) {
            const PYCONV_T w = weights[t];
            const Py_ssize_t step = steps[t];
            const PYCONV_T *PYCONV_OMIT_RESTRICT src = sources[t] + j * step;
            for (Py_ssize_t k = 0; k < n; k++) {
                const PYCONV_T x = src[k * step];
                const int present = x == x;
                acc[k] = (PYCONV_T)(acc[k] + w * (present ? x : (PYCONV_T)0));
                present_weight[k] = (PYCONV_T)(present_weight[k] + (present ? w : (PYCONV_T)0));
            }
        }
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        num[k] = acc[k];
        den[k] = present_weight[k];
    }
}

static inline void PYCONV_OMIT_NAME(pyconv_omit)(PYCONV_T *num, PYCONV_T *den,
                                                 Py_ssize_t count,
                                                 const PYCONV_T *const *sources,
                                                 const Py_ssize_t *steps,
                                                 const PYCONV_T *weights, Py_ssize_t n_taps,
                                                 int unit_steps)
{
    for (Py_ssize_t j = 0; j < count; j += PYCONV_OMIT_BLOCK) {
        const Py_ssize_t n = count - j < PYCONV_OMIT_BLOCK ? count - j : PYCONV_OMIT_BLOCK;
        PYCONV_OMIT_NAME(pyconv_omit_block)(num + j, den + j, j, n, sources, steps, weights,
                                            n_taps, unit_steps);
    }
}

/* num[i] = num[i] / den[i] * scale, or NaN where den[i] is 0 (no present
 * sample under a non-zero weight). */
static inline void PYCONV_OMIT_NAME(pyconv_omit_ratio)(PYCONV_T *num, const PYCONV_T *den,
                                                       Py_ssize_t count, PYCONV_T scale)
{
    for (Py_ssize_t i = 0; i < count; i++)
        num[i] = den[i] != 0 ? (PYCONV_T)(num[i] / den[i] * scale) : (PYCONV_T)NAN;
}

#undef PYCONV_OMIT_NAME
#undef PYCONV_T
#undef PYCONV_SUFFIX
#undef PYCONV_OMIT_BLOCK
