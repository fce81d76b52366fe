/* idx_parts.h — IDX uploads for the API tests: handmade IDX files and
 * the multipart/form-data body of POST /v1/datasets that carries them. */
#ifndef API_IDX_PARTS_H
#define API_IDX_PARTS_H

#include <stddef.h>

#include "harness.h"

/* One part of the body: its form name ("images", "labels") and bytes. */
typedef struct {
    const char *name;
    const unsigned char *bytes;
    size_t len;
} idx_part;

/* POST /v1/datasets?query with the parts as multipart/form-data, with
 * the request header auth ("Authorization: Bearer …", or NULL). */
api_response idx_post_parts(api_server *s, const char *auth,
                            const char *query, const idx_part *parts,
                            size_t n);

/* An IDX file (malloc'd, its size into *len): magic 00 00 type n_dims,
 * the sizes, then payload_len bytes where byte i is (i * 7 + 3) % 256 (or
 * i % label_mod, for labels, when label_mod > 0). */
unsigned char *idx_file(unsigned char type, const unsigned *dims,
                        size_t n_dims, size_t payload_len, unsigned label_mod,
                        size_t *len);

#endif
