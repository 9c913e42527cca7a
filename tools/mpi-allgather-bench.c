// MPI_Allgatherv time against message size, for the scaling model in docs/scaling.md.
//
// For each total size S (1 KiB to 8 MiB by powers of two, float32 elements) every rank contributes
// a contiguous part of S as even as possible (parts differ by at most one element, as the
// micro-shard ranges of a step do) and MPI_Allgatherv assembles the whole buffer in place on
// every rank. One sample is the slowest rank's time for one call, taken after a barrier; the
// line for S gives the median and the minimum of the samples.
//
// Usage: mpirun -np R mpi-allgather-bench [--whoami] [--min BYTES] [--max BYTES]
//   --whoami   only print, per rank, its host name, network namespace and addresses
// Output (rank 0): "# ranks R" then "bytes median_us min_us samples" lines.
// Built by tools/mpi-allgather-bench with mpicc.
#include <mpi.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

// Prints one line per rank, in rank order: rank, host name, network namespace, IPv4 addresses.
static void whoami(int rank, int ranks) {
    char line[512], host[128], ns[64] = "?";
    gethostname(host, sizeof host);
    ssize_t n = readlink("/proc/self/ns/net", ns, sizeof ns - 1);
    if (n > 0) ns[n] = 0;
    int used = snprintf(line, sizeof line, "rank %d of %d  host %s  %s  pid %d  addr", rank, ranks, host, ns,
                        (int)getpid());
    struct ifaddrs *list = NULL;
    if (getifaddrs(&list) == 0) {
        for (struct ifaddrs *a = list; a && used < (int)sizeof line - 32; a = a->ifa_next) {
            if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET) continue;
            char text[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &((struct sockaddr_in *)a->ifa_addr)->sin_addr, text, sizeof text);
            used += snprintf(line + used, sizeof line - used, " %s=%s", a->ifa_name, text);
        }
        freeifaddrs(list);
    }
    char *all = rank == 0 ? malloc((size_t)ranks * sizeof line) : NULL;
    MPI_Gather(line, sizeof line, MPI_CHAR, all, sizeof line, MPI_CHAR, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        for (int r = 0; r < ranks; r++) printf("%s\n", all + (size_t)r * sizeof line);
        free(all);
    }
}

// Times `samples` in-place all-gathers of `bytes` bytes; returns the samples (slowest rank each).
static void time_allgather(float *buffer, long bytes, int ranks, int samples, double *out) {
    long elements = bytes / 4;
    int *counts = malloc(sizeof(int) * ranks), *displs = malloc(sizeof(int) * ranks);
    for (int r = 0, start = 0; r < ranks; r++) {
        counts[r] = (int)(elements / ranks + (r < elements % ranks));
        displs[r] = start;
        start += counts[r];
    }
    for (int s = -3; s < samples; s++) {   // three warm-up calls
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buffer, counts, displs, MPI_FLOAT, MPI_COMM_WORLD);
        double dt = MPI_Wtime() - t0, slowest;
        MPI_Allreduce(&dt, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        if (s >= 0) out[s] = slowest;
    }
    free(counts);
    free(displs);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, ranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    long min_bytes = 1024, max_bytes = 8L << 20;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--whoami")) {
            whoami(rank, ranks);
            MPI_Finalize();
            return 0;
        } else if (!strcmp(argv[i], "--min") && i + 1 < argc) {
            min_bytes = atol(argv[++i]);
        } else if (!strcmp(argv[i], "--max") && i + 1 < argc) {
            max_bytes = atol(argv[++i]);
        } else {
            if (rank == 0) fprintf(stderr, "mpi-allgather-bench: unknown argument %s\n", argv[i]);
            MPI_Abort(MPI_COMM_WORLD, 2);
        }
    }
    float *buffer = calloc((size_t)max_bytes / 4 + 1, sizeof(float));
    double *samples = malloc(sizeof(double) * 200);
    if (rank == 0) printf("# ranks %d\n# bytes median_us min_us samples\n", ranks);
    for (long bytes = min_bytes; bytes <= max_bytes; bytes *= 2) {
        long count = (64L << 20) / bytes;   // about 64 MiB gathered per size, 10 to 200 samples
        int n = count < 10 ? 10 : count > 200 ? 200 : (int)count;
        time_allgather(buffer, bytes, ranks, n, samples);
        qsort(samples, n, sizeof(double), compare_doubles);
        if (rank == 0) printf("%ld %.1f %.1f %d\n", bytes, samples[n / 2] * 1e6, samples[0] * 1e6, n);
        fflush(stdout);
    }
    free(buffer);
    free(samples);
    MPI_Finalize();
    return 0;
}
