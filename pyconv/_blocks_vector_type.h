/*
 * One type's vector sums (see _blocks_vector.h), included once per type
 * with these defined, and undefined again at the end:
 *
 *   PYCONV_T         the element type
 *   PYCONV_VT        its vector type, PYCONV_V lanes of PYCONV_T
 *   PYCONV_IT        an integer vector type of PYCONV_V lanes (lane lists)
 *   PYCONV_LANES(s)  the lane list s, s + 1, ..., s + PYCONV_V - 1
 *   PYCONV_SUFFIX    the names' ending (pyconv_load_<SUFFIX> must exist)
 *   PYCONV_HT        (optional) the half-width vector type, for lines of
 *                    half a vector up to a vector
 */
#define PYCONV_NAME(name) PYCONV_PASTE(name, PYCONV_SUFFIX)

/* Every lane `value`. value - 0 is exact for every value (-0.0 included,
 * unlike value + 0), so the compiler folds it to a plain broadcast. */
static inline PYCONV_VT PYCONV_NAME(pyconv_splat)(PYCONV_T value)
{
    return value - (PYCONV_VT){0};
}

#if PYCONV_SHIFTED_RUNS
/* Lanes shift .. shift + V - 1 of (low, high) end to end; shift is a
 * constant once the callers' loops are unrolled, so the switch folds to one
 * permute. Only the 64-byte build has it (the lane lists of a narrower
 * vector would run past its 2V lanes). */
_Static_assert(PYCONV_RUN_TAPS == 8, "pyconv_shift lists shifts 0 to 7");
static inline __attribute__((always_inline)) PYCONV_VT
PYCONV_NAME(pyconv_shift)(PYCONV_VT low, PYCONV_VT high, int shift)
{
    switch (shift) {
    case 1: return PYCONV_SHUFFLE(PYCONV_IT, low, high, PYCONV_LANES(1));
    case 2: return PYCONV_SHUFFLE(PYCONV_IT, low, high, PYCONV_LANES(2));
    case 3: return PYCONV_SHUFFLE(PYCONV_IT, low, high, PYCONV_LANES(3));
    case 4: return PYCONV_SHUFFLE(PYCONV_IT, low, high, PYCONV_LANES(4));
    case 5: return PYCONV_SHUFFLE(PYCONV_IT, low, high, PYCONV_LANES(5));
    case 6: return PYCONV_SHUFFLE(PYCONV_IT, low, high, PYCONV_LANES(6));
    case 7: return PYCONV_SHUFFLE(PYCONV_IT, low, high, PYCONV_LANES(7));
    default: return low;
    }
}
#endif

#ifdef PYCONV_HT
/* Half a vector of outputs from j on, into out[0 ..), taps with any steps. */
static inline void PYCONV_NAME(pyconv_half)(PYCONV_T *out, Py_ssize_t j,
                                            const PYCONV_T *const *sources,
                                            const Py_ssize_t *steps, const PYCONV_T *weights,
                                            Py_ssize_t n_taps)
{
    enum { H = sizeof(PYCONV_HT) / sizeof(PYCONV_T) };
    PYCONV_HT acc = {0};
    for (Py_ssize_t t = 0; t < n_taps; t++) {
        const Py_ssize_t step = steps[t];
        const PYCONV_T *src = sources[t] + j * step;
        PYCONV_HT x;
        if (step == 1) {
            memcpy(&x, src, sizeof x);
        } else {
#pragma GCC unroll 16
            for (int k = 0; k < H; k++)
                x[k] = src[k * step];
        }
        acc += (weights[t] - (PYCONV_HT){0}) * x;
    }
    memcpy(out, &acc, sizeof acc);
}
#endif

/* Blocks of 8, 4, 2 and 1 vectors: pyconv_block<NV>_<T> and
 * pyconv_unit<NV>_<T>. */
#define PYCONV_NV 8
#include "_blocks_vector_block.h"
#define PYCONV_NV 4
#include "_blocks_vector_block.h"
#define PYCONV_NV 2
#include "_blocks_vector_block.h"
#define PYCONV_NV 1
#include "_blocks_vector_block.h"

/* All outputs out[0 .. count), count >= PYCONV_SHORTEST_<T>: blocks of 8
 * vectors, then one block each of 4, 2 and 1 vectors as needed, and a last
 * vector placed to end at `count`. That vector recomputes a few outputs
 * already stored; they come out bitwise the same (same terms, same order),
 * so no output is left to a slow scalar loop. Fewer outputs than a vector
 * take two half vectors, overlapping in the same way. */
