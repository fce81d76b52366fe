/* http.c — building replies: JSON, raw bytes and RFC 9457 problems. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "http.h"

void nd_reply_each_header(const nd_request *req, nd_header_sink add,
                          void *cls)
{
    if (req->content_type) /* none on an empty reply (204) */
        add(cls, MHD_HTTP_HEADER_CONTENT_TYPE, req->content_type);
    add(cls, "X-Request-Id", req->request_id);
    add(cls, "X-Content-Type-Options", "nosniff");
    add(cls, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    add(cls, "X-Frame-Options", "DENY");
    add(cls, "Content-Security-Policy", "frame-ancestors 'none'");
    nd_access_cors_headers(req, add, cls);
    for (size_t i = 0; i < req->n_headers; i++)
        add(cls, req->headers[i][0], req->headers[i][1]);
}

bool nd_request_id_valid(const char *s)
{
    size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789-_.:");
    return n > 0 && n < ND_REQUEST_ID_MAX && s[n] == '\0';
}

const char *nd_query(const nd_request *req, const char *name)
{
    if (!req->conn)
        return NULL;
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *nd_header(const nd_request *req, const char *name)
{
    if (!req->conn)
        return NULL;
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

void nd_reply_header(nd_request *req, const char *name, const char *value)
{
    if (req->n_headers == ND_MAX_HEADERS)
        return;
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return;
    }
    req->headers[req->n_headers][0] = n;
    req->headers[req->n_headers][1] = v;
    req->n_headers++;
}

/* Replaces any earlier reply: the last word wins, so a failure after a
 * partial success still reaches the client. */
static void set_reply(nd_request *req, unsigned status, const char *type,
                      char *body, size_t len)
{
    free(req->reply);
    if (req->source.free)
        req->source.free(req->source.cls);
    req->source = (nd_body_source){0};
    req->replied = true;
    req->status = status;
    req->content_type = type;
    req->reply = body;
    req->reply_len = len;
}

void nd_reply_raw(nd_request *req, unsigned status, const char *content_type,
                  const char *data, size_t len)
{
    char *copy = malloc(len ? len : 1);
    if (!copy) {
        set_reply(req, 503, "text/plain", NULL, 0);
        return;
    }
    memcpy(copy, data, len);
    set_reply(req, status, content_type, copy, len);
}

void nd_reply_empty(nd_request *req, unsigned status)
{
    set_reply(req, status, NULL, NULL, 0);
}

typedef struct {
    nd_request *req;
    const char *names;
    bool ok;
} query_check;

/* Whether key is one of the comma-separated names. */
static bool listed(const char *names, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = names; p && *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, key, n) == 0)
            return true;
        p += len + (p[len] == ',');
    }
    return false;
}

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind,
                                 const char *key, const char *value)
{
    (void)kind;
    (void)value;
    query_check *q = cls;
    if (listed(q->names, key))
        return MHD_YES;
    char p[256];
    snprintf(p, sizeof p, "?%s", key);
    nd_reply_invalid(q->req, 400, p, "unknown query argument");
    q->ok = false;
    return MHD_NO;
}

bool nd_query_allow(nd_request *req, const char *names)
{
    query_check q = {req, names, true};
    if (req->conn)
        MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, check_arg,
                                  &q);
    return q.ok;
}

void nd_reply_stream(nd_request *req, unsigned status, const char *content_type,
                     nd_body_source source)
{
    set_reply(req, status, content_type, NULL, 0);
    req->source = source;
}

/* Float32 values need 9 significant digits to survive a round trip. */
#define JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(9))

/* The problem for a reply that could not be built, written without
 * jansson (which is what failed); it carries the request's id like any
 * other problem (the id is of a safe alphabet, see nd_request_id_valid). */
static void reply_unbuilt(nd_request *req, unsigned status, const char *detail)
{
    char text[256 + ND_REQUEST_ID_MAX];
    int n = snprintf(text, sizeof text,
                     "{\"type\":\"about:blank\",\"title\":\"%s\","
                     "\"status\":%u,\"detail\":\"%s\"%s%s%s}",
                     nd_status_title(status), status, detail,
                     req->request_id[0] ? ",\"request_id\":\"" : "",
                     req->request_id, req->request_id[0] ? "\"" : "");
    nd_reply_raw(req, status, "application/problem+json", text, (size_t)n);
}

