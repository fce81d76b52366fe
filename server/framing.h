/* framing.h — requests whose framing a proxy in front could read
 * otherwise than neurond (request smuggling), refused before routing:
 * HTTP/1.1 without Host, more than one Content-Length, a Transfer-Encoding
 * other than a single "chunked", or one next to a Content-Length. The
 * rest of malformed HTTP (a Content-Length that is no number, headers or
 * a request line too long, an unknown HTTP version) libmicrohttpd answers
 * itself before neurond sees the request: README's deployment section
 * says which proxy settings cover them. */
#ifndef ND_FRAMING_H
#define ND_FRAMING_H

#include <stdbool.h>

#include "http.h"

/* Whether req, of HTTP version `version` ("HTTP/1.1"), is framed
 * unambiguously. Otherwise replies 400 naming the header, with
 * Connection: close (its body cannot be told from the next request), and
 * returns false. */
bool nd_framing_check(nd_request *req, const char *version);

#endif
