/* paging.h — the query parameters of paginated lists: ?limit (clamped)
 * and an opaque ?cursor, and the next_cursor of a page. Lists are newest
 * first; a cursor is the position after which the next page starts. */
#ifndef ND_PAGING_H
#define ND_PAGING_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "http.h"

/* Reads ?limit (default dflt, larger values clamped to max; anything but
 * a positive integer → 400 "?limit") and ?cursor (absent → INT64_MAX;
 * malformed → 400 "?cursor"). Returns false once it has replied. */
bool nd_page_params(nd_request *req, uint64_t dflt, uint64_t max,
                    int64_t *cursor, uint64_t *limit);

/* A non-negative integer query parameter `name` (default dflt), 400 naming
 * "?name" when it is not one; clamped to max. False once it has replied. */
bool nd_query_uint(nd_request *req, const char *name, uint64_t dflt,
                   uint64_t max, uint64_t *out);

/* The next_cursor for a page whose last row has position `last`: a string
 * when more rows follow, else JSON null. */
json_t *nd_page_next(int64_t last, bool more);

#endif
