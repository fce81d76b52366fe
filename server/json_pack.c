/* json_pack.c — one top-level array parsed by yajl as its bytes arrive,
 * into an nd_jarray (see json_body.h for what it records). Depth 1 is the
 * array's elements, depth 2 the values of a row, depth L + 1 the elements
 * of a row's arrays at level L (a row is level 1; [C][H][W]: levels 1-3).
 * Element 0's first path (element 0, its element 0, …) sets the nesting
 * every other row is held to: it comes first in the text, so each level's
 * length and whether it holds arrays are known before another row's
 * array at that level is read. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "http.h"
#include "json_pack.h"

#define TRACKED (ND_JSON_NEST_MAX + 1) /* depths whose elements count */

struct nd_packer {
    yajl_handle yajl;
    nd_pack_mode mode;
    nd_jarray *a;
    size_t max_rows;
    unsigned depth;  /* of the container being read; 0 before the array */
    /* For the containers open at depths 1…TRACKED: their elements so far
     * (len[1] is a->n) and whether each is an array inside arrays only
     * (what an object holds is not looked into). */
    size_t len[TRACKED + 1];
    bool in_arrays[TRACKED + 1];
    bool depth0_known; /* element 0's first path has ended */
    char *num;       /* a number's text, NUL-terminated */
    size_t num_cap;
    char error[160]; /* set by a callback that stops the parse */
};

void nd_jarray_clear(nd_jarray *a)
{
    free(a->values);
    free(a->ints);
    free(a->strings);
    a->values = NULL;
    a->ints = NULL;
    a->strings = NULL;
}

/* Stops keeping values: the array will be refused whatever follows. */
static void drop(nd_jarray *a)
{
    nd_jarray_clear(a);
    a->dropped = true;
}

void *nd_pack_grow(void *buf, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return buf;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    void *p = realloc(buf, c * size);
    if (p)
        *cap = c;
    return p;
}

static int fail(nd_packer *p, const char *msg)
{
    snprintf(p->error, sizeof p->error, "%s", msg);
    return 0;
}

/* Appends a float; out of memory stops the parse. */
static int keep_float(nd_packer *p, float f)
{
    nd_jarray *a = p->a;
    if (a->dropped)
        return 1;
    float *v = nd_pack_grow(a->values, &a->cap_values, a->n_values + 1,
                            sizeof *v);
    if (!v)
        return fail(p, "out of memory");
    a->values = v;
    a->values[a->n_values++] = f;
    return 1;
}

/* The place of the element just counted at depth d (or, d − 1 deep, of
 * the container open at depth d). */
static nd_jpath path_at(const nd_packer *p, unsigned d)
{
    nd_jpath at = {.n = d};
    for (unsigned k = 1; k <= d; k++)
        at.at[k - 1] = p->len[k] - 1;
    return at;
}

/* Whether the container open at depth d lies on element 0's first path. */
static bool on_first_path(const nd_packer *p, unsigned d)
{
    for (unsigned k = 1; k < d; k++)
        if (p->len[k] != 1)
            return false;
    return true;
}

/* Records fault f (the first value that is not a number or a float32,
 * or the first break of element 0's nesting) unless one is recorded; the
 * array is refused whatever follows. */
static int fault(nd_packer *p, nd_jfault *f, nd_jpath at, bool wrong_kind,
                 double found)
{
    if (f->at.n == 0)
        *f = (nd_jfault){at, wrong_kind, found};
    drop(p->a);
    return 1;
}

static int misfit(nd_packer *p, nd_jpath at, bool is_array, size_t len)
{
    return fault(p, &p->a->misfit, at, !is_array, (double)len);
}

static int number_value(nd_packer *p, nd_jkind kind, double d, nd_jpath at)
{
    if (kind != ND_JKIND_INTEGER && kind != ND_JKIND_REAL)
        return fault(p, &p->a->bad, at, true, 0);
    float f = (float)d;
    if (!isfinite(f))
        return fault(p, &p->a->bad, at, false, d);
    return keep_float(p, f);
}

