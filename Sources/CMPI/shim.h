// Open MPI shim: the few MPI calls H5Train's data-parallel runs across processes make, loaded at
// run time.
//
// Nothing here links against libmpi, so the package builds where Open MPI is not installed and a
// run not started by mpirun neither loads nor initialises MPI (no start-up cost). `h5mpi_load`
// opens libmpi with dlopen (RTLD_GLOBAL: Open MPI's plugins resolve libmpi's symbols through the
// global namespace) and looks up the functions and the predefined handles. Swift cannot import
// MPI_COMM_WORLD, MPI_FLOAT, MPI_IN_PLACE and the like: in Open MPI they are macros taking the
// addresses of exported globals (`&ompi_mpi_comm_world`), so the addresses of those globals are
// the handles. Handles are pointers in Open MPI's ABI (Open MPI 3.x, 4.x and 5.x: libmpi.so.40);
// MPICH's integer handles are not supported.
#ifndef H5TRAIN_CMPI_SHIM_H
#define H5TRAIN_CMPI_SHIM_H

#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

typedef void *h5mpi_handle;

typedef int (*h5mpi_init_thread_fn)(int *argc, char ***argv, int required, int *provided);
typedef int (*h5mpi_finalize_fn)(void);
typedef int (*h5mpi_comm_int_fn)(h5mpi_handle comm, int *value);
typedef int (*h5mpi_processor_name_fn)(char *name, int *length);
typedef int (*h5mpi_iallgatherv_fn)(const void *send, int sendcount, h5mpi_handle sendtype, void *receive,
                                    const int *counts, const int *displacements, h5mpi_handle receivetype,
                                    h5mpi_handle comm, h5mpi_handle *request);
typedef int (*h5mpi_test_fn)(h5mpi_handle *request, int *done, void *status);
typedef int (*h5mpi_isend_fn)(const void *buffer, int count, h5mpi_handle type, int destination, int tag,
                              h5mpi_handle comm, h5mpi_handle *request);
typedef int (*h5mpi_irecv_fn)(void *buffer, int count, h5mpi_handle type, int source, int tag, h5mpi_handle comm,
                              h5mpi_handle *request);
typedef int (*h5mpi_allgather_fn)(const void *send, int sendcount, h5mpi_handle sendtype, void *receive,
                                  int receivecount, h5mpi_handle receivetype, h5mpi_handle comm);
typedef int (*h5mpi_allreduce_fn)(const void *send, void *receive, int count, h5mpi_handle type, h5mpi_handle op,
                                  h5mpi_handle comm);
typedef int (*h5mpi_bcast_fn)(void *buffer, int count, h5mpi_handle type, int root, h5mpi_handle comm);
typedef int (*h5mpi_barrier_fn)(h5mpi_handle comm);
typedef int (*h5mpi_abort_fn)(h5mpi_handle comm, int code);
typedef int (*h5mpi_error_string_fn)(int code, char *text, int *length);
typedef int (*h5mpi_set_errhandler_fn)(h5mpi_handle comm, h5mpi_handle handler);

/// MPI_MAX_PROCESSOR_NAME and MPI_MAX_ERROR_STRING are 256 in Open MPI; these are the buffer sizes used.
enum { H5MPI_MAX_NAME = 256, H5MPI_MAX_ERROR = 256, H5MPI_THREAD_FUNNELED = 1 };

/// The loaded library: its entry points and predefined handles, filled by h5mpi_load. The caller
/// keeps the one copy and passes it to every other function here.
struct h5mpi_library {
    void *handle;
    h5mpi_init_thread_fn init_thread;
    h5mpi_finalize_fn finalize;
    h5mpi_comm_int_fn comm_rank, comm_size;
    h5mpi_processor_name_fn processor_name;
    h5mpi_iallgatherv_fn iallgatherv;
    h5mpi_test_fn test;
    h5mpi_isend_fn isend;
    h5mpi_irecv_fn irecv;
    h5mpi_allgather_fn allgather;
    h5mpi_allreduce_fn allreduce;
    h5mpi_bcast_fn bcast;
    h5mpi_barrier_fn barrier;
    h5mpi_abort_fn abort;
    h5mpi_error_string_fn error_string;
    h5mpi_set_errhandler_fn set_errhandler;
    h5mpi_handle comm_world, type_float, type_double, type_byte, op_sum, op_max, errors_return;
};

