// A user-space delay line for tools/mpi-netns on kernels without netem: one TUN device per host
// (network namespace), IPv4 packets forwarded between them by destination address, each released
// to its destination no earlier than one-way latency after it left its source, and each host's
// outgoing and incoming link carrying at most the given rate.
//
// Usage: netns-link --rate BITS_PER_S --latency-ns NS --subnet A.B.C --ready FILE
//                   [--dev NAME] [--mtu BYTES] [--queue PACKETS] NETNS1 NETNS2 …
// Host i (1-based, in the order given) gets device NAME (default h5mpil) in /run/netns/NETNSi with
// address A.B.C.i/24, the MTU (default 65000) and IPv6 off. When every device is up the program
// writes its pid to FILE; it runs until SIGTERM or SIGINT (devices vanish with it), and prints its
// counters to stderr on SIGUSR1 and on exit. --rate 0 means no rate limit.
//
// Timing of a packet of s bytes from host i to host j, read at time t (links full duplex):
//   uplink i:   start = max(t, free_up[i]);            free_up[i] = start + s·8/rate
//   downlink j: begin = max(start + latency, free_down[j]); free_down[j] = begin + s·8/rate
//   released to j at free_down[j]: unloaded, t + latency + s·8/rate (cut-through: the large MTU is
//   an artefact of the emulation, so serialisation is counted once, not per hop).
// The uplink is the host's own interface: while it is busy the program does not read that host's
// device, so the backlog waits in the kernel's queue and TCP is held back as by a real NIC; what
// waited there is sent from the moment the uplink freed, not from when this thread woke up to read
// it (otherwise every packet would lose the wake-up's lateness and the link would carry less than
// the rate), so a packet written between those two moments counts as leaving, and is released, up
// to one wake-up's lateness (tens of µs on a loaded machine) early. The downlink is the switch's
// output port: a bounded FIFO per destination (--queue packets, default 64), drop-tail when full. All buffers are allocated at start; nothing is allocated per packet.
// One thread, epoll plus a timerfd armed (absolute, CLOCK_MONOTONIC) for the next release or the
// next time a busy uplink frees: it never spins. It asks for SCHED_FIFO priority 1 (silently
// keeps the normal policy if refused) so that a release is not delayed by ranks computing.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_HOSTS 8
#define SLOT_BYTES 65536
#define MAX_QUEUE 4096

typedef struct {
    uint64_t due;    // release time, ns of CLOCK_MONOTONIC
    uint32_t len;
    uint8_t data[SLOT_BYTES];
} Slot;

typedef struct {
    int fd;
    bool reading;                 // its fd is in the epoll set for EPOLLIN
    bool backlogged;              // reading stopped while packets may have been waiting
    uint64_t free_up, free_down;  // when its uplink / downlink is next idle
    uint32_t queue[MAX_QUEUE];    // slots waiting for release to this host, in release order
    uint32_t head, count;
    uint64_t sent, received, bytes_received, dropped_full, dropped_other, write_errors;
} Host;

static Host hosts[MAX_HOSTS];
static int nhosts;
static Slot *slots;
static uint32_t *free_slots, nfree;
static uint64_t rate_bps, latency_ns;
static uint32_t queue_limit = 64;
static uint8_t subnet[3];
static int epfd, timerfd_, sigfd;
static uint64_t armed_at, wakes, late_ns_sum, late_ns_max;   // how late the timer wakes us

static void die(const char *what) {
    fprintf(stderr, "netns-link: %s: %s\n", what, strerror(errno));
    exit(1);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t serialisation_ns(uint32_t bytes) {
    return rate_bps ? (uint64_t)bytes * 8u * 1000000000u / rate_bps : 0;
}

static void watch(int i, bool on) {
    struct epoll_event ev = {.events = on ? EPOLLIN : 0, .data.u32 = (uint32_t)i};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, hosts[i].fd, &ev) < 0) die("epoll_ctl");
    hosts[i].reading = on;
}

// configure NAME in the current namespace: MTU, address A.B.C.host/24, txqueuelen, up.
static void configure(const char *name, int host, int mtu) {
    char path[128];
    snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
    int f = open(path, O_WRONLY | O_CLOEXEC);
    if (f >= 0) { if (write(f, "1", 1) < 0) { /* no IPv6 there: nothing to turn off */ } close(f); }
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) die("socket");
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
    ifr.ifr_mtu = mtu;
    if (ioctl(s, SIOCSIFMTU, &ifr) < 0) die("set MTU");
    ifr.ifr_qlen = 1000;
    if (ioctl(s, SIOCSIFTXQLEN, &ifr) < 0) die("set txqueuelen");
    struct sockaddr_in *a = (struct sockaddr_in *)&ifr.ifr_addr;
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl((uint32_t)subnet[0] << 24 | (uint32_t)subnet[1] << 16 | (uint32_t)subnet[2] << 8 | (uint32_t)host);
    if (ioctl(s, SIOCSIFADDR, &ifr) < 0) die("set address");
    a->sin_addr.s_addr = htonl(0xffffff00u);
    if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0) die("set netmask");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) die("get flags");
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) die("set up");
    close(s);
}

