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
 *
 * The code is written once for every type, as template headers:
 *
 *   _blocks_vector.h        the vector types and each type's strided loads;
 *                           includes, once per type (f64, f32, i16):
 *   _blocks_vector_type.h   pyconv_accumulate_<T>, which includes, once per
 *                           block size (8, 4, 2 and 1 vectors):
 *   _blocks_vector_block.h  pyconv_block<NV>_<T> and pyconv_unit<NV>_<T>.
 *
 * Each is included with its parameters #define'd and #undef's them at its
 * end. The block size is a constant of its own copy of the code (not a
 * function argument) so that each accumulator array has exactly as many
 * vectors as it uses and stays in registers.
 */
#ifndef PYCONV_BLOCKS_VECTOR_H
#define PYCONV_BLOCKS_VECTOR_H

#include <string.h>

/* IT: an integer vector type with as many lanes, for __builtin_shuffle's
 * lane list (__builtin_shufflevector takes the lanes as arguments). */
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
#define PYCONV_SHUFFLE(IT, a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
#define PYCONV_SHUFFLE(IT, a, b, ...) __builtin_shuffle(a, b, (IT){__VA_ARGS__})
#endif
/* ab, for the names of the block sizes (pyconv_block8_f64, ...). */
#define PYCONV_CAT2(a, b) a##b
#define PYCONV_CAT(a, b) PYCONV_CAT2(a, b)

/* Lane lists: SEQ<n>(s) is s, s + 1, ..., s + n - 1. */
#define PYCONV_SEQ4(s) (s), (s) + 1, (s) + 2, (s) + 3
#define PYCONV_SEQ8(s) PYCONV_SEQ4(s), PYCONV_SEQ4((s) + 4)
#define PYCONV_SEQ16(s) PYCONV_SEQ8(s), PYCONV_SEQ8((s) + 8)
#define PYCONV_SEQ32(s) PYCONV_SEQ16(s), PYCONV_SEQ16((s) + 16)
/* Every other lane of (low, high) from 0, for step-2 loads: low holds
 * p[0 .. V), high p[V - 1 .. 2V - 1). */
#define PYCONV_EVEN2 0, 3
#define PYCONV_EVEN4 0, 2, 5, 7
#define PYCONV_EVEN8 0, 2, 4, 6, 9, 11, 13, 15
#define PYCONV_EVEN16 0, 2, 4, 6, 8, 10, 12, 14, 17, 19, 21, 23, 25, 27, 29, 31

typedef double pyconv_vf64 __attribute__((vector_size(PYCONV_VECTOR_BYTES)));
typedef float pyconv_vf32 __attribute__((vector_size(PYCONV_VECTOR_BYTES)));
/* Exact integer sums of 8-bit data with small integer weights (see
 * _layout.integer_kernel): 16 (32) lanes a vector, no conversion between taps. */
typedef short pyconv_vi16 __attribute__((vector_size(PYCONV_VECTOR_BYTES)));
/* The lane-list types of pyconv_vf64 and pyconv_vf32. */
typedef long long pyconv_vi64 __attribute__((vector_size(PYCONV_VECTOR_BYTES)));
typedef int pyconv_vi32 __attribute__((vector_size(PYCONV_VECTOR_BYTES)));

/* p[0], p[step], ..., one vector. Step 1 is one unaligned load; step 2 (a
 * stride of 2) is two loads, at p and at p + V - 1 so that nothing past the
 * last value used is read, and a shuffle that keeps every other value.
 * Every width from 16 bytes up has its lane list (no build uses 16 bytes;
 * tests/test_simd.py compiles it). */
