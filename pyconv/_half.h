/*
 * IEEE binary16 (numpy's float16) to and from float32, in portable C.
 * pyconv_half_to_float is exact for every half value (subnormals,
 * infinities and NaN payloads included); pyconv_float_to_half rounds to
 * nearest, ties to even, past 65504 to infinity, as numpy's cast does.
 */
#ifndef PYCONV_HALF_H
#define PYCONV_HALF_H

#include <stdint.h>
#include <string.h>

static inline float pyconv_half_to_float(uint16_t half)
{
    uint32_t sign = (uint32_t)(half & 0x8000u) << 16;
    uint32_t exponent = (half >> 10) & 0x1Fu;
    uint32_t mantissa = half & 0x3FFu;
    uint32_t bits;
    float value;
    if (exponent == 0x1Fu) {         /* infinity or NaN, payload kept */
        bits = sign | 0x7F800000u | (mantissa << 13);
    } else if (exponent != 0) {      /* normal: rebias 15 -> 127 */
        bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {      /* zero */
        bits = sign;
    } else {                         /* subnormal: normal in float32 */
        exponent = 113u;
        while (!(mantissa & 0x400u)) {
            mantissa <<= 1;
            exponent--;
        }
        bits = sign | (exponent << 23) | ((mantissa & 0x3FFu) << 13);
    }
    memcpy(&value, &bits, sizeof value);
    return value;
}

static inline uint16_t pyconv_float_to_half(float value)
{
    uint32_t bits, magnitude, exponent, mantissa, half, rest, halfway;
    int shift;
    memcpy(&bits, &value, sizeof bits);
    uint16_t sign = (uint16_t)((bits >> 16) & 0x8000u);
    magnitude = bits & 0x7FFFFFFFu;
    if (magnitude >= 0x7F800000u)    /* infinity, or NaN (kept a NaN) */
        return (uint16_t)(sign | 0x7C00u
                          | (magnitude > 0x7F800000u ? 0x200u | ((magnitude >> 13) & 0x3FFu)
                                                     : 0u));
    if (magnitude >= 0x477FF000u)    /* 65520 and above round to infinity */
        return (uint16_t)(sign | 0x7C00u);
    if (magnitude >= 0x38800000u)    /* a normal half: rebias 127 -> 15, round */
        return (uint16_t)(sign | ((magnitude + 0xFFFu + ((magnitude >> 13) & 1u)
                                   - 0x38000000u) >> 13));
    exponent = magnitude >> 23;
    if (exponent < 102u)             /* below 2**-25: zero */
        return sign;
    /* A subnormal half counts units of 2**-24: the 24-bit significand
     * shifted right by 126 - exponent (14 to 24), rounded to even. */
    mantissa = (magnitude & 0x7FFFFFu) | 0x800000u;
    shift = 126 - (int)exponent;
    half = mantissa >> shift;
    rest = mantissa & ((1u << shift) - 1u);
    halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1u)))
        half++;
    return (uint16_t)(sign | half);
}

#endif
