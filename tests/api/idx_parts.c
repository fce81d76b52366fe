/* idx_parts.c — IDX files and their multipart upload for the API tests
 * (see idx_parts.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idx_parts.h"

#define BOUNDARY "neurond-test-7MA4YWxkTrZu0gW"

api_response idx_post_parts(api_server *s, const char *auth,
                            const char *query, const idx_part *parts,
                            size_t n)
{
    size_t cap = 1024;
    for (size_t i = 0; i < n; i++)
        cap += parts[i].len + 256;
    char *body = malloc(cap);
    cr_assert_not_null(body);
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        len += (size_t)snprintf(body + len, cap - len,
                                "--" BOUNDARY "\r\nContent-Disposition: "
                                "form-data; name=\"%s\"; filename=\"%s.idx\""
                                "\r\nContent-Type: application/octet-stream"
                                "\r\n\r\n", parts[i].name, parts[i].name);
        memcpy(body + len, parts[i].bytes, parts[i].len);
        len += parts[i].len;
        len += (size_t)snprintf(body + len, cap - len, "\r\n");
    }
    len += (size_t)snprintf(body + len, cap - len, "--" BOUNDARY "--\r\n");
    char path[512];
    snprintf(path, sizeof path, "/v1/datasets?%s", query);
    const char *headers[] = {auth, NULL};
    api_response r = api_call_with(s, "POST", path, auth ? headers : NULL,
                                   "multipart/form-data; boundary=" BOUNDARY,
                                   body, len);
    free(body);
    return r;
}

unsigned char *idx_file(unsigned char type, const unsigned *dims,
                        size_t n_dims, size_t payload_len, unsigned label_mod,
                        size_t *len)
{
    *len = 4 + 4 * n_dims + payload_len;
    unsigned char *b = malloc(*len);
    b[0] = b[1] = 0;
    b[2] = type;
    b[3] = (unsigned char)n_dims;
    for (size_t i = 0; i < n_dims; i++)
        for (int k = 0; k < 4; k++)
            b[4 + 4 * i + (size_t)k] = (unsigned char)(dims[i] >> (24 - 8 * k));
    for (size_t i = 0; i < payload_len; i++)
        b[4 + 4 * n_dims + i] =
            (unsigned char)(label_mod ? i % label_mod : (i * 7 + 3) % 256);
    return b;
}

