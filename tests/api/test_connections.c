/* test_connections.c — connection slots and deadlines against clients that
 * misbehave on purpose: half-sent requests closed at once must free their
 * slot (--max-per-ip, --max-connections) without waiting for --timeout;
 * headers sent a byte at a time are cut at --header-timeout, a body below
 * --min-body-rate is cut, while honest slow work is not; a body past its
 * limit or invalid early is answered and the connection closed, not read
 * to its end. Figures go to the test log (criterion --verbose). */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "raw_http.h"

static api_server srv;

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(connections, .fini = teardown, .timeout = 90);

/* n connections that each send `part` of a request and close at once. */
static void half_send(unsigned n, const char *part)
{
    for (unsigned i = 0; i < n; i++) {
        int fd = raw_connect(srv.port);
        send(fd, part, strlen(part), MSG_NOSIGNAL);
        close(fd);
    }
}

/* After rounds of half-sent requests, more than the limit allows at once,
 * a full request must be served within a second (not --timeout's 30). */
static void assert_slots_freed(void)
{
    const char *parts[] = {"GET /heal", "GET /healthz HTTP/1.1\r\nHost: x\r\n",
                           "POST /v1/models HTTP/1.1\r\nHost: x\r\n"
                           "Content-Length: 100\r\n\r\n{"};
    for (size_t i = 0; i < 3; i++) {
        half_send(12, parts[i]);
        long ms = raw_ms_until_served(srv.port, 1000);
        cr_log_info("slots freed %ld ms after 12 half-sent requests (%zu)",
                    ms, i);
        cr_assert_geq(ms, 0, "12 half-sent requests (\"%.12s…\") still "
                             "hold the server's slots after 1 s",
                      parts[i]);
    }
}

Test(connections, half_sent_requests_free_their_per_ip_slot_at_once)
{
    const char *args[] = {"--max-per-ip", "4", "--timeout", "30", NULL};
    api_start(&srv, args);
    assert_slots_freed();
}

Test(connections, half_sent_requests_free_their_connection_slot_at_once)
{
    const char *args[] = {"--max-per-ip", "0", "--max-connections", "4",
                          "--timeout", "30", NULL};
    api_start(&srv, args);
    assert_slots_freed();
}

/* Sends text one byte every gap_ms until the server closes the connection
 * (or limit_ms pass); returns how long the connection lived, in ms. */
static long trickle(int fd, const char *text, long gap_ms, long limit_ms)
{
    double start = raw_now_ms();
    size_t len = strlen(text);
    for (size_t i = 0; raw_now_ms() - start < limit_ms; i = (i + 1) % len) {
        if (send(fd, text + i, 1, MSG_NOSIGNAL) != 1 ||
            raw_closed_within(fd, (int)gap_ms))
            return (long)(raw_now_ms() - start);
    }
    return -1;
}

Test(connections, slowloris_headers_are_cut_at_the_header_deadline)
{
    const char *args[] = {"--header-timeout", "1", "--timeout", "30",
                          "--max-per-ip", "2", NULL};
    api_start(&srv, args);
    int fd[2] = {raw_connect(srv.port), raw_connect(srv.port)};
    send(fd[0], "GET /healthz HTTP/1.1\r\n", 23, MSG_NOSIGNAL);
    long lived = trickle(fd[1], "X-Slow: aaaa\r\n", 250, 8000);
    cr_log_info("a slowloris connection lived %ld ms (--header-timeout 1)",
                lived);
    cr_assert_geq(lived, 700, "cut before the deadline: %ld ms", lived);
    cr_assert(lived >= 0 && lived < 2500,
              "a byte every 250 ms kept the headers open %ld ms", lived);
    cr_assert(raw_closed_within(fd[0], 1000), "the silent one is open");
    close(fd[0]);
    close(fd[1]);
    cr_assert_geq(raw_ms_until_served(srv.port, 1000), 0,
                  "their slots were not freed");
    char *log = api_log_with(&srv, "event=http.too_slow");
    cr_assert(strstr(log, "event=http.too_slow"), "not logged:\n%s", log);
    free(log);
}

Test(connections, a_body_below_the_minimum_rate_is_cut)
{
    const char *args[] = {"--header-timeout", "1", "--min-body-rate", "1000",
                          "--timeout", "30", NULL};
    api_start(&srv, args);
    int fd = raw_connect(srv.port);
    const char head[] = "POST /v1/models HTTP/1.1\r\nHost: x\r\n"
                        "Content-Type: application/json\r\n"
                        "Content-Length: 100000\r\n\r\n";
    cr_assert_eq(send(fd, head, sizeof head - 1, MSG_NOSIGNAL),
                 (ssize_t)sizeof head - 1);
    long lived = trickle(fd, "[1,2,3,4,5,", 100, 8000); /* 10 bytes/s */
    cr_log_info("a 10 bytes/s body lived %ld ms (--min-body-rate 1000)",
                lived);
    cr_assert(lived >= 700 && lived < 2500,
              "a 10 bytes/s body stayed open %ld ms", lived);
    close(fd);
}

/* A kept-alive connection making a request every 400 ms for 2.4 s, and a
 * body sent at 4 KB/s for 2 s, outlive --header-timeout 1: the clock
 * restarts with each request, and the rate is above the minimum. */