/// Opens libmpi and resolves what `library` holds. Returns 0 on success, 1 when no libmpi was
/// found (then `missing` is dlerror's text), 2 when a symbol is missing (then `missing` names it).
static inline int h5mpi_load(struct h5mpi_library *library, const char **missing) {
    static const char *const names[] = {"libmpi.so.40", "libmpi.so", "libmpi.40.dylib", "libmpi.dylib"};
    void *handle = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && handle == NULL; i++)
        handle = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
    if (handle == NULL) {
        if (missing != NULL) *missing = dlerror();
        return 1;
    }
    struct h5mpi_library found = {0};
    found.handle = handle;
    const char *absent = NULL;
#define H5MPI_FIND(field, type, symbol) \
    if (absent == NULL && (found.field = (type)dlsym(handle, symbol)) == NULL) absent = symbol;
    H5MPI_FIND(init_thread, h5mpi_init_thread_fn, "MPI_Init_thread")
    H5MPI_FIND(finalize, h5mpi_finalize_fn, "MPI_Finalize")
    H5MPI_FIND(comm_rank, h5mpi_comm_int_fn, "MPI_Comm_rank")
    H5MPI_FIND(comm_size, h5mpi_comm_int_fn, "MPI_Comm_size")
    H5MPI_FIND(processor_name, h5mpi_processor_name_fn, "MPI_Get_processor_name")
    H5MPI_FIND(iallgatherv, h5mpi_iallgatherv_fn, "MPI_Iallgatherv")
    H5MPI_FIND(test, h5mpi_test_fn, "MPI_Test")
    H5MPI_FIND(isend, h5mpi_isend_fn, "MPI_Isend")
    H5MPI_FIND(irecv, h5mpi_irecv_fn, "MPI_Irecv")
    H5MPI_FIND(allgather, h5mpi_allgather_fn, "MPI_Allgather")
    H5MPI_FIND(allreduce, h5mpi_allreduce_fn, "MPI_Allreduce")
    H5MPI_FIND(bcast, h5mpi_bcast_fn, "MPI_Bcast")
    H5MPI_FIND(barrier, h5mpi_barrier_fn, "MPI_Barrier")
    H5MPI_FIND(abort, h5mpi_abort_fn, "MPI_Abort")
    H5MPI_FIND(error_string, h5mpi_error_string_fn, "MPI_Error_string")
    H5MPI_FIND(set_errhandler, h5mpi_set_errhandler_fn, "MPI_Comm_set_errhandler")
    H5MPI_FIND(comm_world, h5mpi_handle, "ompi_mpi_comm_world")
    H5MPI_FIND(type_float, h5mpi_handle, "ompi_mpi_float")
    H5MPI_FIND(type_double, h5mpi_handle, "ompi_mpi_double")
    H5MPI_FIND(type_byte, h5mpi_handle, "ompi_mpi_byte")
    H5MPI_FIND(op_sum, h5mpi_handle, "ompi_mpi_op_sum")
    H5MPI_FIND(op_max, h5mpi_handle, "ompi_mpi_op_max")
    H5MPI_FIND(errors_return, h5mpi_handle, "ompi_mpi_errors_return")
#undef H5MPI_FIND
    if (absent != NULL) {
        if (missing != NULL) *missing = absent;
        dlclose(handle);
        return 2;
    }
    *library = found;
    return 0;
}

