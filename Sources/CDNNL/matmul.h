// oneDNN's matmul primitive for H5Train's products, one primitive per product shape and thread.
//
// dnnl_sgemm re-plans every call and mallocs its packing buffer each time. The matmul primitive is
// planned (and its kernel JIT-compiled) once per shape; each thread then keeps, per shape, the
// primitive, memory objects whose data handles are swapped per call, and one scratchpad buffer it
// owns (dnnl_scratchpad_mode_user), so a call only sets pointers and executes.
//
// The C API used here (dnnl_matmul_desc_init, dnnl_memory_desc_t as a struct, output scales) is
// oneDNN 2.x's: it is compiled only against oneDNN 2.x headers, and used only when the library
// opened at run time is libdnnl.so.2. Elsewhere `h5dnnl_matmul_available` is 0 and the products
// stay on dnnl_sgemm.
#ifndef H5TRAIN_CDNNL_MATMUL_H
#define H5TRAIN_CDNNL_MATMUL_H

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_include)
#if __has_include(<oneapi/dnnl/dnnl.h>) && __has_include(<oneapi/dnnl/dnnl_version.h>)
#include <oneapi/dnnl/dnnl_version.h>
#if DNNL_VERSION_MAJOR == 2
#define H5DNNL_MATMUL 1
#include <oneapi/dnnl/dnnl.h>
#endif
#endif
#endif

/// Post-operations a forward product may fuse (none, or the bias and an activation).
enum {
    H5DNNL_POST_NONE = 0, H5DNNL_POST_BIAS = 1, H5DNNL_POST_BIAS_RELU = 2,
};

#ifdef H5DNNL_MATMUL

/// The oneDNN 2.x entry points of the matmul path, each typed by its declaration in the headers.
struct h5dnnl_matmul_library {
    __typeof__(&dnnl_engine_create) engine_create;
    __typeof__(&dnnl_stream_create) stream_create;
    __typeof__(&dnnl_memory_desc_init_by_strides) memory_desc_init_by_strides;
    __typeof__(&dnnl_memory_desc_get_size) memory_desc_get_size;
    __typeof__(&dnnl_matmul_desc_init) matmul_desc_init;
    __typeof__(&dnnl_primitive_attr_create) attr_create;
    __typeof__(&dnnl_primitive_attr_destroy) attr_destroy;
    __typeof__(&dnnl_primitive_attr_set_scratchpad_mode) attr_set_scratchpad_mode;
    __typeof__(&dnnl_primitive_attr_set_output_scales) attr_set_output_scales;
    __typeof__(&dnnl_primitive_attr_set_post_ops) attr_set_post_ops;
    __typeof__(&dnnl_post_ops_create) post_ops_create;
    __typeof__(&dnnl_post_ops_destroy) post_ops_destroy;
    __typeof__(&dnnl_post_ops_append_eltwise) post_ops_append_eltwise;
    __typeof__(&dnnl_primitive_desc_create) primitive_desc_create;
    __typeof__(&dnnl_primitive_desc_destroy) primitive_desc_destroy;
    __typeof__(&dnnl_primitive_desc_query_md) primitive_desc_query_md;
    __typeof__(&dnnl_primitive_create) primitive_create;
    __typeof__(&dnnl_primitive_execute) primitive_execute;
    __typeof__(&dnnl_memory_create) memory_create;
    __typeof__(&dnnl_memory_set_data_handle) memory_set_data_handle;
    void (*omp_set_num_threads)(int threads);
    dnnl_engine_t engine;       // the process's CPU engine (thread-safe to share), made by the first product
    pthread_mutex_t engine_lock;
    pthread_key_t thread_key;   // each thread's struct h5dnnl_matmul_thread
};

/// Everything a thread keeps for one product shape.
struct h5dnnl_matmul_entry {
    int64_t m, n, k, lda, ldb, ldc;
    int transa, transb, scaled, post;
    dnnl_primitive_t primitive;
    int nargs;
    dnnl_exec_arg_t args[6];  // src, weights, dst, scratchpad, then output scales and/or bias
};

/// The shapes one thread has met (a growing array: it grows only when a new shape appears), its
/// stream and its one scratchpad.
struct h5dnnl_matmul_thread {
    dnnl_stream_t stream;
    void *scratchpad;
    size_t scratchpad_size;
    int count, capacity, last;
    struct h5dnnl_matmul_entry *entries;
};

