/* A malloc counter to preload into h5train (see tools/count-allocations).
 *
 * Counts every call to malloc, calloc, realloc, posix_memalign, aligned_alloc and memalign and
 * exports the total as h5train_allocation_count(), which `h5train bench` looks up with dlsym to
 * report heap allocations per training step. Everything else goes to the real allocator.
 *
 * Each thread's allocations are also counted on their own, so that h5train_thread_allocation_count
 * can report those of the live threads of one name (a streamed run's reader thread, say) apart
 * from the rest. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static atomic_long allocation_count;

long h5train_allocation_count(void) { return atomic_load(&allocation_count); }

/* Per-thread counts: a thread takes a slot at its first allocation (no allocation involved). */
struct thread_slot { long tid; atomic_long count; };
#define THREAD_SLOTS 4096
static struct thread_slot thread_slots[THREAD_SLOTS];
static atomic_int thread_slots_used;
static __thread struct thread_slot *my_slot __attribute__((tls_model("initial-exec")));

static void count_one(void) {
    atomic_fetch_add(&allocation_count, 1);
    if (!my_slot) {
        int index = atomic_fetch_add(&thread_slots_used, 1);
        if (index >= THREAD_SLOTS) return;  /* counted in the total only */
        thread_slots[index].tid = syscall(SYS_gettid);
        my_slot = &thread_slots[index];
    }
    atomic_fetch_add(&my_slot->count, 1);
}

/* The allocations so far of the live threads named `name` (compared as Linux stores thread
 * names: their first 15 bytes). Reads /proc/self/task/TID/comm with plain system calls. */
long h5train_thread_allocation_count(const char *name) {
    long total = 0;
    int used = atomic_load(&thread_slots_used);
    for (int i = 0; i < used && i < THREAD_SLOTS; i++) {
        char path[64], comm[32];
        snprintf(path, sizeof path, "/proc/self/task/%ld/comm", thread_slots[i].tid);
        int fd = open(path, O_RDONLY);
        if (fd < 0) continue;
        ssize_t n = read(fd, comm, sizeof comm - 1);
        close(fd);
        if (n <= 0) continue;
        comm[n] = 0;
        if (comm[n - 1] == '\n') comm[n - 1] = 0;
        if (strncmp(comm, name, 15) == 0) total += atomic_load(&thread_slots[i].count);
    }
    return total;
}

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

void *malloc(size_t size) { resolve(); count_one(); return real_malloc(size); }

void *calloc(size_t n, size_t size) {
    if (!real_calloc) {
        size_t bytes = (n * size + 15) & ~(size_t)15;
        if (bootstrap_used + bytes > sizeof bootstrap) return NULL;
        void *p = bootstrap + bootstrap_used;
        bootstrap_used += bytes;
        memset(p, 0, bytes);
        return p;
    }
    count_one();
    return real_calloc(n, size);
}

void *realloc(void *p, size_t size) { resolve(); count_one(); return real_realloc(p, size); }

int posix_memalign(void **out, size_t alignment, size_t size) {
    resolve(); count_one(); return real_posix_memalign(out, alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    resolve(); count_one(); return real_aligned_alloc(alignment, size);
}

void *memalign(size_t alignment, size_t size) {
    resolve(); count_one(); return real_memalign(alignment, size);
}

void free(void *p) {
    static void (*real_free)(void *);
    if ((char *)p >= bootstrap && (char *)p < bootstrap + sizeof bootstrap) return;
    if (!real_free) real_free = dlsym(RTLD_NEXT, "free");
    real_free(p);
}