/* Label i: of element 0's kind (integer, else string), kept in order. */
static int label(nd_packer *p, size_t i, nd_jkind kind, long long v,
                 const char *s, size_t len)
{
    nd_jarray *a = p->a;
    nd_jkind want = a->kind0 == ND_JKIND_INTEGER ? ND_JKIND_INTEGER
                                                 : ND_JKIND_STRING;
    if (a->dropped || a->bad.at.n)
        return 1;
    if (kind != want) { /* the labels before it are still read */
        a->bad = (nd_jfault){{.n = 1, .at = {i}}, true, 0};
        return 1;
    }
    if (kind == ND_JKIND_INTEGER) {
        long long *ints = nd_pack_grow(a->ints, &a->cap_values,
                                       a->n_values + 1, sizeof *ints);
        if (!ints)
            return fail(p, "out of memory");
        a->ints = ints;
        a->ints[a->n_values++] = v;
        return 1;
    }
    char *strings = nd_pack_grow(a->strings, &a->strings_cap,
                                 a->strings_len + len + 1, 1);
    if (!strings)
        return fail(p, "out of memory");
    a->strings = strings;
    memcpy(a->strings + a->strings_len, s, len);
    a->strings[a->strings_len + len] = '\0';
    a->strings_len += len + 1;
    a->n_values++;
    return 1;
}

/* An element of the array itself (depth 1). */
static int element(nd_packer *p, nd_jkind kind, double d, long long v,
                   const char *s, size_t len)
{
    nd_jarray *a = p->a;
    size_t i = a->n++;
    if (i == 0) {
        a->kind0 = kind;
        a->depth0 = kind == ND_JKIND_ARRAY ? 1 : 0;
    }
    if (a->n > p->max_rows)
        drop(a);
    if (p->mode == ND_PACK_LABELS)
        return label(p, i, kind, v, s, len);
    if (a->kind0 != ND_JKIND_ARRAY) /* a vector: values */
        return number_value(p, kind, d, path_at(p, 1));
    return kind == ND_JKIND_ARRAY ? 1 : misfit(p, path_at(p, 1), false, 0);
}

/* An element at depth d ≥ 2 of a matrix, inside a row's array at level
 * d − 1: an array while that level is above element 0's deepest, a
 * value at it; anything deeper is inside a value already refused. */
static int cell(nd_packer *p, unsigned d, nd_jkind kind, double v)
{
    nd_jarray *a = p->a;
    unsigned level = d - 1;
    if (p->mode != ND_PACK_FLOATS || a->kind0 != ND_JKIND_ARRAY ||
        d > TRACKED || !p->in_arrays[d] || level > a->depth0)
        return 1;
    if (!p->depth0_known && level == a->depth0 && p->len[d] == 1 &&
        on_first_path(p, d)) { /* the first path goes on, or ends here */
        if (kind == ND_JKIND_ARRAY && level < ND_JSON_NEST_MAX)
            a->depth0 = level + 1;
        else
            p->depth0_known = true;
    }
    if (level < a->depth0)
        return kind == ND_JKIND_ARRAY ? 1
                                      : misfit(p, path_at(p, d), false, 0);
    return number_value(p, kind, v, path_at(p, d));
}

static int on_value(nd_packer *p, nd_jkind kind, double d, long long v,
                    const char *s, size_t len)
{
    if (p->mode == ND_PACK_NONE || p->depth == 0)
        return 1;
    if (p->depth <= TRACKED)
        p->len[p->depth]++;
    return p->depth == 1 ? element(p, kind, d, v, s, len)
                         : cell(p, p->depth, kind, d);
}

static int on_null(void *ctx)
{
    return on_value(ctx, ND_JKIND_OTHER, 0, 0, NULL, 0);
}

static int on_boolean(void *ctx, int v)
{
    (void)v;
    return on_value(ctx, ND_JKIND_OTHER, 0, 0, NULL, 0);
}

/* Numbers as jansson reads them: an integer past 64 bits, or a real past
 * a double, is not JSON it takes. */
static int on_number(void *ctx, const char *text, size_t len)
{
    nd_packer *p = ctx;
    char *num = nd_pack_grow(p->num, &p->num_cap, len + 1, 1);
    if (!num)
        return fail(p, "out of memory");
    p->num = num;
    memcpy(p->num, text, len);
    p->num[len] = '\0';
    bool integer = strcspn(p->num, ".eE") == len;
    errno = 0;
    if (integer) {
        long long v = strtoll(p->num, NULL, 10);
        if (errno == ERANGE)
            return fail(p, "too big integer");
        return on_value(p, ND_JKIND_INTEGER, (double)v, v, NULL, 0);
    }
    double d = strtod(p->num, NULL);
    if (errno == ERANGE && isinf(d))
        return fail(p, "real number overflow");
    return on_value(p, ND_JKIND_REAL, d, 0, NULL, 0);
}

