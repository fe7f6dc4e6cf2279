/*
 * The register-blocked sums of _blocks.h in GCC/Clang vector extensions
 * (included by _blocks.h only for those compilers): vectors of
 * PYCONV_VECTOR_BYTES bytes (single registers on the AVX2 build, 64 bytes on
 * the AVX-512 build, which also shares loads between taps: see
 * PYCONV_SHIFTED_RUNS). Outputs go in blocks of up to eight vectors whose
 * accumulators stay in registers while every tap of every kernel row is
 * added: each output is stored once, and the independent chains keep the
 * floating-point units busy instead of waiting on one addition after
 * another. Shuffles are __builtin_shufflevector (Clang, GCC 12 and later) or
 * __builtin_shuffle (older GCC), always with constant lane lists.
 */
#ifndef PYCONV_BLOCKS_VECTOR_H
#define PYCONV_BLOCKS_VECTOR_H

#include <string.h>

#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
#define PYCONV_SHUFFLE(IT, a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
#define PYCONV_SHUFFLE(IT, a, b, ...) __builtin_shuffle(a, b, (IT){__VA_ARGS__})
#endif
/* Lane lists: SEQ<n>(s) is s, s + 1, ..., s + n - 1. */
#define PYCONV_SEQ4(s) (s), (s) + 1, (s) + 2, (s) + 3
#define PYCONV_SEQ8(s) PYCONV_SEQ4(s), PYCONV_SEQ4((s) + 4)
#define PYCONV_SEQ16(s) PYCONV_SEQ8(s), PYCONV_SEQ8((s) + 8)
#define PYCONV_SEQ32(s) PYCONV_SEQ16(s), PYCONV_SEQ16((s) + 16)
/* Every other lane of (low, high) from 0, for step-2 loads: low holds
 * p[0 .. V), high p[V - 1 .. 2V - 1). */
#define PYCONV_EVEN4 0, 2, 5, 7
#define PYCONV_EVEN8 0, 2, 4, 6, 9, 11, 13, 15
#define PYCONV_EVEN16 0, 2, 4, 6, 8, 10, 12, 14, 17, 19, 21, 23, 25, 27, 29, 31

typedef double pyconv_vf64 __attribute__((vector_size(PYCONV_VECTOR_BYTES)));
typedef float pyconv_vf32 __attribute__((vector_size(PYCONV_VECTOR_BYTES)));
/* Exact integer sums of 8-bit data with small integer weights (see
 * _layout.integer_kernel): 16 (32) lanes a vector, no conversion between taps. */
typedef short pyconv_vi16 __attribute__((vector_size(PYCONV_VECTOR_BYTES)));

/* p[0], p[step], ..., one vector. Step 1 is one unaligned load; step 2 (a
 * stride of 2) is two loads, at p and at p + V - 1 so that nothing past the
 * last value used is read, and a shuffle that keeps every other value. */
typedef long long pyconv_vi64 __attribute__((vector_size(PYCONV_VECTOR_BYTES)));
typedef int pyconv_vi32 __attribute__((vector_size(PYCONV_VECTOR_BYTES)));

static inline pyconv_vf64 pyconv_load_f64(const double *p, Py_ssize_t step)
{
    pyconv_vf64 v;
    if (step == 1) {
        memcpy(&v, p, sizeof v);  /* an unaligned load */
    } else if (step == 2) {
        pyconv_vf64 low, high;
        memcpy(&low, p, sizeof low);
        memcpy(&high, p + PYCONV_VECTOR_F64 - 1, sizeof high);
#if PYCONV_VECTOR_F64 == 4
        v = PYCONV_SHUFFLE(pyconv_vi64, low, high, PYCONV_EVEN4);
#else
        v = PYCONV_SHUFFLE(pyconv_vi64, low, high, PYCONV_EVEN8);
#endif
    } else {
        _Pragma("GCC unroll 16") for (int k = 0; k < PYCONV_VECTOR_F64; k++) v[k] = p[k * step];
    }
    return v;
}

