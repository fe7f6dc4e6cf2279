# The OpenMP shim: the same names whether or not the build has OpenMP, so the
# kernels never need an #ifdef of their own. (Cython's prange/parallel already
# compile to plain loops without OpenMP.)

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    #define PYCONV_HAVE_OPENMP 1
    #else
    #define PYCONV_HAVE_OPENMP 0
    static int omp_get_max_threads(void) { return 1; }
    static int omp_get_num_procs(void) { return 1; }
    static int omp_get_num_threads(void) { return 1; }
    static double omp_get_wtime(void) { return 0.0; }
    #endif
    """
    const int PYCONV_HAVE_OPENMP
    int omp_get_max_threads() noexcept nogil
    int omp_get_num_procs() noexcept nogil
    int omp_get_num_threads() noexcept nogil
    double omp_get_wtime() noexcept nogil
