/* access.h — who may call the API and from where: the optional bearer
 * token (--api-token) and CORS for web front ends (--cors-origin). */
#ifndef ND_ACCESS_H
#define ND_ACCESS_H

#include <stdbool.h>

#include "http.h"

/* Whether the request carries the configured token in its Authorization
 * header ("Bearer <token>"), compared in constant time; always true when
 * no token is configured. Otherwise replies 401 with WWW-Authenticate and
 * returns false. The token is never read from the query string nor
 * logged. */
bool nd_access_authorized(nd_request *req);

/* Answers a CORS preflight (OPTIONS on a known path) with 204: the
 * methods, headers and max-age are added only when the Origin is on the
 * allowlist. */
void nd_access_preflight(nd_request *req);

/* Gives add the CORS headers of an allowed Origin (echoed exactly), and
 * Vary: Origin whenever an allowlist is configured. */
void nd_access_cors_headers(const nd_request *req, nd_header_sink add,
                            void *cls);

#endif
