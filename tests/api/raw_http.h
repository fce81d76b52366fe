/* raw_http.h — HTTP over a bare loopback socket, for what libcurl will
 * not send: half-sent requests, ambiguous framing, a client that sends one
 * byte at a time, a body that never ends. */
#ifndef API_RAW_HTTP_H
#define API_RAW_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/* A new connection to 127.0.0.1:port (asserted), with a 5 s receive
 * timeout. */
int raw_connect(unsigned port);

/* Sends req (len bytes) on a new connection and reads until the server
 * closes it or wait_ms pass without a byte; returns what came back,
 * malloc'd and NUL-terminated ("" when nothing). */
char *raw_exchange(unsigned port, const char *req, size_t len, int wait_ms);

/* What GET /healthz on a fresh connection reads back within wait_ms: > 0
 * bytes when answered, 0 or −1 when the server closed it or was silent. */
long raw_probe(unsigned port, int wait_ms);

/* Milliseconds until a probe is answered, probing every 20 ms for at
 * most limit_ms; −1 when none was. */
long raw_ms_until_served(unsigned port, long limit_ms);

/* Whether fd has been closed by the server (end of stream or reset),
 * waiting at most wait_ms; bytes that arrive first are discarded. */
bool raw_closed_within(int fd, int wait_ms);

/* Milliseconds on CLOCK_MONOTONIC. */
double raw_now_ms(void);

/* Sleeps ms milliseconds. */
void raw_sleep_ms(long ms);

#endif