/* Whether s[0..len) is UTF-8 as jansson takes it. */
static bool utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char tail[5] = {0};
        const unsigned char *at = s + i;
        if (len - i < 4) { /* never read past the string */
            memcpy(tail, s + i, len - i);
            at = tail;
        }
        size_t n = nd_utf8_sequence(at);
        if (n == 0 || n > len - i)
            return false;
        i += n;
    }
    return true;
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
    if (!utf8_valid(s, len))
        return fail(ctx, "invalid UTF-8 in a string");
    return on_value(ctx, ND_JKIND_STRING, 0, 0, (const char *)s, len);
}

static int on_key(void *ctx, const unsigned char *s, size_t len)
{
    return utf8_valid(s, len) ? 1 : fail(ctx, "invalid UTF-8 in a key");
}

/* Opens a container one deeper than the current one. */
static void open_container(nd_packer *p, bool is_array)
{
    p->depth++;
    if (p->depth <= TRACKED) {
        p->len[p->depth] = 0;
        p->in_arrays[p->depth] =
            is_array && (p->depth == 1 || p->in_arrays[p->depth - 1]);
    }
}

static int on_start_map(void *ctx)
{
    nd_packer *p = ctx;
    int ok = on_value(p, ND_JKIND_OTHER, 0, 0, NULL, 0);
    open_container(p, false);
    return ok;
}

static int on_start_array(void *ctx)
{
    nd_packer *p = ctx;
    int ok = on_value(p, ND_JKIND_ARRAY, 0, 0, NULL, 0);
    open_container(p, true);
    return ok;
}

/* A row's array at level d − 1 ends: element 0's sets that level's
 * length; another of a level element 0 nests to must have it. */
static void array_ends(nd_packer *p, unsigned d)
{
    nd_jarray *a = p->a;
    size_t level = d - 1;
    if (level > a->depth0)
        return; /* inside a value refused already */
    if (on_first_path(p, d)) {
        a->dims0[level - 1] = p->len[d];
        if (level == a->depth0 && p->len[d] == 0)
            p->depth0_known = true;
    } else if (p->len[d] != a->dims0[level - 1]) {
        misfit(p, path_at(p, d - 1), true, p->len[d]);
    }
}

static int on_end(void *ctx)
{
    nd_packer *p = ctx;
    unsigned d = p->depth;
    if (d >= 2 && d <= TRACKED && p->in_arrays[d] &&
        p->mode == ND_PACK_FLOATS && p->a->kind0 == ND_JKIND_ARRAY)
        array_ends(p, d);
    p->depth--;
    return 1;
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_boolean,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_key,
    .yajl_end_map = on_end,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end,
};

nd_packer *nd_packer_new(nd_pack_mode mode, nd_jarray *into, size_t max_rows)
{
    nd_packer *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->mode = mode;
    p->a = into;
    p->max_rows = max_rows;
    p->yajl = yajl_alloc(&callbacks, NULL, p);
    if (!p->yajl) {
        free(p);
        return NULL;
    }
    if (into)
        *into = (nd_jarray){.max_rows = max_rows};
    return p;
}

/* yajl's message for its last error, or the callback's, into msg. */
static void error_text(nd_packer *p, const char *data, size_t len, char *msg,
                       size_t msglen)
{
    if (p->error[0]) {
        snprintf(msg, msglen, "%s", p->error);
        return;
    }
    unsigned char *e =
        yajl_get_error(p->yajl, 0, (const unsigned char *)data, len);
    snprintf(msg, msglen, "%s", e ? (const char *)e : "not JSON");
    msg[strcspn(msg, "\r\n")] = '\0';
    yajl_free_error(p->yajl, e);
}

bool nd_packer_feed(nd_packer *p, const char *data, size_t len, char *msg,
                    size_t msglen, size_t *at)
{
    if (yajl_parse(p->yajl, (const unsigned char *)data, len) ==
        yajl_status_ok)
        return true;
    *at = yajl_get_bytes_consumed(p->yajl);
    error_text(p, data, len, msg, msglen);
    return false;
}

bool nd_packer_finish(nd_packer *p, char *msg, size_t msglen)
{
    if (yajl_complete_parse(p->yajl) == yajl_status_ok)
        return true;
    error_text(p, NULL, 0, msg, msglen);
    return false;
}

void nd_packer_free(nd_packer *p)
{
    if (!p)
        return;
    yajl_free(p->yajl);
    free(p->num);
    free(p);
}
