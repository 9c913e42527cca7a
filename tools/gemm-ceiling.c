// The products-only ceiling of h5train's training step: the samples/s the step would reach if
// everything that is not a matrix product (OpenBLAS or oneDNN) (gathering, bias, activations, loss, optimizer update)
// took no time at all. Two figures:
//   alone     every product of a worker timed by itself, with hot caches; a phase lasts as long as
//             its slowest worker's products;
//   at once   every worker repeats its step's products on its own thread, all workers together,
//             with a spinning barrier after each phase, as in training: the cores then share
//             caches, memory bandwidth and clock.
//
// It mirrors the engine's buffers and work split (DataParallel and NeuralNet modules). The batch
// buffers are shared as in the engine: X_l (batch × width_l, X_0 the input), D_l (batch × out_l),
// the weights W_l (in × out) and the gradients G_l (in × out).
//   phase 1: worker w runs micro-shards w, w+W, …; per shard rows R, the forward products
//            X_{l+1}[R] = X_l[R] · W_l and the deltas D_{l-1}[R] = D_l[R] · W_lᵀ for every
//            layer but the first;
//   phase 2: the gradient blocks of `gradientBlocks()` (input rows of one layer's W, about
//            TARGET weights, whole multiples of 16 rows; the last block of a layer takes a remainder
//            under half a block), each one product over the whole batch,
//            G_l[rows, :] = X_l[:, rows]ᵀ · D_l, assigned to workers largest first to the
//            least-loaded worker.
//
// Build and run with tools/gemm-ceiling (see its --help).
#ifdef USE_DNNL  // tools/gemm-ceiling --kernels onednn: oneDNN's sgemm, one OpenMP thread per call
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#define BACKEND "onednn"
#else
#include <cblas.h>
#define BACKEND "openblas"
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { MAX_LAYERS = 16, MAX_WORKERS = 64, MAX_PRODUCTS = 1024, MAX_BLOCKS = 1024 };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *matrix(long count) {
    float *p = aligned_alloc(64, (size_t)((count * 4 + 63) / 64 * 64));
    if (!p) { perror("gemm-ceiling"); exit(1); }
    for (long i = 0; i < count; i++) p[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
    return p;
}

/// One product of a step: row-major C (m × n) = op(A) · op(B), k inner, on the shared buffers.
typedef struct {
    int transA, transB, m, n, k, lda, ldb, ldc;
    const float *a, *b;
    float *c;
} Product;

static void multiply(const Product *p) {
#ifdef USE_DNNL
    static __thread int singleThreaded;  // as h5train: the calling thread's OpenMP count set to 1
    if (!singleThreaded) { omp_set_num_threads(1); singleThreaded = 1; }
    if (dnnl_sgemm(p->transA ? 'T' : 'N', p->transB ? 'T' : 'N', p->m, p->n, p->k, 1.0f, p->a, p->lda,
                   p->b, p->ldb, 0.0f, p->c, p->ldc) != dnnl_success) {
        fprintf(stderr, "gemm-ceiling: dnnl_sgemm failed\n");
        exit(1);
    }
#else
    cblas_sgemm(CblasRowMajor, p->transA ? CblasTrans : CblasNoTrans, p->transB ? CblasTrans : CblasNoTrans,
                p->m, p->n, p->k, 1.0f, p->a, p->lda, p->b, p->ldb, 0.0f, p->c, p->ldc);
#endif
}

static double flopOf(const Product *p) { return 2.0 * p->m * p->n * p->k; }

/// Seconds per call of one product alone: the best of 7 runs of about 0.2 GFLOP each.
static double seconds(const Product *p) {
    int calls = 1 + (int)(2e8 / (flopOf(p) + 1));
    double best = 1e30;
    for (int run = 0; run < 8; run++) {  // the first run warms up
        double start = now();
        for (int i = 0; i < calls; i++) multiply(p);
        double each = (now() - start) / calls;
        if (run > 0 && each < best) best = each;
    }
    return best;
}

/// A worker's products of one step, in order: list[0 ..< phase1Count] is phase 1.
typedef struct {
    Product list[MAX_PRODUCTS];
    int count, phase1Count;
    double flop;
    double phase1Alone, phase2Alone;  // Σ seconds of its products, each timed alone
    double stepTogether;              // best mean seconds per step with all workers at once
} Worker;

static Worker workers[MAX_WORKERS];
static int workerCount, concurrentSteps;
static pthread_barrier_t startLine;
static atomic_int arrived, generation;

static void add(Worker *w, Product p, double *phaseAlone) {
    if (w->count == MAX_PRODUCTS) { fprintf(stderr, "gemm-ceiling: too many products per worker\n"); exit(1); }
    w->list[w->count++] = p;
    w->flop += flopOf(&p);
    *phaseAlone += seconds(&p);
}

/// The end of a phase, as in h5train's worker pool: every worker spins until all have arrived.
static void phaseBarrier(void) {
    int seen = atomic_load(&generation);
    if (atomic_fetch_add(&arrived, 1) == workerCount - 1) {
        atomic_store(&arrived, 0);
        atomic_fetch_add(&generation, 1);
    } else {
        while (atomic_load(&generation) == seen) {}
    }
}

/// Runs this worker's step again and again; each run starts together with the other workers'.
static void *runWorker(void *argument) {
    Worker *w = argument;
#ifndef USE_DNNL
    openblas_set_num_threads(1);
#endif
    w->stepTogether = 1e30;
    for (int run = 0; run < 8; run++) {  // the first run warms up
        pthread_barrier_wait(&startLine);
        double start = now();
        for (int step = 0; step < concurrentSteps; step++) {
            for (int i = 0; i < w->phase1Count; i++) multiply(&w->list[i]);
            phaseBarrier();
            for (int i = w->phase1Count; i < w->count; i++) multiply(&w->list[i]);
            phaseBarrier();
        }
        double each = (now() - start) / concurrentSteps;
        if (run > 0 && each < w->stepTogether) w->stepTogether = each;
    }
    return NULL;
}

static void usage(void) {
    fprintf(stderr, "usage: gemm-ceiling SIZES BATCH WORKERS SHARD TARGET GHZ\n"
                    "  SIZES  layer widths, input first, e.g. 784,512,256,10; GHZ 0: unknown\n"
                    "(tools/gemm-ceiling builds this and runs it with named options)\n");
    exit(64);
}

int main(int argc, char **argv) {
    if (argc != 7) usage();
    int sizes[MAX_LAYERS + 1], layerCount = -1;
    char *model = strdup(argv[1]);
    for (char *s = strtok(model, ","); s; s = strtok(NULL, ",")) {
        if (layerCount + 1 > MAX_LAYERS) usage();
        sizes[++layerCount] = atoi(s);
    }
    int batch = atoi(argv[2]), shard = atoi(argv[4]), target = atoi(argv[5]);
    workerCount = atoi(argv[3]);
    double ghz = atof(argv[6]);
    if (layerCount < 1 || batch < 1 || workerCount < 1 || workerCount > MAX_WORKERS || shard < 1 || target < 1) usage();
#ifndef USE_DNNL
    openblas_set_num_threads(1);
#endif

    // The engine's shared buffers.
    float *x[MAX_LAYERS + 1], *d[MAX_LAYERS], *weights[MAX_LAYERS], *gradients[MAX_LAYERS];
    for (int l = 0; l <= layerCount; l++) x[l] = matrix((long)batch * sizes[l]);
    for (int l = 0; l < layerCount; l++) {
        d[l] = matrix((long)batch * sizes[l + 1]);
        weights[l] = matrix((long)sizes[l] * sizes[l + 1]);
        gradients[l] = matrix((long)sizes[l] * sizes[l + 1]);
    }

    // Phase 1: shards, round-robin over the workers.
    for (int s = 0, start = 0; start < batch; s++, start += shard) {
        int rows = batch - start < shard ? batch - start : shard;
        Worker *w = &workers[s % workerCount];
        for (int l = 0; l < layerCount; l++) {
            int in = sizes[l], out = sizes[l + 1];
            Product forward = {0, 0, rows, out, in, in, out, out, x[l] + (long)start * in, weights[l],
                               x[l + 1] + (long)start * out};
            add(w, forward, &w->phase1Alone);
        }
        for (int l = layerCount - 1; l > 0; l--) {  // the input needs no delta
            int in = sizes[l], out = sizes[l + 1];
            Product delta = {0, 1, rows, in, out, out, out, in, d[l] + (long)start * out, weights[l],
                             d[l - 1] + (long)start * in};
            add(w, delta, &w->phase1Alone);
        }
    }
    for (int w = 0; w < workerCount; w++) workers[w].phase1Count = workers[w].count;

    // Phase 2: gradient blocks as gradientBlocks() cuts them ...
    int blockLayer[MAX_BLOCKS], blockStart[MAX_BLOCKS], blockRows[MAX_BLOCKS], blocks = 0;
    for (int l = 0; l < layerCount; l++) {
        int in = sizes[l], out = sizes[l + 1];
        int per = (target / out) / 16 * 16;
        if (per < 16) per = 16;
        int full = (in + per / 2) / per;  // a remainder under half a block joins the last block
        if (full < 1) full = 1;
        for (int b = 0; b < full && blocks < MAX_BLOCKS; b++, blocks++) {
            blockLayer[blocks] = l;
            blockStart[blocks] = b * per;
            blockRows[blocks] = b == full - 1 ? in - b * per : per;
        }
    }
    // ... and assigned largest first to the least-loaded worker (ties: earlier block, lower worker).
    long load[MAX_WORKERS] = {0};
    int placed[MAX_BLOCKS] = {0};
    for (int n = 0; n < blocks; n++) {
        int next = -1;
        long size = -1;
        for (int b = 0; b < blocks; b++) {
            long weightCount = (long)blockRows[b] * sizes[blockLayer[b] + 1];
            if (!placed[b] && weightCount > size) { next = b; size = weightCount; }
        }
        placed[next] = 1;
        int owner = 0;
        for (int w = 1; w < workerCount; w++) if (load[w] < load[owner]) owner = w;
        load[owner] += size;
        int l = blockLayer[next], in = sizes[l], out = sizes[l + 1];
        Product gradient = {1, 0, blockRows[next], out, batch, in, out, out, x[l] + blockStart[next], d[l],
                            gradients[l] + (long)blockStart[next] * out};
        add(&workers[owner], gradient, &workers[owner].phase2Alone);
    }

    // Alone: a step takes the slowest worker's time of each phase.
    double slowest1 = 0, slowest2 = 0, busy = 0, flop = 0;
    for (int w = 0; w < workerCount; w++) {
        if (workers[w].phase1Alone > slowest1) slowest1 = workers[w].phase1Alone;
        if (workers[w].phase2Alone > slowest2) slowest2 = workers[w].phase2Alone;
        busy += workers[w].phase1Alone + workers[w].phase2Alone;
        flop += workers[w].flop;
    }
    double alone = slowest1 + slowest2;

    printf("model %s, batch %d, %d worker(s), shards of %d rows, gradient blocks of about %d weights, kernels %s\n",
           argv[1], batch, workerCount, shard, target, BACKEND);
    printf("products per step: %.1f MFLOP; slowest worker alone: phase 1 %.1f us, phase 2 %.1f us\n",
           flop / 1e6, slowest1 * 1e6, slowest2 * 1e6);
    printf("products-only ceiling, each product alone: %.0f samples/s, %.1f GFLOP/s", batch / alone, flop / alone / 1e9);
    if (ghz > 0) printf(", %.1f FLOP/cycle per core at %.2f GHz", flop / busy / (ghz * 1e9), ghz);
    printf("\n");

    // At once: only meaningful with a core per worker, since the barriers spin.
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (workerCount > cores) {
        printf("products-only ceiling, all workers at once: not measured (%d workers, %ld cores)\n", workerCount, cores);
        return 0;
    }
    concurrentSteps = 1 + (int)(4e8 / (flop + 1));  // about 0.4 GFLOP per run
    pthread_t threads[MAX_WORKERS];
    pthread_barrier_init(&startLine, NULL, (unsigned)workerCount);
    for (int w = 0; w < workerCount; w++)
        if (pthread_create(&threads[w], NULL, runWorker, &workers[w]) != 0) {
            perror("gemm-ceiling: pthread_create");
            return 1;
        }
    double together = 0;
    for (int w = 0; w < workerCount; w++) {
        pthread_join(threads[w], NULL);
        if (workers[w].stepTogether > together) together = workers[w].stepTogether;
    }
    printf("products-only ceiling, all workers at once: %.0f samples/s, %.1f GFLOP/s", batch / together,
           flop / together / 1e9);
    if (ghz > 0) printf(", %.1f FLOP/cycle per core at %.2f GHz", flop / together / workerCount / (ghz * 1e9), ghz);
    printf("\n");
    return 0;
}