static inline pyconv_vf64 pyconv_load_f64(const double *p, Py_ssize_t step)
{
    pyconv_vf64 v;
    if (step == 1) {
        memcpy(&v, p, sizeof v);  /* an unaligned load */
    } else if (step == 2) {
        pyconv_vf64 low, high;
        memcpy(&low, p, sizeof low);
        memcpy(&high, p + PYCONV_VECTOR_F64 - 1, sizeof high);
#if PYCONV_VECTOR_F64 == 2
        v = PYCONV_SHUFFLE(pyconv_vi64, low, high, PYCONV_EVEN2);
#elif PYCONV_VECTOR_F64 == 4
        v = PYCONV_SHUFFLE(pyconv_vi64, low, high, PYCONV_EVEN4);
#else
        v = PYCONV_SHUFFLE(pyconv_vi64, low, high, PYCONV_EVEN8);
#endif
    } else {
#pragma GCC unroll 16
        for (int k = 0; k < PYCONV_VECTOR_F64; k++)
            v[k] = p[k * step];
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
#if PYCONV_VECTOR_F32 == 4
        v = PYCONV_SHUFFLE(pyconv_vi32, low, high, PYCONV_EVEN4);
#elif PYCONV_VECTOR_F32 == 8
        /* Within each 128-bit lane first (one vshufps), then the 64-bit
         * pairs into order (one lane-crossing permute): two instructions
         * where the one-step shuffle compiled to two permutes and a blend. */
        v = PYCONV_SHUFFLE(pyconv_vi32, low, high, 0, 2, 9, 11, 4, 6, 13, 15);
        v = PYCONV_SHUFFLE(pyconv_vi32, v, v, 0, 1, 4, 5, 2, 3, 6, 7);
#else
        v = PYCONV_SHUFFLE(pyconv_vi32, low, high, PYCONV_EVEN16);
#endif
    } else {
#pragma GCC unroll 16
        for (int k = 0; k < PYCONV_VECTOR_F32; k++)
            v[k] = p[k * step];
    }
    return v;
}

static inline pyconv_vi16 pyconv_load_i16(const short *p, Py_ssize_t step)
{
    pyconv_vi16 v;
    if (step == 1) {
        memcpy(&v, p, sizeof v);
    } else {
#pragma GCC unroll 16
        for (int k = 0; k < PYCONV_VECTOR_I16; k++)
            v[k] = p[k * step];
    }
    return v;
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

/* Half-width vectors: a line of at least half a vector's outputs but fewer
 * than a vector's is summed as two overlapping half vectors rather than
 * output by output (the 10-value lines of a small volume are shorter than
 * the AVX-512 build's 16 floats). Half a vector of two doubles would be one
 * value: those builds keep a whole vector as the shortest line. */
#define PYCONV_HALF_BYTES (PYCONV_VECTOR_BYTES / 2)
typedef float pyconv_hf32 __attribute__((vector_size(PYCONV_HALF_BYTES)));
#if PYCONV_VECTOR_F64 >= 4
typedef double pyconv_hf64 __attribute__((vector_size(PYCONV_HALF_BYTES)));
#define PYCONV_SHORTEST_F64 (PYCONV_VECTOR_F64 / 2)
#else
#define PYCONV_SHORTEST_F64 PYCONV_VECTOR_F64
#endif
#define PYCONV_SHORTEST_F32 (PYCONV_VECTOR_F32 / 2)
#define PYCONV_SHORTEST_I16 PYCONV_VECTOR_I16

/* The per-type functions. PYCONV_LANES(s) is the lane list s .. s + V - 1,
 * for the shifts of the 64-byte build (the only one that uses it). */
#define PYCONV_T double
#define PYCONV_VT pyconv_vf64
#define PYCONV_IT pyconv_vi64
#define PYCONV_V PYCONV_VECTOR_F64
#define PYCONV_LANES(s) PYCONV_SEQ8(s)
#define PYCONV_SUFFIX f64
#define PYCONV_FLOATING 1
#if PYCONV_VECTOR_F64 >= 4
#define PYCONV_HT pyconv_hf64
#endif
#include "_blocks_vector_type.h"

#define PYCONV_T float
#define PYCONV_VT pyconv_vf32
#define PYCONV_IT pyconv_vi32
#define PYCONV_V PYCONV_VECTOR_F32
#define PYCONV_LANES(s) PYCONV_SEQ16(s)
#define PYCONV_SUFFIX f32
#define PYCONV_FLOATING 1
#define PYCONV_HT pyconv_hf32
#include "_blocks_vector_type.h"

/* The sums stay within int16 (_layout.integer_kernel bounds them): exact. */
#define PYCONV_T short
#define PYCONV_VT pyconv_vi16
#define PYCONV_IT pyconv_vi16
#define PYCONV_V PYCONV_VECTOR_I16
#define PYCONV_LANES(s) PYCONV_SEQ32(s)
#define PYCONV_SUFFIX i16
#define PYCONV_FLOATING 0
#include "_blocks_vector_type.h"

#endif
