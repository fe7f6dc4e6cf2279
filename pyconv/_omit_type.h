/*
 * One type's sums for nan_policy="omit" (see _omit.h), included once per
 * type with PYCONV_T, PYCONV_SUFFIX, PYCONV_OMIT_BLOCK and (vector builds)
 * PYCONV_OMIT_VT / PYCONV_OMIT_IT, the vector type and its integer twin.
 */
#define PYCONV_OMIT_NAME(name) PYCONV_PASTE(name, PYCONV_SUFFIX)

/* n <= PYCONV_OMIT_BLOCK outputs from j on with any steps, into
 * num[0 .. n) and den[0 .. n). */
static inline void PYCONV_OMIT_NAME(pyconv_omit_block)(
    PYCONV_T *PYCONV_OMIT_RESTRICT num, PYCONV_T *PYCONV_OMIT_RESTRICT den, Py_ssize_t j,
    Py_ssize_t n, const PYCONV_T *const *sources, const Py_ssize_t *steps,
    const PYCONV_T *weights, Py_ssize_t n_taps)
{
    PYCONV_T acc[PYCONV_OMIT_BLOCK];
    PYCONV_T present_weight[PYCONV_OMIT_BLOCK];
    for (Py_ssize_t k = 0; k < n; k++) {
        acc[k] = 0;
        present_weight[k] = 0;
    }
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
    for (Py_ssize_t k = 0; k < n; k++) {
        num[k] = acc[k];
        den[k] = present_weight[k];
    }
}

#ifdef PYCONV_OMIT_VT
/* PYCONV_OMIT_BLOCK outputs from j on, every step 1: the accumulators stay
 * in registers, and the mask is the comparison's lanes (see _omit.h). */
static inline void PYCONV_OMIT_NAME(pyconv_omit_unit)(
    PYCONV_T *num, PYCONV_T *den, Py_ssize_t j, const PYCONV_T *const *sources,
    const PYCONV_T *weights, Py_ssize_t n_taps)
{
    enum { V = sizeof(PYCONV_OMIT_VT) / sizeof(PYCONV_T) };
    PYCONV_OMIT_VT acc[PYCONV_OMIT_VECTORS];
    PYCONV_OMIT_VT present_weight[PYCONV_OMIT_VECTORS];
    for (int k = 0; k < PYCONV_OMIT_VECTORS; k++) {
        acc[k] = (PYCONV_OMIT_VT){0};
        present_weight[k] = (PYCONV_OMIT_VT){0};
    }
    for (Py_ssize_t t = 0; t < n_taps; t++) {
        const PYCONV_OMIT_VT w = weights[t] - (PYCONV_OMIT_VT){0};
        const PYCONV_T *src = sources[t] + j;
        for (int k = 0; k < PYCONV_OMIT_VECTORS; k++) {
            PYCONV_OMIT_VT x;
            memcpy(&x, src + k * V, sizeof x);
            const PYCONV_OMIT_IT present = x == x;
            acc[k] = acc[k] + w * (PYCONV_OMIT_VT)((PYCONV_OMIT_IT)x & present);
            present_weight[k] = present_weight[k] + (PYCONV_OMIT_VT)((PYCONV_OMIT_IT)w & present);
        }
    }
    for (int k = 0; k < PYCONV_OMIT_VECTORS; k++) {
        memcpy(num + k * V, &acc[k], sizeof acc[k]);
        memcpy(den + k * V, &present_weight[k], sizeof present_weight[k]);
    }
}
#endif

static inline void PYCONV_OMIT_NAME(pyconv_omit)(PYCONV_T *num, PYCONV_T *den,
                                                 Py_ssize_t count,
                                                 const PYCONV_T *const *sources,
                                                 const Py_ssize_t *steps,
                                                 const PYCONV_T *weights, Py_ssize_t n_taps,
                                                 int unit_steps)
{
    Py_ssize_t j = 0;
#ifdef PYCONV_OMIT_VT
    if (unit_steps)
        for (; j + PYCONV_OMIT_BLOCK <= count; j += PYCONV_OMIT_BLOCK)
            PYCONV_OMIT_NAME(pyconv_omit_unit)(num + j, den + j, j, sources, weights, n_taps);
#else
    (void)unit_steps;
#endif
    for (; j < count; j += PYCONV_OMIT_BLOCK) {
        const Py_ssize_t n = count - j < PYCONV_OMIT_BLOCK ? count - j : PYCONV_OMIT_BLOCK;
        PYCONV_OMIT_NAME(pyconv_omit_block)(num + j, den + j, j, n, sources, steps, weights,
                                            n_taps);
    }
}

/* out[i] = num[i] / den[i] * scale, or NaN where den[i] is 0 (no present
 * sample under a non-zero weight); `out` may be `num`. */
static inline void PYCONV_OMIT_NAME(pyconv_omit_ratio)(PYCONV_T *out, const PYCONV_T *num,
                                                       const PYCONV_T *den, Py_ssize_t count,
                                                       PYCONV_T scale)
{
    for (Py_ssize_t i = 0; i < count; i++)
        out[i] = den[i] != 0 ? (PYCONV_T)(num[i] / den[i] * scale) : (PYCONV_T)NAN;
}

#undef PYCONV_OMIT_NAME
#undef PYCONV_T
#undef PYCONV_SUFFIX
#undef PYCONV_OMIT_BLOCK
#undef PYCONV_OMIT_VT
#undef PYCONV_OMIT_IT
