/* sse_client.h — a test client of GET /v1/jobs/{id}/events: reads the
 * stream with libcurl until the server closes it (or the client gives
 * up), then splits it into events. Runs in the caller's thread, or as a
 * pthread start routine so that many can watch at once. */
#ifndef API_SSE_CLIENT_H
#define API_SSE_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "harness.h"

typedef struct {
    char name[16]; /* "epoch", "status", "end" */
    long id;       /* the id: line, or −1 */
    json_t *data;  /* parsed data: line */
} sse_event;

typedef struct {
    /* In: */
    api_server *srv;
    char job_id[64];
    long last_event_id; /* sent as Last-Event-ID when >= 0 */
    size_t abort_after; /* hang up after this many bytes (0: never) */
    const char *query;  /* added to the URL ("?weights=true"), or NULL */
    const char *auth;   /* an "Authorization: …" header to send, or NULL */
    /* Out: */
    long status;
    char content_type[64];
    char *raw; /* the bytes received (cut into lines once parsed) */
    size_t len, cap;
    double end_at; /* CLOCK_REALTIME seconds when the end event arrived */
    int keepalives; /* keep-alive comments seen (read it atomically) */
    sse_event *events;
    size_t n_events;
} sse_client;

/* Prepares c for job_id on srv (no Last-Event-ID, no abort). */
void sse_init(sse_client *c, api_server *srv, const char *job_id);

/* Watches until the stream ends; parses the events. Returns NULL (a
 * pthread start routine taking an sse_client). */
void *sse_watch(void *client);

/* Waits (10 s at most, then fails the test) until each of the n
 * clients c[0..n) watching in their threads has received its first
 * bytes: its stream is registered with the server. */
void sse_wait_connected(sse_client *c, size_t n);

/* Frees what sse_watch filled in. */
void sse_free(sse_client *c);

/* The number of events named name. */
size_t sse_count(const sse_client *c, const char *name);

/* Seconds since the epoch of an RFC 3339 UTC time with microseconds. */
double sse_rfc3339(const char *t);

#endif
