/*
 * Register-blocked inner loop of the direct kernels (float32 and float64).
 *
 * One call computes a block of outputs out[i], i < PYCONV_BLOCK_F64 (or _F32),
 * as sum over taps t, in order, of weights[t] * sources[t][(j+i) * steps[t]]:
 * `out` points at the block, `j` is the block's first output on the line. The block's eight accumulators are vector variables, so they
 * stay in registers while every tap of every kernel row is added; each output
 * is stored once, and the eight independent chains keep the multiply-add
 * units busy.
 *
 * The vectors are GCC/Clang vector extensions of 32 bytes: on an AVX2+FMA
 * build they are single registers and `acc += w * x` becomes one FMA; on a
 * baseline build the compiler splits them into SSE2 halves. The additions
 * per output are the same, in the same order, as the scalar tail loop in
 * _direct.pyx, so an output's value does not depend on where blocks fall.
 */
#ifndef PYCONV_BLOCKS_H
#define PYCONV_BLOCKS_H

#include <string.h>
#include <Python.h>

typedef double pyconv_v4d __attribute__((vector_size(32)));
typedef float pyconv_v8f __attribute__((vector_size(32)));

#define PYCONV_BLOCK_F64 32
#define PYCONV_BLOCK_F32 64

static inline pyconv_v4d pyconv_load_v4d(const double *p, Py_ssize_t step)
{
    pyconv_v4d v;
    if (step == 1) {
        memcpy(&v, p, sizeof v);  /* an unaligned load */
    } else {
        v = (pyconv_v4d){p[0], p[step], p[2 * step], p[3 * step]};
    }
    return v;
}

static inline pyconv_v8f pyconv_load_v8f(const float *p, Py_ssize_t step)
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

static inline void pyconv_block_f64(double *out, Py_ssize_t j, const double *const *sources,
                                    const Py_ssize_t *steps, const double *weights,
                                    Py_ssize_t n_taps)
{
    pyconv_v4d a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0};
    for (Py_ssize_t t = 0; t < n_taps; t++) {
        const Py_ssize_t step = steps[t];
        const double *src = sources[t] + j * step;
        const pyconv_v4d w = {weights[t], weights[t], weights[t], weights[t]};
        if (step == 0) {  /* a row of cval: the same value everywhere */
            const pyconv_v4d x = {src[0], src[0], src[0], src[0]};
            a0 += w * x; a1 += w * x; a2 += w * x; a3 += w * x;
            a4 += w * x; a5 += w * x; a6 += w * x; a7 += w * x;
        } else {
            a0 += w * pyconv_load_v4d(src, step);
            a1 += w * pyconv_load_v4d(src + 4 * step, step);
            a2 += w * pyconv_load_v4d(src + 8 * step, step);
            a3 += w * pyconv_load_v4d(src + 12 * step, step);
            a4 += w * pyconv_load_v4d(src + 16 * step, step);
            a5 += w * pyconv_load_v4d(src + 20 * step, step);
            a6 += w * pyconv_load_v4d(src + 24 * step, step);
            a7 += w * pyconv_load_v4d(src + 28 * step, step);
        }
    }
    memcpy(out, &a0, sizeof a0);
    memcpy(out + 4, &a1, sizeof a1);
    memcpy(out + 8, &a2, sizeof a2);
    memcpy(out + 12, &a3, sizeof a3);
    memcpy(out + 16, &a4, sizeof a4);
    memcpy(out + 20, &a5, sizeof a5);
    memcpy(out + 24, &a6, sizeof a6);
    memcpy(out + 28, &a7, sizeof a7);
}

static inline void pyconv_block_f32(float *out, Py_ssize_t j, const float *const *sources,
                                    const Py_ssize_t *steps, const float *weights,
                                    Py_ssize_t n_taps)
{
    pyconv_v8f a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0};
    for (Py_ssize_t t = 0; t < n_taps; t++) {
        const Py_ssize_t step = steps[t];
        const float *src = sources[t] + j * step;
        const float wt = weights[t];
        const pyconv_v8f w = {wt, wt, wt, wt, wt, wt, wt, wt};
        if (step == 0) {
            const float c = src[0];
            const pyconv_v8f x = {c, c, c, c, c, c, c, c};
            a0 += w * x; a1 += w * x; a2 += w * x; a3 += w * x;
            a4 += w * x; a5 += w * x; a6 += w * x; a7 += w * x;
        } else {
            a0 += w * pyconv_load_v8f(src, step);
            a1 += w * pyconv_load_v8f(src + 8 * step, step);
            a2 += w * pyconv_load_v8f(src + 16 * step, step);
            a3 += w * pyconv_load_v8f(src + 24 * step, step);
            a4 += w * pyconv_load_v8f(src + 32 * step, step);
            a5 += w * pyconv_load_v8f(src + 40 * step, step);
            a6 += w * pyconv_load_v8f(src + 48 * step, step);
            a7 += w * pyconv_load_v8f(src + 56 * step, step);
        }
    }
    memcpy(out, &a0, sizeof a0);
    memcpy(out + 8, &a1, sizeof a1);
    memcpy(out + 16, &a2, sizeof a2);
    memcpy(out + 24, &a3, sizeof a3);
    memcpy(out + 32, &a4, sizeof a4);
    memcpy(out + 40, &a5, sizeof a5);
    memcpy(out + 48, &a6, sizeof a6);
    memcpy(out + 56, &a7, sizeof a7);
}

