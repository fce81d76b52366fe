/* daemon.c — the libmicrohttpd listener: reading request bodies (JSON up to
 * a limit, streamed content types piece by piece), dispatching through the
 * router, and sending the reply with the headers every response carries. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "access.h"
#include "daemon.h"
#include "log.h"
#include "request_log.h"
#include "router.h"
#include "server.h"
#include "store.h"

/* Whether the request's Content-Type is `type` (parameters ignored). */
static bool content_type_is(const char *header, const char *type)
{
    if (!header)
        return false;
    size_t n = strlen(type);
    return strncasecmp(header, type, n) == 0 &&
           (header[n] == '\0' || header[n] == ';' || header[n] == ' ');
}

/* A new request, with its X-Request-Id: the client's when sane, else a
 * new random one ("rq_" and 26 base32 characters). */
static nd_request *request_new(nd_server *srv, struct MHD_Connection *conn,
                               const char *method, const char *url)
{
    nd_request *req = calloc(1, sizeof *req);
    if (!req)
        return NULL;
    req->started = nd_clock_ms() / 1e3;
    req->srv = srv;
    req->conn = conn;
    req->method = method;
    req->url = url;
    req->body_limit = srv->cfg.max_json_bytes;
    const char *given = nd_header(req, "X-Request-Id");
    if (given && nd_request_id_valid(given))
        snprintf(req->request_id, sizeof req->request_id, "%s", given);
    else
        nd_new_id(req->request_id, "rq_");
    return req;
}

static void request_free(nd_request *req)
{
    if (req->stream && req->stream->abort)
        req->stream->abort(req);
    if (req->source.free) /* a streamed reply that was never sent */
        req->source.free(req->source.cls);
    json_decref(req->json);
    free(req->body);
    free(req->reply);
    for (size_t i = 0; i < req->n_headers; i++) {
        free(req->headers[i][0]);
        free(req->headers[i][1]);
    }
    free(req);
}

/* A streamed reply's source, counting the bytes it gives into its
 * request (which outlives every read: libmicrohttpd reads no more once it
 * reports the request completed). */
typedef struct {
    nd_body_source src;
    size_t *sent;
} counted_source;

/* libmicrohttpd's reader of a streamed body, over nd_body_source. */
static ssize_t read_source(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    counted_source *c = cls;
    long n = c->src.read(c->src.cls, buf, max);
    if (n > 0)
        *c->sent += (size_t)n;
    return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : (ssize_t)n;
}

static void free_source(void *cls)
{
    counted_source *c = cls;
    c->src.free(c->src.cls);
    free(c);
}

/* The reply as a libmicrohttpd response, which then owns its body (and
 * the stream's source); NULL when out of memory. */
static struct MHD_Response *response_for(nd_request *req)
{
    if (!req->source.read) {
        struct MHD_Response *resp = MHD_create_response_from_buffer(
            req->reply_len, req->reply, MHD_RESPMEM_MUST_FREE);
        if (resp)
            req->reply = NULL; /* owned by the response now */
        req->bytes_sent = req->reply_len;
        return resp;
    }
    counted_source *src = malloc(sizeof *src);
    struct MHD_Response *resp =
        src ? MHD_create_response_from_callback(req->source.length
                                                    ? req->source.length
                                                    : MHD_SIZE_UNKNOWN,
                                                16384,
                                                read_source, src, free_source)
            : NULL;
    if (!resp) {
        free(src);
        return NULL; /* request_free releases the source */
    }
    *src = (counted_source){req->source, &req->bytes_sent};
    req->source = (nd_body_source){0};
    return resp;
}

