"""The x86 CPU's vendor, family and model, for picking the direct kernels' build."""

cdef extern from "_cpu.h":
    enum: PYCONV_HAVE_CPUID
    void pyconv_cpuid(unsigned int leaf, unsigned int regs[4]) noexcept nogil


def x86_identity():
    """(vendor, family, model) from CPUID leaves 0 and 1, or None off x86.

    vendor is the 12-character string ("GenuineIntel", "AuthenticAMD", ...);
    family and model include their extended fields, as the vendors' manuals
    define them (AMD Zen 4 is family 0x19, Zen 5 family 0x1A).
    """
    cdef unsigned int regs[4]
    cdef unsigned int base_family, family, model
    if not PYCONV_HAVE_CPUID:
        return None
    pyconv_cpuid(0, regs)
    vendor = b"".join(int(r).to_bytes(4, "little") for r in (regs[1], regs[3], regs[2]))
    if regs[0] < 1:
        return vendor.decode("ascii", "replace"), 0, 0
    pyconv_cpuid(1, regs)
    base_family = (regs[0] >> 8) & 0xF
    family = base_family + ((regs[0] >> 20) & 0xFF if base_family == 0xF else 0)
    model = (regs[0] >> 4) & 0xF
    if base_family in (0x6, 0xF):
        model |= ((regs[0] >> 16) & 0xF) << 4
    return vendor.decode("ascii", "replace"), family, model
