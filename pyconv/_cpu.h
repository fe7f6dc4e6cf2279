/*
 * The x86 CPUID instruction through each compiler's own interface (cpuid.h
 * on GCC and Clang, intrin.h on MSVC); on other architectures every
 * register reads 0 and pyconv_have_cpuid is 0.
 */
#ifndef PYCONV_CPU_H
#define PYCONV_CPU_H

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#define PYCONV_HAVE_CPUID 1
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
static inline void pyconv_cpuid(unsigned int leaf, unsigned int regs[4])
{
    int r[4];
    __cpuid(r, (int)leaf);
    for (int i = 0; i < 4; i++)
        regs[i] = (unsigned int)r[i];
}
#else
#include <cpuid.h>
static inline void pyconv_cpuid(unsigned int leaf, unsigned int regs[4])
{
    if (!__get_cpuid(leaf, &regs[0], &regs[1], &regs[2], &regs[3]))
        regs[0] = regs[1] = regs[2] = regs[3] = 0;
}
#endif
#else
#define PYCONV_HAVE_CPUID 0
static inline void pyconv_cpuid(unsigned int leaf, unsigned int regs[4])
{
    (void)leaf;
    regs[0] = regs[1] = regs[2] = regs[3] = 0;
}
#endif

#endif