static inline pyconv_vf32 pyconv_load_f32(const float *p, Py_ssize_t step)
{
    pyconv_vf32 v;
    if (step == 1) {
        memcpy(&v, p, sizeof v);
    } else if (step == 2) {
        pyconv_vf32 low, high;
        memcpy(&low, p, sizeof low);
        memcpy(&high, p + PYCONV_VECTOR_F32 - 1, sizeof high);
#if PYCONV_VECTOR_F32 == 8
        /* Within each 128-bit lane first (one vshufps), then the 64-bit
         * pairs into order (one lane-crossing permute): two instructions
         * where the one-step shuffle compiled to two permutes and a blend. */
        v = PYCONV_SHUFFLE(pyconv_vi32, low, high, 0, 2, 9, 11, 4, 6, 13, 15);
        v = PYCONV_SHUFFLE(pyconv_vi32, v, v, 0, 1, 4, 5, 2, 3, 6, 7);
#else
        v = PYCONV_SHUFFLE(pyconv_vi32, low, high, PYCONV_EVEN16);
#endif
    } else {
        _Pragma("GCC unroll 16") for (int k = 0; k < PYCONV_VECTOR_F32; k++) v[k] = p[k * step];
    }
    return v;
}

static inline pyconv_vi16 pyconv_load_i16(const short *p, Py_ssize_t step)
{
    pyconv_vi16 v;
    if (step == 1) {
        memcpy(&v, p, sizeof v);
    } else {
        _Pragma("GCC unroll 16") for (int k = 0; k < PYCONV_VECTOR_I16; k++) v[k] = p[k * step];
    }
    return v;
}

/* Every lane `value`. value - 0 is exact for every value (-0.0 included,
 * unlike value + 0), so the compiler folds it to a plain broadcast. */
static inline pyconv_vf64 pyconv_splat_f64(double value)
{
    return value - (pyconv_vf64){0};
}

static inline pyconv_vf32 pyconv_splat_f32(float value)
{
    return value - (pyconv_vf32){0};
}

static inline pyconv_vi16 pyconv_splat_i16(short value)
{
    return value - (pyconv_vi16){0};
}

/* Taps that read consecutive values (the taps of a kernel row along the
 * line, read in place or from a gathered line) share their loads on the
 * AVX-512 build: up to PYCONV_RUN_TAPS such taps load a block's values once
 * and take each tap's vectors as two neighbours shifted down by the tap's
 * offset, one two-source permute each, where every tap would otherwise
 * reload every vector (and most 64-byte loads at an odd offset cross a
 * cache line). The same products are added in the same order. The
 * narrower builds keep a load per tap: AVX2 has no one-instruction shift
 * across its two 128-bit halves. */
#if PYCONV_VECTOR_BYTES == 64
#define PYCONV_SHIFTED_RUNS 1
#else
#define PYCONV_SHIFTED_RUNS 0
#endif
#define PYCONV_RUN_TAPS 8
_Static_assert(PYCONV_RUN_TAPS <= PYCONV_VECTOR_F64 || !PYCONV_SHIFTED_RUNS,
               "a tap's shift must stay within one vector");

/* Lanes shift .. shift + V - 1 of (low, high) end to end; shift is a
 * constant once the callers' loops are unrolled, so the switch folds to one
 * permute. Only the 64-byte build uses them (the lane lists of a narrower
 * vector would run past its 2V lanes). */
#if PYCONV_SHIFTED_RUNS
#define PYCONV_SHIFT_CASES(IT, SEQ)                                                    \
    case 1: return PYCONV_SHUFFLE(IT, low, high, SEQ(1));                             \
    case 2: return PYCONV_SHUFFLE(IT, low, high, SEQ(2));                             \
    case 3: return PYCONV_SHUFFLE(IT, low, high, SEQ(3));                             \
    case 4: return PYCONV_SHUFFLE(IT, low, high, SEQ(4));                             \
    case 5: return PYCONV_SHUFFLE(IT, low, high, SEQ(5));                             \
    case 6: return PYCONV_SHUFFLE(IT, low, high, SEQ(6));                             \
    case 7: return PYCONV_SHUFFLE(IT, low, high, SEQ(7));                             \
    default: return low;
