/* json_body.c — a JSON body split as it arrives (see json_body.h): a small
 * scanner follows strings and brackets of the top-level object, hands the
 * bytes of each packed member's array to a packer (json_pack.c) and keeps
 * every other byte as text for jansson. The scanner also refuses what
 * jansson would refuse inside a packed array and yajl lets by: \u0000,
 * lone surrogates, \v and \f as white space, nesting past jansson's
 * depth. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_body.h"
#include "json_pack.h"

#define MAX_DEPTH 2048 /* jansson's JSON_PARSER_MAX_DEPTH */
#define KEY_RAW_MAX 64 /* a key's bytes kept to match packed names */

static const struct {
    const char *name;
    nd_pack_mode mode;
} packed[] = {{"inputs", ND_PACK_FLOATS},
              {"targets", ND_PACK_FLOATS},
              {"labels", ND_PACK_LABELS}};
#define N_PACKED (sizeof packed / sizeof *packed)

/* Where the scanner is in the top-level object. */
typedef enum {
    TOP_START,  /* before the first byte that is not white space */
    KEY_NEXT,   /* after "{" or ",": a key may start */
    IN_KEY,     /* in a member's name */
    AFTER_KEY,  /* before the ":" */
    VALUE_NEXT, /* after the ":" */
    IN_VALUE,   /* in a member's value that is kept as text */
    PACKING,    /* in a packed member's array */
    TOP_DONE,   /* after the object: the rest is text (jansson judges) */
    NOT_OBJECT  /* the body is not an object: validated, then refused */
} top_state;

struct nd_json_body {
    size_t max_rows;
    top_state top;
    /* strings and brackets */
    unsigned depth;
    bool in_string, escape, expect_low;
    int hex_left, surrogate_wait; /* 2: a "\" must come, 1: a "u" */
    unsigned code;
    size_t line, column; /* of the next byte, from 1; columns count
                            characters, as jansson's do */
    /* the member being named */
    char key[KEY_RAW_MAX];
    size_t key_len;
    bool key_long; /* longer than any packed name can be */
    /* the text for jansson */
    char *text;
    size_t text_len, text_cap;
    /* packing */
    nd_packer *packer;
    nd_jarray arrays[N_PACKED], scratch;
    bool present[N_PACKED];
    size_t pack_line; /* line where the array began */
    bool failed, nomem;
    char error[256];
};

nd_json_body *nd_json_body_new(size_t max_rows)
{
    nd_json_body *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->max_rows = max_rows;
    b->line = b->column = 1;
    return b;
}

void nd_json_body_free(nd_json_body *b)
{
    if (!b)
        return;
    nd_packer_free(b->packer);
    for (size_t k = 0; k < N_PACKED; k++)
        nd_jarray_clear(&b->arrays[k]);
    nd_jarray_clear(&b->scratch);
    free(b->text);
    free(b);
}

/* Records why the body is not JSON, at the current line and column. */
static bool fail_at(nd_json_body *b, size_t line, size_t column,
                    const char *why)
{
    if (!b->failed)
        snprintf(b->error, sizeof b->error,
                 "invalid JSON at line %zu, column %zu: %s", line, column,
                 why);
    b->nomem |= !b->failed && strcmp(why, "out of memory") == 0;
    b->failed = true;
    return false;
}

static bool fail(nd_json_body *b, const char *why)
{
    return fail_at(b, b->line, b->column, why);
}

static bool append(nd_json_body *b, const char *s, size_t n)
{
    char *text = nd_pack_grow(b->text, &b->text_cap, b->text_len + n + 1, 1);
    if (!text)
        return fail(b, "out of memory");
    b->text = text;
    memcpy(b->text + b->text_len, s, n);
    b->text_len += n;
    b->text[b->text_len] = '\0';
    return true;
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
        return (c | 0x20) - 'a' + 10;
    return -1;
}

/* A \uXXXX escape just read: refuses what jansson refuses. */
static bool unicode_escape(nd_json_body *b)
{
    unsigned c = b->code;
    if (b->expect_low) {
        b->expect_low = false;
        return c >= 0xDC00 && c <= 0xDFFF ? true
                                          : fail(b, "invalid Unicode escape");
    }
    if (c == 0)
        return fail(b, "\\u0000 is not allowed");
    if (c >= 0xDC00 && c <= 0xDFFF)
        return fail(b, "invalid Unicode escape");
    if (c >= 0xD800 && c <= 0xDBFF) {
        b->expect_low = true;
        b->surrogate_wait = 2;
    }
    return true;
}