/// Resolves the matmul entry points in `handle` (an opened libdnnl.so.2). The engine is made by the
/// first product, so that an instruction-set cap set before it still applies.
/// Returns 0 on success; else the path is unusable (then `missing` names the first absent symbol).
static inline int h5dnnl_matmul_load(struct h5dnnl_matmul_library *library, void *handle, const char **missing) {
    struct h5dnnl_matmul_library found;
    memset(&found, 0, sizeof found);
#define H5DNNL_RESOLVE(field, name) \
    if ((found.field = (__typeof__(found.field))dlsym(handle, #name)) == NULL) { *missing = #name; return 1; }
    H5DNNL_RESOLVE(engine_create, dnnl_engine_create)
    H5DNNL_RESOLVE(stream_create, dnnl_stream_create)
    H5DNNL_RESOLVE(memory_desc_init_by_strides, dnnl_memory_desc_init_by_strides)
    H5DNNL_RESOLVE(memory_desc_get_size, dnnl_memory_desc_get_size)
    H5DNNL_RESOLVE(matmul_desc_init, dnnl_matmul_desc_init)
    H5DNNL_RESOLVE(attr_create, dnnl_primitive_attr_create)
    H5DNNL_RESOLVE(attr_destroy, dnnl_primitive_attr_destroy)
    H5DNNL_RESOLVE(attr_set_scratchpad_mode, dnnl_primitive_attr_set_scratchpad_mode)
    H5DNNL_RESOLVE(attr_set_output_scales, dnnl_primitive_attr_set_output_scales)
    H5DNNL_RESOLVE(attr_set_post_ops, dnnl_primitive_attr_set_post_ops)
    H5DNNL_RESOLVE(post_ops_create, dnnl_post_ops_create)
    H5DNNL_RESOLVE(post_ops_destroy, dnnl_post_ops_destroy)
    H5DNNL_RESOLVE(post_ops_append_eltwise, dnnl_post_ops_append_eltwise)
    H5DNNL_RESOLVE(primitive_desc_create, dnnl_primitive_desc_create)
    H5DNNL_RESOLVE(primitive_desc_destroy, dnnl_primitive_desc_destroy)
    H5DNNL_RESOLVE(primitive_desc_query_md, dnnl_primitive_desc_query_md)
    H5DNNL_RESOLVE(primitive_create, dnnl_primitive_create)
    H5DNNL_RESOLVE(primitive_execute, dnnl_primitive_execute)
    H5DNNL_RESOLVE(memory_create, dnnl_memory_create)
    H5DNNL_RESOLVE(memory_set_data_handle, dnnl_memory_set_data_handle)
    H5DNNL_RESOLVE(omp_set_num_threads, omp_set_num_threads)
#undef H5DNNL_RESOLVE
    if (pthread_key_create(&found.thread_key, NULL) != 0) { *missing = "a thread key"; return 1; }
    *library = found;
    if (pthread_mutex_init(&library->engine_lock, NULL) != 0) { *missing = "a mutex"; return 1; }
    return 0;
}

/// A 2-D f32 matrix descriptor: `rows` × `columns` stored row-major with row stride `ld`, or its
/// transpose (`transposed`: the stored matrix is columns × rows).
static inline int h5dnnl_matrix_desc(const struct h5dnnl_matmul_library *library, dnnl_memory_desc_t *desc,
                                     int64_t rows, int64_t columns, int64_t ld, int transposed) {
    dnnl_dims_t dims = {rows, columns};
    dnnl_dims_t strides = {transposed ? 1 : ld, transposed ? ld : 1};
    return library->memory_desc_init_by_strides(desc, 2, dims, dnnl_f32, strides);
}

/// Plans `entry`'s primitive and its memory objects on `thread`; 0 on success.
static inline int h5dnnl_matmul_create(const struct h5dnnl_matmul_library *library,
                                       struct h5dnnl_matmul_thread *thread, struct h5dnnl_matmul_entry *entry) {
    dnnl_memory_desc_t a, b, c, bias;
    if (h5dnnl_matrix_desc(library, &a, entry->m, entry->k, entry->lda, entry->transa)
        || h5dnnl_matrix_desc(library, &b, entry->k, entry->n, entry->ldb, entry->transb)
        || h5dnnl_matrix_desc(library, &c, entry->m, entry->n, entry->ldc, 0)
        || h5dnnl_matrix_desc(library, &bias, 1, entry->n, entry->n, 0)) return 1;
    dnnl_matmul_desc_t desc;
    if (library->matmul_desc_init(&desc, &a, &b, entry->post ? &bias : NULL, &c)) return 1;
    dnnl_primitive_attr_t attr;
    if (library->attr_create(&attr)) return 1;
    int failed = library->attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user) != dnnl_success;
    float runtime_scale = DNNL_RUNTIME_F32_VAL;
    if (!failed && entry->scaled) failed = library->attr_set_output_scales(attr, 1, 0, &runtime_scale) != dnnl_success;
    if (!failed && entry->post == H5DNNL_POST_BIAS_RELU) {
        dnnl_post_ops_t post_ops;
        failed = library->post_ops_create(&post_ops) != dnnl_success;
        if (!failed) {
            failed = library->post_ops_append_eltwise(post_ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f)
                     || library->attr_set_post_ops(attr, post_ops);
            library->post_ops_destroy(post_ops);
        }
    }
    dnnl_primitive_desc_t pd = NULL;
    if (!failed) failed = library->primitive_desc_create(&pd, &desc, attr, library->engine, NULL) != dnnl_success;
    library->attr_destroy(attr);
    if (failed) return 1;
    const dnnl_memory_desc_t *scratch = library->primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    size_t scratch_size = scratch ? library->memory_desc_get_size(scratch) : 0;
    failed = library->primitive_create(&entry->primitive, pd) != dnnl_success;
    dnnl_memory_desc_t scale;
    dnnl_dims_t one = {1};
    failed = failed || library->memory_desc_init_by_strides(&scale, 1, one, dnnl_f32, one);
    // Memory objects made once with placeholder handles; each call sets the real pointers.
    int args[6] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST, DNNL_ARG_SCRATCHPAD, 0, 0};
    const dnnl_memory_desc_t *descs[6] = {&a, &b, &c, scratch, NULL, NULL};
    int nargs = 4;
    if (entry->scaled) { args[nargs] = DNNL_ARG_ATTR_OUTPUT_SCALES; descs[nargs++] = &scale; }
    if (entry->post) { args[nargs] = DNNL_ARG_BIAS; descs[nargs++] = &bias; }
    for (int i = 0; i < nargs && !failed; i++) {
        entry->args[i].arg = args[i];
        failed = library->memory_create(&entry->args[i].memory, descs[i], library->engine, DNNL_MEMORY_NONE) != dnnl_success;
    }
    library->primitive_desc_destroy(pd);
    if (failed) return 1;
    entry->nargs = nargs;
    if (scratch_size > thread->scratchpad_size) {  // grow the thread's one scratchpad; re-point every shape at it
        free(thread->scratchpad);
        size_t size = (scratch_size + 4095) / 4096 * 4096;
        if (posix_memalign(&thread->scratchpad, 4096, size) != 0) { thread->scratchpad = NULL; thread->scratchpad_size = 0; return 1; }
        thread->scratchpad_size = size;
        for (int i = 0; i < thread->count; i++)
            library->memory_set_data_handle(thread->entries[i].args[3].memory, thread->scratchpad);
    }
    return library->memory_set_data_handle(entry->args[3].memory, thread->scratchpad) != dnnl_success;
}

/// The calling thread's state, made on its first product (NULL if that failed).
static inline struct h5dnnl_matmul_thread *h5dnnl_matmul_thread(const struct h5dnnl_matmul_library *library) {
    struct h5dnnl_matmul_thread *thread = (struct h5dnnl_matmul_thread *)pthread_getspecific(library->thread_key);
    if (thread != NULL) return thread;
    struct h5dnnl_matmul_library *shared = (struct h5dnnl_matmul_library *)library;
    pthread_mutex_lock(&shared->engine_lock);
    int no_engine = shared->engine == NULL && shared->engine_create(&shared->engine, dnnl_cpu, 0) != dnnl_success;
    pthread_mutex_unlock(&shared->engine_lock);
    if (no_engine) return NULL;
    thread = (struct h5dnnl_matmul_thread *)calloc(1, sizeof *thread);
    if (thread == NULL) return NULL;
    library->omp_set_num_threads(1);  // what oneDNN reads to decide how many threads a call may use
    if (library->stream_create(&thread->stream, library->engine, dnnl_stream_default_flags) != dnnl_success
        || pthread_setspecific(library->thread_key, thread) != 0) {
        free(thread);
        return NULL;
    }
    return thread;
}

/// Row-major C ← α·op(A)·op(B) (+ bias, then ReLU, per `post`) on the calling thread with a
/// primitive planned for this exact shape. Returns 0 on success; nonzero when this shape cannot
/// run here (the caller then uses dnnl_sgemm): oneDNN refused it (which depends only on the shape,
/// never on the thread), or memory for a new shape ran out.
static inline int h5dnnl_matmul(const struct h5dnnl_matmul_library *library, char transa, char transb,
                                int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                                const float *b, int64_t ldb, float *c, int64_t ldc, int post, const float *bias) {
    struct h5dnnl_matmul_thread *thread = h5dnnl_matmul_thread(library);
    if (thread == NULL) return 1;
    int ta = transa == 'T', tb = transb == 'T', scaled = alpha != 1.0f;
    struct h5dnnl_matmul_entry *entry = NULL;
    for (int probe = 0; probe < thread->count; probe++) {  // starting where the last call matched
        int i = (thread->last + probe) % thread->count;
        struct h5dnnl_matmul_entry *e = &thread->entries[i];
        if (e->m == m && e->n == n && e->k == k && e->lda == lda && e->ldb == ldb && e->ldc == ldc
            && e->transa == ta && e->transb == tb && e->scaled == scaled && e->post == post) {
            entry = e;
            thread->last = i;
            break;
        }
    }
    if (entry == NULL) {
        if (thread->count == thread->capacity) {
            int capacity = thread->capacity ? 2 * thread->capacity : 32;
            void *grown = realloc(thread->entries, (size_t)capacity * sizeof *entry);
            if (grown == NULL) return 2;
            thread->entries = (struct h5dnnl_matmul_entry *)grown;
            thread->capacity = capacity;
        }
        entry = &thread->entries[thread->count];
        memset(entry, 0, sizeof *entry);
        entry->m = m; entry->n = n; entry->k = k; entry->lda = lda; entry->ldb = ldb; entry->ldc = ldc;
        entry->transa = ta; entry->transb = tb; entry->scaled = scaled; entry->post = post;
        thread->last = thread->count++;
        if (h5dnnl_matmul_create(library, thread, entry) != 0) entry->primitive = NULL;  // refused: remembered
    }
    if (entry->primitive == NULL) return 3;
    library->memory_set_data_handle(entry->args[0].memory, (void *)a);
    library->memory_set_data_handle(entry->args[1].memory, (void *)b);
    library->memory_set_data_handle(entry->args[2].memory, c);
    int next = 4;
    if (scaled) library->memory_set_data_handle(entry->args[next++].memory, &alpha);
    if (post) library->memory_set_data_handle(entry->args[next].memory, (void *)bias);
    return library->primitive_execute(entry->primitive, thread->stream, entry->nargs, entry->args);
}


/// Opens the matmul path on `handle` (an opened libdnnl): the table to pass to h5dnnl_matmul_run,
/// never freed, or NULL when the path cannot be used (then `missing` names why).
static inline const void *h5dnnl_matmul_open(void *handle, const char **missing) {
    struct h5dnnl_matmul_library *library = (struct h5dnnl_matmul_library *)calloc(1, sizeof *library);
    if (library == NULL) return NULL;
    if (h5dnnl_matmul_load(library, handle, missing) != 0) {
        free(library);
        return NULL;
    }
    return library;
}

/// h5dnnl_matmul on the table h5dnnl_matmul_open returned.
static inline int h5dnnl_matmul_run(const void *library, char transa, char transb, int64_t m, int64_t n, int64_t k,
                                    float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                                    float *c, int64_t ldc, int post, const float *bias) {
    return h5dnnl_matmul((const struct h5dnnl_matmul_library *)library, transa, transb, m, n, k, alpha, a, lda, b, ldb,
                         c, ldc, post, bias);
}

#else  // built without oneDNN 2.x headers: no matmul path

static inline const void *h5dnnl_matmul_open(void *handle, const char **missing) {
    (void)handle;
    *missing = "oneDNN 2.x headers at build time";
    return NULL;
}

static inline int h5dnnl_matmul_run(const void *library, char transa, char transb, int64_t m, int64_t n, int64_t k,
                                    float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                                    float *c, int64_t ldc, int post, const float *bias) {
    (void)library; (void)transa; (void)transb; (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)lda;
    (void)b; (void)ldb; (void)c; (void)ldc; (void)post; (void)bias;
    return 1;
}

#endif  // H5DNNL_MATMUL

#endif
