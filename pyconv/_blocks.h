/*
 * Register-blocked inner loop of the direct kernels (float32, float64, and
 * int16 for exact sums of 8-bit data).
 *
 * pyconv_accumulate_f64/_f32 compute out[i], i < count, each the sum over
 * taps t, in order, of weights[t] * sources[t][i * steps[t]]. Outputs go in
 * blocks of up to eight vectors whose accumulators stay in registers while
 * every tap of every kernel row is added: each output is stored once, and
 * the independent chains keep the floating-point units busy instead of
 * waiting on one addition after another.
 *
 * The vectors are GCC/Clang vector extensions of 32 bytes (single registers
 * on the AVX2 build, SSE2 halves on the baseline build) or 64 bytes (the
 * AVX-512 build, which also shares loads between taps: see
 * PYCONV_SHIFTED_RUNS). Multiply and add stay separate (-ffp-contract=off,
 * see pyconv/meson.build), and every output gets the same additions in the
 * same order as the scalar loop in _direct.pyx, so a value depends neither
 * on the build nor on where blocks fall.
 */
#ifndef PYCONV_BLOCKS_H
#define PYCONV_BLOCKS_H

#include <string.h>
#include <Python.h>

/* Vector width in bytes: one AVX2 register, or two SSE2 halves; the
 * AVX-512 build sets 64 (pyconv/meson.build). */
#ifndef PYCONV_VECTOR_BYTES
#define PYCONV_VECTOR_BYTES 32
#endif
#define PYCONV_VECTOR_F64 (PYCONV_VECTOR_BYTES / 8)
#define PYCONV_VECTOR_F32 (PYCONV_VECTOR_BYTES / 4)
/* Reals in a block of eight vectors (complex sums use them in pairs). */
#define PYCONV_BLOCK_REALS_F64 (8 * PYCONV_VECTOR_F64)
#define PYCONV_BLOCK_REALS_F32 (8 * PYCONV_VECTOR_F32)

typedef double pyconv_vf64 __attribute__((vector_size(PYCONV_VECTOR_BYTES)));
typedef float pyconv_vf32 __attribute__((vector_size(PYCONV_VECTOR_BYTES)));
/* Exact integer sums of 8-bit data with small integer weights (see
 * _layout.integer_kernel): 16 (32) lanes a vector, no conversion between taps. */
#define PYCONV_VECTOR_I16 (PYCONV_VECTOR_BYTES / 2)
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
        pyconv_vi64 even;
        _Pragma("GCC unroll 16") for (int k = 0; k < PYCONV_VECTOR_F64; k++)
            even[k] = k < PYCONV_VECTOR_F64 / 2 ? 2 * k : 2 * k + 1;
        v = __builtin_shuffle(low, high, even);
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
        const pyconv_vi32 in_lanes = {0, 2, 9, 11, 4, 6, 13, 15};
        const pyconv_vi32 pairs = {0, 1, 4, 5, 2, 3, 6, 7};
        v = __builtin_shuffle(__builtin_shuffle(low, high, in_lanes), pairs);
#else
        pyconv_vi32 even;
        _Pragma("GCC unroll 16") for (int k = 0; k < PYCONV_VECTOR_F32; k++)
            even[k] = k < PYCONV_VECTOR_F32 / 2 ? 2 * k : 2 * k + 1;
        v = __builtin_shuffle(low, high, even);
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
 * constant once the callers' loops are unrolled. */
#define PYCONV_DEFINE_SHIFT(VT, IT, V, NAME)                                           \
static inline __attribute__((always_inline)) VT                                       \
pyconv_shift_##NAME(VT low, VT high, int shift)                                       \
{                                                                                     \
    IT lanes;                                                                         \
    _Pragma("GCC unroll 32") for (int k = 0; k < V; k++) lanes[k] = shift + k;        \
    return __builtin_shuffle(low, high, lanes);                                       \
}
PYCONV_DEFINE_SHIFT(pyconv_vf64, pyconv_vi64, PYCONV_VECTOR_F64, f64)
PYCONV_DEFINE_SHIFT(pyconv_vf32, pyconv_vi32, PYCONV_VECTOR_F32, f32)
PYCONV_DEFINE_SHIFT(pyconv_vi16, pyconv_vi16, PYCONV_VECTOR_I16, i16)

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

/* dst[q] = (float) src[q] * scale: an exact integer sum to its value, one
 * rounding. */
static inline void pyconv_scale_i16(float *dst, const short *src, Py_ssize_t count, float scale)
{
    for (Py_ssize_t q = 0; q < count; q++)
        dst[q] = (float)src[q] * scale;
}

/* Storing float32 sums to 8- and 16-bit integers: round half to even,
 * saturate, NaN to 0 -- what store_int in _direct.pyx does value by value,
 * with the same results. The values are acc[q], or, with `sums` (int16
 * work), (float) sums[q] * scale as pyconv_scale_i16 forms them. On an AVX2
 * build, 32 (8-bit) or 16 (16-bit) values per pass: clamp in float (maxps
 * returns its second operand for a NaN, which is 0 for an unsigned type;
 * signed types zero NaN first), round, then the saturating packs. Returns
 * how many leading values it stored; the caller stores the rest (all of
 * them on a baseline build). */
#if defined(__AVX2__)
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
