// oneDNN's matmul primitive against its dnnl_sgemm on the training step's product shapes, one
// thread, one OpenMP thread per call (as h5train). For every shape: microseconds per call of each
// (best of 7 interleaved rounds), the kernel oneDNN picked for the matmul, heap allocations per
// call of each (when tools/malloc-counter.c is preloaded), and whether the two agree bit for bit.
// For the forward products also the matmul with the bias and ReLU fused as post-ops against
// dnnl_sgemm followed by h5train's separate bias-and-ReLU pass, and whether the fused result has
// the bits of the unfused matmul followed by that pass.
//
// The matmul is set up as a product path that allocates as little as oneDNN allows: primitive
// created once per shape, user-managed scratchpad, memory objects created once and repointed with
// dnnl_memory_set_data_handle; α as a runtime output scale (the gradient products' 1/batch).
//
// Build and run with tools/onednn-matmul-probe (see there). Needs oneDNN 2.x headers.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(call) do { dnnl_status_t s_ = (call); if (s_ != dnnl_success) { \
    fprintf(stderr, "onednn-matmul-probe: %s failed (status %d)\n", #call, (int)s_); exit(1); } } while (0)

static long (*allocationCount)(void);
static long allocations(void) { return allocationCount ? allocationCount() : 0; }
static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static dnnl_engine_t engine;
static dnnl_stream_t stream;
static void *scratchpad;  // one buffer for every primitive, as one worker thread would own

typedef struct { int ta, tb; long m, n, k; float alpha; const char *role; } Shape;
typedef struct { dnnl_primitive_t primitive; dnnl_exec_arg_t args[6]; int count; char impl[96]; } Matmul;

static float *matrix(long count, int seed) {
    float *p = aligned_alloc(64, (size_t)((count * 4 + 63) / 64 * 64));
    for (long i = 0; i < count; i++) p[i] = (float)(((i + seed) * 7919) % 1000) / 1000.0f - 0.5f;
    return p;
}

static void desc(dnnl_memory_desc_t *d, long rows, long columns, long ld, int transposed) {
    dnnl_dims_t dims = {rows, columns}, strides = {transposed ? 1 : ld, transposed ? ld : 1};
    CHECK(dnnl_memory_desc_init_by_strides(d, 2, dims, dnnl_f32, strides));
}

/// The primitive for C = α·op(A)·op(B) (+ bias, ReLU when `fused`) and its reusable arguments.
static void plan(Matmul *mm, const Shape *s, float *a, float *b, float *c, float *bias, float *alpha, int fused) {
    long lda = s->ta ? s->m : s->k, ldb = s->tb ? s->k : s->n;
    dnnl_memory_desc_t ad, bd, cd, biasd, scaled;
    desc(&ad, s->m, s->k, lda, s->ta);
    desc(&bd, s->k, s->n, ldb, s->tb);
    desc(&cd, s->m, s->n, s->n, 0);
    desc(&biasd, 1, s->n, s->n, 0);
    dnnl_dims_t one = {1};
    CHECK(dnnl_memory_desc_init_by_strides(&scaled, 1, one, dnnl_f32, one));
    dnnl_matmul_desc_t md;
    CHECK(dnnl_matmul_desc_init(&md, &ad, &bd, fused ? &biasd : NULL, &cd));
    dnnl_primitive_attr_t attr;
    CHECK(dnnl_primitive_attr_create(&attr));
    CHECK(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user));
    float runtime = DNNL_RUNTIME_F32_VAL;
    if (s->alpha != 1.0f) CHECK(dnnl_primitive_attr_set_output_scales(attr, 1, 0, &runtime));
    if (fused) {
        dnnl_post_ops_t ops;
        CHECK(dnnl_post_ops_create(&ops));
        CHECK(dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f));
        CHECK(dnnl_primitive_attr_set_post_ops(attr, ops));
        dnnl_post_ops_destroy(ops);
    }
    dnnl_primitive_desc_t pd;
    CHECK(dnnl_primitive_desc_create(&pd, &md, attr, engine, NULL));
    const char *impl = "";
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    snprintf(mm->impl, sizeof mm->impl, "%s", impl);
    const dnnl_memory_desc_t *sd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    if (dnnl_memory_desc_get_size(sd) > (64u << 20)) { fprintf(stderr, "onednn-matmul-probe: scratchpad too large\n"); exit(1); }
    CHECK(dnnl_primitive_create(&mm->primitive, pd));
    int ids[6] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST, DNNL_ARG_SCRATCHPAD, DNNL_ARG_ATTR_OUTPUT_SCALES, DNNL_ARG_BIAS};
    const dnnl_memory_desc_t *ds[6] = {&ad, &bd, &cd, sd, &scaled, &biasd};
    void *handles[6] = {a, b, c, scratchpad, alpha, bias};
    mm->count = 0;
    for (int i = 0; i < 6; i++) {
        if ((i == 4 && s->alpha == 1.0f) || (i == 5 && !fused)) continue;
        mm->args[mm->count].arg = ids[i];
        CHECK(dnnl_memory_create(&mm->args[mm->count].memory, ds[i], engine, handles[i]));
        mm->count++;
    }
    dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_attr_destroy(attr);
}

/// One call as a product path would make it: repoint A, B and C, then execute.
static void run(const Matmul *mm, float *a, float *b, float *c) {
    dnnl_memory_set_data_handle(mm->args[0].memory, a);
    dnnl_memory_set_data_handle(mm->args[1].memory, b);
    dnnl_memory_set_data_handle(mm->args[2].memory, c);
    CHECK(dnnl_primitive_execute(mm->primitive, stream, mm->count, mm->args));
}