/* The same block when every tap reads consecutive values (step 1, the
 * common case): no per-tap step logic in the loop. */
static inline void pyconv_block_unit_f64(double *out, Py_ssize_t j,
                                         const double *const *sources,
                                         const double *weights, Py_ssize_t n_taps)
{
    pyconv_v4d a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0};
    for (Py_ssize_t t = 0; t < n_taps; t++) {
        const double *src = sources[t] + j;
        const pyconv_v4d w = {weights[t], weights[t], weights[t], weights[t]};
        pyconv_v4d x;
        memcpy(&x, src, 32); a0 += w * x;
        memcpy(&x, src + 4, 32); a1 += w * x;
        memcpy(&x, src + 8, 32); a2 += w * x;
        memcpy(&x, src + 12, 32); a3 += w * x;
        memcpy(&x, src + 16, 32); a4 += w * x;
        memcpy(&x, src + 20, 32); a5 += w * x;
        memcpy(&x, src + 24, 32); a6 += w * x;
        memcpy(&x, src + 28, 32); a7 += w * x;
    }
    memcpy(out, &a0, 32);
    memcpy(out + 4, &a1, 32);
    memcpy(out + 8, &a2, 32);
    memcpy(out + 12, &a3, 32);
    memcpy(out + 16, &a4, 32);
    memcpy(out + 20, &a5, 32);
    memcpy(out + 24, &a6, 32);
    memcpy(out + 28, &a7, 32);
}

static inline void pyconv_block_unit_f32(float *out, Py_ssize_t j,
                                         const float *const *sources,
                                         const float *weights, Py_ssize_t n_taps)
{
    pyconv_v8f a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0};
    for (Py_ssize_t t = 0; t < n_taps; t++) {
        const float *src = sources[t] + j;
        const float wt = weights[t];
        const pyconv_v8f w = {wt, wt, wt, wt, wt, wt, wt, wt};
        pyconv_v8f x;
        memcpy(&x, src, 32); a0 += w * x;
        memcpy(&x, src + 8, 32); a1 += w * x;
        memcpy(&x, src + 16, 32); a2 += w * x;
        memcpy(&x, src + 24, 32); a3 += w * x;
        memcpy(&x, src + 32, 32); a4 += w * x;
        memcpy(&x, src + 40, 32); a5 += w * x;
        memcpy(&x, src + 48, 32); a6 += w * x;
        memcpy(&x, src + 56, 32); a7 += w * x;
    }
    memcpy(out, &a0, 32);
    memcpy(out + 8, &a1, 32);
    memcpy(out + 16, &a2, 32);
    memcpy(out + 24, &a3, 32);
    memcpy(out + 32, &a4, 32);
    memcpy(out + 40, &a5, 32);
    memcpy(out + 48, &a6, 32);
    memcpy(out + 56, &a7, 32);
}

/* One vector of outputs (4 doubles / 8 floats): for what is left after the
 * eight-vector blocks. Same additions, same order. */
static inline void pyconv_vector_f64(double *out, Py_ssize_t j, const double *const *sources,
                                     const Py_ssize_t *steps, const double *weights,
                                     Py_ssize_t n_taps)
{
    pyconv_v4d a = {0};
    for (Py_ssize_t t = 0; t < n_taps; t++) {
        const Py_ssize_t step = steps[t];
        const double *src = sources[t] + j * step;
        const pyconv_v4d w = {weights[t], weights[t], weights[t], weights[t]};
        if (step == 0) {
            const pyconv_v4d x = {src[0], src[0], src[0], src[0]};
            a += w * x;
        } else {
            a += w * pyconv_load_v4d(src, step);
        }
    }
    memcpy(out, &a, sizeof a);
}

static inline void pyconv_vector_f32(float *out, Py_ssize_t j, const float *const *sources,
                                     const Py_ssize_t *steps, const float *weights,
                                     Py_ssize_t n_taps)
{
    pyconv_v8f a = {0};
    for (Py_ssize_t t = 0; t < n_taps; t++) {
        const Py_ssize_t step = steps[t];
        const float *src = sources[t] + j * step;
        const float wt = weights[t];
        const pyconv_v8f w = {wt, wt, wt, wt, wt, wt, wt, wt};
        if (step == 0) {
            const float c = src[0];
            const pyconv_v8f x = {c, c, c, c, c, c, c, c};
            a += w * x;
        } else {
            a += w * pyconv_load_v8f(src, step);
        }
    }
    memcpy(out, &a, sizeof a);
}

#endif
