/* test_connections.c — connection slots against clients that misbehave on
 * purpose: half-sent requests closed at once must free their slot
 * (--max-per-ip, --max-connections) without waiting for --timeout.
 * Figures go to the test log (criterion --verbose=0). */
#include <criterion/criterion.h>
#include <criterion/logging.h>
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