// open NAME as a TUN device inside /run/netns/NETNS (the fd keeps working from the root namespace).
static int open_tun(const char *netns, const char *name, int host, int mtu, int home) {
    char path[256];
    snprintf(path, sizeof path, "/run/netns/%s", netns);
    int ns = open(path, O_RDONLY | O_CLOEXEC);
    if (ns < 0) die(path);
    if (setns(ns, CLONE_NEWNET) < 0) die("setns");
    close(ns);
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) die("/dev/net/tun");
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) die("TUNSETIFF");
    configure(name, host, mtu);
    if (setns(home, CLONE_NEWNET) < 0) die("setns back");
    return fd;
}

// destination host index of an IPv4 packet on the subnet, or -1.
static int destination(const uint8_t *p, uint32_t len) {
    if (len < 20 || (p[0] >> 4) != 4) return -1;
    if (memcmp(p + 16, subnet, 3) != 0) return -1;
    int h = p[19] - 1;
    return h >= 0 && h < nhosts ? h : -1;
}

// a packet read at `now` from `src`; one that waited in the kernel while the uplink was busy is
// sent when the uplink freed, not when this thread woke up to read it (that lateness would
// otherwise be lost from every packet and the link would carry less than the rate).
static void enqueue(int src, uint32_t slot, uint64_t now) {
    Slot *s = &slots[slot];
    int dst = destination(s->data, s->len);
    Host *from = &hosts[src];
    uint64_t ser = serialisation_ns(s->len);
    uint64_t start = from->free_up > now || from->backlogged ? from->free_up : now;
    from->backlogged = false;
    from->free_up = start + ser;
    if (dst < 0 || dst == src) { from->dropped_other++; free_slots[nfree++] = slot; return; }
    Host *to = &hosts[dst];
    if (to->count >= queue_limit) { to->dropped_full++; free_slots[nfree++] = slot; return; }
    uint64_t begin = start + latency_ns > to->free_down ? start + latency_ns : to->free_down;
    to->free_down = begin + ser;
    s->due = to->free_down;
    to->queue[(to->head + to->count) % MAX_QUEUE] = slot;
    to->count++;
    from->sent++;
}

// read host i's device while its uplink is idle and packets are waiting.
static void read_host(int i) {
    static uint8_t scratch[SLOT_BYTES];
    Host *h = &hosts[i];
    for (;;) {
        uint64_t now = now_ns();
        if (h->free_up > now) { watch(i, false); h->backlogged = true; return; }
        if (nfree == 0) {  // every buffer is in a queue: the switch is full
            ssize_t n = read(h->fd, scratch, sizeof scratch);
            if (n < 0) return;
            h->free_up = now + serialisation_ns((uint32_t)n);
            h->dropped_full++;
            continue;
        }
        uint32_t slot = free_slots[--nfree];
        ssize_t n = read(h->fd, slots[slot].data, SLOT_BYTES);
        if (n <= 0) {
            free_slots[nfree++] = slot;
            h->backlogged = false;
            if (n < 0 && errno != EAGAIN && errno != EINTR) die("read");
            return;
        }
        slots[slot].len = (uint32_t)n;
        enqueue(i, slot, now);
    }
}

// read what waited while an uplink was busy, release every due packet; returns the earliest future
// event (a release or a busy uplink freeing), or 0.
static uint64_t release_due(void) {
    uint64_t now = now_ns(), next = 0;
    for (int j = 0; j < nhosts; j++) {
        // at once: EAGAIN there ends the backlog, so a packet that comes later is not stamped
        // with this (by then past) moment
        if (!hosts[j].reading && hosts[j].free_up <= now) { watch(j, true); read_host(j); }
    }
    now = now_ns();
    for (int j = 0; j < nhosts; j++) {
        Host *h = &hosts[j];
        while (h->count > 0) {
            Slot *s = &slots[h->queue[h->head]];
            if (s->due > now) { if (!next || s->due < next) next = s->due; break; }
            if (write(h->fd, s->data, s->len) != (ssize_t)s->len) h->write_errors++;
            else { h->received++; h->bytes_received += s->len; }
            free_slots[nfree++] = h->queue[h->head];
            h->head = (h->head + 1) % MAX_QUEUE;
            h->count--;
        }
    }
    for (int j = 0; j < nhosts; j++)
        if (!hosts[j].reading && (!next || hosts[j].free_up < next)) next = hosts[j].free_up;
    return next;
}

