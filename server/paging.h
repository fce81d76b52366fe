/* paging.h — collection lists: the ?limit argument and opaque keyset
 * cursors. A list is ordered newest first by (created_at, id); its cursor
 * names the last item of a page, so the next page starts right after it
 * whatever was inserted or deleted meanwhile. */
#ifndef ND_PAGING_H
#define ND_PAGING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "store.h"

#define ND_LIST_LIMIT_DEFAULT 50
#define ND_LIST_LIMIT_MAX 200

/* A cursor's text: hex of "created_at id", with room to spare. */
#define ND_CURSOR_MAX (2 * (ND_TIME_MAX + ND_ID_MAX) + 1)

/* The position a cursor stands for; empty strings for the first page. */
typedef struct {
    char created_at[ND_TIME_MAX];
    char id[ND_ID_MAX];
    char owner[ND_ID_MAX]; /* list only this user's items (and the public
                              datasets and models); "": everyone's */
} nd_page_key;

/* Reads ?limit (default ND_LIST_LIMIT_DEFAULT, larger than
 * ND_LIST_LIMIT_MAX is clamped) into *limit and ?cursor (absent: first
 * page) into *after; a cursor must name an ID with `prefix`. after->owner
 * is the caller when it is not an administrator (a user lists only their
 * own). Returns false
 * after replying 400 for text that is not a number or not one of our
 * cursors, 422 for a limit of 0. */
bool nd_page_args(nd_request *req, const char *prefix, size_t *limit,
                  nd_page_key *after);

/* A non-negative integer query parameter `name` (default dflt; larger
 * values clamped to max). Returns false after replying 400 naming "?name"
 * when it is not a whole number. */
bool nd_query_uint(nd_request *req, const char *name, uint64_t dflt,
                   uint64_t max, uint64_t *out);

/* The next_cursor of a page: a cursor after the last of items (objects
 * with "created_at" and "id") when more follow, else JSON null. */
json_t *nd_page_next(json_t *items, bool more);

/* Writes the cursor that continues a list after the item (created_at, id)
 * into out. */
void nd_cursor_encode(char out[ND_CURSOR_MAX], const char *created_at,
                      const char *id);

#endif