static enum MHD_Result send_reply(nd_request *req)
{
    if (!req->replied)
        nd_reply_problem(req, 500, "the handler made no reply");
    req->sent = true;
    struct MHD_Response *resp = response_for(req);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            req->content_type ? req->content_type
                                              : "application/json");
    MHD_add_response_header(resp, "X-Request-Id", req->request_id);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "frame-ancestors 'none'");
    nd_access_cors_headers(req, resp);
    for (size_t i = 0; i < req->n_headers; i++)
        MHD_add_response_header(resp, req->headers[i][0], req->headers[i][1]);
    enum MHD_Result ret = MHD_queue_response(req->conn, req->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Whether the request announces a body: a length, or chunked encoding. */
static bool has_body(nd_request *req, unsigned long long declared)
{
    const char *te = nd_header(req, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    return declared > 0 || (te && strcasecmp(te, "identity") != 0);
}

/* Decides, before any body arrives, how it will be read: refuses with 413
 * a declared length past the limit, and with 415 a content type the route
 * does not take. Returns false once it has replied. */
static bool prepare_body(nd_request *req, const nd_route *route)
{
    const char *type = nd_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
    const char *length = nd_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long declared = length ? strtoull(length, NULL, 10) : 0;
    for (size_t i = 0; route->streams && route->streams[i]; i++)
        if (content_type_is(type, route->streams[i]->content_type))
            req->stream = route->streams[i];
    if (req->stream) {
        req->body_limit = req->srv->cfg.max_csv_bytes;
    } else if (route->body == ND_BODY_JSON && has_body(req, declared) &&
               !content_type_is(type, "application/json")) {
        char others[128] = "";
        for (size_t i = 0; route->streams && route->streams[i]; i++)
            snprintf(others + strlen(others), sizeof others - strlen(others),
                     " or %s", route->streams[i]->content_type);
        nd_reply_problem(req, 415,
                         "send the body as application/json%s (curl: --json "
                         "or -H 'Content-Type: application/json')", others);
        return false;
    }
    if (declared > req->body_limit) {
        nd_reply_problem(req, 413,
                         "the body of %llu bytes is larger than the limit of "
                         "%zu bytes",
                         declared, req->body_limit);
        return false;
    }
    if (req->stream) {
        req->stream->begin(req);
        if (req->replied) {
            req->stream = NULL;
            return false;
        }
    }
    return true;
}

/* Appends a piece of a JSON body, counting it against the limit. */
static void append_body(nd_request *req, const char *data, size_t len)
{
    if (req->body_too_large || len > req->body_limit - req->body_len) {
        req->body_too_large = true;
        return;
    }
    if (req->body_len + len + 1 > req->body_cap) {
        size_t cap = req->body_cap ? req->body_cap : 4096;
        while (cap < req->body_len + len + 1)
            cap *= 2;
        char *p = realloc(req->body, cap);
        if (!p) {
            req->body_too_large = true;
            return;
        }
        req->body = p;
        req->body_cap = cap;
    }
    memcpy(req->body + req->body_len, data, len);
    req->body_len += len;
    req->body[req->body_len] = '\0';
}

/* Parses the buffered body for a JSON route; false once it has replied. */
static bool parse_body(nd_request *req, const nd_route *route)
{
    if (req->body_too_large) {
        nd_reply_problem(req, 413, "the body is larger than the limit of %zu "
                                   "bytes", req->body_limit);
        return false;
    }
    if (route->body == ND_BODY_NONE) {
        if (req->body_len) {
            nd_reply_problem(req, 400, "%s %s takes no request body",
                             route->method, route->pattern);
            return false;
        }
        return true;
    }
    if (req->body_len == 0) {
        nd_reply_problem(req, 400, "the request needs a JSON body");
        return false;
    }
    json_error_t e;
    req->json = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES,
                           &e);
    if (!req->json) {
        nd_reply_invalid(req, 400, "", "invalid JSON at line %d, column %d: %s",
                         e.line, e.column, e.text);
        return false;
    }
    if (!json_is_object(req->json)) {
        nd_reply_invalid(req, 400, "", "the body must be a JSON object");
        return false;
    }
    return true;
}

/* Once the headers are in: answers a CORS preflight, refuses a request
 * without the API token (except on open routes), an unknown route, or a
 * body the route cannot take; else readies the body's reading. */
static void route_request(nd_request *req)
{
    bool known = false;
    const nd_route *route = nd_route_match(req->method, req->url, req, &known);
    req->route = route;
    if (known && strcmp(req->method, MHD_HTTP_METHOD_OPTIONS) == 0)
        nd_access_preflight(req);
    else if (!(route && route->open) && !nd_access_authorized(req))
        return;
    else if (!route)
        nd_reply_problem(req, known ? 405 : 404,
                         known ? "%s is not allowed on %s"
                               : "no route for %s %s",
                         req->method, req->url);
    else
        prepare_body(req, route);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    nd_server *srv = cls;
    nd_request *req = *con_cls;
    if (!req) { /* headers only so far */
        req = request_new(srv, conn, method, url);
        if (!req)
            return MHD_NO;
        *con_cls = req;
        route_request(req);
        return req->replied ? send_reply(req) : MHD_YES;
    }
    if (req->replied) { /* refused: discard what still arrives */
        if (*upload_size || req->sent) {
            *upload_size = 0;
            return MHD_YES;
        }
        return send_reply(req); /* the body has ended: the reply can go */
    }
    if (*upload_size) {
        if (req->stream) {
            req->streamed += *upload_size;
            if (req->streamed > req->body_limit)
                nd_reply_problem(req, 413, "the upload is larger than the "
                                           "limit of %zu bytes",
                                 req->body_limit);
            else
                req->stream->data(req, upload, *upload_size);
            if (req->replied && req->stream->abort)
                req->stream->abort(req);
            if (req->replied)
                req->stream = NULL;
        } else {
            append_body(req, upload, *upload_size);
        }
        /* libmicrohttpd takes a reply only before the body or after all
         * of it: one made part-way through waits for the body's end. */
        *upload_size = 0;
        return MHD_YES;
    }
    if (req->stream) {
        const nd_stream *s = req->stream;
        req->stream = NULL; /* ended: no abort */
        s->end(req);
    } else {
        const nd_route *route = req->route;
        if (parse_body(req, route))
            route->handle(req);
    }
    return send_reply(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)conn;
    if (!*con_cls)
        return;
    nd_request_finished(*con_cls, code == MHD_REQUEST_TERMINATED_COMPLETED_OK);
    request_free(*con_cls);
    *con_cls = NULL;
}

/* libmicrohttpd's own messages (a connection refused past a limit, …),
 * as log lines like every other. */
static void on_mhd_message(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\r\n")] = '\0';
    nd_log(ND_LOG_WARN, "http.server", msg, ND_LS("library", "microhttpd"));
}

int nd_daemon_start(nd_server *srv, char *err, size_t errlen)
{
    struct sockaddr_in v4 = {.sin_family = AF_INET};
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
    const struct sockaddr *addr;
    /* Suspend/resume lets an event stream wait without holding a thread. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (inet_pton(AF_INET, srv->cfg.bind, &v4.sin_addr) == 1) {
        v4.sin_port = htons((uint16_t)srv->cfg.port);
        addr = (const struct sockaddr *)&v4;
    } else if (inet_pton(AF_INET6, srv->cfg.bind, &v6.sin6_addr) == 1) {
        v6.sin6_port = htons((uint16_t)srv->cfg.port);
        addr = (const struct sockaddr *)&v6;
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(err, errlen, "--bind '%s' is not an IPv4 or IPv6 address",
                 srv->cfg.bind);
        return -1;
    }
    srv->daemon = MHD_start_daemon(
        flags, (uint16_t)srv->cfg.port, NULL, NULL, on_request, srv,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_message, NULL, /* first */
        MHD_OPTION_SOCK_ADDR, addr, MHD_OPTION_THREAD_POOL_SIZE,
        srv->cfg.http_threads, MHD_OPTION_CONNECTION_TIMEOUT,
        srv->cfg.timeout_s, MHD_OPTION_CONNECTION_LIMIT,
        srv->cfg.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        srv->cfg.max_per_ip, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_END);
    if (!srv->daemon) {
        snprintf(err, errlen, "cannot listen on %s port %u", srv->cfg.bind,
                 srv->cfg.port);
        return -1;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : srv->cfg.port;
    return 0;
}

void nd_daemon_stop(nd_server *srv)
{
    if (srv->daemon)
        MHD_stop_daemon(srv->daemon);
    srv->daemon = NULL;
}
