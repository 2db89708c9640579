/* The health probe: `postd health` makes one HTTP/1.0 GET to a running postd
 * (by default its own /healthz on the configured listen address, a wildcard
 * address probed on loopback) and reports the status. It exists so that a
 * container HEALTHCHECK needs nothing but postd itself: no curl, no shell.
 * The whole probe is bounded by a deadline so a wedged server fails the check
 * instead of hanging it. Only libc sockets. */
#include "health.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before deadline, never negative. */
static int left_ms(long long deadline)
{
    long long left = deadline - now_ms();

    return left > 0 ? (int)left : 0;
}

/* Connects to one address before the deadline; returns the socket or -1. */
static int connect_one(const struct addrinfo *ai, long long deadline)
{
    struct pollfd pfd;
    int fd, err = 0;
    socklen_t len = sizeof err;

    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0)
        return -1;
    if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0)
        goto fail;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS)
            goto fail;
        pfd.fd = fd;
        pfd.events = POLLOUT;
        if (poll(&pfd, 1, left_ms(deadline)) != 1)
            goto fail;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
            goto fail;
    }
    return fd;
fail:
    close(fd);
    return -1;
}

/* Waits until fd is ready for events, or the deadline passes (-1). */
static int wait_fd(int fd, short events, long long deadline)
{
    struct pollfd pfd = {.fd = fd, .events = events};
    int n;

    do {
        n = poll(&pfd, 1, left_ms(deadline));
    } while (n < 0 && errno == EINTR);
    return n == 1 ? 0 : -1;
}

/* Sends the request and reads the status line. Returns the status or -1. */
static int http_status(int fd, const char *path, const char *host_hdr, long long deadline)
{
    char req[1400], buf[256];
    size_t got = 0, sent = 0, req_len;
    int n, status;
    ssize_t w, r;

    n = snprintf(req, sizeof req,
                 "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: postd-health\r\n"
                 "Connection: close\r\n\r\n",
                 path, host_hdr);
    if (n < 0 || (size_t)n >= sizeof req)
        return -1;
    req_len = (size_t)n;
    while (sent < req_len) {
        if (wait_fd(fd, POLLOUT, deadline) != 0)
            return -1;
        w = send(fd, req + sent, req_len - sent, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        if (w > 0)
            sent += (size_t)w;
    }
    /* "HTTP/1.1 200 OK\r\n": the first line is all that is needed. */
    while (got < sizeof buf - 1 && !memchr(buf, '\n', got)) {
        if (wait_fd(fd, POLLIN, deadline) != 0)
            return -1;
        r = recv(fd, buf + got, sizeof buf - 1 - got, 0);
        if (r == 0)
            break;
        if (r < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        if (r > 0)
            got += (size_t)r;
    }
    buf[got] = '\0';
    if (sscanf(buf, "HTTP/1.%*[01] %3d", &status) != 1)
        return -1;
    return status;
}

int health_probe(const char *host, int port, const char *path, int seconds)
{
    struct addrinfo hints = {0}, *res = NULL, *ai;
    char port_s[8], host_hdr[300];
    long long deadline = now_ms() + seconds * 1000LL;
    int fd = -1, status, rc;

    snprintf(port_s, sizeof port_s, "%d", port);
    snprintf(host_hdr, sizeof host_hdr, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(host, port_s, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "postd: health: %s: %s\n", host, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai && fd < 0 && left_ms(deadline) > 0; ai = ai->ai_next)
        fd = connect_one(ai, deadline);
    freeaddrinfo(res);
    if (fd < 0) {
        fprintf(stderr, "postd: health: cannot connect to %s port %d\n", host, port);
        return -1;
    }
    status = http_status(fd, path, host_hdr, deadline);
    close(fd);
    if (status < 0)
        fprintf(stderr, "postd: health: no HTTP answer from %s port %d in %d s\n", host, port,
                seconds);
    else if (status != 200)
        fprintf(stderr, "postd: health: %s answered %d\n", path, status);
    return status;
}