Test(connections, honest_slow_clients_are_not_cut)
{
    const char *args[] = {"--header-timeout", "1", "--min-body-rate", "1000",
                          NULL};
    api_start(&srv, args);
    int fd = raw_connect(srv.port);
    const char get[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(send(fd, get, sizeof get - 1, MSG_NOSIGNAL),
                     (ssize_t)sizeof get - 1, "request %d not sent", i);
        char buf[1024];
        ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
        cr_assert_gt(n, 0, "request %d: the kept-alive connection closed", i);
        buf[n] = '\0';
        cr_assert(strstr(buf, " 200 OK"), "%s", buf);
        raw_sleep_ms(400);
    }
    close(fd);
    fd = raw_connect(srv.port);
    const char head[] = "POST /v1/datasets?name=slow&target=y HTTP/1.1\r\n"
                        "Host: x\r\nContent-Type: text/csv\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n"
                        "4\r\nx,y\n\r\n";
    send(fd, head, sizeof head - 1, MSG_NOSIGNAL);
    char rows[1026];
    for (int i = 0; i < 512; i++)
        memcpy(rows + 2 * i, i % 2 ? "1\n" : "0,", 2);
    for (int i = 0; i < 20; i++) { /* 400 bytes each 100 ms */
        char chunk[512];
        int n = snprintf(chunk, sizeof chunk, "190\r\n%.400s\r\n", rows);
        cr_assert_eq(send(fd, chunk, (size_t)n, MSG_NOSIGNAL), n,
                     "the body was cut after %d00 ms", i);
        raw_sleep_ms(100);
    }
    send(fd, "0\r\n\r\n", 5, MSG_NOSIGNAL);
    char buf[2048];
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    cr_assert_gt(n, 0, "no reply to the slow upload");
    buf[n] = '\0';
    cr_assert(strstr(buf, " 201 Created"), "%s", buf);
    close(fd);
}

/* Sends a chunked body of repeated `piece`s after head, as fast as the
 * server reads, until it stops reading (closes, resets, or takes nothing
 * for 1.5 s) or cap bytes went; returns the bytes sent and the reply. */
static size_t flood(const char *head, const char *piece, size_t cap,
                    char *reply, size_t reply_cap)
{
    int fd = raw_connect(srv.port);
    send(fd, head, strlen(head), MSG_NOSIGNAL);
    char size_line[32];
    snprintf(size_line, sizeof size_line, "%zx\r\n", strlen(piece));
    size_t sent = 0, got = 0;
    double last = raw_now_ms();
    while (sent < cap && raw_now_ms() - last < 1500) {
        struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
        if (poll(&p, 1, 100) != 1)
            continue;
        if (p.revents & (POLLIN | POLLHUP | POLLERR))
            break;
        const char *parts[] = {size_line, piece, "\r\n"};
        for (size_t i = 0; i < 3; i++) {
            ssize_t n = send(fd, parts[i], strlen(parts[i]), MSG_NOSIGNAL);
            if (n < 0 && errno != EAGAIN)
                goto done;
            sent += n > 0 ? (size_t)n : 0;
        }
        last = raw_now_ms();
    }
done:;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (got + 1 < reply_cap && poll(&p, 1, 1000) == 1) {
        ssize_t n = recv(fd, reply + got, reply_cap - got - 1, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    reply[got] = '\0';
    close(fd);
    return sent;
}

#define FLOOD_CAP (256u << 20)
/* What loopback socket buffers may hold on the way, and more. */
#define BUFFERED (24u << 20)

Test(connections, a_json_body_past_its_limit_is_answered_at_once)
{
    const char *args[] = {"--max-json-bytes", "65536", NULL};
    api_start(&srv, args);
    char piece[8192], reply[4096];
    memset(piece, ' ', sizeof piece - 1);
    piece[sizeof piece - 1] = '\0';
    piece[0] = '[';
    size_t sent = flood("POST /v1/models HTTP/1.1\r\nHost: x\r\n"
                        "Content-Type: application/json\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n",
                        piece, FLOOD_CAP, reply, sizeof reply);
    cr_log_info("a chunked JSON body past 64 KiB: %zu bytes sent", sent);
    cr_assert_lt(sent, 65536 + BUFFERED, "the server read %zu bytes", sent);
    cr_assert(strncmp(reply, "HTTP/1.1 413 ", 13) == 0, "reply: %s", reply);
    cr_assert(strstr(reply, "application/problem+json"), "%s", reply);
    cr_assert(strstr(reply, "X-Content-Type-Options: nosniff"), "%s", reply);
    cr_assert(strstr(reply, "Connection: close"), "%s", reply);
    char *log = api_log_with(&srv, "status=413");
    cr_assert(strstr(log, "status=413"), "not logged:\n%s", log);
    free(log);
}

Test(connections, a_csv_with_an_error_on_line_3_is_answered_at_once)
{
    api_start(&srv, NULL);
    char piece[8192], reply[4096];
    for (size_t i = 0; i + 4 < sizeof piece; i += 4)
        memcpy(piece + i, "1,2\n", 4);
    piece[sizeof piece - 4] = '\0';
    const char head[] = "POST /v1/datasets?name=bad&target=y HTTP/1.1\r\n"
                        "Host: x\r\nContent-Type: text/csv\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n"
                        "c\r\nx,y\n1,2\nzz,3\r\n";
    size_t sent = flood(head, piece, FLOOD_CAP, reply, sizeof reply);
    cr_log_info("a CSV with an error on line 3: %zu bytes sent", sent);
    cr_assert_lt(sent, BUFFERED, "the server read %zu bytes", sent);
    cr_assert(strncmp(reply, "HTTP/1.1 422 ", 13) == 0, "reply: %s", reply);
    cr_assert(strstr(reply, "\"/rows/"), "no pointer: %s", reply);
}
