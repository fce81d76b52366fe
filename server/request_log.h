/* request_log.h — what a finished request leaves behind: one line in the
 * log and its counts in the metrics. */
#ifndef ND_REQUEST_LOG_H
#define ND_REQUEST_LOG_H

#include <stdbool.h>

#include "http.h"

/* Called once per request, when libmicrohttpd is done with it (an event
 * stream: when it ends). Logs method, route template, path (never the
 * query string), status, duration, bytes, request id and remote address,
 * and counts the request by route and status with its latency; complete
 * is false when the connection ended before the reply had gone out. A
 * request without a reply sent counts as status 499. */
void nd_request_finished(const nd_request *req, bool complete);

#endif