static void reply_json_typed(nd_request *req, unsigned status,
                             const char *type, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_FLAGS) : NULL;
    bool built = body != NULL;
    json_decref(body);
    if (!text) {
        /* A builder returns NULL when jansson runs out of memory or is
         * handed a number JSON cannot hold (NaN, ±inf); which, it cannot
         * tell, so the reply says both. */
        reply_unbuilt(req, built ? 503 : 500,
                      built ? "out of memory while encoding the reply"
                            : "the reply could not be built: out of memory, "
                              "or a value that is not a finite number");
        return;
    }
    set_reply(req, status, type, text, strlen(text));
}

void nd_reply_json(nd_request *req, unsigned status, json_t *body)
{
    reply_json_typed(req, status, "application/json", body);
}

const char *nd_status_title(unsigned status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 507: return "Insufficient Storage";
    }
    return "Error";
}

size_t nd_utf8_sequence(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n = c < 0x80 ? 1 : c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3
             : c < 0xF5 ? 4 : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F) ||
        (c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
        return 0;
    return n;
}

void nd_utf8_scrub(char *text)
{
    unsigned char *s = (unsigned char *)text;
    while (*s) {
        size_t n = nd_utf8_sequence(s);
        if (n == 0) {
            *s++ = '?';
            continue;
        }
        s += n;
    }
}

bool nd_name_check(const char *name, size_t max_chars, char *why, size_t cap)
{
    size_t chars = 0;
    for (const unsigned char *s = (const unsigned char *)name; *s; chars++) {
        size_t n = nd_utf8_sequence(s);
        if (n == 0 || *s < 0x20 || *s == 0x7f) {
            snprintf(why, cap, "must be UTF-8 text without control "
                               "characters");
            return false;
        }
        s += n;
    }
    if (chars > 0 && chars <= max_chars)
        return true;
    snprintf(why, cap, "must have 1 to %zu characters, not %zu", max_chars,
             chars);
    return false;
}

static json_t *problem(const nd_request *req, unsigned status,
                       const char *detail)
{
    json_t *p = json_pack("{s:s, s:s, s:i, s:s}", "type", "about:blank",
                          "title", nd_status_title(status), "status",
                          (int)status, "detail", detail);
    if (p && req->request_id[0])
        json_object_set_new(p, "request_id", json_string(req->request_id));
    return p;
}

void nd_reply_problem(nd_request *req, unsigned status, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    nd_utf8_scrub(detail);
    reply_json_typed(req, status, "application/problem+json",
                     problem(req, status, detail));
}

void nd_reply_store_failed(nd_request *req, bool full, const char *what)
{
    if (full)
        nd_reply_problem(req, 507, "%s: " ND_DISK_FULL_DETAIL, what);
    else
        nd_reply_problem(req, 500, "database error while %s", what);
}

void nd_reply_invalidv(nd_request *req, unsigned status, const char *pointer,
                       const char *fmt, va_list ap)
{
    char message[512], detail[640];
    vsnprintf(message, sizeof message, fmt, ap);
    nd_utf8_scrub(message);
    if (pointer && *pointer)
        snprintf(detail, sizeof detail, "%s: %s", pointer, message);
    else
        snprintf(detail, sizeof detail, "%s", message);
    nd_utf8_scrub(detail);
    char where[256];
    snprintf(where, sizeof where, "%s", pointer ? pointer : "");
    nd_utf8_scrub(where);
    json_t *p = problem(req, status, detail);
    json_t *errors = json_pack("[{s:s, s:s}]", "pointer", where, "message",
                               message);
    if (p && errors)
        json_object_set_new(p, "errors", errors);
    else
        json_decref(errors);
    reply_json_typed(req, status, "application/problem+json", p);
}

void nd_reply_invalid(nd_request *req, unsigned status, const char *pointer,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nd_reply_invalidv(req, status, pointer, fmt, ap);
    va_end(ap);
}
