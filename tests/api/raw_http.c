/* raw_http.c — HTTP over a bare loopback socket (see raw_http.h). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "raw_http.h"

double raw_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void raw_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int raw_connect(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* Reads from fd into a growing buffer until the end of the stream, an
 * error, or wait_ms without data. */
static char *read_reply(int fd, int wait_ms)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    cr_assert_not_null(buf);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (poll(&p, 1, wait_ms) == 1) {
        if (n + 1024 > cap) {
            buf = realloc(buf, cap *= 2);
            cr_assert_not_null(buf);
        }
        ssize_t got = recv(fd, buf + n, cap - n - 1, 0);
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    buf[n] = '\0';
    return buf;
}

char *raw_exchange(unsigned port, const char *req, size_t len, int wait_ms)
{
    int fd = raw_connect(port);
    ssize_t sent = send(fd, req, len, MSG_NOSIGNAL);
    cr_assert_eq(sent, (ssize_t)len, "the request was not sent whole");
    char *reply = read_reply(fd, wait_ms);
    close(fd);
    return reply;
}

long raw_probe(unsigned port, int wait_ms)
{
    int fd = raw_connect(port);
    const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n"
                       "Connection: close\r\n\r\n";
    ssize_t n = send(fd, req, sizeof req - 1, MSG_NOSIGNAL);
    char buf[256];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (n > 0)
        n = poll(&p, 1, wait_ms) == 1 ? recv(fd, buf, sizeof buf, 0) : 0;
    close(fd);
    return n;
}

long raw_ms_until_served(unsigned port, long limit_ms)
{
    double start = raw_now_ms();
    while (raw_now_ms() - start < limit_ms) {
        if (raw_probe(port, 500) > 0)
            return (long)(raw_now_ms() - start);
        raw_sleep_ms(20);
    }
    return -1;
}

bool raw_closed_within(int fd, int wait_ms)
{
    double start = raw_now_ms();
    char buf[4096];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    for (;;) {
        int left = wait_ms - (int)(raw_now_ms() - start);
        if (left <= 0 || poll(&p, 1, left) != 1)
            return false;
        if (recv(fd, buf, sizeof buf, MSG_DONTWAIT) <= 0)
            return true;
    }
}
