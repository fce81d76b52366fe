/* fuzz_router.c — libFuzzer harness of the request router
 * (server/router.c): the input's first line is the method, the rest the
 * path. A match must have as many parameters as its pattern has {…}
 * segments, each non-empty and within the request's buffer; a path as
 * sent holding an encoded "/" or NUL must be refused by
 * nd_route_raw_path_ok. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"
#include "router.h"

static size_t braces(const char *pattern)
{
    size_t n = 0;
    for (; *pattern; pattern++)
        n += *pattern == '{';
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *path = strchr(text, '\n');
    if (path)
        *path++ = '\0';
    else
        path = text + size;
    nd_request req;
    fuzz_request_init(&req);
    bool raw_ok = nd_route_raw_path_ok(path);
    if (raw_ok && (strstr(path, "%2f") || strstr(path, "%2F") ||
                   strstr(path, "%00")))
        abort();
    bool known = false;
    const nd_route *r = nd_route_match(text, path, &req, &known);
    if (r) {
        if (!known || req.n_params != braces(r->pattern))
            abort();
        for (size_t i = 0; i < req.n_params; i++)
            if (!req.params[i][0] ||
                req.params[i] < req.param_buf ||
                req.params[i] >= req.param_buf + sizeof req.param_buf)
                abort();
    }
    fuzz_request_free(&req);
    free(text);
    return 0;
}
