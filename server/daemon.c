/* daemon.c — the libmicrohttpd listener: reading request bodies (JSON up to
 * a limit, streamed content types piece by piece), dispatching through the
 * router, and sending the reply with the headers every response carries.
 * Requests whose framing is ambiguous are refused first (framing.h), and
 * the connection guard (conn_guard.h) keeps the deadlines. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "access.h"
#include "conn_guard.h"
#include "daemon.h"
#include "early_reply.h"
#include "framing.h"
#include "json_body.h"
#include "log.h"
#include "owner.h"
#include "quota.h"
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

/* libmicrohttpd's URI log callback: a new request once its first line is
 * in, keeping the path as sent (before libmicrohttpd decodes it, turning
 * "%2F" into "/" and "%00" into the path's end). Its return value becomes
 * the connection's con_cls; NULL (out of memory) has on_request make the
 * request without the raw path. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    nd_request *req = calloc(1, sizeof *req);
    if (!req)
        return NULL;
    req->started = nd_clock_ms() / 1e3;
    req->srv = cls;
    req->conn = conn;
    req->raw_path = strndup(uri, strcspn(uri, "?"));
    return req;
}

/* Once its headers are in, the request's method, path and X-Request-Id:
 * the client's when sane, else a new random one ("rq_" and 26 base32
 * characters). */
static void request_begin(nd_request *req, const char *method,
                          const char *url)
{
    req->method = method;
    req->url = url;
    req->body_limit = req->srv->cfg.max_json_bytes;
    const char *given = nd_header(req, "X-Request-Id");
    if (given && nd_request_id_valid(given))
        snprintf(req->request_id, sizeof req->request_id, "%s", given);
    else
        nd_new_id(req->request_id, "rq_");
}

