/* router.h — the table of every route neurond serves, in one place. */
#ifndef ND_ROUTER_H
#define ND_ROUTER_H

#include <stdbool.h>

#include "http.h"

typedef void (*nd_handler)(nd_request *req);

typedef enum {
    ND_BODY_NONE, /* a body is refused (400) */
    ND_BODY_JSON  /* application/json, parsed before the handler runs */
} nd_body_kind;

typedef struct {
    const char *method;
    const char *pattern; /* "/v1/jobs/{id}/history": {x} matches a segment */
    nd_handler handle;
    nd_body_kind body;
    /* optional, NULL-ended: the content types read as they arrive */
    const nd_stream *const *streams;
    bool open; /* served without the API token (health, the API document) */
} nd_route;

/* The route for method and path, with its {…} segments stored in
 * req->params; NULL if none. *path_known tells a 405 (the path exists for
 * another method) from a 404. */
const nd_route *nd_route_match(const char *method, const char *path,
                               nd_request *req, bool *path_known);

/* Every route, for documentation checks; *n receives the count. */
const nd_route *nd_routes(unsigned *n);

#endif
