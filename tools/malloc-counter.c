/* A malloc counter to preload into h5train (see tools/count-allocations).
 *
 * Counts every call to malloc, calloc, realloc, posix_memalign, aligned_alloc and memalign and
 * exports the total as h5train_allocation_count(), which `h5train bench` looks up with dlsym to
 * report heap allocations per training step. Everything else goes to the real allocator. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

static atomic_long allocation_count;

long h5train_allocation_count(void) { return atomic_load(&allocation_count); }

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);

/* dlsym itself may call calloc before real_calloc is known: serve that from a static arena. */
static char bootstrap[4096];
static size_t bootstrap_used;

static void resolve(void) {
    if (real_malloc) return;
    real_calloc = dlsym(RTLD_NEXT, "calloc");
    real_malloc = dlsym(RTLD_NEXT, "malloc");
    real_realloc = dlsym(RTLD_NEXT, "realloc");
    real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
    real_memalign = dlsym(RTLD_NEXT, "memalign");
}

void *malloc(size_t size) { resolve(); atomic_fetch_add(&allocation_count, 1); return real_malloc(size); }

void *calloc(size_t n, size_t size) {
    if (!real_calloc) {
        size_t bytes = (n * size + 15) & ~(size_t)15;
        if (bootstrap_used + bytes > sizeof bootstrap) return NULL;
        void *p = bootstrap + bootstrap_used;
        bootstrap_used += bytes;
        memset(p, 0, bytes);
        return p;
    }
    atomic_fetch_add(&allocation_count, 1);
    return real_calloc(n, size);
}

void *realloc(void *p, size_t size) { resolve(); atomic_fetch_add(&allocation_count, 1); return real_realloc(p, size); }

int posix_memalign(void **out, size_t alignment, size_t size) {
    resolve(); atomic_fetch_add(&allocation_count, 1); return real_posix_memalign(out, alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    resolve(); atomic_fetch_add(&allocation_count, 1); return real_aligned_alloc(alignment, size);
}

void *memalign(size_t alignment, size_t size) {
    resolve(); atomic_fetch_add(&allocation_count, 1); return real_memalign(alignment, size);
}

void free(void *p) {
    static void (*real_free)(void *);
    if ((char *)p >= bootstrap && (char *)p < bootstrap + sizeof bootstrap) return;
    if (!real_free) real_free = dlsym(RTLD_NEXT, "free");
    real_free(p);
}
