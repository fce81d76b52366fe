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

typedef enum {
    ND_JKIND_NONE, /* no element */
    ND_JKIND_ARRAY,
    ND_JKIND_INTEGER, /* a number without fraction or exponent */
    ND_JKIND_REAL,
    ND_JKIND_STRING,
    ND_JKIND_OTHER /* object, true, false, null */
} nd_jkind;

/* Levels of arrays a row is read with: a row of values is 1, a nested
 * [C][H][W] image 3. */
#define ND_JSON_NEST_MAX 3

/* A place in a packed array: at[0] is the element (the row), at[1…] the
 * index at each level inside it; n is 0 for nowhere. */
typedef struct {
    size_t n;
    size_t at[ND_JSON_NEST_MAX + 1];
} nd_jpath;

/* A place the readers of a packed array refuse (at.n 0: none): of the
 * wrong kind (wrong_kind), else what was found there. */
typedef struct {
    nd_jpath at;
    bool wrong_kind;
    double found;
} nd_jfault;

/* A packed top-level array. Its elements are rows when element 0 is an
 * array (a matrix), else values (a vector). A row may nest arrays (an
 * image as [C][H][W]): its values are packed flat, in order, and every
 * row must nest as element 0 does. */
typedef struct {
    size_t n;       /* elements */
    nd_jkind kind0; /* element 0's kind */
    /* Element 0 when an array: the levels of arrays along its first path
     * (element 0, its element 0, … while those are arrays; 1 for a row of
     * values, at most ND_JSON_NEST_MAX) and the length of each. */
    size_t depth0;
    size_t dims0[ND_JSON_NEST_MAX];
    /* The first element, or array inside a row, that breaks element 0's
     * nesting: not an array where element 0 has one (wrong_kind), or an
     * array of another length than element 0's at its level (found: its
     * length). */
    nd_jfault misfit;
    /* The first value that is not a number (wrong_kind; an array deeper
     * than element 0 nests included) or does not fit a float32 (found).
     * For labels, the first element of another kind than element 0. */
    nd_jfault bad;
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
