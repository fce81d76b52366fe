/* idx_decode.c — streaming IDX decoding, through zlib's inflate when the
 * file is gzipped (see idx_decode.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "idx_decode.h"

#define INFLATE_OUT (64u << 10) /* bytes inflated at a time */
#define IDX_UBYTE 0x08

typedef enum { SNIFF, RAW, GZIP } idx_mode;

struct nd_idx {
    char pointer[ND_PTR_MAX];
    nd_idx_sink sink;
    void *ctx;
    size_t max_item;
    idx_mode mode;
    unsigned char sniffed[2];
    size_t n_sniffed;
    z_stream z;
    bool z_ready, z_ended;
    unsigned char *out; /* inflated bytes */

    unsigned char head[4 + 4 * ND_IDX_MAX_DIMS];
    size_t head_len, head_need; /* need: 4 until DIMS is read */
    uint32_t dims[ND_IDX_MAX_DIMS];
    size_t n_dims;
    unsigned char *item; /* the item being filled */
    size_t item_size, item_fill;
    uint64_t items;
    bool failed;
};

nd_idx *nd_idx_new(const char *pointer, const nd_idx_sink *sink, void *ctx,
                   size_t max_item_bytes)
{
    nd_idx *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    snprintf(d->pointer, sizeof d->pointer, "%s", pointer);
    d->sink = *sink;
    d->ctx = ctx;
    d->max_item = max_item_bytes;
    d->head_need = 4;
    return d;
}

void nd_idx_free(nd_idx *d)
{
    if (!d)
        return;
    if (d->z_ready)
        inflateEnd(&d->z);
    free(d->out);
    free(d->item);
    free(d);
}

uint64_t nd_idx_items(const nd_idx *d)
{
    return d->items;
}

/* Checks the magic number 00 00 08 DIMS; false after filling e. */
static bool magic_ok(nd_idx *d, nd_ds_error *e)
{
    const unsigned char *h = d->head;
    if (h[0] != 0 || h[1] != 0 || h[3] == 0 || h[3] > ND_IDX_MAX_DIMS) {
        nd_ds_fail(e, 422, d->pointer, "is not an IDX file: it starts with "
                   "%02x %02x %02x %02x, not the magic number 00 00 08 0N "
                   "(N 1 to %d sizes)", h[0], h[1], h[2], h[3],
                   ND_IDX_MAX_DIMS);
        return false;
    }
    if (h[2] != IDX_UBYTE) {
        nd_ds_fail(e, 422, d->pointer, "holds IDX type 0x%02x; only unsigned "
                   "bytes (0x08, as MNIST and Fashion-MNIST) are read", h[2]);
        return false;
    }
    return true;
}

/* The header is whole: reads the sizes, hands them over and makes room
 * for one item. */
static int header_done(nd_idx *d, nd_ds_error *e)
{
    uint64_t size = 1;
    d->n_dims = d->head[3];
    for (size_t i = 0; i < d->n_dims; i++) {
        const unsigned char *b = d->head + 4 + 4 * i;
        d->dims[i] = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
                     (uint32_t)b[2] << 8 | b[3];
        if (i > 0 && size <= d->max_item)
            size *= d->dims[i]; /* ≤ 2^32 · max_item: no overflow */
    }
    if (d->n_dims > 1 && (size == 0 || size > d->max_item)) {
        nd_ds_fail(e, 422, d->pointer, "has items of %llu bytes; they must "
                   "be 1 to %zu", (unsigned long long)size, d->max_item);
        return -1;
    }
    if (d->sink.header(d->ctx, d->dims, d->n_dims, e))
        return -1;
    d->item_size = (size_t)size;
    d->item = malloc(d->item_size);
    if (!d->item) {
        nd_ds_fail(e, 503, NULL, "out of memory");
        return -1;
    }
    return 0;
}

/* Takes header bytes from data; returns how many it used, or −1. */
static long take_header(nd_idx *d, const unsigned char *data, size_t len,
                        nd_ds_error *e)
{
    size_t n = d->head_need - d->head_len;
    if (n > len)
        n = len;
    memcpy(d->head + d->head_len, data, n);
    d->head_len += n;
    if (d->head_len == 4 && d->head_need == 4) {
        if (!magic_ok(d, e))
            return -1;
        d->head_need = 4 + 4 * (size_t)d->head[3];
    }
    if (d->head_len == d->head_need && d->head_need > 4 && header_done(d, e))
        return -1;
    return (long)n;
}

