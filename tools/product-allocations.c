// Heap allocations and time per call of every matrix product of one training step, on oneDNN's
// dnnl_sgemm and on OpenBLAS's cblas_sgemm, one thread per call as in h5train: the forward
// products of a shard, the backward δ·Wᵀ products of a shard, and the gradient blocks' xᵀ·δ
// products over the batch. For each shape: allocations per call of each library (counted through
// tools/malloc-counter.c, preloaded by tools/product-allocations), microseconds per call (best of
// interleaved rounds), OpenBLAS's time over oneDNN's, which library the default kernels run it on
// (MatrixProducts.isSmall), and how often one step makes it. Every shape is measured twice: first
// with dnnl_sgemm as libdnnl ships it, then with its workspaces kept as h5train keeps them
// (Sources/CDNNL/workspace.h). Ends with the step's totals: oneDNN allocations per step either
// way, and the microseconds per step the default kernels would give up by running their oneDNN
// products on OpenBLAS instead.
//
// Build and run with tools/product-allocations (see there). Needs oneDNN 2.x and OpenBLAS.
#define _GNU_SOURCE
#include <cblas.h>
#include <dlfcn.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../Sources/CDNNL/workspace.h"

typedef struct { int ta, tb; long m, n, k; float alpha; const char *role; long perStep; } Shape;

static long (*allocationCount)(void);
static long allocations(void) { return allocationCount ? allocationCount() : 0; }

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *matrix(long count, int seed) {
    float *p = aligned_alloc(64, (size_t)((count * 4 + 63) / 64 * 64));
    for (long i = 0; i < count; i++) p[i] = (float)(((i + seed) * 7919) % 1000) / 1000.0f - 0.5f;
    return p;
}

/// MatrixProducts.isSmall: the products the default kernels hand to OpenBLAS.
static int small(const Shape *s) { return s->n <= 16 || (s->tb && s->m * s->n * s->k <= 131072); }

static void onednn(const Shape *s, const float *a, const float *b, float *c) {
    long lda = s->ta ? s->m : s->k, ldb = s->tb ? s->k : s->n;
    if (dnnl_sgemm(s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', s->m, s->n, s->k, s->alpha, a, lda, b, ldb, 0.0f, c, s->n)
        != dnnl_success) {
        fprintf(stderr, "product-allocations: dnnl_sgemm failed\n");
        exit(1);
    }
}

static void openblas(const Shape *s, const float *a, const float *b, float *c) {
    long lda = s->ta ? s->m : s->k, ldb = s->tb ? s->k : s->n;
    cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans, s->tb ? CblasTrans : CblasNoTrans,
                (int)s->m, (int)s->n, (int)s->k, s->alpha, a, (int)lda, b, (int)ldb, 0.0f, c, (int)s->n);
}

typedef struct { Shape shape; double allocs[3], micros[3]; } Result;  // oneDNN as shipped, OpenBLAS, oneDNN kept
static Result results[128];
static int resultCount;

/// Allocations and best microseconds per call of oneDNN and OpenBLAS on `s`, in interleaved rounds.
static void measure(const Shape *s, double allocs[2], double micros[2]) {
    long rowsA = s->ta ? s->k : s->m, colsA = s->ta ? s->m : s->k, rowsB = s->tb ? s->n : s->k, colsB = s->tb ? s->k : s->n;
    float *a = matrix(rowsA * colsA, 1), *b = matrix(rowsB * colsB, 2), *c = matrix(s->m * s->n, 3);
    int calls = 1 + (int)(2e7 / (2.0 * s->m * s->n * s->k));
    long counted[2] = {0, 0};
    micros[0] = micros[1] = 1e30;
    for (int round = 0; round < 8; round++) {  // round 0 warms up
        for (int which = 0; which < 2; which++) {
            long before = allocations();
            double start = now();
            for (int i = 0; i < calls; i++) (which ? openblas : onednn)(s, a, b, c);
            double each = (now() - start) / calls * 1e6;
            if (round > 0 && each < micros[which]) micros[which] = each;
            if (round > 0) counted[which] += allocations() - before;
        }
    }
    for (int which = 0; which < 2; which++) allocs[which] = (double)counted[which] / (7.0 * calls);
    free(a); free(b); free(c);
}

static void probe(const Shape *s) {
    Result *r = &results[resultCount++];
    r->shape = *s;
    measure(s, r->allocs, r->micros);
}

