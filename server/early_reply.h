/* early_reply.h — a reply sent while the request body still arrives.
 * libmicrohttpd 0.9.75 queues a reply only before the body or after all
 * of it, so a body found too large or invalid part-way through would be
 * read to its end (gigabytes, for a client that keeps sending). Instead
 * the reply is written to the socket at once, with Connection: close, and
 * the caller then ends the connection. */
#ifndef ND_EARLY_REPLY_H
#define ND_EARLY_REPLY_H

#include <stdbool.h>

#include "http.h"

/* Writes req's reply (a buffered one: problems are) to its connection's
 * socket as a whole HTTP/1.1 response with every header send_reply would
 * give, Connection: close and Content-Length, then shuts the socket's
 * sending side. Marks the reply sent (for the access log). Returns false
 * when it could not be written whole (the connection is to be closed all
 * the same). The socket may not block: what does not fit is dropped. */
bool nd_early_reply_send(nd_request *req);

#endif
