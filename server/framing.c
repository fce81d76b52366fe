/* framing.c — refusing ambiguously framed requests (see framing.h). */
#include <microhttpd.h>
#include <string.h>
#include <strings.h>

#include "framing.h"

typedef struct {
    unsigned lengths, encodings;
    const char *encoding;
} framing_headers;

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind,
                                    const char *key, const char *value)
{
    (void)kind;
    framing_headers *f = cls;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
        f->lengths++;
    if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        f->encodings++;
        f->encoding = value;
    }
    return MHD_YES;
}

static bool refuse(nd_request *req, const char *header, const char *why)
{
    nd_reply_invalid(req, 400, header, "%s", why);
    nd_reply_header(req, MHD_HTTP_HEADER_CONNECTION, "close");
    return false;
}

bool nd_framing_check(nd_request *req, const char *version)
{
    if (!req->conn)
        return true;
    framing_headers f = {0};
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, count_header, &f);
    if (version && strcmp(version, MHD_HTTP_VERSION_1_1) == 0 &&
        !nd_header(req, MHD_HTTP_HEADER_HOST))
        return refuse(req, "/headers/Host",
                      "an HTTP/1.1 request needs a Host header");
    if (f.lengths > 1)
        return refuse(req, "/headers/Content-Length",
                      "give the body's length once");
    if (f.encodings > 1 ||
        (f.encodings && strcasecmp(f.encoding, "chunked") != 0))
        return refuse(req, "/headers/Transfer-Encoding",
                      "the only transfer coding taken is one \"chunked\"");
    if (f.encodings && f.lengths)
        return refuse(req, "/headers/Content-Length",
                      "give either Content-Length or Transfer-Encoding, "
                      "not both");
    return true;
}