/// Sets this thread's timer slack to 1 µs (Linux), then MPI_Init_thread(MPI_THREAD_FUNNELED: only
/// the thread that initialised MPI calls it), then
/// MPI_ERRORS_RETURN on MPI_COMM_WORLD so every later call reports its errors instead of aborting.
static inline int h5mpi_init(const struct h5mpi_library *l) {
#if defined(__linux__)
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);  // the polite wait's pauses: 1 µs late at most, not Linux's default 50 µs
#endif
    int provided = 0;
    int code = l->init_thread(NULL, NULL, H5MPI_THREAD_FUNNELED, &provided);
    if (code != 0) return code;
    return l->set_errhandler(l->comm_world, l->errors_return);
}

static inline int h5mpi_finalize(const struct h5mpi_library *l) { return l->finalize(); }
static inline int h5mpi_rank(const struct h5mpi_library *l, int *rank) { return l->comm_rank(l->comm_world, rank); }
static inline int h5mpi_size(const struct h5mpi_library *l, int *size) { return l->comm_size(l->comm_world, size); }
static inline int h5mpi_processor_name(const struct h5mpi_library *l, char *name, int *length) {
    return l->processor_name(name, length);
}

/// Element types the wrappers take.
enum h5mpi_type { H5MPI_FLOAT = 0, H5MPI_DOUBLE = 1, H5MPI_BYTE = 2 };

static inline h5mpi_handle h5mpi_datatype(const struct h5mpi_library *l, int type) {
    return type == H5MPI_FLOAT ? l->type_float : type == H5MPI_DOUBLE ? l->type_double : l->type_byte;
}

/// Nanoseconds a waiting rank polls before it starts to sleep between polls (see below).
enum { H5MPI_SPIN_NANOSECONDS = 100000, H5MPI_PAUSE_NANOSECONDS = 20000 };

static inline int64_t h5mpi_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

/// Tests each of the `count` requests not yet `done` once (MPI_Test), which also lets every
/// pending transfer of this process progress; `*all` is set to whether all are done.
static inline int h5mpi_test_each(const struct h5mpi_library *l, int count, h5mpi_handle *requests, int *done,
                                  int *all) {
    *all = 1;
    for (int i = 0; i < count; i++) {
        if (done[i]) continue;
        int code = l->test(&requests[i], &done[i], NULL /* MPI_STATUS_IGNORE */);
        if (code != 0) return code;
        *all = *all && done[i];
    }
    return 0;
}

/// Waits politely until the `count` requests not yet `done` are: MPI_Test polls them in a loop for
/// H5MPI_SPIN_NANOSECONDS, then sleeps H5MPI_PAUSE_NANOSECONDS between polls. Open MPI's blocking
/// waits poll until done; a rank waiting for a slower one then burns the CPU time its process group
/// shares with that rank (Linux's autogroup scheduling gives a session's processes one share
/// together), which slowed the step several times over when other programs ran. The worker pool's
/// barrier spins briefly and then sleeps in the same way.
static inline int h5mpi_wait_polite(const struct h5mpi_library *l, int count, h5mpi_handle *requests, int *done) {
    int64_t start = 0;
    for (;;) {
        int all = 1;
        int code = h5mpi_test_each(l, count, requests, done, &all);
        if (code != 0 || all) return code;
        if (start == 0) start = h5mpi_now();
        else if (h5mpi_now() - start > H5MPI_SPIN_NANOSECONDS) {
            struct timespec pause = {0, H5MPI_PAUSE_NANOSECONDS};
            nanosleep(&pause, NULL);
        }
    }
}

