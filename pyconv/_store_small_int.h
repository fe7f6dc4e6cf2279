/*
 * Storing float32 sums to 8- and 16-bit integers with x86 intrinsics
 * (immintrin.h: GCC, Clang and MSVC alike), on builds compiled for AVX2 or
 * AVX-512; elsewhere, and on the portable build, pyconv_store_small_int
 * stores nothing and _direct.pyx stores every value itself.
 */
#ifndef PYCONV_STORE_SMALL_INT_H
#define PYCONV_STORE_SMALL_INT_H

/* Storing float32 sums to 8- and 16-bit integers: round half to even,
 * saturate, NaN to 0 -- what store_int in _direct.pyx does value by value,
 * with the same results. The values are acc[q], or, with `sums` (int16
 * work), (float) sums[q] * scale as pyconv_scale_i16 forms them. On an AVX2
 * build, 32 (8-bit) or 16 (16-bit) values per pass: clamp in float (maxps
 * returns its second operand for a NaN, which is 0 for an unsigned type;
 * signed types zero NaN first), round, then the saturating packs. Returns
 * how many leading values it stored; the caller stores the rest (all of
 * them on a baseline build). */
#if defined(__AVX2__) && !defined(PYCONV_PORTABLE)
#include <immintrin.h>

/* The range of an 8- or 16-bit integer type, as floats for the clamps. */
static inline float pyconv_int_low(int bytes, int is_signed)
{
    return is_signed ? (bytes == 1 ? -128.0f : -32768.0f) : 0.0f;
}

static inline float pyconv_int_high(int bytes, int is_signed)
{
    return is_signed ? (bytes == 1 ? 127.0f : 32767.0f) : (bytes == 1 ? 255.0f : 65535.0f);
}

static inline __m256i pyconv_round_clamped(const float *acc, const short *sums, __m256 scale,
                                           __m256 low, __m256 high, int is_signed)
{
    __m256 v;
    if (sums) {
        /* No NaN, and |value| < 2**31 (_layout.integer_kernel): the packs
         * alone saturate, the clamps would change nothing. */
        __m128i words = _mm_loadu_si128((const __m128i *)sums);
        v = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(words)), scale);
        return _mm256_cvtps_epi32(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
    v = _mm256_loadu_ps(acc);
    if (is_signed)
        v = _mm256_and_ps(v, _mm256_cmp_ps(v, v, _CMP_ORD_Q));
    v = _mm256_min_ps(_mm256_max_ps(v, low), high);
    return _mm256_cvtps_epi32(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

/* Eight values from q on: of acc, or of sums when sums is not NULL. */
#define PYCONV_ROUND8(q) pyconv_round_clamped(acc + (sums ? 0 : (q)), sums ? sums + (q) : NULL, \
                                              factor, low, high, is_signed)

#if defined(__AVX512BW__)
/* The AVX-512 build: 16 values a pass, rounded by the conversion itself
 * ({rn-sae}: to nearest even, whatever MXCSR says) and narrowed with
 * saturation in one instruction, where AVX2 needs a round, a convert and
 * two packs. Unsigned narrowing reads its input as unsigned: negative
 * integer sums go to 0 first. */
static inline Py_ssize_t pyconv_store_small_int_512(char *out, const float *acc,
                                                    const short *sums, float scale,
                                                    Py_ssize_t count, int bytes, int is_signed)
{
    const __m512 factor = _mm512_set1_ps(scale);
    const __m512 low = _mm512_set1_ps(pyconv_int_low(bytes, is_signed));
    const __m512 high = _mm512_set1_ps(pyconv_int_high(bytes, is_signed));
    Py_ssize_t q = 0;
    for (; q + 16 <= count; q += 16) {
        __m512 v;
        if (sums) {
            __m256i words = _mm256_loadu_si256((const __m256i *)(sums + q));
            v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(words)), factor);
        } else {
            v = _mm512_loadu_ps(acc + q);
            /* NaN to 0: maxps returns its second operand for a NaN, which is
             * 0 for an unsigned type; signed types zero NaN first. */
            if (is_signed)
                v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, v, _CMP_ORD_Q), v);
            v = _mm512_min_ps(_mm512_max_ps(v, low), high);
        }
        __m512i r = _mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        if (!is_signed)
            r = _mm512_max_epi32(r, _mm512_setzero_si512());
        if (bytes == 1)
            _mm_storeu_si128((__m128i *)(out + q), is_signed ? _mm512_cvtsepi32_epi8(r)
                                                             : _mm512_cvtusepi32_epi8(r));
        else
            _mm256_storeu_si256((__m256i *)(out + 2 * q), is_signed ? _mm512_cvtsepi32_epi16(r)
                                                                    : _mm512_cvtusepi32_epi16(r));
    }
    return q;
}
#endif

static inline Py_ssize_t pyconv_store_small_int(char *out, const float *acc, const short *sums,
                                                float scale, Py_ssize_t count, int bytes,
                                                int is_signed)
{
#if defined(__AVX512BW__)
    if (bytes == 1 || bytes == 2)
        return pyconv_store_small_int_512(out, acc, sums, scale, count, bytes, is_signed);
#endif
    const __m256 factor = _mm256_set1_ps(scale);
    const __m256 low = _mm256_set1_ps(pyconv_int_low(bytes, is_signed));
    const __m256 high = _mm256_set1_ps(pyconv_int_high(bytes, is_signed));
    Py_ssize_t q = 0;
    if (bytes == 1) {
        /* packs work within 128-bit lanes: this puts the 8 groups of 4 back in order */
        const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        for (; q + 32 <= count; q += 32) {
            __m256i a = PYCONV_ROUND8(q), b = PYCONV_ROUND8(q + 8);
            __m256i c = PYCONV_ROUND8(q + 16), d = PYCONV_ROUND8(q + 24);
            __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
            __m256i bytes8 = is_signed ? _mm256_packs_epi16(ab, cd) : _mm256_packus_epi16(ab, cd);
            _mm256_storeu_si256((__m256i *)(out + q), _mm256_permutevar8x32_epi32(bytes8, order));
        }
    } else if (bytes == 2) {
        for (; q + 16 <= count; q += 16) {
            __m256i a = PYCONV_ROUND8(q), b = PYCONV_ROUND8(q + 8);
            __m256i words = is_signed ? _mm256_packs_epi32(a, b) : _mm256_packus_epi32(a, b);
            _mm256_storeu_si256((__m256i *)(out + 2 * q), _mm256_permute4x64_epi64(words, 0xD8));
        }
    }
    return q;
}
#undef PYCONV_ROUND8
#else
static inline Py_ssize_t pyconv_store_small_int(char *out, const float *acc, const short *sums,
                                                float scale, Py_ssize_t count, int bytes,
                                                int is_signed)
{
    (void)out; (void)acc; (void)sums; (void)scale; (void)count; (void)bytes; (void)is_signed;
    return 0;
}
#endif

#endif
