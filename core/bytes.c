/* bytes.c — little-endian buffers and FNV-1a (see bytes.h). */
#include <stdlib.h>

#include "bytes.h"

static bool reserve(nn_wbuf *b, size_t n)
{
    if (b->oom)
        return false;
    if (n <= b->cap - b->len)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n) {
        if (cap > SIZE_MAX / 2) {
            b->oom = true;
            return false;
        }
        cap *= 2;
    }
    unsigned char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void nn_wbuf_bytes(nn_wbuf *b, const void *p, size_t n)
{
    if (n && reserve(b, n)) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
    }
}

void nn_wbuf_u32(nn_wbuf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8),
                          (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    nn_wbuf_bytes(b, x, 4);
}

void nn_wbuf_u64(nn_wbuf *b, uint64_t v)
{
    nn_wbuf_u32(b, (uint32_t)v);
    nn_wbuf_u32(b, (uint32_t)(v >> 32));
}

void nn_wbuf_f32(nn_wbuf *b, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    nn_wbuf_u32(b, u);
}

void nn_wbuf_f32s(nn_wbuf *b, const float *v, size_t n)
{
    if (!reserve(b, n * 4)) /* n ≤ NN_MAX_PARAMS, so n * 4 cannot wrap */
        return;
    for (size_t i = 0; i < n; i++)
        nn_wbuf_f32(b, v[i]);
}

void nn_wbuf_str(nn_wbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (n > UINT32_MAX) {
        b->oom = true;
        return;
    }
    nn_wbuf_u32(b, (uint32_t)n);
    nn_wbuf_bytes(b, s, n);
}

const unsigned char *nn_rbuf_bytes(nn_rbuf *b, size_t n)
{
    if (b->bad || n > b->len - b->pos) {
        b->bad = true;
        return NULL;
    }
    const unsigned char *p = b->data + b->pos;
    b->pos += n;
    return p;
}

uint32_t nn_rbuf_u32(nn_rbuf *b)
{
    const unsigned char *p = nn_rbuf_bytes(b, 4);
    if (!p)
        return 0;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

uint64_t nn_rbuf_u64(nn_rbuf *b)
{
    uint64_t lo = nn_rbuf_u32(b);
    return lo | (uint64_t)nn_rbuf_u32(b) << 32;
}

float nn_rbuf_f32(nn_rbuf *b)
{
    uint32_t u = nn_rbuf_u32(b);
    float v;
    memcpy(&v, &u, 4);
    return v;
}

void nn_rbuf_f32s(nn_rbuf *b, float *v, size_t n)
{
    for (size_t i = 0; i < n && !b->bad; i++)
        v[i] = nn_rbuf_f32(b);
}

uint64_t nn_fnv1a64(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}
