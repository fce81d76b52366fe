/* paging.c — ?limit and opaque keyset cursors for lists (see paging.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paging.h"

static const char hex[] = "0123456789abcdef";

void nd_cursor_encode(char out[ND_CURSOR_MAX], const char *created_at,
                      const char *id)
{
    char plain[ND_TIME_MAX + ND_ID_MAX + 1];
    snprintf(plain, sizeof plain, "%s %s", created_at, id);
    size_t n = 0;
    for (const char *c = plain; *c && n + 2 < ND_CURSOR_MAX; c++) {
        out[n++] = hex[(unsigned char)*c >> 4];
        out[n++] = hex[(unsigned char)*c & 15];
    }
    out[n] = '\0';
}

static int hex_value(char c)
{
    const char *at = c ? strchr(hex, c) : NULL;
    return at ? (int)(at - hex) : -1;
}

/* Whether s has the shape of nd_now's output, 2024-01-31T12:00:00.000000Z. */
static bool looks_like_time(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
    if (strlen(s) != sizeof shape - 1)
        return false;
    for (size_t i = 0; shape[i]; i++) {
        bool ok =
            shape[i] == 'd' ? s[i] >= '0' && s[i] <= '9' : s[i] == shape[i];
        if (!ok)
            return false;
    }
    return true;
}

/* Decodes a cursor made by nd_cursor_encode; false if it is not one. */
static bool cursor_decode(const char *text, const char *prefix,
                          nd_page_key *key)
{
    char plain[ND_CURSOR_MAX / 2 + 1];
    size_t len = strlen(text), n = 0;
    if (len == 0 || len % 2 || len / 2 >= sizeof plain)
        return false;
    for (size_t i = 0; i < len; i += 2) {
        int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        plain[n++] = (char)(hi << 4 | lo);
    }
    plain[n] = '\0';
    char *space = strchr(plain, ' ');
    if (!space || memchr(plain, '\0', n))
        return false;
    *space = '\0';
    if (!looks_like_time(plain) || !nd_id_valid(space + 1, prefix))
        return false;
    /* Both fit: their lengths were just checked. */
    snprintf(key->created_at, sizeof key->created_at, "%.*s",
             (int)sizeof key->created_at - 1, plain);
    snprintf(key->id, sizeof key->id, "%.*s", (int)sizeof key->id - 1,
             space + 1);
    return true;
}

bool nd_query_uint(nd_request *req, const char *name, uint64_t dflt,
                   uint64_t max, uint64_t *out)
{
    const char *text = nd_query(req, name);
    *out = dflt;
    if (!text)
        return true;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (!*text || *end || text[0] < '0' || text[0] > '9' || errno) {
        char ptr[64];
        snprintf(ptr, sizeof ptr, "?%s", name);
        nd_reply_invalid(req, 400, ptr, "must be a whole number");
        return false;
    }
    *out = v > max ? max : v;
    return true;
}

/* Reads ?limit; false after replying. */
static bool limit_arg(nd_request *req, size_t *limit)
{
    uint64_t v;
    if (!nd_query_uint(req, "limit", ND_LIST_LIMIT_DEFAULT, ND_LIST_LIMIT_MAX,
                       &v))
        return false;
    if (v == 0) {
        nd_reply_invalid(req, 422, "?limit", "must be at least 1");
        return false;
    }
    *limit = (size_t)v;
    return true;
}

json_t *nd_page_next(json_t *items, bool more)
{
    json_t *last = json_array_get(items, json_array_size(items) - 1);
    if (!more || !last)
        return json_null();
    char cursor[ND_CURSOR_MAX];
    nd_cursor_encode(cursor,
                     json_string_value(json_object_get(last, "created_at")),
                     json_string_value(json_object_get(last, "id")));
    return json_string(cursor);
}

bool nd_page_args(nd_request *req, const char *prefix, size_t *limit,
                  nd_page_key *after)
{
    memset(after, 0, sizeof *after);
    if (!limit_arg(req, limit))
        return false;
    const char *cursor = nd_query(req, "cursor");
    if (cursor && !cursor_decode(cursor, prefix, after)) {
        nd_reply_invalid(req, 400, "?cursor",
                         "is not a cursor this list gave out");
        return false;
    }
    if (!req->admin)
        snprintf(after->owner, sizeof after->owner, "%s", req->user_id);
    return true;
}
