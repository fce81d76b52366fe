/* early_reply.c — a reply written to the socket while the body still
 * arrives (see early_reply.h). */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "early_reply.h"

/* The response head, appended to as headers come; `failed` once full. */
typedef struct {
    char text[8192];
    size_t len;
    bool failed;
} head_buf;

static void append(void *cls, const char *name, const char *value)
{
    head_buf *h = cls;
    size_t room = sizeof h->text - h->len;
    int n = snprintf(h->text + h->len, room, "%s: %s\r\n", name, value);
    if (n < 0 || (size_t)n >= room || strpbrk(value, "\r\n"))
        h->failed = true;
    else
        h->len += (size_t)n;
}

/* Sends len bytes without blocking; false when they did not all go. */
static bool send_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

bool nd_early_reply_send(nd_request *req)
{
    const union MHD_ConnectionInfo *fd =
        req->conn ? MHD_get_connection_info(req->conn,
                                            MHD_CONNECTION_INFO_CONNECTION_FD)
                  : NULL;
    req->sent = true;
    req->bytes_sent = req->reply_len;
    if (!fd || !req->reply)
        return false;
    head_buf *h = malloc(sizeof *h);
    if (!h)
        return false;
    h->len = (size_t)snprintf(h->text, sizeof h->text, "HTTP/1.1 %u %s\r\n",
                              req->status, nd_status_title(req->status));
    h->failed = false;
    char date[64], length[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT",
             gmtime_r(&now, &tm));
    append(h, MHD_HTTP_HEADER_DATE, date);
    nd_reply_each_header(req, append, h);
    append(h, MHD_HTTP_HEADER_CONNECTION, "close");
    snprintf(length, sizeof length, "%zu", req->reply_len);
    append(h, MHD_HTTP_HEADER_CONTENT_LENGTH, length);
    bool ok = !h->failed && h->len + 2 < sizeof h->text;
    if (ok) {
        memcpy(h->text + h->len, "\r\n", 2);
        ok = send_all(fd->connect_fd, h->text, h->len + 2) &&
             send_all(fd->connect_fd, req->reply, req->reply_len);
    }
    free(h);
    shutdown(fd->connect_fd, SHUT_WR);
    return ok;
}
