// oneDNN's per-call workspaces, kept for the next call instead of freed.
//
// oneDNN 2.6's dnnl_sgemm packs its operands into an aligned buffer (4 KiB or 128 bytes) that it
// allocates with posix_memalign at the start of every call and frees at the end: one heap
// allocation per product, whatever the shape or transposition, and its C API has no way to hand
// it a buffer (its matmul primitive allocates more per call, see README). So that a training step allocates nothing,
// h5dnnl_keep_workspaces redirects the two allocator functions libdnnl itself calls,
// posix_memalign and free, through libdnnl's own GOT (the table of addresses through which a
// shared library calls other libraries; no other library is affected): a large block libdnnl
// allocated and then frees is kept by the freeing thread (up to H5DNNL_KEPT, the largest) and
// handed back to that thread's next request it fits. Everything else goes to the functions
// libdnnl was bound to (glibc's, or a preloaded allocator's). Once each thread has run the step's
// largest products, its products allocate nothing. The kernels and their operands are unchanged, so
// are the results: a kept block is at least as large as asked and page-aligned.
//
// x86-64 Linux only (where h5train runs oneDNN by default); elsewhere, or when libdnnl's tables
// are not as expected, nothing is redirected and oneDNN allocates as before.
#ifndef H5TRAIN_CDNNL_WORKSPACE_H
#define H5TRAIN_CDNNL_WORKSPACE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__)
#include <elf.h>
#include <link.h>
#include <malloc.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

extern int dlinfo(void *handle, int request, void *info);  // glibc; declared here so no _GNU_SOURCE is needed
enum { H5DNNL_RTLD_DI_LINKMAP = 2 };

typedef int (*h5dnnl_posix_memalign_fn)(void **out, size_t alignment, size_t size);
typedef void (*h5dnnl_free_fn)(void *pointer);

struct h5dnnl_block { void *pointer; size_t size; };

enum {
    H5DNNL_PAGE = 4096,           // kept blocks are page-aligned, so any of them suits any request
    H5DNNL_SMALLEST_KEPT = 16384, // smaller requests (oneDNN's long-lived bookkeeping) pass through
    H5DNNL_KEPT = 4,              // blocks kept per thread: a product may use more than one
    H5DNNL_LIVE = 8,              // blocks handed out and not yet freed that a thread remembers
};

/// One thread's blocks: those it keeps, and the last few large ones libdnnl allocated there and
/// has not freed (the only ones whose size is known, so the only ones that may be kept).
struct h5dnnl_thread_blocks {
    struct h5dnnl_block kept[H5DNNL_KEPT];
    struct h5dnnl_block live[H5DNNL_LIVE];
    unsigned next;
    int registered;
};

// The state lives in functions' static variables: Swift's C importer emits the functions a header
// defines (with their static variables) but not a header's file-scope variables.

/// What libdnnl's GOT pointed to before (the allocator it was bound to: glibc's, or a preloaded
/// one), and the key whose destructor frees a thread's kept blocks.
struct h5dnnl_bound {
    h5dnnl_posix_memalign_fn posix_memalign;
    h5dnnl_free_fn free;
    pthread_key_t blocks_key;
};
static inline struct h5dnnl_bound *h5dnnl_bound(void) {
    static struct h5dnnl_bound bound;
    return &bound;
}

static inline struct h5dnnl_thread_blocks *h5dnnl_own_blocks(void) {
    static __thread struct h5dnnl_thread_blocks blocks;
    return &blocks;
}

/// At a thread's exit, frees the blocks it kept.
static void h5dnnl_release_kept(void *blocks) {
    struct h5dnnl_thread_blocks *own = (struct h5dnnl_thread_blocks *)blocks;
    for (int i = 0; i < H5DNNL_KEPT; i++) {
        if (own->kept[i].pointer != NULL) h5dnnl_bound()->free(own->kept[i].pointer);
        own->kept[i].pointer = NULL;
    }
}

static void h5dnnl_make_blocks_key(void) { pthread_key_create(&h5dnnl_bound()->blocks_key, h5dnnl_release_kept); }

static void h5dnnl_remember(struct h5dnnl_thread_blocks *own, struct h5dnnl_block block) {
    own->live[own->next % H5DNNL_LIVE] = block;
    own->next++;
}

static int h5dnnl_posix_memalign(void **out, size_t alignment, size_t size) {
    if (size < H5DNNL_SMALLEST_KEPT || alignment == 0 || H5DNNL_PAGE % alignment != 0)
        return h5dnnl_bound()->posix_memalign(out, alignment, size);
    struct h5dnnl_thread_blocks *own = h5dnnl_own_blocks();
    int best = -1;  // the smallest kept block large enough
    for (int i = 0; i < H5DNNL_KEPT; i++) {
        if (own->kept[i].pointer != NULL && own->kept[i].size >= size && (best < 0 || own->kept[i].size < own->kept[best].size))
            best = i;
    }
    if (best >= 0) {
        struct h5dnnl_block block = own->kept[best];
        own->kept[best].pointer = NULL;
        h5dnnl_remember(own, block);
        *out = block.pointer;
        return 0;
    }
    int status = h5dnnl_bound()->posix_memalign(out, H5DNNL_PAGE, size);
    if (status == 0) h5dnnl_remember(own, (struct h5dnnl_block){*out, size});
    return status;
}