/* Decoded (inflated) bytes: the header, then items. */
static int take_bytes(nd_idx *d, const unsigned char *data, size_t len,
                      nd_ds_error *e)
{
    while (len > 0) {
        if (!d->item) {
            long used = take_header(d, data, len, e);
            if (used < 0)
                return -1;
            data += used;
            len -= (size_t)used;
            continue;
        }
        if (d->items == d->dims[0]) {
            nd_ds_fail(e, 422, d->pointer, "goes on after the %u items its "
                       "header announces", d->dims[0]);
            return -1;
        }
        size_t n = d->item_size - d->item_fill;
        n = n < len ? n : len;
        memcpy(d->item + d->item_fill, data, n);
        d->item_fill += n;
        data += n;
        len -= n;
        if (d->item_fill == d->item_size) {
            d->item_fill = 0;
            d->items++;
            if (d->sink.item(d->ctx, d->item, e))
                return -1;
        }
    }
    return 0;
}

/* Inflates gzipped bytes into take_bytes. */
static int inflate_bytes(nd_idx *d, const unsigned char *data, size_t len,
                         nd_ds_error *e)
{
    d->z.next_in = (unsigned char *)data;
    d->z.avail_in = (uInt)len; /* the caller's pieces are far below 4 GiB */
    while (d->z.avail_in > 0) {
        if (d->z_ended) {
            nd_ds_fail(e, 422, d->pointer, "has data after the end of its "
                                           "gzip stream");
            return -1;
        }
        d->z.next_out = d->out;
        d->z.avail_out = INFLATE_OUT;
        int rc = inflate(&d->z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
            nd_ds_fail(e, 422, d->pointer, "is not valid gzip: %s",
                       d->z.msg ? d->z.msg : "corrupt data");
            return -1;
        }
        size_t made = INFLATE_OUT - d->z.avail_out;
        if (rc == Z_BUF_ERROR && made == 0) { /* no progress possible */
            nd_ds_fail(e, 422, d->pointer, "is not valid gzip");
            return -1;
        }
        d->z_ended = rc == Z_STREAM_END;
        if (take_bytes(d, d->out, made, e))
            return -1;
    }
    return 0;
}

/* Decides from the first two bytes whether the file is gzipped. */
static int start(nd_idx *d, nd_ds_error *e)
{
    if (d->sniffed[0] != 0x1f || d->sniffed[1] != 0x8b) {
        d->mode = RAW;
        return take_bytes(d, d->sniffed, 2, e);
    }
    d->mode = GZIP;
    d->out = malloc(INFLATE_OUT);
    if (!d->out || inflateInit2(&d->z, 16 + MAX_WBITS) != Z_OK) {
        nd_ds_fail(e, 503, NULL, "out of memory");
        return -1;
    }
    d->z_ready = true;
    return inflate_bytes(d, d->sniffed, 2, e);
}

int nd_idx_feed(nd_idx *d, const unsigned char *data, size_t len,
                nd_ds_error *e)
{
    int rc = 0;
    while (rc == 0 && d->mode == SNIFF && len > 0) {
        d->sniffed[d->n_sniffed++] = *data++;
        len--;
        if (d->n_sniffed == 2)
            rc = start(d, e);
    }
    if (rc == 0 && len > 0)
        rc = d->mode == GZIP ? inflate_bytes(d, data, len, e)
                             : take_bytes(d, data, len, e);
    d->failed = rc != 0;
    return rc;
}

int nd_idx_finish(nd_idx *d, nd_ds_error *e)
{
    if (d->mode == SNIFF && d->n_sniffed == 1) { /* a one-byte file */
        d->mode = RAW;
        if (take_bytes(d, d->sniffed, 1, e))
            return -1;
    }
    if (d->mode == GZIP && !d->z_ended) {
        nd_ds_fail(e, 422, d->pointer, "is truncated: its gzip stream ends "
                   "early, after %llu items", (unsigned long long)d->items);
        return -1;
    }
    if (!d->item) {
        nd_ds_fail(e, 422, d->pointer, "is truncated or empty: it ends inside "
                   "the IDX header, after %zu bytes", d->head_len);
        return -1;
    }
    if (d->items < d->dims[0]) {
        nd_ds_fail(e, 422, d->pointer, "is truncated: its header announces "
                   "%u items, but it ends after %llu of them", d->dims[0],
                   (unsigned long long)d->items);
        return -1;
    }
    return 0;
}
