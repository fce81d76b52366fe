/* router.h — the table of every route neurond serves, in one place. */
#ifndef ND_ROUTER_H
#define ND_ROUTER_H

#include <stdbool.h>

#include "config.h"
#include "http.h"

typedef void (*nd_handler)(nd_request *req);

typedef enum {
    ND_BODY_NONE, /* a body is refused (400) */
    ND_BODY_JSON, /* application/json, parsed before the handler runs */
    ND_BODY_JSON_OPTIONAL /* the same, or none: req->json is then {} */
} nd_body_kind;

typedef struct {
    const char *method;
    const char *pattern; /* "/v1/jobs/{id}/history": {x} matches a segment */
    nd_handler handle;
    nd_body_kind body;
    /* optional, NULL-ended: the content types read as they arrive */
    const nd_stream *const *streams;
    bool open; /* served without the API token (health, the API document) */
    const char *query; /* the query arguments it takes, comma-separated
                          ("limit,cursor"), or NULL: any other is refused
                          (400) before the handler runs */
} nd_route;

/* The route for method and path, with its {…} segments stored in
 * req->params; NULL if none. *path_known tells a 405 (the path exists for
 * another method) from a 404. */
const nd_route *nd_route_match(const char *method, const char *path,
                               nd_request *req, bool *path_known);

/* Whether a path as sent (before percent-decoding) may be routed: not
 * when it encodes a "/" (%2F, %2f) or a NUL (%00). Decoded, those would
 * route "/v1%2fadmin%2fbackup" as "/v1/admin/backup" past a proxy's rule
 * on the path's prefix, and cut "/healthz%00.json" short. */
bool nd_route_raw_path_ok(const char *raw);
/* The rows of a body's "inputs", "targets" or "labels" array that route
 * reads at most (json_body.h keeps no more): a prediction's limit, the
 * dataset row limit (--max-rows), or 0 for a route that reads none. */
size_t nd_route_packed_rows(const nd_route *route, const nd_config *cfg);

/* Every route, for documentation checks; *n receives the count. */
const nd_route *nd_routes(unsigned *n);

#endif