/// Starts `count` MPI_Iallgatherv in place (gather i: `buffers[i]`, `counts[i]`, `displacements[i]`,
/// element type `types[i]`) into `requests`, marking each not `done`; h5mpi_wait_polite ends them.
static inline int h5mpi_start_allgathervs_in_place(const struct h5mpi_library *l, int count, void *const *buffers,
                                                   const int *const *counts, const int *const *displacements,
                                                   const int *types, h5mpi_handle *requests, int *done) {
    for (int i = 0; i < count; i++) {
        h5mpi_handle datatype = h5mpi_datatype(l, types[i]);
        done[i] = 0;
        int code = l->iallgatherv((const void *)1 /* MPI_IN_PLACE */, 0, datatype, buffers[i], counts[i],
                                  displacements[i], datatype, l->comm_world, &requests[i]);
        if (code != 0) return code;
    }
    return 0;
}

/// `count` MPI_Allgatherv in place at once, waiting politely (h5mpi_wait_polite): every
/// MPI_Iallgatherv is started (gather i: `buffers[i]`, `counts[i]`, `displacements[i]`, element type
/// `types[i]`), then all are waited for together. They progress together, so they cost the ranks
/// one synchronisation, not `count`. `requests` and `done` are the caller's scratch (`count` each),
/// so nothing here allocates.
static inline int h5mpi_allgathervs_in_place_polite(const struct h5mpi_library *l, int count, void *const *buffers,
                                                    const int *const *counts, const int *const *displacements,
                                                    const int *types, h5mpi_handle *requests, int *done) {
    int code = h5mpi_start_allgathervs_in_place(l, count, buffers, counts, displacements, types, requests, done);
    return code != 0 ? code : h5mpi_wait_polite(l, count, requests, done);
}

/// MPI_Isend of `count` elements of `type` to rank `destination` with `tag`, into `*request`.
static inline int h5mpi_isend(const struct h5mpi_library *l, const void *buffer, int count, int type,
                              int destination, int tag, h5mpi_handle *request) {
    return l->isend(buffer, count, h5mpi_datatype(l, type), destination, tag, l->comm_world, request);
}

/// MPI_Irecv of `count` elements of `type` from rank `source` with `tag`, into `*request`.
static inline int h5mpi_irecv(const struct h5mpi_library *l, void *buffer, int count, int type, int source, int tag,
                              h5mpi_handle *request) {
    return l->irecv(buffer, count, h5mpi_datatype(l, type), source, tag, l->comm_world, request);
}

/// One MPI_Allgatherv in place, waiting politely (see above).
static inline int h5mpi_allgatherv_in_place_polite(const struct h5mpi_library *l, void *buffer, const int *counts,
                                                   const int *displacements, int type) {
    h5mpi_handle request = NULL;
    int done = 0;
    return h5mpi_allgathervs_in_place_polite(l, 1, &buffer, &counts, &displacements, &type, &request, &done);
}

/// MPI_Allgather of `count` bytes from every rank into `receive` (size × count bytes).
static inline int h5mpi_allgather_bytes(const struct h5mpi_library *l, const void *send, void *receive, int count) {
    return l->allgather(send, count, l->type_byte, receive, count, l->type_byte, l->comm_world);
}

/// MPI_Allreduce in place; `maximum` selects MPI_MAX, else MPI_SUM.
static inline int h5mpi_allreduce_in_place(const struct h5mpi_library *l, void *buffer, int count, int type,
                                           int maximum) {
    return l->allreduce((const void *)1 /* MPI_IN_PLACE */, buffer, count, h5mpi_datatype(l, type),
                        maximum ? l->op_max : l->op_sum, l->comm_world);
}

static inline int h5mpi_broadcast_bytes(const struct h5mpi_library *l, void *buffer, int count, int root) {
    return l->bcast(buffer, count, l->type_byte, root, l->comm_world);
}

static inline int h5mpi_barrier(const struct h5mpi_library *l) { return l->barrier(l->comm_world); }
static inline int h5mpi_abort(const struct h5mpi_library *l, int code) { return l->abort(l->comm_world, code); }
static inline int h5mpi_error_string(const struct h5mpi_library *l, int code, char *text, int *length) {
    return l->error_string(code, text, length);
}

#endif
