/* sse_client.c — reading an event stream in tests (see sse_client.h). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sse_client.h"

void sse_init(sse_client *c, api_server *srv, const char *job_id)
{
    memset(c, 0, sizeof *c);
    c->srv = srv;
    c->last_event_id = -1;
    snprintf(c->job_id, sizeof c->job_id, "%s", job_id);
}

static double now_real(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t on_data(char *p, size_t size, size_t n, void *user)
{
    sse_client *c = user;
    size_t len = size * n;
    if (c->len + len + 1 > c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 65536;
        while (cap < c->len + len + 1)
            cap *= 2;
        char *q = realloc(c->raw, cap);
        if (!q)
            return 0;
        c->raw = q;
        c->cap = cap;
    }
    memcpy(c->raw + c->len, p, len);
    size_t from = c->len > 16 ? c->len - 16 : 0;
    c->raw[c->len + len] = '\0';
    /* Other threads poll len and keepalives while this one writes. */
    __atomic_store_n(&c->len, c->len + len, __ATOMIC_RELEASE);
    if (!c->end_at && strstr(c->raw + from, "event: end\n"))
        c->end_at = now_real();
    if (strstr(c->raw + from, ": keep-alive\n"))
        __atomic_add_fetch(&c->keepalives, 1, __ATOMIC_RELEASE);
    if (c->abort_after && c->len >= c->abort_after)
        return 0; /* hang up, as a closed browser tab does */
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *user)
{
    sse_client *c = user;
    size_t len = size * n;
    if (len > 14 && strncasecmp(p, "Content-Type: ", 14) == 0)
        snprintf(c->content_type, sizeof c->content_type, "%.*s",
                 (int)(strcspn(p + 14, "\r\n")), p + 14);
    return len;
}

/* Splits the received text into events (comments and retry: skipped). */
static void parse(sse_client *c)
{
    size_t cap = 16;
    c->events = calloc(cap, sizeof *c->events);
    char *save = NULL;
    for (char *block = c->raw ? strtok_r(c->raw, "\n", &save) : NULL; block;
         block = strtok_r(NULL, "\n", &save)) {
        if (strncmp(block, "event: ", 7) == 0) {
            if (c->n_events == cap) {
                cap *= 2;
                c->events = realloc(c->events, cap * sizeof *c->events);
            }
            sse_event *e = &c->events[c->n_events++];
            memset(e, 0, sizeof *e);
            e->id = -1;
            snprintf(e->name, sizeof e->name, "%s", block + 7);
        } else if (strncmp(block, "id: ", 4) == 0 && c->n_events) {
            c->events[c->n_events - 1].id = atol(block + 4);
        } else if (strncmp(block, "data: ", 6) == 0 && c->n_events) {
            c->events[c->n_events - 1].data =
                json_loads(block + 6, 0, NULL);
        }
    }
}

void *sse_watch(void *client)
{
    sse_client *c = client;
    char url[256], header[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/jobs/%s/events%s",
             c->srv->port, c->job_id, c->query ? c->query : "");
    CURL *h = curl_easy_init();
    struct curl_slist *headers = NULL;
    if (c->last_event_id >= 0) {
        snprintf(header, sizeof header, "Last-Event-ID: %ld",
                 c->last_event_id);
        headers = curl_slist_append(headers, header);
    }
    if (c->auth)
        headers = curl_slist_append(headers, c->auth);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 90L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    parse(c);
    return NULL;
}

void sse_free(sse_client *c)
{
    for (size_t i = 0; i < c->n_events; i++)
        json_decref(c->events[i].data);
    free(c->events);
    free(c->raw);
    c->events = NULL;
    c->raw = NULL;
}

size_t sse_count(const sse_client *c, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n_events; i++)
        n += strcmp(c->events[i].name, name) == 0;
    return n;
}

double sse_rfc3339(const char *t)
{
    struct tm tm = {0};
    double frac = 0;
    const char *rest = strptime(t, "%Y-%m-%dT%H:%M:%S", &tm);
    if (rest && *rest == '.')
        frac = strtod(rest, NULL);
    return (double)timegm(&tm) + frac;
}

void sse_wait_connected(sse_client *c, size_t n)
{
    for (int i = 0; i < 1000; i++) {
        size_t ready = 0;
        for (size_t k = 0; k < n; k++)
            ready += __atomic_load_n(&c[k].len, __ATOMIC_ACQUIRE) > 0;
        if (ready == n)
            return;
        usleep(10000);
    }
    cr_assert_fail("the watchers never connected");
}