_Static_assert(PYCONV_RUN_TAPS == 8, "PYCONV_SHIFT_CASES lists shifts 0 to 7");
static inline __attribute__((always_inline)) pyconv_vf64
pyconv_shift_f64(pyconv_vf64 low, pyconv_vf64 high, int shift)
{
    switch (shift) { PYCONV_SHIFT_CASES(pyconv_vi64, PYCONV_SEQ8) }
}
static inline __attribute__((always_inline)) pyconv_vf32
pyconv_shift_f32(pyconv_vf32 low, pyconv_vf32 high, int shift)
{
    switch (shift) { PYCONV_SHIFT_CASES(pyconv_vi32, PYCONV_SEQ16) }
}
static inline __attribute__((always_inline)) pyconv_vi16
pyconv_shift_i16(pyconv_vi16 low, pyconv_vi16 high, int shift)
{
    switch (shift) { PYCONV_SHIFT_CASES(pyconv_vi16, PYCONV_SEQ32) }
}
#else
/* Never called (PYCONV_SHIFTED_RUNS is 0): the blocks below still name them. */
#define pyconv_shift_f64(low, high, shift) (low)
#define pyconv_shift_f32(low, high, shift) (low)
#define pyconv_shift_i16(low, high, shift) (low)
#endif

/* Blocks of NV vectors (V lanes each): pyconv_block<NV>_<T> for taps with
 * any steps (0: a row of cval, the same value everywhere), and
 * pyconv_unit<NV>_<T> for taps that all read consecutive values. The
 * accumulator array is indexed by constants only once the k loops are
 * unrolled, so it lives in registers. */
#define PYCONV_DEFINE_BLOCK(T, VT, V, NAME, NV)                                        \
static inline void pyconv_block##NV##_##NAME(T *out, Py_ssize_t j,                    \
                                            const T *const *sources,                  \
                                            const Py_ssize_t *steps, const T *weights,\
                                            Py_ssize_t n_taps)                        \
{                                                                                     \
    VT acc[NV];                                                                       \
    _Pragma("GCC unroll 8") for (int k = 0; k < NV; k++) acc[k] = (VT){0};            \
    for (Py_ssize_t t = 0; t < n_taps; t++) {                                         \
        const Py_ssize_t step = steps[t];                                             \
        const T *src = sources[t] + j * step;                                         \
        const VT w = pyconv_splat_##NAME(weights[t]);                                            \
        if (step == 0) {                                                              \
            const VT x = pyconv_splat_##NAME(src[0]);                                            \
            _Pragma("GCC unroll 8") for (int k = 0; k < NV; k++) acc[k] += w * x;     \
        } else {                                                                      \
            _Pragma("GCC unroll 8") for (int k = 0; k < NV; k++)                      \
                acc[k] += w * pyconv_load_##NAME(src + k * V * step, step);           \
        }                                                                             \
    }                                                                                 \
    _Pragma("GCC unroll 8") for (int k = 0; k < NV; k++)                              \
        memcpy(out + k * V, &acc[k], sizeof(VT));                                     \
}                                                                                     \
static inline void pyconv_unit##NV##_##NAME(T *out, Py_ssize_t j,                     \
                                           const T *const *sources, const T *weights, \
                                           Py_ssize_t n_taps)                         \
{                                                                                     \
    VT acc[NV];                                                                       \
    _Pragma("GCC unroll 8") for (int k = 0; k < NV; k++) acc[k] = (VT){0};            \
    Py_ssize_t t = 0;                                                                 \
    while (t < n_taps) {                                                              \
        const T *src = sources[t] + j;                                                \
        int run = 1;                                                                  \
        if (PYCONV_SHIFTED_RUNS && NV > 1)                                            \
            while (run < PYCONV_RUN_TAPS && t + run < n_taps                          \
                   && sources[t + run] == sources[t] + run)                           \
                run++;                                                                \
        if (run == 1) {                                                               \
            const VT w = pyconv_splat_##NAME(weights[t]);                             \
            _Pragma("GCC unroll 8") for (int k = 0; k < NV; k++) {                    \
                VT x;                                                                 \
                memcpy(&x, src + k * V, sizeof(VT));                                  \
                acc[k] += w * x;                                                      \
            }                                                                         \
            t++;                                                                      \
            continue;                                                                 \
        }                                                                             \
        /* Taps t .. t + run - 1 read consecutive values: load the block's            \
         * values once and shift them across registers for each tap. The last        \
         * vector loads its own, so nothing past the last value used is read. */      \
        VT x[NV];                                                                     \
        _Pragma("GCC unroll 8") for (int k = 0; k < NV; k++)                          \
            memcpy(&x[k], src + k * V, sizeof(VT));                                   \
        _Pragma("GCC unroll 8") for (int shift = 0; shift < PYCONV_RUN_TAPS; shift++) {\
            if (shift < run) {                                                        \
                const VT w = pyconv_splat_##NAME(weights[t + shift]);                 \
                _Pragma("GCC unroll 8") for (int k = 0; k < NV - 1; k++)              \
                    acc[k] += w * pyconv_shift_##NAME(x[k], x[k + 1], shift);         \
                VT last;                                                              \
                memcpy(&last, src + (NV - 1) * V + shift, sizeof(VT));                \
                acc[NV - 1] += w * last;                                              \
            }                                                                         \
        }                                                                             \
        t += run;                                                                     \
    }                                                                                 \
    _Pragma("GCC unroll 8") for (int k = 0; k < NV; k++)                              \
        memcpy(out + k * V, &acc[k], sizeof(VT));                                     \
}

