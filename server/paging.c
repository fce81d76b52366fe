/* paging.c — list pagination parameters (see paging.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "paging.h"

/* Cursors are positions in base 36 behind a "c" — opaque to clients, and
 * not mistaken for the plain numbers they are. */
static bool parse_cursor(const char *text, int64_t *out)
{
    if (text[0] != 'c' || text[1] == '\0')
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(text + 1, &end, 36);
    if (errno || *end || v <= 0)
        return false;
    *out = v;
    return true;
}

bool nd_query_uint(nd_request *req, const char *name, uint64_t dflt,
                   uint64_t max, uint64_t *out)
{
    const char *text = nd_query(req, name);
    *out = dflt;
    if (!text)
        return true;
    char *end, ptr[64];
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-') {
        snprintf(ptr, sizeof ptr, "?%s", name);
        nd_reply_invalid(req, 400, ptr, "must be a non-negative integer");
        return false;
    }
    *out = v > max ? max : v;
    return true;
}

bool nd_page_params(nd_request *req, uint64_t dflt, uint64_t max,
                    int64_t *cursor, uint64_t *limit)
{
    if (!nd_query_uint(req, "limit", dflt, max, limit))
        return false;
    if (*limit == 0) {
        nd_reply_invalid(req, 400, "?limit", "must be at least 1");
        return false;
    }
    const char *c = nd_query(req, "cursor");
    *cursor = INT64_MAX;
    if (c && !parse_cursor(c, cursor)) {
        nd_reply_invalid(req, 400, "?cursor",
                         "is not a cursor this server gave out");
        return false;
    }
    return true;
}

json_t *nd_page_next(int64_t last, bool more)
{
    if (!more)
        return json_null();
    char text[32], digits[32];
    int n = 0;
    unsigned long long v = (unsigned long long)last;
    do {
        digits[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
        v /= 36;
    } while (v);
    text[0] = 'c';
    for (int i = 0; i < n; i++)
        text[i + 1] = digits[n - 1 - i];
    text[n + 1] = '\0';
    return json_string(text);
}
