/*
 * The inner loop of the direct kernels (float32, float64, and int16 for
 * exact sums of 8-bit data).
 *
 * pyconv_accumulate_<T>(out, count, sources, steps, weights, n_taps,
 * unit_steps) computes out[i], i < count, each the sum over taps t, in
 * order, of weights[t] * sources[t][i * steps[t]] (unit_steps: every step
 * is 1), for count >= PYCONV_SHORTEST_<T>; pyconv_unit8_<T>(out, j,
 * sources, weights, n_taps) computes one block of PYCONV_BLOCK_REALS_<T>
 * outputs from j on with unit steps, into out[0 ..). A step of 0 reads one
 * value (a row of cval).
 *
 * pyconv_columns_<T>(out, n_lines, count, lines, masks, weights,
 * n_positions) sums up to PYCONV_COLUMN_LINES output lines at once (the
 * column strips of a kernel one tap wide along the line): out[r][i], i <
 * count, r < n_lines, is the sum over positions u < n_positions whose mask
 * has bit r, in order, of weights[u * PYCONV_COLUMN_LINES + r] *
 * lines[u][i]. Every value of an input line is loaded once for all the
 * output lines that use it, where a line at a time would load it once per
 * kernel row (and rows a power of two apart share cache sets).
 *
 * Two implementations, one contract:
 *
 * - _blocks_vector.h (with _blocks_vector_type.h and _blocks_vector_block.h),
 *   GCC/Clang vector extensions: register blocks of up to eight vectors of
 *   PYCONV_VECTOR_BYTES (the AVX2 and AVX-512 builds).
 * - _blocks_portable.h (with _blocks_portable_type.h), plain C99 loops over
 *   fixed-size blocks that compilers vectorise for whatever the target has
 *   (SSE2, AVX2, NEON, ...): the baseline build on every compiler, and the
 *   only one with -Dsimd=none or a compiler without vector extensions
 *   (MSVC).
 *
 * Multiply and add stay separate (-ffp-contract=off, see meson.build), and
 * every output gets the same additions in the same order, starting from 0,
 * as the scalar loop in _direct.pyx: a value depends neither on the build
 * nor on where blocks fall, and the tests compare the builds bitwise.
 */
#ifndef PYCONV_BLOCKS_H
#define PYCONV_BLOCKS_H

#include <Python.h>
#include <math.h>

/* Vector width in bytes of the vector-extension builds (the AVX-512 build
 * sets 64, see pyconv/meson.build); the portable blocks are as many values. */
#ifndef PYCONV_VECTOR_BYTES
#define PYCONV_VECTOR_BYTES 32
#endif
#define PYCONV_VECTOR_F64 (PYCONV_VECTOR_BYTES / 8)
#define PYCONV_VECTOR_F32 (PYCONV_VECTOR_BYTES / 4)
#define PYCONV_VECTOR_I16 (PYCONV_VECTOR_BYTES / 2)
/* Reals in a block of eight vectors (complex sums use them in pairs). */
#define PYCONV_BLOCK_REALS_F64 (8 * PYCONV_VECTOR_F64)
#define PYCONV_BLOCK_REALS_F32 (8 * PYCONV_VECTOR_F32)
/* Output lines pyconv_columns_<T> sums at once. */
#define PYCONV_COLUMN_LINES 4

/* PYCONV_PASTE(name, suffix) is name_suffix: the per-type names of the
 * template headers (_blocks_vector_type.h, _blocks_portable_type.h). */
#define PYCONV_PASTE2(a, b) a##_##b
#define PYCONV_PASTE(a, b) PYCONV_PASTE2(a, b)

#if !defined(PYCONV_PORTABLE) && (defined(__GNUC__) || defined(__clang__))
#include "_blocks_vector.h"
#define PYCONV_BLOCKS_IMPL "vector"
#else
#include "_blocks_portable.h"
#define PYCONV_BLOCKS_IMPL "portable"
#endif

/* dst[q] = (float) src[q] * scale: an exact integer sum to its value, one
 * rounding. */
static inline void pyconv_scale_i16(float *dst, const short *src, Py_ssize_t count, float scale)
{
    for (Py_ssize_t q = 0; q < count; q++)
        dst[q] = (float)src[q] * scale;
}

#include "_store_small_int.h"

#endif