/* All outputs out[0 .. count), count >= V: blocks of 8 vectors, then one
 * block each of 4, 2 and 1 vectors as needed, and a last vector placed to
 * end at `count`. That vector recomputes a few outputs already stored; they
 * come out bitwise the same (same terms, same order), so no output is left
 * to a slow scalar loop. */
#define PYCONV_DEFINE_ACCUMULATE(T, VT, V, NAME)                                      \
PYCONV_DEFINE_BLOCK(T, VT, V, NAME, 8)                                                \
PYCONV_DEFINE_BLOCK(T, VT, V, NAME, 4)                                                \
PYCONV_DEFINE_BLOCK(T, VT, V, NAME, 2)                                                \
PYCONV_DEFINE_BLOCK(T, VT, V, NAME, 1)                                                \
static inline void pyconv_accumulate_##NAME(T *out, Py_ssize_t count,                 \
                                            const T *const *sources,                  \
                                            const Py_ssize_t *steps, const T *weights,\
                                            Py_ssize_t n_taps, int unit_steps)        \
{                                                                                     \
    Py_ssize_t j = 0;                                                                 \
    if (unit_steps) {                                                                 \
        for (; j + 8 * V <= count; j += 8 * V)                                        \
            pyconv_unit8_##NAME(out + j, j, sources, weights, n_taps);                \
        if (j + 4 * V <= count) {                                                     \
            pyconv_unit4_##NAME(out + j, j, sources, weights, n_taps); j += 4 * V;    \
        }                                                                             \
        if (j + 2 * V <= count) {                                                     \
            pyconv_unit2_##NAME(out + j, j, sources, weights, n_taps); j += 2 * V;    \
        }                                                                             \
        if (j + V <= count) {                                                         \
            pyconv_unit1_##NAME(out + j, j, sources, weights, n_taps); j += V;        \
        }                                                                             \
        if (j < count)                                                                \
            pyconv_unit1_##NAME(out + count - V, count - V, sources, weights, n_taps);\
    } else {                                                                          \
        for (; j + 8 * V <= count; j += 8 * V)                                        \
            pyconv_block8_##NAME(out + j, j, sources, steps, weights, n_taps);        \
        if (j + 4 * V <= count) {                                                     \
            pyconv_block4_##NAME(out + j, j, sources, steps, weights, n_taps);        \
            j += 4 * V;                                                               \
        }                                                                             \
        if (j + 2 * V <= count) {                                                     \
            pyconv_block2_##NAME(out + j, j, sources, steps, weights, n_taps);        \
            j += 2 * V;                                                               \
        }                                                                             \
        if (j + V <= count) {                                                         \
            pyconv_block1_##NAME(out + j, j, sources, steps, weights, n_taps);        \
            j += V;                                                                   \
        }                                                                             \
        if (j < count)                                                                \
            pyconv_block1_##NAME(out + count - V, count - V, sources, steps, weights, \
                                 n_taps);                                             \
    }                                                                                 \
}

PYCONV_DEFINE_ACCUMULATE(double, pyconv_vf64, PYCONV_VECTOR_F64, f64)
PYCONV_DEFINE_ACCUMULATE(float, pyconv_vf32, PYCONV_VECTOR_F32, f32)
/* The sums stay within int16 (_layout.integer_kernel bounds them): exact. */
PYCONV_DEFINE_ACCUMULATE(short, pyconv_vi16, PYCONV_VECTOR_I16, i16)

#endif
