// Milliseconds per chunk to read a gzip-chunked dataset's rows, chunk by chunk, two ways:
//   H5Dread       a hyperslab of one chunk's rows (HDF5 inflates with zlib)
//   raw+libdeflate H5Dread_chunk (the stored bytes) then libdeflate_zlib_decompress (+ unshuffle)
// in interleaved passes over the same chunks, and checks that both give the same bytes.
// Build and run with tools/bench-chunk-inflate (it compiles this file).
#include <hdf5.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s FILE DATASET [chunks] [passes]\n", argv[0]); return 64; }
    int chunks = argc > 3 ? atoi(argv[3]) : 100, passes = argc > 4 ? atoi(argv[4]) : 5;
    hid_t file = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT), dset = H5Dopen2(file, argv[2], H5P_DEFAULT);
    if (file < 0 || dset < 0) return 1;
    hid_t plist = H5Dget_create_plist(dset), space = H5Dget_space(dset), type = H5Dget_type(dset);
    int rank = H5Sget_simple_extent_ndims(space);
    hsize_t dims[8], chunk[8];
    H5Sget_simple_extent_dims(space, dims, NULL);
    H5Pget_chunk(plist, rank, chunk);
    size_t element = H5Tget_size(type), rowBytes = element;
    for (int d = 1; d < rank; d++) rowBytes *= dims[d];
    int shuffled = 0;
    for (int f = 0; f < H5Pget_nfilters(plist); f++) {
        unsigned flags; size_t n = 0;
        H5Z_filter_t id = H5Pget_filter2(plist, f, &flags, &n, NULL, 0, NULL, NULL);
        if (id == H5Z_FILTER_SHUFFLE) shuffled = 1;
        else if (id != H5Z_FILTER_DEFLATE) { fprintf(stderr, "filter %d is not deflate or shuffle\n", id); return 1; }
    }
    size_t chunkBytes = chunk[0] * rowBytes;
    if ((hsize_t)chunks * chunk[0] > dims[0]) chunks = dims[0] / chunk[0];
    unsigned char *a = malloc(chunkBytes), *b = malloc(chunkBytes), *t = malloc(chunkBytes), *raw = malloc(2 * chunkBytes);
    hid_t memType = H5Tget_native_type(type, H5T_DIR_ASCEND);
    struct libdeflate_decompressor *inflater = libdeflate_alloc_decompressor();
    double *hdf5 = calloc(passes, sizeof(double)), *fast = calloc(passes, sizeof(double));
    for (int pass = 0; pass < passes; pass++) {
        double started = now();
        for (int c = 0; c < chunks; c++) {
            hsize_t start[8] = {c * chunk[0]}, count[8] = {chunk[0]};
            for (int d = 1; d < rank; d++) count[d] = dims[d];
            hid_t mem = H5Screate_simple(rank, count, NULL);
            H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL);
            if (H5Dread(dset, memType, mem, space, H5P_DEFAULT, a) < 0) return 1;
            H5Sclose(mem);
        }
        hdf5[pass] = (now() - started) * 1e3 / chunks;
        started = now();
        for (int c = 0; c < chunks; c++) {
            hsize_t offset[8] = {c * chunk[0]}, stored = 0;
            uint32_t mask = 0;
            size_t produced = 0;
            H5Dget_chunk_storage_size(dset, offset, &stored);
            if (stored > 2 * chunkBytes || H5Dread_chunk(dset, H5P_DEFAULT, offset, &mask, raw) < 0 || mask) return 1;
            unsigned char *out = shuffled && element > 1 ? t : b;
            if (libdeflate_zlib_decompress(inflater, raw, stored, out, chunkBytes, &produced) != LIBDEFLATE_SUCCESS
                || produced != chunkBytes) return 1;
            if (out == t) {
                size_t n = chunkBytes / element;
                for (size_t byte = 0; byte < element; byte++)
                    for (size_t i = 0; i < n; i++) b[i * element + byte] = t[byte * n + i];
            }
        }
        fast[pass] = (now() - started) * 1e3 / chunks;
        if (memcmp(a, b, chunkBytes) != 0) { fprintf(stderr, "the last chunk's bytes differ\n"); return 1; }
    }
    qsort(hdf5, passes, sizeof(double), compare);
    qsort(fast, passes, sizeof(double), compare);
    printf("%s:%s: %d chunks of %llu rows (%zu bytes), shuffle %s, %d interleaved passes\n", argv[1], argv[2], chunks,
           (unsigned long long)chunk[0], chunkBytes, shuffled ? "yes" : "no", passes);
    printf("H5Dread (zlib):                  median %.2f ms a chunk (min %.2f, max %.2f)\n", hdf5[passes / 2], hdf5[0], hdf5[passes - 1]);
    printf("H5Dread_chunk + libdeflate:      median %.2f ms a chunk (min %.2f, max %.2f)\n", fast[passes / 2], fast[0], fast[passes - 1]);
    printf("speed-up: %.2fx\n", hdf5[passes / 2] / fast[passes / 2]);
    return 0;
}
