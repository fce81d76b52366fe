/* bytes.h — internal: little-endian byte buffers for the model and
 * checkpoint formats, whatever the host's byte order, and the FNV-1a
 * checksum that closes them. Not part of libnn's public API. */
#ifndef NN_BYTES_H
#define NN_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A growing output buffer; after any failed growth `oom` stays set and
 * further writes are dropped, so callers check once at the end. */
typedef struct {
    unsigned char *data;
    size_t len, cap;
    bool oom;
} nn_wbuf;

/* A bounded input cursor; reading past the end sets `bad` and yields 0s. */
typedef struct {
    const unsigned char *data;
    size_t len, pos;
    bool bad;
} nn_rbuf;

void nn_wbuf_bytes(nn_wbuf *b, const void *p, size_t n);
void nn_wbuf_u32(nn_wbuf *b, uint32_t v);
void nn_wbuf_u64(nn_wbuf *b, uint64_t v);
void nn_wbuf_f32(nn_wbuf *b, float v);
void nn_wbuf_f32s(nn_wbuf *b, const float *v, size_t n);
void nn_wbuf_str(nn_wbuf *b, const char *s); /* u32 length, then bytes */

const unsigned char *nn_rbuf_bytes(nn_rbuf *b, size_t n); /* NULL if short */
uint32_t nn_rbuf_u32(nn_rbuf *b);
uint64_t nn_rbuf_u64(nn_rbuf *b);
float nn_rbuf_f32(nn_rbuf *b);
void nn_rbuf_f32s(nn_rbuf *b, float *v, size_t n);

/* 64-bit FNV-1a of p[0..n). */
uint64_t nn_fnv1a64(const void *p, size_t n);

#endif