/* One byte inside a string. */
static bool scan_string(nd_json_body *b, unsigned char c)
{
    if (b->hex_left) {
        int h = hex_value(c);
        if (h < 0) { /* the parser that reads it refuses it */
            b->hex_left = 0;
            b->expect_low = false;
            return true;
        }
        b->code = b->code * 16 + (unsigned)h;
        return --b->hex_left ? true : unicode_escape(b);
    }
    if (b->surrogate_wait) { /* a high surrogate needs "\u" and a low one */
        if (c != (b->surrogate_wait == 2 ? '\\' : 'u'))
            return fail(b, "invalid Unicode escape");
        if (--b->surrogate_wait == 0) {
            b->hex_left = 4;
            b->code = 0;
        }
        return true;
    }
    if (b->escape) {
        b->escape = false;
        if (c == 'u') {
            b->hex_left = 4;
            b->code = 0;
        }
        return true;
    }
    if (c == '\\')
        b->escape = true;
    else if (c == '"')
        b->in_string = false;
    return true;
}

/* One byte anywhere: follows strings, escapes, depth, line and column. */
static bool scan(nd_json_body *b, unsigned char c)
{
    bool ok = true;
    if (b->in_string)
        ok = scan_string(b, c);
    else if (c == '"')
        b->in_string = true;
    else if (c == '\v' || c == '\f') /* white space to yajl, not to JSON */
        ok = fail(b, "invalid character");
    else if ((c == '[' || c == '{') && ++b->depth > MAX_DEPTH)
        ok = fail(b, "maximum parsing depth reached");
    else if ((c == ']' || c == '}') && b->depth)
        b->depth--;
    if (c == '\n') {
        b->line++;
        b->column = 1;
    } else if ((c & 0xC0) != 0x80) {
        b->column++;
    }
    return ok;
}

/* The packed member the key just read names, or N_PACKED. The key's
 * escapes are decoded as far as ASCII goes ("inp\u0075ts" is inputs). */
static size_t packed_index(const nd_json_body *b)
{
    char name[KEY_RAW_MAX];
    size_t n = 0;
    if (b->key_long)
        return N_PACKED;
    for (size_t i = 0; i < b->key_len; i++) {
        char c = b->key[i];
        if (c == '\\') { /* only \u00XX can spell a packed name */
            if (i + 5 >= b->key_len || b->key[i + 1] != 'u')
                return N_PACKED;
            unsigned v = 0;
            for (size_t d = 2; d <= 5; d++) {
                int h = hex_value((unsigned char)b->key[i + d]);
                if (h < 0)
                    return N_PACKED;
                v = v * 16 + (unsigned)h;
            }
            if (v == 0 || v >= 0x80)
                return N_PACKED;
            c = (char)v;
            i += 5;
        }
        name[n++] = c;
    }
    for (size_t k = 0; k < N_PACKED; k++)
        if (strlen(packed[k].name) == n && memcmp(packed[k].name, name, n) == 0)
            return k;
    return N_PACKED;
}

/* The packed member's array begins (its "[" not yet read). */
static bool start_packing(nd_json_body *b, size_t k)
{
    nd_jarray *into = &b->scratch; /* a duplicate: jansson refuses it */
    if (!b->present[k]) {
        b->present[k] = true;
        into = &b->arrays[k];
    }
    nd_jarray_clear(into);
    b->packer = nd_packer_new(packed[k].mode, into, b->max_rows);
    if (!b->packer)
        return fail(b, "out of memory");
    if (into == &b->scratch)
        b->scratch.dropped = true;
    b->top = PACKING;
    b->pack_line = b->line;
    return append(b, "[", 1);
}

/* The packed array has ended: "[" + its line breaks + "]" stands in its
 * place, so that jansson's line numbers stay the body's. */
static bool end_packing(nd_json_body *b)
{
    char msg[160];
    bool ok = nd_packer_finish(b->packer, msg, sizeof msg);
    nd_packer_free(b->packer);
    b->packer = NULL;
    if (!ok)
        return fail(b, msg);
    for (size_t i = b->pack_line; i < b->line; i++)
        if (!append(b, "\n", 1))
            return false;
    b->top = IN_VALUE;
    return append(b, "]", 1);
}

/* Bytes of a packed array (or of a body that is not an object): scans
 * them up to the array's end and hands them to the packer. Returns how
 * many it took, 0 after failing. */