static void report(void) {
    double perStep[2] = {0, 0}, dnnlMicros = 0, openblasMicros = 0;
    for (int i = 0; i < resultCount; i++) {
        const Result *r = &results[i];
        const Shape *s = &r->shape;
        int onOneDNN = !small(s);
        printf("%-9s %c%c %5ld %5ld %5ld  %4.1f %4.1f %4.1f  %8.1f %8.1f %8.1f  %5.3fx  %-8s %3ld\n", s->role,
               s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', s->m, s->n, s->k, r->allocs[0], r->allocs[2], r->allocs[1],
               r->micros[0], r->micros[2], r->micros[1], r->micros[1] / r->micros[2], onOneDNN ? "onednn" : "openblas",
               s->perStep);
        if (onOneDNN) {
            perStep[0] += r->allocs[0] * s->perStep;
            perStep[1] += r->allocs[2] * s->perStep;
            dnnlMicros += r->micros[2] * s->perStep;
            openblasMicros += r->micros[1] * s->perStep;
        }
    }
    printf("default kernels, one step: %.0f oneDNN allocations as shipped, %.0f with workspaces kept; its oneDNN "
           "products take %.0f us, %.0f us on OpenBLAS (%+.1f%%)\n", perStep[0], perStep[1], dnnlMicros,
           openblasMicros, 100.0 * (openblasMicros - dnnlMicros) / dnnlMicros);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: product-allocations SIZES BATCH SHARD TARGET (tools/product-allocations runs it)\n");
        return 64;
    }
    long sizes[32];
    int layers = -1;
    for (char *t = strtok(argv[1], ","); t && layers < 30; t = strtok(NULL, ",")) sizes[++layers] = atol(t);
    long batch = atol(argv[2]), shard = atol(argv[3]), target = atol(argv[4]);
    if (layers < 1 || batch < 1 || shard < 1 || target < 1) return 64;
    allocationCount = (long (*)(void))dlsym(RTLD_DEFAULT, "h5train_allocation_count");
    omp_set_num_threads(1);
    openblas_set_num_threads(1);
    long rows = shard < batch ? shard : batch, shards = (batch + rows - 1) / rows;
    printf("oneDNN %d.%d.%d and OpenBLAS %s, one thread; allocations per call %s\n", DNNL_VERSION_MAJOR,
           DNNL_VERSION_MINOR, DNNL_VERSION_PATCH, openblas_get_corename(),
           allocationCount ? "counted" : "not counted (run through tools/product-allocations)");
    printf("%-9s %-2s %5s %5s %5s  %-14s  %-26s  %-6s  %-8s %s\n", "product", "op", "m", "n", "k", "allocs per call",
           "us per call", "ratio", "default", "per step");
    printf("%-9s %-2s %5s %5s %5s  %4s %4s %4s  %8s %8s %8s  %-7s %-8s\n", "", "", "", "", "", "dnnl", "kept", "oblas",
           "dnnl", "kept", "openblas", "ob/kept", "runs on");
    for (int l = 0; l < layers; l++) {
        Shape f = {0, 0, rows, sizes[l + 1], sizes[l], 1.0f, "forward", shards};
        probe(&f);
    }
    for (int l = layers - 1; l > 0; l--) {
        Shape d = {0, 1, rows, sizes[l], sizes[l + 1], 1.0f, "delta", shards};
        probe(&d);
    }
    for (int l = 0; l < layers; l++) {  // the block heights of gradientBlocks()
        long in = sizes[l], out = sizes[l + 1];
        long per = (target / out) / 16 * 16;
        if (per < 16) per = 16;
        long full = (in + per / 2) / per;
        if (full < 1) full = 1;
        long last = in - (full - 1) * per;
        if (full > 1) {
            Shape g = {1, 0, per, out, batch, 1.0f / (float)batch, "gradient", full - 1};
            probe(&g);
        }
        Shape h = {1, 0, last, out, batch, 1.0f / (float)batch, "gradient", 1};
        probe(&h);
    }
    // Again with libdnnl's workspaces kept, as h5train keeps them.
    void *handle = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_NOLOAD);
    if (handle == NULL || !h5dnnl_keep_workspaces(handle)) {
        fprintf(stderr, "product-allocations: could not keep libdnnl's workspaces\n");
        return 1;
    }
    for (int i = 0; i < resultCount; i++) {
        double allocs[2], micros[2];
        measure(&results[i].shape, allocs, micros);
        results[i].allocs[2] = allocs[0];
        results[i].micros[2] = micros[0];
        if (micros[1] < results[i].micros[1]) results[i].micros[1] = micros[1];
    }
    report();
    return 0;
}
