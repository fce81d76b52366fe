/* spec_errors.h — the error paths of api-docs/openapi.yaml's operations,
 * made from the document: each documented call of the walk turned into
 * the bad calls that the server must refuse, each with the statuses it
 * may refuse them with (test_spec_walk.c sends them through Prism, which
 * judges that the refusal is documented). */
#ifndef API_SPEC_ERRORS_H
#define API_SPEC_ERRORS_H

#include "spec_walk.h"

/* The largest JSON body the walk's server takes (--max-json-bytes), so
 * that a larger one tests the 413. */
#define SW_JSON_LIMIT 65536

typedef struct {
    sw_call call;      /* the documented call with one thing broken */
    char what[160];    /* what is broken, for messages */
    long expect[3];    /* the statuses it may get, 0-ended; {0}: any 2xx */
    bool unjudged;     /* not for Prism, which refuses to forward a GET
                          with a body (501) and never answers a request
                          whose JSON body it cannot parse (5.16) */
} sw_bad_call;

/* Calls fn with each bad call made from good (a documented call of the
 * walk), in turn:
 * - every operation: an unknown query parameter (400);
 * - one that takes no body: a JSON body (400; unjudged on a GET);
 * - a path with {id}: an unknown id of the right kind and a malformed one
 *   (404); another path parameter: an unknown value (404);
 * - a JSON body: malformed JSON (unjudged), an array, no body, an
 *   unknown field (400),
 *   another Content-Type (415), a body over SW_JSON_LIMIT (413);
 * - each query parameter, by its schema: a non-number for an integer
 *   (400), one below its minimum (400 or 422), one far above it (2xx when
 *   the schema has no maximum: the server clamps; 422 when it has one), a
 *   non-boolean (400 or 422), a value outside an enum (400 or 422);
 * - each integer header parameter: a non-number (400).
 * Nothing of good is changed. */
void sw_each_bad_call(sw_walk *w, const sw_call *good,
                      void (*fn)(sw_walk *w, const sw_bad_call *b));

#endif
