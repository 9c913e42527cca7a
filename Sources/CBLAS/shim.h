// CBLAS shim: the OpenBLAS CBLAS interface, plus the OpenBLAS thread-count control.
//
// H5Train parallelises over its own worker pool, so each worker calls BLAS single-threaded;
// `h5blas_set_single_threaded` is how the NeuralNet module asks for that.
#ifndef H5TRAIN_CBLAS_SHIM_H
#define H5TRAIN_CBLAS_SHIM_H

#include <cblas.h>

/// Limits OpenBLAS to one thread per call. H5Train's worker pool provides the parallelism.
static inline void h5blas_set_single_threaded(void) {
#ifdef OPENBLAS_CONST  // defined only by OpenBLAS's cblas.h
    openblas_set_num_threads(1);
#endif
}

/// The name of the kernel family OpenBLAS runs ("Haswell", "SkylakeX", …), or NULL when the
/// CBLAS library is not OpenBLAS.
static inline const char *h5blas_core_name(void) {
#ifdef OPENBLAS_CONST
    return openblas_get_corename();
#else
    return (const char *)0;
#endif
}

#endif