static void request_free(nd_request *req)
{
    if (req->stream && req->stream->abort)
        req->stream->abort(req);
    if (req->source.free) /* a streamed reply that was never sent */
        req->source.free(req->source.cls);
    json_decref(req->json);
    nd_json_body_free(req->jbody);
    free(req->raw_path);
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

static void add_to_response(void *cls, const char *name, const char *value)
{
    MHD_add_response_header(cls, name, value);
}

static enum MHD_Result send_reply(nd_request *req)
{
    if (!req->replied)
        nd_reply_problem(req, 500, "the handler made no reply");
    req->sent = true;
    nd_conn_guard_working(req->conn);
    struct MHD_Response *resp = response_for(req);
    if (!resp)
        return MHD_NO;
    nd_reply_each_header(req, add_to_response, resp);
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
    } else if (route->body != ND_BODY_NONE && has_body(req, declared) &&
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

/* Reads a piece of a body, counting it against the limit: a JSON route's
 * into its parser, which holds no more than the small fields' text and
 * the packed arrays. Past the limit, or once the body is known not to be
 * JSON, the rest is only counted. */
static void append_body(nd_request *req, const char *data, size_t len)
{
    const nd_route *route = req->route;
    if (req->body_too_large || len > req->body_limit - req->body_len) {
        req->body_too_large = true;
        return;
    }
    req->body_len += len;
    if (route->body != ND_BODY_JSON && route->body != ND_BODY_JSON_OPTIONAL)
        return;
    if (!req->jbody && !(req->jbody = nd_json_body_new(nd_route_packed_rows(
                             route, &req->srv->cfg)))) {
        req->body_too_large = true; /* out of memory: refused as too large */
        return;
    }
    nd_json_body_feed(req->jbody, data, len);
}

/* Ends the reading of the body for the route (JSON: its object, parsed as
 * it arrived); false once it has replied. */
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
    if (req->body_len == 0 && route->body == ND_BODY_JSON_OPTIONAL) {
        req->json = json_object();
        if (!req->json)
            nd_reply_problem(req, 503, "out of memory");
        return req->json != NULL;
    }
    if (req->body_len == 0) {
        nd_reply_problem(req, 400, "the request needs a JSON body");
        return false;
    }
    char msg[320];
    req->json = nd_json_body_finish(req->jbody, msg, sizeof msg);
    if (!req->json && nd_json_body_nomem(req->jbody)) {
        nd_reply_problem(req, 503, "out of memory");
        return false;
    }
    if (!req->json) {
        nd_reply_invalid(req, 400, "", "%s", msg);
        return false;
    }
    return true;
}

/* Once the headers are in: answers a CORS preflight, refuses a request
 * without the API token (except on open routes), an unknown route, a
 * query argument the route does not take, or a body it cannot take;
 * else readies the body's reading. */
static void route_request(nd_request *req, const char *version)
{
    if (!nd_framing_check(req, version))
        return;
    bool known = false;
    const nd_route *route =
        req->raw_path && !nd_route_raw_path_ok(req->raw_path)
            ? NULL
            : nd_route_match(req->method, req->url, req, &known);
    req->route = route;
    if (known && strcmp(req->method, MHD_HTTP_METHOD_OPTIONS) == 0)
        nd_access_preflight(req);
    else if (!(route && route->open) && !nd_access_authorized(req))
        return;
    else if (!route)
        nd_reply_problem(req, known ? 405 : 404,
                         known ? "%s is not allowed on %s"
                               : "no route for %s %s",
                         req->method, req->raw_path ? req->raw_path : req->url);
    else if (nd_query_allow(req, route->query))
        prepare_body(req, route);
}

/* A piece of the body, to the stream or the buffer. A reply made on the
 * way (past the limit, an error in it) is written at once and the
 * connection closed: the rest of the body is not read (MHD_NO). */
static enum MHD_Result take_body(nd_request *req, const char *upload,
                                 size_t size)
{
    nd_conn_guard_body_bytes(req->conn, size);
    if (req->stream) {
        req->streamed += size;
        if (req->streamed > req->body_limit)
            nd_reply_problem(req, 413, "the upload is larger than the "
                                       "limit of %zu bytes",
                             req->body_limit);
        else
            req->stream->data(req, upload, size);
        if (req->replied && req->stream->abort)
            req->stream->abort(req);
        if (req->replied)
            req->stream = NULL;
    } else {
        append_body(req, upload, size);
        if (req->body_too_large)
            nd_reply_problem(req, 413, "the body is larger than the limit "
                                       "of %zu bytes", req->body_limit);
    }
    if (req->replied) {
        nd_early_reply_send(req);
        return MHD_NO;
    }
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    nd_request *req = *con_cls;
    if (!req)
        req = *con_cls = on_uri(cls, url, conn);
    if (!req)
        return MHD_NO;
    if (!req->method) { /* headers only so far */
        request_begin(req, method, url);
        nd_conn_guard_body_start(conn);
        route_request(req, version);
        return req->replied ? send_reply(req) : MHD_YES;
    }
    if (req->replied) { /* refused before its body: the reply is queued */
        *upload_size = 0;
        return req->sent ? MHD_YES : send_reply(req);
    }
    if (*upload_size) {
        size_t size = *upload_size;
        *upload_size = 0;
        return take_body(req, upload, size);
    }
    nd_conn_guard_working(conn);
    if (req->stream) {
        const nd_stream *s = req->stream;
        req->stream = NULL; /* ended: no abort */
        s->end(req);
    } else {
        const nd_route *route = req->route;
        if (parse_body(req, route) && nd_owner_gate(req) &&
            nd_quota_allows(req))
            route->handle(req);
    }
    nd_owner_claim(req);
    return send_reply(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode code)
{
    (void)cls;
    nd_conn_guard_request_done(conn);
    nd_request *req = *con_cls;
    if (!req)
        return;
    if (req->method) /* else libmicrohttpd refused it (and logged why) */
        nd_request_finished(req, code == MHD_REQUEST_TERMINATED_COMPLETED_OK);
    request_free(req);
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
    /* Suspend/resume lets an event stream wait without holding a thread.
     * poll(), not epoll: libmicrohttpd 0.9.75 waits on epoll edge-
     * triggered, and a client whose partial request and FIN arrive in one
     * edge is never read again until --timeout (its slot held, in
     * CLOSE-WAIT); poll() reports the end of the stream, and the
     * connection is closed at once. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
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
    srv->guard = nd_conn_guard_start(srv->cfg.header_timeout_s,
                                     srv->cfg.min_body_rate);
    if (!srv->guard) {
        snprintf(err, errlen, "cannot start the connection guard");
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
        MHD_OPTION_NOTIFY_CONNECTION, nd_conn_guard_notify, srv->guard,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv, MHD_OPTION_END);
    if (!srv->daemon) {
        nd_conn_guard_stop(srv->guard);
        srv->guard = NULL;
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
    nd_conn_guard_stop(srv->guard);
    srv->guard = NULL;
}
