/*
 * Register-blocked inner loop of the direct kernels (float32 and float64).
 *
 * pyconv_accumulate_f64/_f32 compute out[i], i < count, each the sum over
 * taps t, in order, of weights[t] * sources[t][i * steps[t]]. Outputs go in
 * blocks of up to eight vectors whose accumulators stay in registers while
 * every tap of every kernel row is added: each output is stored once, and
 * the independent chains keep the floating-point units busy instead of
 * waiting on one addition after another.
 *
 * The vectors are GCC/Clang vector extensions of 32 bytes: single registers
 * on an AVX2 build, SSE2 halves on a baseline build. Multiply and add stay
 * separate (-ffp-contract=off, see pyconv/meson.build), and every output
 * gets the same additions in the same order as the scalar loop in
 * _direct.pyx, so a value depends neither on the build nor on where blocks
 * fall.
 */
#ifndef PYCONV_BLOCKS_H
#define PYCONV_BLOCKS_H

#include <string.h>
#include <Python.h>

typedef double pyconv_v4d __attribute__((vector_size(32)));
typedef float pyconv_v8f __attribute__((vector_size(32)));

static inline pyconv_v4d pyconv_load_f64(const double *p, Py_ssize_t step)
{
    pyconv_v4d v;
    if (step == 1) {
        memcpy(&v, p, sizeof v);  /* an unaligned load */
    } else {
        v = (pyconv_v4d){p[0], p[step], p[2 * step], p[3 * step]};
    }
    return v;
}

static inline pyconv_v8f pyconv_load_f32(const float *p, Py_ssize_t step)
{
    pyconv_v8f v;
    if (step == 1) {
        memcpy(&v, p, sizeof v);
    } else {
        v = (pyconv_v8f){p[0], p[step], p[2 * step], p[3 * step],
                         p[4 * step], p[5 * step], p[6 * step], p[7 * step]};
    }
    return v;
}

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
        const VT w = (VT){0} + weights[t];                                            \
        if (step == 0) {                                                              \
            const VT x = (VT){0} + src[0];                                            \
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
    for (Py_ssize_t t = 0; t < n_taps; t++) {                                         \
        const T *src = sources[t] + j;                                                \
        const VT w = (VT){0} + weights[t];                                            \
        _Pragma("GCC unroll 8") for (int k = 0; k < NV; k++) {                        \
            VT x;                                                                     \
            memcpy(&x, src + k * V, sizeof(VT));                                      \
            acc[k] += w * x;                                                          \
        }                                                                             \
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

#define PYCONV_VECTOR_F64 4
#define PYCONV_VECTOR_F32 8
PYCONV_DEFINE_ACCUMULATE(double, pyconv_v4d, 4, f64)
PYCONV_DEFINE_ACCUMULATE(float, pyconv_v8f, 8, f32)

#endif