static void sgemm(const Shape *s, const float *a, const float *b, float *c) {
    long lda = s->ta ? s->m : s->k, ldb = s->tb ? s->k : s->n;
    CHECK(dnnl_sgemm(s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', s->m, s->n, s->k, s->alpha, a, lda, b, ldb, 0.0f, c, s->n));
}

/// h5train's bias-and-ReLU pass after an unfused forward product.
static void biasReLU(float *c, const float *bias, long m, long n) {
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++) {
            float v = c[i * n + j] + bias[j];
            c[i * n + j] = v > 0 ? v : 0;
        }
}

static long differing(const float *x, const float *y, long count) {
    long d = 0;
    for (long i = 0; i < count; i++) d += memcmp(&x[i], &y[i], sizeof(float)) != 0;
    return d;
}

static void probe(const Shape *s) {
    long rowsA = s->ta ? s->k : s->m, colsA = s->ta ? s->m : s->k, rowsB = s->tb ? s->n : s->k, colsB = s->tb ? s->k : s->n;
    float *a = matrix(rowsA * colsA, 1), *b = matrix(rowsB * colsB, 2), *c1 = matrix(s->m * s->n, 3),
          *c2 = matrix(s->m * s->n, 4), *bias = matrix(s->n, 5);
    float alpha = s->alpha;
    Matmul mm, fused;
    plan(&mm, s, a, b, c2, bias, &alpha, 0);
    int forward = !s->ta && !s->tb;
    if (forward) plan(&fused, s, a, b, c2, bias, &alpha, 1);
    int calls = 1 + (int)(2e7 / (2.0 * s->m * s->n * s->k));
    double best[4] = {1e30, 1e30, 1e30, 1e30};
    long allocs[4] = {0, 0, 0, 0};
    for (int round = 0; round < 8; round++) {  // round 0 warms up
        for (int which = 0; which < (forward ? 4 : 2); which++) {
            long before = allocations();
            double start = now();
            for (int i = 0; i < calls; i++) {
                if (which == 0) sgemm(s, a, b, c1);
                else if (which == 1) run(&mm, a, b, c2);
                else if (which == 2) { sgemm(s, a, b, c1); biasReLU(c1, bias, s->m, s->n); }
                else run(&fused, a, b, c2);
            }
            double each = (now() - start) / calls;
            if (round > 0 && each < best[which]) best[which] = each;
            allocs[which] = allocations() - before;
        }
    }
    sgemm(s, a, b, c1);
    run(&mm, a, b, c2);
    long sameBits = s->m * s->n - differing(c1, c2, s->m * s->n);
    printf("%-9s %c%c %5ld %5ld %5ld  sgemm %8.1f us %4.1f alloc  matmul %8.1f us %4.1f alloc  %5.3fx  %-16s  same bits %3.0f%%\n",
           s->role, s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', s->m, s->n, s->k, best[0] * 1e6, (double)allocs[0] / calls,
           best[1] * 1e6, (double)allocs[1] / calls, best[0] / best[1], mm.impl, 100.0 * sameBits / (s->m * s->n));
    if (forward) {
        run(&mm, a, b, c1);
        biasReLU(c1, bias, s->m, s->n);
        run(&fused, a, b, c2);
        printf("%-9s    + bias, ReLU: sgemm then h5train's pass %8.1f us, matmul with them fused %8.1f us (%4.1f alloc) %5.3fx  %-16s  fused = unfused matmul's bits %3.0f%%\n",
               "", best[2] * 1e6, best[3] * 1e6, (double)allocs[3] / calls, best[2] / best[3], fused.impl,
               100.0 * (s->m * s->n - differing(c1, c2, s->m * s->n)) / (s->m * s->n));
    }
    free(a); free(b); free(c1); free(c2); free(bias);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: onednn-matmul-probe SIZES BATCH SHARD TARGET (tools/onednn-matmul-probe runs it)\n");
        return 64;
    }
    long sizes[32];
    int layers = -1;
    for (char *t = strtok(argv[1], ","); t && layers < 30; t = strtok(NULL, ",")) sizes[++layers] = atol(t);
    long batch = atol(argv[2]), shard = atol(argv[3]), target = atol(argv[4]);
    if (layers < 1 || batch < 1 || shard < 1 || target < 1) return 64;
    allocationCount = (long (*)(void))dlsym(RTLD_DEFAULT, "h5train_allocation_count");
    omp_set_num_threads(1);
    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    scratchpad = aligned_alloc(4096, 64u << 20);
    long rows = shard < batch ? shard : batch;
    printf("oneDNN %d.%d.%d, one thread; %s allocations per call\n", DNNL_VERSION_MAJOR, DNNL_VERSION_MINOR,
           DNNL_VERSION_PATCH, allocationCount ? "counted" : "(not counted: run through tools/onednn-matmul-probe)");
    for (int l = 0; l < layers; l++) {
        Shape f = {0, 0, rows, sizes[l + 1], sizes[l], 1.0f, "forward"};
        probe(&f);
    }
    for (int l = layers - 1; l > 0; l--) {
        Shape d = {0, 1, rows, sizes[l], sizes[l + 1], 1.0f, "delta"};
        probe(&d);
    }
    for (int l = 0; l < layers; l++) {  // the distinct block heights of gradientBlocks()
        long in = sizes[l], out = sizes[l + 1];
        long per = (target / out) / 16 * 16;
        if (per < 16) per = 16;
        long full = (in + per / 2) / per;
        if (full < 1) full = 1;
        long last = in - (full - 1) * per;
        Shape g = {1, 0, full > 1 ? per : last, out, batch, 1.0f / (float)batch, "gradient"};
        probe(&g);
        if (full > 1 && last != per) {
            Shape h = {1, 0, last, out, batch, 1.0f / (float)batch, "gradient"};
            probe(&h);
        }
    }
    return 0;
}
