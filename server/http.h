/* http.h — requests and responses as handlers see them, on top of
 * libmicrohttpd. A handler gets an nd_request whose JSON body (if any) is
 * already read, and answers with one of the nd_reply_* calls; bodies of a
 * streaming content type (CSV) are fed to the route's nd_stream as they
 * arrive instead. Errors are RFC 9457 problem+json with, for bad input, a
 * list of {pointer, message}. */
#ifndef ND_HTTP_H
#define ND_HTTP_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct MHD_Connection;
struct nd_server;

#define ND_MAX_PATH_PARAMS 4
#define ND_MAX_HEADERS 6
#define ND_REQUEST_ID_MAX 65 /* 64 characters and the NUL */

typedef struct nd_request nd_request;

/* A route's handler of bodies that are processed as they arrive. begin is
 * called before the first byte (it may reply, to refuse the upload), data
 * for each piece (returning false stops reading: it must have replied),
 * end after the last piece (it must reply), and abort, if set, when the
 * client went away or another reply ended the request. `state` in the
 * request is theirs. */
typedef struct {
    const char *content_type; /* e.g. "text/csv" */
    void (*begin)(nd_request *req);
    bool (*data)(nd_request *req, const char *data, size_t len);
    void (*end)(nd_request *req);
    void (*abort)(nd_request *req);
} nd_stream;

/* A reply body produced as the connection can take it (libmicrohttpd's
 * content reader): read fills at most max bytes at buf and returns how
 * many, 0 after suspending the connection (it is resumed when there is
 * more), or −1 at the end of the stream; free releases cls once the
 * connection is done with it. */
typedef struct {
    long (*read)(void *cls, char *buf, size_t max);
    void (*free)(void *cls);
    void *cls;
    size_t length; /* the body's size when known (sent as Content-Length);
                      0: unknown, sent chunked */
} nd_body_source;

struct nd_request {
    struct nd_server *srv;
    struct MHD_Connection *conn;
    const char *method;
    const char *url;      /* the path, percent-decoded by libmicrohttpd */
    char *raw_path;       /* the path as sent (malloc'd; NULL if unknown) */
    const void *route; /* the nd_route matched (router.h) */
    char request_id[ND_REQUEST_ID_MAX]; /* X-Request-Id: sent or made */
    double started;    /* CLOCK_MONOTONIC seconds when the headers came */
    /* Who calls (access.c): a user's id, "" for the --api-token or an
     * open server; admin for an administrator, the --api-token and an
     * open server. */
    char user_id[40];
    char token_id[40]; /* the user's token (tk_…), "" for the others */
    bool admin;
    const char *params[ND_MAX_PATH_PARAMS]; /* {id} segments of the route */
    size_t n_params;
    char param_buf[256]; /* the segments' text */

    /* The request body: JSON parsed for handlers (NULL when empty), its
     * large arrays packed as it arrived (json_body.h). */
    json_t *json;
    struct nd_json_body *jbody;
    size_t body_len, body_limit;
    bool body_too_large;
    const nd_stream *stream; /* set while a streamed body is read */
    void *state;             /* the stream's own state */
    size_t streamed;         /* bytes fed so far */

    /* The reply, once one is made, and whether it has been handed to
     * libmicrohttpd (which takes it only before or after the body). */
    bool replied, sent;
    unsigned status;
    const char *content_type;
    char *reply; /* malloc'd */
    size_t reply_len;
    char *headers[ND_MAX_HEADERS][2];
    size_t n_headers;
    nd_body_source source; /* set by nd_reply_stream instead of reply */
    size_t bytes_sent;     /* of the reply's body, so far */
};

/* Where reply headers go, one name and value at a time: a libmicrohttpd
 * response, or the text of a reply written to the socket directly. */
typedef void (*nd_header_sink)(void *cls, const char *name, const char *value);

/* Gives add every header of req's reply but its length: Content-Type,
 * X-Request-Id, the security headers every reply carries, CORS, and those
 * the handler added. */
