/* access.h — who may call the API and from where: the optional bearer
 * token (--api-token) and CORS for web front ends (--cors-origin). */
#ifndef ND_ACCESS_H
#define ND_ACCESS_H

#include <stdbool.h>

#include "http.h"

/* Decides who calls and whether they may. A server with no --api-token
 * and no users is open (every caller acts as the administrator, as on
 * loopback before accounts). Otherwise the Authorization header must
 * carry "Bearer <token>": the --api-token (compared in constant time)
 * makes the caller the administrator; a user's token that is neither
 * revoked nor expired (looked up by its SHA-256 on every request, so a
 * revoke holds at once) makes them that user (req->user_id, req->admin).
 * Else 401 with WWW-Authenticate; a non-administrator on /v1/admin/...
 * gets 403; 503 when the store cannot be read to decide. Refusals are
 * logged (auth.refused) without the token. Returns
 * whether the request may go on (false once it has replied). The token
 * is never read from the query string. */
bool nd_access_authorized(nd_request *req);

/* Logs a refused call for the audit (auth.refused): who (when known),
 * the method and path, and why — never the token. */
void nd_access_log_refused(const nd_request *req, const char *why);

/* Answers a CORS preflight (OPTIONS on a known path) with 204: the
 * methods, headers and max-age are added only when the Origin is on the
 * allowlist. */
void nd_access_preflight(nd_request *req);

/* Gives add the CORS headers of an allowed Origin (echoed exactly), and
 * Vary: Origin whenever an allowlist is configured. */
void nd_access_cors_headers(const nd_request *req, nd_header_sink add,
                            void *cls);

#endif