static size_t feed_packer(nd_json_body *b, const char *data, size_t len)
{
    size_t line = b->line, column = b->column, i = 0;
    bool ended = false;
    while (i < len && !ended) {
        if (!scan(b, (unsigned char)data[i++]))
            return 0;
        ended = b->top == PACKING && b->depth == 1 && !b->in_string;
    }
    char msg[160];
    size_t at = 0;
    if (!nd_packer_feed(b->packer, data, i, msg, sizeof msg, &at)) {
        for (size_t j = 0; j < at && j < i; j++) { /* where it stopped */
            if (data[j] == '\n') {
                line++;
                column = 1;
            } else if ((data[j] & 0xC0) != 0x80) {
                column++;
            }
        }
        fail_at(b, line, column, msg);
        return 0;
    }
    if (ended && !end_packing(b))
        return 0;
    return i;
}

/* Follows the top-level object through byte c, already scanned;
 * was_string tells whether c was inside a string. */
static void follow_top(nd_json_body *b, unsigned char c, bool was_string)
{
    bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    switch (b->top) {
    case TOP_START:
        if (!space)
            b->top = c == '{' ? KEY_NEXT : TOP_DONE;
        break;
    case KEY_NEXT:
        if (c == '"') {
            b->top = IN_KEY;
            b->key_len = 0;
            b->key_long = false;
        } else if (!space) {
            b->top = b->depth == 0 ? TOP_DONE : IN_VALUE;
        }
        break;
    case IN_KEY:
        if (!b->in_string)
            b->top = AFTER_KEY;
        else if (b->key_len < KEY_RAW_MAX)
            b->key[b->key_len++] = (char)c;
        else
            b->key_long = true;
        break;
    case AFTER_KEY:
        if (!space)
            b->top = c == ':' ? VALUE_NEXT : IN_VALUE;
        break;
    case VALUE_NEXT:
        if (!space)
            b->top = IN_VALUE;
        break;
    case IN_VALUE:
        if (!was_string && b->depth == 0)
            b->top = TOP_DONE;
        else if (!was_string && c == ',' && b->depth == 1)
            b->top = KEY_NEXT;
        break;
    default:
        break;
    }
}

bool nd_json_body_feed(nd_json_body *b, const char *data, size_t len)
{
    size_t i = 0;
    while (i < len && !b->failed) {
        unsigned char c = (unsigned char)data[i];
        bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
        if (b->top == TOP_START && !space && c != '{') {
            b->top = NOT_OBJECT;
            if (!(b->packer = nd_packer_new(ND_PACK_NONE, NULL, 0)))
                return fail(b, "out of memory");
        }
        if (b->top == VALUE_NEXT && c == '[') {
            size_t k = packed_index(b);
            if (k < N_PACKED && !start_packing(b, k))
                return false;
        }
        if (b->top == PACKING || b->top == NOT_OBJECT) {
            size_t took = feed_packer(b, data + i, len - i);
            if (!took)
                return false;
            i += took;
            continue;
        }
        bool was_string = b->in_string;
        if (!scan(b, c))
            return false;
        follow_top(b, c, was_string);
        if (!append(b, data + i, 1))
            return false;
        i++;
    }
    return !b->failed;
}

json_t *nd_json_body_finish(nd_json_body *b, char *msg, size_t msglen)
{
    if (!b->failed && b->top == PACKING)
        fail(b, "the body ends inside an array");
    if (!b->failed && b->top == NOT_OBJECT) {
        char why[160];
        if (nd_packer_finish(b->packer, why, sizeof why))
            snprintf(b->error, sizeof b->error,
                     "the body must be a JSON object");
        else
            fail(b, why);
        b->failed = true;
    }
    if (b->failed) {
        snprintf(msg, msglen, "%s", b->error);
        return NULL;
    }
    json_error_t e;
    json_t *doc = json_loadb(b->text ? b->text : "", b->text_len,
                             JSON_REJECT_DUPLICATES, &e);
    if (!doc)
        snprintf(msg, msglen, "invalid JSON at line %d, column %d: %s",
                 e.line, e.column, e.text);
    else if (!json_is_object(doc))
        snprintf(msg, msglen, "the body must be a JSON object");
    if (doc && !json_is_object(doc)) {
        json_decref(doc);
        doc = NULL;
    }
    return doc;
}

bool nd_json_body_nomem(const nd_json_body *b)
{
    return b->nomem;
}

nd_jarray *nd_json_body_array(nd_json_body *b, const char *name)
{
    for (size_t k = 0; b && k < N_PACKED; k++)
        if (b->present[k] && strcmp(packed[k].name, name) == 0)
            return &b->arrays[k];
    return NULL;
}
