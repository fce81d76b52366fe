/* idx_decode.h — one IDX file (the MNIST / Fashion-MNIST format) decoded
 * as it arrives, gzipped or not (zlib; a gzip file is told by its first
 * two bytes, 1f 8b). An IDX file is a magic number 00 00 TYPE DIMS, DIMS
 * big-endian 32-bit sizes, then the items: dims[0] of them, each the
 * product of the other sizes in bytes (TYPE 08, unsigned bytes, is the
 * only type read). The decoder hands the sizes to the caller once, then
 * each item whole; memory is one item and zlib's window, whatever the
 * file's size. Every error names the part it decodes (its pointer, e.g.
 * "/images"). */
#ifndef ND_IDX_DECODE_H
#define ND_IDX_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "dataset_store.h"

#define ND_IDX_MAX_DIMS 4

/* What the decoded file goes to. header gets the sizes (n_dims of them,
 * 1 to ND_IDX_MAX_DIMS) before any item and may refuse them; item gets
 * each item's bytes (item_size = the product of dims[1..]). Both return
 * 0, or −1 after filling e. */
typedef struct {
    int (*header)(void *ctx, const uint32_t *dims, size_t n_dims,
                  nd_ds_error *e);
    int (*item)(void *ctx, const unsigned char *bytes, nd_ds_error *e);
} nd_idx_sink;

typedef struct nd_idx nd_idx;

/* A decoder for the part at pointer (copied) feeding sink with ctx;
 * max_item_bytes bounds one item (a larger one is a 422). NULL when out of
 * memory. */
nd_idx *nd_idx_new(const char *pointer, const nd_idx_sink *sink, void *ctx,
                   size_t max_item_bytes);

/* Decodes the next len bytes of the file. Returns 0, or −1 after filling
 * e (the decoder is then done for). */
int nd_idx_feed(nd_idx *d, const unsigned char *data, size_t len,
                nd_ds_error *e);

/* At the end of the file: fails (422) when it is truncated — the header,
 * the gzip stream or the items announced incomplete. Returns 0 or −1. */
int nd_idx_finish(nd_idx *d, nd_ds_error *e);

/* The items decoded so far. */
uint64_t nd_idx_items(const nd_idx *d);

void nd_idx_free(nd_idx *d);

#endif
