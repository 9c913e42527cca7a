// oneDNN shim: the few oneDNN entry points H5Train uses, loaded at run time.
//
// The package must build and run where oneDNN is not installed (other architectures, macOS, a
// machine without libdnnl), so nothing here links against libdnnl: `h5dnnl_load` opens the shared
// library with dlopen and looks up its symbols, and reports failure instead of breaking the build
// or the link. The NeuralNet module then falls back to OpenBLAS, or names what is missing when
// oneDNN was asked for. The signatures below are those of oneDNN's stable C API (2.x and 3.x);
// where oneDNN's headers are installed the compiler checks the constants against them.
//
// oneDNN's packaged builds parallelise with OpenMP and would run several threads per call; H5Train
// parallelises over its own workers, so every call is made with one OpenMP thread on the calling
// thread (see h5dnnl_sgemm).
#ifndef H5TRAIN_CDNNL_SHIM_H
#define H5TRAIN_CDNNL_SHIM_H

#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>

#include "workspace.h"

typedef int (*h5dnnl_sgemm_fn)(char transa, char transb, int64_t m, int64_t n, int64_t k, float alpha,
                               const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                               float *c, int64_t ldc);
typedef int (*h5dnnl_set_max_cpu_isa_fn)(int isa);
typedef int (*h5dnnl_get_effective_cpu_isa_fn)(void);
typedef void (*h5dnnl_omp_set_num_threads_fn)(int threads);

/// oneDNN ISA values this shim passes (the same in oneDNN 2.x and 3.x).
enum {
    H5DNNL_ISA_NATIVE = 0x0, H5DNNL_ISA_SSE41 = 0x1, H5DNNL_ISA_AVX = 0x3, H5DNNL_ISA_AVX2 = 0x7,
    H5DNNL_ISA_AVX512_CORE = 0x27,
};

#if defined(__has_include)
#if __has_include(<oneapi/dnnl/dnnl_types.h>)  // installed: check the values above against it
#include <oneapi/dnnl/dnnl_types.h>
_Static_assert(sizeof(dnnl_dim_t) == sizeof(int64_t), "oneDNN dimensions are 64-bit");
_Static_assert(sizeof(dnnl_status_t) == sizeof(int) && sizeof(dnnl_cpu_isa_t) == sizeof(int),
               "oneDNN's status and ISA enums are int-sized");
_Static_assert(dnnl_cpu_isa_sse41 == H5DNNL_ISA_SSE41 && dnnl_cpu_isa_avx == H5DNNL_ISA_AVX
               && dnnl_cpu_isa_avx2 == H5DNNL_ISA_AVX2 && dnnl_cpu_isa_avx512_core == H5DNNL_ISA_AVX512_CORE,
               "oneDNN's ISA values");
#endif
#endif

/// The loaded library's entry points, filled by h5dnnl_load. The caller keeps the one copy and
/// passes it to every other function here: a header's static storage would exist once per object
/// file that inlines these functions.
struct h5dnnl_library {
    void *handle;
    h5dnnl_sgemm_fn sgemm;
    h5dnnl_set_max_cpu_isa_fn set_max_cpu_isa;
    h5dnnl_get_effective_cpu_isa_fn get_effective_cpu_isa;
    h5dnnl_omp_set_num_threads_fn omp_set_num_threads;
    /// 1 when libdnnl's per-call workspaces are kept for reuse (see workspace.h), so its products
    /// allocate nothing once warm; 0 when they are allocated and freed by every call.
    int keeps_workspaces;
};

/// Opens libdnnl and resolves its entry points into `library`. Returns 0 on success, else 1 when
/// no libdnnl was found, 2 when a symbol is missing (then `missing` names it).
static inline int h5dnnl_load(struct h5dnnl_library *library, const char **missing) {
    static const char *const names[] = {"libdnnl.so.3", "libdnnl.so.2", "libdnnl.dylib"};
    void *handle = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && handle == NULL; i++)
        handle = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) return 1;
    struct h5dnnl_library found = {handle, NULL, NULL, NULL, NULL, 0};
    found.sgemm = (h5dnnl_sgemm_fn)dlsym(handle, "dnnl_sgemm");
    found.set_max_cpu_isa = (h5dnnl_set_max_cpu_isa_fn)dlsym(handle, "dnnl_set_max_cpu_isa");
    found.get_effective_cpu_isa = (h5dnnl_get_effective_cpu_isa_fn)dlsym(handle, "dnnl_get_effective_cpu_isa");
    // Searched in libdnnl's dependencies too: libgomp for the OpenMP builds H5Train supports.
    found.omp_set_num_threads = (h5dnnl_omp_set_num_threads_fn)dlsym(handle, "omp_set_num_threads");
    const char *absent = !found.sgemm ? "dnnl_sgemm"
                       : !found.set_max_cpu_isa ? "dnnl_set_max_cpu_isa"
                       : !found.get_effective_cpu_isa ? "dnnl_get_effective_cpu_isa"
                       : !found.omp_set_num_threads ? "omp_set_num_threads (oneDNN built without OpenMP)"
                       : NULL;
    if (absent != NULL) {
        if (missing != NULL) *missing = absent;
        dlclose(handle);
        return 2;
    }
    found.keeps_workspaces = h5dnnl_keep_workspaces(handle);
    *library = found;
    return 0;
}

/// Caps the instruction set oneDNN's kernels may use (before its first product); 0 on success.
static inline int h5dnnl_set_max_cpu_isa(const struct h5dnnl_library *library, int isa) {
    return library->set_max_cpu_isa(isa);
}

/// The instruction set oneDNN's kernels use (a dnnl_cpu_isa_t value).
static inline int h5dnnl_get_effective_cpu_isa(const struct h5dnnl_library *library) {
    return library->get_effective_cpu_isa();
}

/// Row-major C ← α·op(A)·op(B) + β·C on the calling thread only; transposes are 'N' or 'T'.
/// Returns oneDNN's status (0 for success); oneDNN's sgemm is row-major, as BLAS.gemm's callers.
///
/// Before a thread's first product it sets that thread's OpenMP thread count to 1, which is what
/// oneDNN reads to decide how many threads a call may use. (Each object file inlining this has
/// its own flag: a thread then sets the count once per object file, which is harmless.)
static inline int h5dnnl_sgemm(const struct h5dnnl_library *library, char transa, char transb,
                               int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                               const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
    static __thread int single_threaded;
    if (!single_threaded) {
        library->omp_set_num_threads(1);
        single_threaded = 1;
    }
    return library->sgemm(transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

#endif
