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
 * A missing sample is masked away with no branch: x == x is false only for
 * NaN, and both x and the weight are and-ed with that comparison's lanes
 * (all ones or all zeros), so a missing tap adds +0 to both sums. Outputs go
 * in blocks with two accumulators each:
 *
 * - with GCC/Clang vector extensions (the AVX2 and AVX-512 builds, as
 *   _blocks_vector.h), blocks of PYCONV_OMIT_VECTORS vectors per sum kept in
 *   registers, for unit steps;
 * - otherwise, and for the outputs left over or other steps, plain C99
 *   loops over fixed-size blocks (_omit_type.h). Compilers vectorise these
 *   less well than _blocks_portable.h's plain sums (the select), which is
 *   why the vector builds have their own block.
 *
 * Every output gets the same additions in the same order, starting from 0,
 * whatever the block it falls in and whatever the build: results are
 * bitwise the same everywhere.
 */
#ifndef PYCONV_OMIT_H
#define PYCONV_OMIT_H

#include <math.h>
#include <string.h>

#include "_blocks.h"

#if defined(_MSC_VER) && !defined(__clang__)
#define PYCONV_OMIT_RESTRICT __restrict
#else
#define PYCONV_OMIT_RESTRICT restrict
#endif

/* Vectors per sum in a vector block: eight accumulators in all. */
#define PYCONV_OMIT_VECTORS 4

#if !defined(PYCONV_PORTABLE) && (defined(__GNUC__) || defined(__clang__))
#define PYCONV_OMIT_VECTOR 1
#else
#define PYCONV_OMIT_VECTOR 0
#endif

#define PYCONV_T double
#define PYCONV_SUFFIX f64
#define PYCONV_OMIT_BLOCK (PYCONV_OMIT_VECTORS * PYCONV_VECTOR_F64)
#if PYCONV_OMIT_VECTOR
#define PYCONV_OMIT_VT pyconv_vf64
#define PYCONV_OMIT_IT pyconv_vi64
#endif
#include "_omit_type.h"

#define PYCONV_T float
#define PYCONV_SUFFIX f32
#define PYCONV_OMIT_BLOCK (PYCONV_OMIT_VECTORS * PYCONV_VECTOR_F32)
#if PYCONV_OMIT_VECTOR
#define PYCONV_OMIT_VT pyconv_vf32
#define PYCONV_OMIT_IT pyconv_vi32
#endif
#include "_omit_type.h"

#endif
