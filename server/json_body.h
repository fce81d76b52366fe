/* json_body.h — a JSON request body read as it arrives, in bounded memory.
 *
 * The top-level members "inputs", "targets" and "labels", when they are
 * arrays, are parsed by yajl as their bytes come in, straight into packed
 * values (float32 for inputs and targets, integers or strings for labels),
 * with the facts their readers need to refuse them exactly as before (the
 * first row of another shape, the first value that is not a number, …);
 * past a row limit they keep only those facts. Everything else (the small
 * fields: names, options) is kept as text with "[]" in the place of each
 * packed array and parsed by jansson at the end, so that it is read as
 * strictly as ever (duplicate keys, NUL, lone surrogates). */
#ifndef ND_JSON_BODY_H
#define ND_JSON_BODY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define ND_JSON_NONE ((size_t)-1) /* an index that is not there */

typedef enum {
    ND_JKIND_NONE, /* no element */
    ND_JKIND_ARRAY,
    ND_JKIND_INTEGER, /* a number without fraction or exponent */
    ND_JKIND_REAL,
    ND_JKIND_STRING,
    ND_JKIND_OTHER /* object, true, false, null */
} nd_jkind;

/* A packed top-level array. Its elements are rows when element 0 is an
 * array (a matrix), else values (a vector). */
typedef struct {
    size_t n;       /* elements */
    nd_jkind kind0; /* element 0's kind */
    size_t width0;  /* element 0's length when an array, else 0 */
    /* The first element that is not an array of width0 values. */
    size_t bad_row; /* ND_JSON_NONE when every row fits */
    bool bad_row_array;
    size_t bad_row_len;
    /* The first value (row bad_i, column bad_j; bad_j is ND_JSON_NONE for
     * a vector) that is not a number, or does not fit a float32. For
     * labels, the first element of another kind than element 0. */
    size_t bad_i, bad_j;
    bool bad_not_number;
    double bad_value;
    /* Packed values, in order, while no limit or error has dropped them
     * (values NULL, ints NULL and strings NULL then): floats for inputs
     * and targets; for labels, integers (kind0 integer) or NUL-terminated
     * strings one after another (kind0 string). */
    bool dropped;
    size_t max_rows; /* the limit past which values are dropped */
    float *values;
    size_t n_values, cap_values;
    long long *ints;
    char *strings;
    size_t strings_len, strings_cap;
} nd_jarray;

typedef struct nd_json_body nd_json_body;

/* A parser for one body. Packed arrays keep their values up to max_rows
 * elements, which must be a row count past which every reader of them
 * refuses the body. NULL when out of memory. */
nd_json_body *nd_json_body_new(size_t max_rows);

void nd_json_body_free(nd_json_body *b);

/* Feeds the next piece of the body. Returns false once the body is known
 * not to be JSON (the reason is then kept for nd_json_body_finish); the
 * rest need not be fed. */
bool nd_json_body_feed(nd_json_body *b, const char *data, size_t len);

/* After the last piece: the body's object, with "[]" for each packed
 * member (the caller owns it), or NULL with the reason in msg (e.g.
 * "invalid JSON at line 1, column 9: …" or "the body must be a JSON
 * object"). */
json_t *nd_json_body_finish(nd_json_body *b, char *msg, size_t msglen);

/* Whether nd_json_body_finish failed for want of memory, not of JSON. */
bool nd_json_body_nomem(const nd_json_body *b);

/* The packed member name ("inputs", "targets", "labels"), or NULL when the
 * body's member of that name was absent or not an array. */
nd_jarray *nd_json_body_array(nd_json_body *b, const char *name);

#endif