static inline void PYCONV_NAME(pyconv_accumulate)(PYCONV_T *out, Py_ssize_t count,
                                                  const PYCONV_T *const *sources,
                                                  const Py_ssize_t *steps,
                                                  const PYCONV_T *weights,
                                                  Py_ssize_t n_taps, int unit_steps)
{
    Py_ssize_t j = 0;
#ifdef PYCONV_HT
    if (count < PYCONV_V) {
        enum { H = sizeof(PYCONV_HT) / sizeof(PYCONV_T) };
        PYCONV_NAME(pyconv_half)(out, 0, sources, steps, weights, n_taps);
        PYCONV_NAME(pyconv_half)(out + count - H, count - H, sources, steps, weights, n_taps);
        return;
    }
#endif
    if (unit_steps) {
        for (; j + 8 * PYCONV_V <= count; j += 8 * PYCONV_V)
            PYCONV_NAME(pyconv_unit8)(out + j, j, sources, weights, n_taps);
        if (j + 4 * PYCONV_V <= count) {
            PYCONV_NAME(pyconv_unit4)(out + j, j, sources, weights, n_taps);
            j += 4 * PYCONV_V;
        }
        if (j + 2 * PYCONV_V <= count) {
            PYCONV_NAME(pyconv_unit2)(out + j, j, sources, weights, n_taps);
            j += 2 * PYCONV_V;
        }
        if (j + PYCONV_V <= count) {
            PYCONV_NAME(pyconv_unit1)(out + j, j, sources, weights, n_taps);
            j += PYCONV_V;
        }
        if (j < count)
            PYCONV_NAME(pyconv_unit1)(out + count - PYCONV_V, count - PYCONV_V, sources, weights,
                                      n_taps);
    } else {
        for (; j + 8 * PYCONV_V <= count; j += 8 * PYCONV_V)
            PYCONV_NAME(pyconv_block8)(out + j, j, sources, steps, weights, n_taps);
        if (j + 4 * PYCONV_V <= count) {
            PYCONV_NAME(pyconv_block4)(out + j, j, sources, steps, weights, n_taps);
            j += 4 * PYCONV_V;
        }
        if (j + 2 * PYCONV_V <= count) {
            PYCONV_NAME(pyconv_block2)(out + j, j, sources, steps, weights, n_taps);
            j += 2 * PYCONV_V;
        }
        if (j + PYCONV_V <= count) {
            PYCONV_NAME(pyconv_block1)(out + j, j, sources, steps, weights, n_taps);
            j += PYCONV_V;
        }
        if (j < count)
            PYCONV_NAME(pyconv_block1)(out + count - PYCONV_V, count - PYCONV_V, sources, steps,
                                       weights, n_taps);
    }
}

/* Column strips, one output: line r's sum at j, the same terms in the same
 * order as the vector blocks. */
static inline PYCONV_T PYCONV_NAME(pyconv_column_total)(const PYCONV_T *const *lines,
                                                        const unsigned char *masks,
                                                        const PYCONV_T *weights,
                                                        Py_ssize_t n_positions, int r,
                                                        Py_ssize_t j)
{
    PYCONV_T total = 0;
    for (Py_ssize_t u = 0; u < n_positions; u++)
        if (masks[u] >> r & 1)
            total = total + weights[u * PYCONV_COLUMN_LINES + r] * lines[u][j];
    return total;
}

/* Column strips (see _blocks.h): blocks of 2 vectors, then 1, and a last
 * vector placed to end at `count` as above; fewer outputs than a vector go
 * one by one. */
static inline void PYCONV_NAME(pyconv_columns)(PYCONV_T *const *out, int n_lines,
                                               Py_ssize_t count, const PYCONV_T *const *lines,
                                               const unsigned char *masks,
                                               const PYCONV_T *weights, Py_ssize_t n_positions)
{
    Py_ssize_t j = 0;
    if (count >= PYCONV_V) {
        for (; j + 2 * PYCONV_V <= count; j += 2 * PYCONV_V)
            PYCONV_NAME(pyconv_column2)(out, n_lines, j, lines, masks, weights, n_positions);
        if (j + PYCONV_V <= count) {
            PYCONV_NAME(pyconv_column1)(out, n_lines, j, lines, masks, weights, n_positions);
            j += PYCONV_V;
        }
        if (j < count)
            PYCONV_NAME(pyconv_column1)(out, n_lines, count - PYCONV_V, lines, masks, weights,
                                        n_positions);
        return;
    }
    for (; j < count; j++)
        for (int r = 0; r < n_lines; r++)
            out[r][j] = PYCONV_NAME(pyconv_column_total)(lines, masks, weights, n_positions, r,
                                                         j);
}

#if PYCONV_FLOATING
/* nan_policy="omit" (see _blocks.h): blocks of 2 vectors, then 1, then the
 * last outputs one by one (out may be nums: a vector placed to end at
 * `count` would read ratios already stored). */
static inline void PYCONV_NAME(pyconv_columns_ratio)(PYCONV_T *const *out, int n_lines,
                                                     Py_ssize_t count,
                                                     const PYCONV_T *const *lines,
                                                     const unsigned char *masks,
                                                     const PYCONV_T *weights,
                                                     Py_ssize_t n_positions,
                                                     const PYCONV_T *const *nums,
                                                     PYCONV_T scale)
{
    Py_ssize_t j = 0;
    for (; j + 2 * PYCONV_V <= count; j += 2 * PYCONV_V)
        PYCONV_NAME(pyconv_column_ratio2)(out, n_lines, j, lines, masks, weights, n_positions,
                                          nums, scale);
    if (j + PYCONV_V <= count) {
        PYCONV_NAME(pyconv_column_ratio1)(out, n_lines, j, lines, masks, weights, n_positions,
                                          nums, scale);
        j += PYCONV_V;
    }
    for (; j < count; j++)
        for (int r = 0; r < n_lines; r++) {
            const PYCONV_T den = PYCONV_NAME(pyconv_column_total)(lines, masks, weights,
                                                                  n_positions, r, j);
            out[r][j] = den != 0 ? (PYCONV_T)(nums[r][j] / den * scale) : (PYCONV_T)NAN;
        }
}
#endif

#undef PYCONV_NAME
#undef PYCONV_T
#undef PYCONV_VT
#undef PYCONV_IT
#undef PYCONV_V
#undef PYCONV_LANES
#undef PYCONV_SUFFIX
#undef PYCONV_HT
#undef PYCONV_FLOATING
