/*
 * The sums of _blocks.h in plain C99, for every compiler and architecture.
 *
 * Outputs go in blocks of a fixed number of values (as many as eight
 * vectors of the vector-extension builds hold). A block's accumulators are
 * a local array indexed by loop counters whose bounds are constants, and the
 * loop over a block's outputs has independent iterations and restrict
 * pointers: compilers vectorise it and keep the accumulators in registers
 * across the taps, whatever vectors the target has. Each output is the sum
 * from 0, tap by tap in order, as everywhere else.
 */
#ifndef PYCONV_BLOCKS_PORTABLE_H
#define PYCONV_BLOCKS_PORTABLE_H

#if defined(_MSC_VER) && !defined(__clang__)
#define PYCONV_RESTRICT __restrict
#else
#define PYCONV_RESTRICT restrict
#endif

/* OpenMP 4.0's simd: no dependence between iterations (only a hint; the
 * arithmetic of each output is unchanged). MSVC's OpenMP 2.0 lacks it. */
#if defined(_OPENMP) && _OPENMP >= 201307
#define PYCONV_SIMD_LOOP _Pragma("omp simd")
#else
#define PYCONV_SIMD_LOOP
#endif

/* The shortest line pyconv_accumulate_<T> takes: any. */
#define PYCONV_SHORTEST_F64 1
#define PYCONV_SHORTEST_F32 1
#define PYCONV_SHORTEST_I16 1

#define PYCONV_T double
#define PYCONV_SUFFIX f64
#define PYCONV_FLOATING 1
#define PYCONV_BLOCK PYCONV_BLOCK_REALS_F64
#include "_blocks_portable_type.h"

#define PYCONV_T float
#define PYCONV_SUFFIX f32
#define PYCONV_FLOATING 1
#define PYCONV_BLOCK PYCONV_BLOCK_REALS_F32
#include "_blocks_portable_type.h"

/* The sums stay within int16 (_layout.integer_kernel bounds them): exact. */
#define PYCONV_T short
#define PYCONV_SUFFIX i16
#define PYCONV_FLOATING 0
#define PYCONV_BLOCK (8 * PYCONV_VECTOR_I16)
#include "_blocks_portable_type.h"

#endif