void nd_reply_each_header(const nd_request *req, nd_header_sink add,
                          void *cls);

/* Whether s may serve as a request's X-Request-Id as the client sent it:
 * 1 to 64 characters of A-Z, a-z, 0-9 and "-_.:" (a UUID fits). Anything
 * else (CR/LF, quotes, spaces, longer) is replaced by an id of ours. */
bool nd_request_id_valid(const char *s);

/* A query-string argument, or NULL (also for a request without a
 * connection, as the fuzzing harnesses make). */
const char *nd_query(const nd_request *req, const char *name);

/* A request header, or NULL (also without a connection). */
const char *nd_header(const nd_request *req, const char *name);

/* Adds a response header (copied), e.g. Location. */
void nd_reply_header(nd_request *req, const char *name, const char *value);

/* Replies with body serialised as JSON (body is consumed). */
void nd_reply_json(nd_request *req, unsigned status, json_t *body);

/* Replies with status and no body at all: no Content-Type either (204,
 * a CORS preflight). */
void nd_reply_empty(nd_request *req, unsigned status);

/* Whether every query argument of req is one of names, a comma-separated
 * list ("limit,cursor"; NULL or "" for none); otherwise replies 400 naming
 * the first other one ("?name") and returns false. */
bool nd_query_allow(nd_request *req, const char *names);

/* Replies with raw bytes of the given content type (copied). */
void nd_reply_raw(nd_request *req, unsigned status, const char *content_type,
                  const char *data, size_t len);

/* Replies with a body that source produces as it goes (e.g. an event
 * stream); source.free(source.cls) is called in every case, also when
 * the reply is replaced or cannot be sent. */
void nd_reply_stream(nd_request *req, unsigned status, const char *content_type,
                     nd_body_source source);

/* Replies with a problem+json of status; detail is printf-formatted.
 * Problems carry the request's id as "request_id" when it has one. */
void nd_reply_problem(nd_request *req, unsigned status, const char *detail,
                      ...) __attribute__((format(printf, 3, 4)));

/* Checks a name a client gives (of a dataset, a model, a class): 1 to
 * max_chars characters of UTF-8 without control characters (C0 or DEL),
 * so that it prints as what it is. Returns true, or false with the
 * reason, a message for a 422, in why. */
bool nd_name_check(const char *name, size_t max_chars, char *why, size_t cap);

/* What a 507 says: the disk holding the database is full, and how a
 * user frees room. */
#define ND_DISK_FULL_DETAIL                                                    \
    "the disk holding the database is full; delete datasets or models to "    \
    "free room (or ask the operator for more)"

/* Replies for a store failure while `what` ("storing the job"): 507 with
 * ND_DISK_FULL_DETAIL when full (nd_store_full), else 500. */
void nd_reply_store_failed(nd_request *req, bool full, const char *what);

/* Replies 400/422/… naming the bad field: `pointer` is a JSON pointer
 * ("/layers/1/units") or a location such as "/rows/3/columns/2"; it goes
 * into the problem's "errors" list along with the message. */
void nd_reply_invalid(nd_request *req, unsigned status, const char *pointer,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void nd_reply_invalidv(nd_request *req, unsigned status, const char *pointer,
                       const char *fmt, va_list ap);

/* The length of the valid UTF-8 sequence at s (1 to 4), or 0: overlong
 * forms, surrogates, code points past U+10FFFF and lead bytes 0xF5–0xFF
 * are invalid, as jansson holds them. A NUL ends s like any invalid
 * continuation. */
size_t nd_utf8_sequence(const unsigned char *s);

/* Replaces each byte of text that is not valid UTF-8 with '?': a problem
 * or a log line quotes what the client sent (a path, a CSV cell), and
 * JSON takes only UTF-8. */
void nd_utf8_scrub(char *text);

/* The reason phrase of an HTTP status ("Not Found"). */
const char *nd_status_title(unsigned status);

#endif
