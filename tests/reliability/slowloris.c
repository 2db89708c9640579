/* A bounded slow-client and connection-flood generator for tests/reliability/slow.sh
 * (compiled there with cc; not part of the build or of ctest). It opens N TCP
 * connections to a loopback HTTP server and then, for SECONDS, behaves in one of
 * three ways, watching every socket for the server closing it:
 *   trickle  sends a request line, then one more header byte every INTERVAL seconds,
 *            never finishing the header block (the classic slowloris);
 *   idle     sends a request line and one header line, then nothing;
 *   flood    connects and sends nothing.
 * At the end it prints one line of counts and timings, key=value:
 *   opened        connections whose connect() succeeded
 *   connect_failed  connect() errors (a full backlog, ECONNREFUSED)
 *   refused       closed by the server within REFUSE_WINDOW s of opening (over the limit)
 *   closed        closed by the server later (a timeout)
 *   answered      the server sent bytes before closing (e.g. a 408 or 431)
 *   open          still open when SECONDS ran out
 *   close_min/close_max  seconds from a connection's last byte sent to its close, over
 *                 the "closed" ones (-1 when none)
 * Exit status 0 after a run, 2 on a usage or setup error. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REFUSE_WINDOW 1.0

enum mode { M_TRICKLE, M_IDLE, M_FLOOD };

struct conn {
    int fd;           /* -1 once closed */
    double opened;    /* seconds since start */
    double last_send; /* when the last byte went out */
    double next_send; /* trickle: when the next byte is due */
    int answered;     /* the server sent something */
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int send_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: slowloris HOST PORT N trickle|idle|flood SECONDS [INTERVAL]\n");
}

int main(int argc, char **argv)
{
    struct sockaddr_in sa = {0};
    struct conn *c = NULL;
    struct pollfd *pfd = NULL;
    int *idx = NULL;
    enum mode mode;
    long n;
    double seconds, interval = 2.0, t0, close_min = -1, close_max = -1;
    long opened = 0, connect_failed = 0, refused = 0, closed = 0, answered = 0, still = 0;
    int rc = 2;

    if (argc < 6 || argc > 7) {
        usage();
        return 2;
    }
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)atoi(argv[2]));
    if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
        fprintf(stderr, "slowloris: %s is not an IPv4 address\n", argv[1]);
        return 2;
    }
    n = strtol(argv[3], NULL, 10);
    seconds = strtod(argv[5], NULL);
    if (argc == 7)
        interval = strtod(argv[6], NULL);
    if (strcmp(argv[4], "trickle") == 0)
        mode = M_TRICKLE;
    else if (strcmp(argv[4], "idle") == 0)
        mode = M_IDLE;
    else if (strcmp(argv[4], "flood") == 0)
        mode = M_FLOOD;
    else {
        usage();
        return 2;
    }
    if (n < 1 || n > 100000 || seconds <= 0 || seconds > 600 || interval <= 0) {
        usage();
        return 2;
    }

    /* N sockets need N descriptors: take the hard limit */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);

    c = calloc((size_t)n, sizeof *c);
    pfd = calloc((size_t)n, sizeof *pfd);
    idx = calloc((size_t)n, sizeof *idx);
    if (!c || !pfd || !idx) {
        fprintf(stderr, "slowloris: out of memory\n");
        goto out;
    }
    for (long i = 0; i < n; i++)
        c[i].fd = -1;

    t0 = now_s();
    char head[128];
    snprintf(head, sizeof head, "GET /healthz HTTP/1.1\r\nHost: %s\r\n", argv[1]);
    for (long i = 0; i < n; i++) {
        c[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c[i].fd < 0) {
            fprintf(stderr, "slowloris: socket: %s\n", strerror(errno));
            goto out;
        }
        if (connect(c[i].fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            close(c[i].fd);
            c[i].fd = -1;
            connect_failed++;
            continue;
        }
        opened++;
        c[i].opened = c[i].last_send = now_s() - t0;
        if (mode != M_FLOOD) {
            const char *s = mode == M_TRICKLE ? head : NULL;
            char idle_head[192];
            if (mode == M_IDLE) {
                snprintf(idle_head, sizeof idle_head, "%sX-Idle: %ld\r\n", head, i);
                s = idle_head;
            }
            if (send_all(c[i].fd, s, strlen(s)) != 0) {
                /* the server closed it already: seen below as a close */
            }
            /* spread the trickle over the interval so the bytes do not come in bursts */
            c[i].next_send = c[i].opened + interval * (double)(i + 1) / (double)n;
        }
    }

    for (;;) {
        double t = now_s() - t0;
        if (t >= seconds)
            break;
        nfds_t np = 0;
        double wake = seconds;
        for (long i = 0; i < n; i++) {
            if (c[i].fd < 0)
                continue;
            if (mode == M_TRICKLE && c[i].next_send <= t) {
                if (send_all(c[i].fd, "a", 1) == 0)
                    c[i].last_send = t;
                c[i].next_send = t + interval;
            }
            if (mode == M_TRICKLE && c[i].next_send < wake)
                wake = c[i].next_send;
            pfd[np].fd = c[i].fd;
            pfd[np].events = POLLIN;
            pfd[np].revents = 0;
            idx[np++] = (int)i;
        }
        int ms = (int)((wake - t) * 1000) + 1;
        if (ms > 100)
            ms = 100;
        int r = poll(pfd, np, ms);
        if (r < 0 && errno != EINTR) {
            fprintf(stderr, "slowloris: poll: %s\n", strerror(errno));
            goto out;
        }
        t = now_s() - t0;
        for (nfds_t k = 0; r > 0 && k < np; k++) {
            if (!pfd[k].revents)
                continue;
            struct conn *cc = &c[idx[k]];
            char buf[4096];
            ssize_t got = recv(cc->fd, buf, sizeof buf, 0);
            if (got > 0) {
                cc->answered = 1; /* read on; the close comes next */
                continue;
            }
            if (got < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            /* 0 (FIN) or an error (RST): the server closed it */
            close(cc->fd);
            cc->fd = -1;
            answered += cc->answered;
            if (t - cc->opened < REFUSE_WINDOW && !cc->answered) {
                refused++;
            } else {
                double since = t - cc->last_send;
                closed++;
                if (close_min < 0 || since < close_min)
                    close_min = since;
                if (since > close_max)
                    close_max = since;
            }
        }
    }
    for (long i = 0; i < n; i++) {
        if (c[i].fd >= 0) {
            still++;
            close(c[i].fd);
            c[i].fd = -1;
        }
    }
    printf("opened=%ld connect_failed=%ld refused=%ld closed=%ld answered=%ld open=%ld "
           "close_min=%.2f close_max=%.2f\n",
           opened, connect_failed, refused, closed, answered, still, close_min, close_max);
    rc = 0;
out:
    if (c)
        for (long i = 0; i < n; i++)
            if (c[i].fd >= 0)
                close(c[i].fd);
    free(c);
    free(pfd);
    free(idx);
    return rc;
}
