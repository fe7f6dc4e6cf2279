/*
 * Sums for nan_policy="omit" (normalised convolution), float32 and float64.
 *
 * pyconv_omit_<T>(num, den, count, sources, steps, weights, n_taps,
 * unit_steps) computes, for i < count, over taps t in order:
 *
 *     num[i] = sum of weights[t] * x   and   den[i] = sum of weights[t]
 *
 * where x = sources[t][i * steps[t]], over the taps whose x is not NaN (a
 * missing sample). Both sums are formed in the same pass over the same
 * values: no mask is stored. A step of 0 reads one value (a row of cval).
 *
 * Plain C99, as _blocks_portable_type.h: blocks of a fixed number of
 * outputs whose two accumulators are local arrays with constant bounds; a
 * missing sample is selected away (x == x is false only for NaN), with no
 * branch, so compilers vectorise the loop for whatever the target has.
 * Every output gets the same additions in the same order, starting from
 * 0, whatever the block it falls in and whatever the build.
 */
#ifndef PYCONV_OMIT_H
#define PYCONV_OMIT_H

#include <Python.h>
#include <math.h>

#if defined(_MSC_VER) && !defined(__clang__)
#define PYCONV_OMIT_RESTRICT __restrict
#else
#define PYCONV_OMIT_RESTRICT restrict
#endif

/* Outputs per block: two accumulators each, so half the register file of
 * _blocks.h's eight-vector blocks per sum. */
#ifndef PYCONV_VECTOR_BYTES
#define PYCONV_VECTOR_BYTES 32
#endif
#define PYCONV_OMIT_PASTE2(a, b) a##_##b
#define PYCONV_OMIT_PASTE(a, b) PYCONV_OMIT_PASTE2(a, b)

#define PYCONV_T double
#define PYCONV_SUFFIX f64
#define PYCONV_OMIT_BLOCK (4 * PYCONV_VECTOR_BYTES / 8)
#include "_omit_type.h"

#define PYCONV_T float
#define PYCONV_SUFFIX f32
#define PYCONV_OMIT_BLOCK (4 * PYCONV_VECTOR_BYTES / 4)
#include "_omit_type.h"

#endif
