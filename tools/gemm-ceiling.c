// The products-only ceiling of h5train's training step: times, one at a time, every OpenBLAS
// product a worker makes in one data-parallel step, with hot caches and nothing else in between,
// and reports the samples/s the step would reach if everything that is not a product (gathering,
// bias, activations, loss, optimizer update, waiting) took no time at all.
//
// It mirrors the engine's work split (DataParallel and NeuralNet modules):
//   phase 1: worker w runs micro-shards w, w+W, …; per shard, the forward products
//            A_l = A_{l-1} · W_l  (rows × out, weights stored in × out) and the deltas
//            D_{l-1} = D_l · W_lᵀ for every layer but the first;
//   phase 2: the gradient blocks of `gradientBlocks()` (input rows of one layer's W, about
//            TARGET weights, whole multiples of 16 rows; the last block of a layer takes a remainder
//            under half a block), each one product over the whole batch,
//            dW[rows, :] = A_prev[:, rows]ᵀ · D, assigned to workers largest first to the
//            least-loaded worker.
// Each distinct product is timed as the minimum over repeats of the mean of a run of calls.
//
// Build and run with tools/gemm-ceiling (see its --help).
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_LAYERS = 16, MAX_WORKERS = 64 };

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

/// Seconds per call of a row-major sgemm C (m × n) = op(A) · op(B), k inner, best of 7 runs.
static double seconds(int transA, int transB, int m, int n, int k) {
    float *a = matrix((long)m * k), *b = matrix((long)k * n), *c = matrix((long)m * n);
    int lda = transA ? m : k, ldb = transB ? k : n;
    int calls = 1 + (int)(2e8 / (2.0 * m * n * k + 1));  // about 0.2 GFLOP per run
    double best = 1e30;
    for (int run = 0; run < 8; run++) {  // the first run warms up
        double start = now();
        for (int i = 0; i < calls; i++)
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                        m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
        double each = (now() - start) / calls;
        if (run > 0 && each < best) best = each;
    }
    free(a); free(b); free(c);
    return best;
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
    int batch = atoi(argv[2]), workers = atoi(argv[3]), shard = atoi(argv[4]), target = atoi(argv[5]);
    double ghz = atof(argv[6]);
    if (layerCount < 1 || batch < 1 || workers < 1 || workers > MAX_WORKERS || shard < 1 || target < 1) usage();
    openblas_set_num_threads(1);

    double phase1[MAX_WORKERS] = {0}, phase2[MAX_WORKERS] = {0}, flop = 0;
    // Phase 1: shards, round-robin over the workers.
    for (int s = 0, start = 0; start < batch; s++, start += shard) {
        int rows = batch - start < shard ? batch - start : shard;
        for (int l = 0; l < layerCount; l++) {
            int in = sizes[l], out = sizes[l + 1];
            phase1[s % workers] += seconds(0, 0, rows, out, in);  // forward
            flop += 2.0 * rows * out * in;
            if (l > 0) {
                phase1[s % workers] += seconds(0, 1, rows, in, out);  // delta of the layer below
                flop += 2.0 * rows * in * out;
            }
        }
    }
    // Phase 2: gradient blocks as gradientBlocks() cuts them ...
    enum { MAX_BLOCKS = 1024 };
    int blockRows[MAX_BLOCKS], blockOutputs[MAX_BLOCKS], blocks = 0;
    for (int l = 0; l < layerCount; l++) {
        int in = sizes[l], out = sizes[l + 1];
        int per = (target / out) / 16 * 16;
        if (per < 16) per = 16;
        int full = (in + per / 2) / per;  // a remainder under half a block joins the last block
        if (full < 1) full = 1;
        for (int b = 0; b < full && blocks < MAX_BLOCKS; b++) {
            blockRows[blocks] = b == full - 1 ? in - b * per : per;
            blockOutputs[blocks++] = out;
        }
    }
    // ... and assigned largest first to the least-loaded worker (ties: earlier block, lower worker).
    long load[MAX_WORKERS] = {0};
    int placed[MAX_BLOCKS] = {0};
    for (int n = 0; n < blocks; n++) {
        int next = -1;
        for (int b = 0; b < blocks; b++)
            if (!placed[b] && (next < 0 || (long)blockRows[b] * blockOutputs[b] > (long)blockRows[next] * blockOutputs[next]))
                next = b;
        placed[next] = 1;
        int worker = 0;
        for (int w = 1; w < workers; w++) if (load[w] < load[worker]) worker = w;
        load[worker] += (long)blockRows[next] * blockOutputs[next];
        phase2[worker] += seconds(1, 0, blockRows[next], blockOutputs[next], batch);
        flop += 2.0 * blockRows[next] * blockOutputs[next] * batch;
    }

    // Each phase ends at a barrier, so a step takes the slowest worker's time of each.
    double slowest1 = 0, slowest2 = 0, busy = 0;
    for (int w = 0; w < workers; w++) {
        if (phase1[w] > slowest1) slowest1 = phase1[w];
        if (phase2[w] > slowest2) slowest2 = phase2[w];
        busy += phase1[w] + phase2[w];
    }
    double step = slowest1 + slowest2;
    printf("model %s, batch %d, %d worker(s), shards of %d rows, gradient blocks of about %d weights\n",
           argv[1], batch, workers, shard, target);
    printf("products per step: %.1f MFLOP; slowest worker: phase 1 %.1f us, phase 2 %.1f us\n",
           flop / 1e6, slowest1 * 1e6, slowest2 * 1e6);
    printf("products-only ceiling: %.0f samples/s, %.1f GFLOP/s", batch / step, flop / step / 1e9);
    if (ghz > 0) printf(", %.1f FLOP/cycle per core in the products at %.2f GHz", flop / busy / (ghz * 1e9), ghz);
    printf("\n");
    return 0;
}