static void arm(uint64_t at) {
    struct itimerspec it = {0};
    armed_at = at;
    if (at) { it.it_value.tv_sec = (time_t)(at / 1000000000u); it.it_value.tv_nsec = (long)(at % 1000000000u); }
    if (timerfd_settime(timerfd_, TFD_TIMER_ABSTIME, &it, NULL) < 0) die("timerfd_settime");
}

static void report(void) {
    fprintf(stderr, "netns-link: %llu timed wake-ups, late by %.1f us on average, %.1f us at most\n",
            (unsigned long long)wakes, wakes ? late_ns_sum / 1e3 / (double)wakes : 0.0, late_ns_max / 1e3);
    for (int i = 0; i < nhosts; i++) {
        Host *h = &hosts[i];
        fprintf(stderr, "netns-link: host %d sent %llu received %llu packets (%llu bytes) dropped %llu (queue full) "
                "%llu (not for a host) write errors %llu\n", i + 1, (unsigned long long)h->sent,
                (unsigned long long)h->received, (unsigned long long)h->bytes_received,
                (unsigned long long)h->dropped_full, (unsigned long long)h->dropped_other,
                (unsigned long long)h->write_errors);
    }
}

static void usage(void) {
    fprintf(stderr, "usage: netns-link --rate BITS_PER_S --latency-ns NS --subnet A.B.C --ready FILE "
                    "[--dev NAME] [--mtu BYTES] [--queue PACKETS] NETNS1 NETNS2 …\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *ready = NULL, *dev = "h5mpil";
    int mtu = 65000, i = 1;
    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--rate")) rate_bps = strtoull(v, NULL, 10);
        else if (!strcmp(k, "--latency-ns")) latency_ns = strtoull(v, NULL, 10);
        else if (!strcmp(k, "--ready")) ready = v;
        else if (!strcmp(k, "--dev")) dev = v;
        else if (!strcmp(k, "--mtu")) mtu = atoi(v);
        else if (!strcmp(k, "--queue")) queue_limit = (uint32_t)atoi(v);
        else if (!strcmp(k, "--subnet")) {
            unsigned a, b, c;
            if (sscanf(v, "%u.%u.%u", &a, &b, &c) != 3 || a > 255 || b > 255 || c > 255) usage();
            subnet[0] = (uint8_t)a; subnet[1] = (uint8_t)b; subnet[2] = (uint8_t)c;
        } else usage();
    }
    nhosts = argc - i;
    if (!ready || !subnet[0] || nhosts < 2 || nhosts > MAX_HOSTS || mtu < 576 || mtu > SLOT_BYTES
        || queue_limit < 1 || queue_limit > MAX_QUEUE) usage();

    uint32_t nslots = queue_limit * (uint32_t)nhosts;
    slots = mmap(NULL, (size_t)nslots * sizeof(Slot), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    free_slots = calloc(nslots, sizeof *free_slots);
    if (slots == MAP_FAILED || !free_slots) die("buffers");
    for (uint32_t s = 0; s < nslots; s++) free_slots[nfree++] = nslots - 1 - s;

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM); sigaddset(&mask, SIGINT); sigaddset(&mask, SIGUSR1); sigaddset(&mask, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) die("sigprocmask");
    if ((sigfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) die("signalfd");
    if ((epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) die("epoll_create1");
    if ((timerfd_ = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) < 0) die("timerfd_create");
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    struct sched_param fifo = {.sched_priority = 1};
    sched_setscheduler(0, SCHED_FIFO, &fifo);

    int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home < 0) die("/proc/self/ns/net");
    for (int h = 0; h < nhosts; h++) {
        hosts[h].fd = open_tun(argv[i + h], dev, h + 1, mtu, home);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)h};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, hosts[h].fd, &ev) < 0) die("epoll_ctl");
        hosts[h].reading = true;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 100};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, timerfd_, &ev) < 0) die("epoll_ctl");
    ev.data.u32 = 101;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, sigfd, &ev) < 0) die("epoll_ctl");
    FILE *f = fopen(ready, "w");
    if (!f) die(ready);
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);

    for (;;) {
        arm(release_due());
        struct epoll_event evs[MAX_HOSTS + 2];
        int n = epoll_wait(epfd, evs, MAX_HOSTS + 2, -1);
        if (n < 0 && errno != EINTR) die("epoll_wait");
        for (int e = 0; e < n; e++) {
            uint32_t id = evs[e].data.u32;
            if (id < MAX_HOSTS) { if (hosts[id].reading) read_host((int)id); }
            else if (id == 100) {
                uint64_t ticks, late = now_ns() - armed_at;
                if (read(timerfd_, &ticks, sizeof ticks) < 0 || !armed_at) continue;   // raced a re-arm
                wakes++; late_ns_sum += late; if (late > late_ns_max) late_ns_max = late;
            }
            else {
                struct signalfd_siginfo si;
                if (read(sigfd, &si, sizeof si) != sizeof si) continue;
                report();
                if (si.ssi_signo != SIGUSR1) return 0;
            }
        }
    }
}