static void h5dnnl_free(void *pointer) {
    if (pointer == NULL) return;
    struct h5dnnl_thread_blocks *own = h5dnnl_own_blocks();
    struct h5dnnl_block block = {NULL, 0};
    for (int i = 0; i < H5DNNL_LIVE; i++) {
        if (own->live[i].pointer == pointer) {
            block = own->live[i];
            own->live[i].pointer = NULL;
            break;
        }
    }
    // Only a block of libdnnl's from the hook above, whose size the allocator confirms, is kept:
    // in an empty place, else instead of the smallest kept block if it is larger.
    int slot = -1;
    if (block.pointer != NULL && malloc_usable_size(pointer) >= block.size) {
        for (int i = 0; i < H5DNNL_KEPT; i++) {
            if (own->kept[i].pointer == NULL) { slot = i; break; }
            if (own->kept[i].size < block.size && (slot < 0 || own->kept[i].size < own->kept[slot].size)) slot = i;
        }
    }
    if (slot < 0) {
        h5dnnl_bound()->free(pointer);
        return;
    }
    if (!own->registered) {  // once per thread, so its blocks are freed when it exits
        own->registered = 1;
        pthread_setspecific(h5dnnl_bound()->blocks_key, own);
    }
    if (own->kept[slot].pointer != NULL) h5dnnl_bound()->free(own->kept[slot].pointer);
    own->kept[slot] = block;
}

/// The GOT slot through which `map`'s object calls `name` (a jump slot or a data reference), or NULL.
static void **h5dnnl_got_slot(const struct link_map *map, const char *name) {
    const ElfW(Sym) *symbols = NULL;
    const char *strings = NULL;
    const ElfW(Rela) *tables[2] = {NULL, NULL};
    size_t sizes[2] = {0, 0};
    for (const ElfW(Dyn) *d = map->l_ld; d->d_tag != DT_NULL; d++) {
        // glibc stores these relocated on x86-64; offsets below the load address are not yet.
        uintptr_t at = d->d_un.d_ptr < map->l_addr ? map->l_addr + d->d_un.d_ptr : d->d_un.d_ptr;
        switch (d->d_tag) {
        case DT_SYMTAB: symbols = (const ElfW(Sym) *)at; break;
        case DT_STRTAB: strings = (const char *)at; break;
        case DT_JMPREL: tables[0] = (const ElfW(Rela) *)at; break;
        case DT_PLTRELSZ: sizes[0] = d->d_un.d_val; break;
        case DT_RELA: tables[1] = (const ElfW(Rela) *)at; break;
        case DT_RELASZ: sizes[1] = d->d_un.d_val; break;
        }
    }
    if (symbols == NULL || strings == NULL) return NULL;
    for (int t = 0; t < 2; t++) {
        for (size_t i = 0; tables[t] != NULL && i < sizes[t] / sizeof(ElfW(Rela)); i++) {
            const ElfW(Rela) *r = &tables[t][i];
            unsigned long type = ELF64_R_TYPE(r->r_info);
            if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT) continue;
            if (strcmp(strings + symbols[ELF64_R_SYM(r->r_info)].st_name, name) == 0)
                return (void **)(map->l_addr + r->r_offset);
        }
    }
    return NULL;
}

/// The pages the loader made read-only after relocating the object loaded at `base` (its RELRO
/// segment, rounded down at both ends as the loader rounds it), or an empty range.
static void h5dnnl_relro(uintptr_t base, uintptr_t page, uintptr_t *from, uintptr_t *to) {
    *from = *to = 0;
    const ElfW(Ehdr) *header = (const ElfW(Ehdr) *)base;
    if (memcmp(header->e_ident, ELFMAG, SELFMAG) != 0 || header->e_ident[EI_CLASS] != ELFCLASS64) return;
    const ElfW(Phdr) *programs = (const ElfW(Phdr) *)(base + header->e_phoff);
    for (int i = 0; i < header->e_phnum; i++) {
        if (programs[i].p_type == PT_GNU_RELRO) {
            *from = (base + programs[i].p_vaddr) & ~(page - 1);
            *to = (base + programs[i].p_vaddr + programs[i].p_memsz) & ~(page - 1);
        }
    }
}

/// Redirects libdnnl's posix_memalign and free (see above). Call once, right after dlopen and
/// before its first product. Returns 1 when both are redirected, else 0 (nothing changed).
static inline int h5dnnl_keep_workspaces(void *handle) {
    struct link_map *map = NULL;
    if (dlinfo(handle, H5DNNL_RTLD_DI_LINKMAP, &map) != 0 || map == NULL) return 0;
    void **allocate = h5dnnl_got_slot(map, "posix_memalign"), **release = h5dnnl_got_slot(map, "free");
    if (allocate == NULL || release == NULL || *allocate == NULL || *release == NULL) return 0;
    if (*allocate == (void *)h5dnnl_posix_memalign) return 1;  // already: the bound functions must stay libc's
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, h5dnnl_make_blocks_key);
    h5dnnl_bound()->posix_memalign = (h5dnnl_posix_memalign_fn)*allocate;
    h5dnnl_bound()->free = (h5dnnl_free_fn)*release;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), relroFrom, relroTo;
    h5dnnl_relro(map->l_addr, page, &relroFrom, &relroTo);
    void **slots[2] = {release, allocate};  // free first: alone, its hook passes everything through
    void *hooks[2] = {(void *)h5dnnl_free, (void *)h5dnnl_posix_memalign};
    for (int i = 0; i < 2; i++) {
        uintptr_t start = (uintptr_t)slots[i] & ~(page - 1);
        int readOnly = (uintptr_t)slots[i] >= relroFrom && (uintptr_t)slots[i] < relroTo;
        if (readOnly && mprotect((void *)start, page, PROT_READ | PROT_WRITE) != 0)
            return 0;
        __atomic_store_n(slots[i], hooks[i], __ATOMIC_SEQ_CST);
        if (readOnly) mprotect((void *)start, page, PROT_READ);
    }
    return 1;
}

#else
static inline int h5dnnl_keep_workspaces(void *handle) { (void)handle; return 0; }
#endif

#endif
