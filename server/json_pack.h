/* json_pack.h — the yajl side of json_body.c: one top-level array's bytes
 * parsed as they come into an nd_jarray (packed values and the facts
 * about its shape and first bad value). Internal to json_body.c. */
#ifndef ND_JSON_PACK_H
#define ND_JSON_PACK_H

#include <stdbool.h>
#include <stddef.h>

#include "json_body.h"

typedef enum {
    ND_PACK_FLOATS, /* inputs, targets: numbers as float32 */
    ND_PACK_LABELS, /* labels: integers or strings, as element 0 */
    ND_PACK_NONE    /* validated only: no array is filled */
} nd_pack_mode;

typedef struct nd_packer nd_packer;

/* A parser of one JSON value filling into (NULL for ND_PACK_NONE), which
 * keeps values for at most max_rows elements. NULL when out of memory. */
nd_packer *nd_packer_new(nd_pack_mode mode, nd_jarray *into, size_t max_rows);

/* Parses the next bytes of the value; false on an error, whose message is
 * written to msg and whose offset within these bytes to *at. */
bool nd_packer_feed(nd_packer *p, const char *data, size_t len, char *msg,
                    size_t msglen, size_t *at);

/* After the value's last byte: false when it is not complete JSON. */
bool nd_packer_finish(nd_packer *p, char *msg, size_t msglen);

void nd_packer_free(nd_packer *p);

/* buf (of *cap elements of size bytes) grown by doubling to hold need
 * elements, *cap updated: the new buffer, or NULL when out of memory (buf
 * is then as it was). */
void *nd_pack_grow(void *buf, size_t *cap, size_t need, size_t size);

/* Releases what a packed array holds. */
void nd_jarray_clear(nd_jarray *a);

#endif
