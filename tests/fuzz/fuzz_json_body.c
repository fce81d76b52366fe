/* fuzz_json_body.c — libFuzzer harness of the streaming body parser
 * (server/json_body.c, json_pack.c), checked against jansson reading the
 * whole body: the first byte picks the size of the pieces it is fed in,
 * the rest is the body. It must take what jansson takes (as an object)
 * and refuse what jansson refuses (duplicate keys inside a packed array's
 * objects aside: those are refused by the readers anyway; and a raw NUL
 * byte, which jansson lets by after a number or a literal: JSON has no
 * such thing, so it is refused), keep the other
 * members as jansson reads them, and pack the arrays' lengths, kinds and
 * values as jansson reads them (nested rows flat, in order). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_body.h"

#define MAX_ROWS 40 /* small, so that dropping is reached too */

static const char *const names[] = {"inputs", "targets", "labels"};

static nd_jkind kind_of(const json_t *v)
{
    if (json_is_array(v))
        return ND_JKIND_ARRAY;
    if (json_is_integer(v))
        return ND_JKIND_INTEGER;
    if (json_is_real(v))
        return ND_JKIND_REAL;
    if (json_is_string(v))
        return ND_JKIND_STRING;
    return v ? ND_JKIND_OTHER : ND_JKIND_NONE;
}

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "json_body differs from jansson: %s\n", what);
        abort();
    }
}

/* The numbers of v (a number, or arrays of them at any depth) in order,
 * against the packed values from *k on. */
static void check_flat(const nd_jarray *a, json_t *v, size_t *k)
{
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            check_flat(a, json_array_get(v, i), k);
        return;
    }
    check(*k < a->n_values, "fewer values");
    check(a->values[*k] == (float)json_number_value(v), "a value");
    ++*k;
}

/* The floats of a packed array that kept them, against jansson's: every
 * row nested as element 0, its values flat and in order. */
static void check_floats(const nd_jarray *a, json_t *arr)
{
    size_t k = 0, per_row = 1;
    for (size_t l = 0; l < a->depth0; l++)
        per_row *= a->dims0[l];
    for (size_t i = 0; i < json_array_size(arr); i++)
        check_flat(a, json_array_get(arr, i), &k);
    check(k == a->n_values, "more values");
    check(a->kind0 != ND_JKIND_ARRAY || k == a->n * per_row,
          "rows of element 0's nesting");
}

/* The labels of a packed array, up to its first of another kind. */
static void check_labels(const nd_jarray *a, json_t *arr)
{
    const char *s = a->strings;
    size_t bad = a->bad.at.n ? a->bad.at.at[0] : json_array_size(arr);
    for (size_t i = 0; i < json_array_size(arr) && i < bad; i++) {
        json_t *e = json_array_get(arr, i);
        if (a->kind0 == ND_JKIND_INTEGER) {
            check(json_is_integer(e) && a->ints[i] == json_integer_value(e),
                  "a label");
        } else {
            check(json_is_string(e) && strcmp(s, json_string_value(e)) == 0,
                  "a label name");
            s += strlen(s) + 1;
        }
    }
}

static void check_packed(nd_json_body *b, json_t *ours, json_t *whole)
{
    for (size_t k = 0; k < 3; k++) {
        json_t *arr = json_object_get(whole, names[k]);
        nd_jarray *a = nd_json_body_array(b, names[k]);
        check(!json_is_array(arr) == !a, "which members are packed");
        if (!a) {
            check(json_equal(arr, json_object_get(ours, names[k])) ||
                      (!arr && !json_object_get(ours, names[k])),
                  "a member not packed");
            continue;
        }
        json_t *placeholder = json_object_get(ours, names[k]);
        check(json_is_array(placeholder) && json_array_size(placeholder) == 0,
              "the placeholder");
        check(a->n == json_array_size(arr), "the length");
        check(a->kind0 == kind_of(json_array_get(arr, 0)), "element 0's kind");
        if (a->dropped) /* a limit, or a value its reader refuses */
            check(a->n > MAX_ROWS || a->bad.at.n || a->misfit.at.n,
                  "dropped without a reason");
        else if (k < 2)
            check_floats(a, arr);
        else
            check_labels(a, arr);
    }
    /* the members kept as text, exactly */
    const char *key;
    json_t *v;
    json_object_foreach(whole, key, v) {
        bool packed_name = false;
        for (size_t k = 0; k < 3; k++)
            packed_name |= strcmp(key, names[k]) == 0 && json_is_array(v);
        if (!packed_name)
            check(json_equal(v, json_object_get(ours, key)), "a member");
    }
    check(json_object_size(whole) == json_object_size(ours), "member count");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t piece = 1 + data[0] % 16;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    nd_json_body *b = nd_json_body_new(MAX_ROWS);
    if (!b)
        abort();
    for (size_t at = 0; at < len; at += piece)
        nd_json_body_feed(b, body + at, len - at < piece ? len - at : piece);
    char msg[320];
    json_t *ours = nd_json_body_finish(b, msg, sizeof msg);
    json_t *whole = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(whole)) {
        json_decref(whole);
        whole = NULL;
    }
    if (ours && !whole) { /* only duplicates inside packed arrays may pass */
        whole = json_loadb(body, len, 0, NULL);
        check(json_is_object(whole), "took what jansson refuses");
        json_decref(whole);
        whole = NULL;
    } else if (!ours) { /* jansson lets a NUL after a number by: we don't */
        check(!whole || memchr(body, '\0', len), "refused what jansson takes");
    } else {
        check_packed(b, ours, whole);
    }
    json_decref(ours);
    json_decref(whole);
    nd_json_body_free(b);
    return 0;
}
