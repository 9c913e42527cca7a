// Measures the single-core float32 FMA peak for 512-bit (AVX-512) and 256-bit (AVX2) vectors, in
// GFLOP/s and in FLOP per cycle, with the clock taken from a dependent chain of integer adds (one
// per cycle) timed in the same round. On cores that run AVX-512 as two 256-bit halves the two
// widths reach the same FLOP per cycle; that peak bounds every product kernel on the machine.
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { CHAINS = 12 };  // independent accumulators: enough to hide the FMA latency on two pipes

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

__attribute__((target("avx512f"))) static double gflops512(long iterations) {
    __m512 acc[CHAINS], b = _mm512_set1_ps(1.0000001f), c = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
    double start = seconds();
    for (long k = 0; k < iterations; k++)
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], b, c);
    double elapsed = seconds() - start;
    float sum = 0;
    for (int i = 0; i < CHAINS; i++) sum += _mm512_reduce_add_ps(acc[i]);
    if (sum == 1234.5f) puts("");  // keeps the results live
    return CHAINS * (double)iterations * 16 * 2 / elapsed / 1e9;
}

__attribute__((target("avx2,fma"))) static double gflops256(long iterations) {
    __m256 acc[CHAINS], b = _mm256_set1_ps(1.0000001f), c = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_set1_ps((float)i);
    double start = seconds();
    for (long k = 0; k < iterations; k++)
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_fmadd_ps(acc[i], b, c);
    double elapsed = seconds() - start;
    float lanes[8], sum = 0;
    for (int i = 0; i < CHAINS; i++) {
        _mm256_storeu_ps(lanes, acc[i]);
        for (int j = 0; j < 8; j++) sum += lanes[j];
    }
    if (sum == 1234.5f) puts("");
    return CHAINS * (double)iterations * 8 * 2 / elapsed / 1e9;
}

/// The core clock in GHz: four dependent integer adds per iteration, one per cycle.
static double clockGHz(long iterations) {
    long value = 0;
    double start = seconds();
    for (long i = 0; i < iterations; i++)
        __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0" : "+r"(value));
    return 4.0 * iterations / (seconds() - start) / 1e9;
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("fma")) {
        puts("fma-peak: this processor has no AVX-512F or no FMA");
        return 77;
    }
    printf("%5s %8s %14s %8s %14s %8s\n", "round", "GHz", "AVX-512 GFLOP/s", "FLOP/c", "AVX2 GFLOP/s", "FLOP/c");
    for (int r = 1; r <= rounds; r++) {
        double ghz = clockGHz(300000000), wide = gflops512(50000000), narrow = gflops256(50000000);
        printf("%5d %8.2f %14.1f %8.1f %14.1f %8.1f\n", r, ghz, wide, wide / ghz, narrow, narrow / ghz);
    }
    return 0;
}
