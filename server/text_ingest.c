/* text_ingest.c — streaming a UTF-8 text into the dataset store as token
 * ids (see text_ingest.h). Bytes are taken one at a time into a small
 * buffer holding the character being read, so a character cut between two
 * pieces of the body is joined, and every error knows its byte offset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text_ingest.h"

struct nd_text_ingest {
    bool byte_tokens;
    size_t max_tokens;
    size_t offset;          /* bytes of the body read so far */
    unsigned char ch[5];    /* the character being read, NUL-ended */
    size_t ch_len, ch_need; /* its bytes so far, and in all */
    nd_class_table *vocab;
    nd_ds_writer *w;
};

/* The bytes a UTF-8 sequence starting with lead has (1 to 4), or 0 when
 * lead cannot start one. */
static size_t sequence_length(unsigned char lead)
{
    return lead < 0x80 ? 1 : lead < 0xC2 ? 0 : lead < 0xE0 ? 2
         : lead < 0xF0 ? 3 : lead < 0xF5 ? 4 : 0;
}

/* The byte tokenizer's vocabulary: entry b is the character b where it is
 * one on its own (1 to 0x7f), else "\xNN". */
static nd_class_table *byte_vocabulary(void)
{
    nd_class_table *t = nd_class_table_new(256);
    for (unsigned b = 0; t && b < 256; b++) {
        char name[8];
        if (b > 0 && b < 0x80)
            snprintf(name, sizeof name, "%c", (char)b);
        else
            snprintf(name, sizeof name, "\\x%02x", b);
        if (nd_class_table_index(t, name, NULL) != (long)b) {
            nd_class_table_free(t);
            t = NULL;
        }
    }
    return t;
}

nd_text_ingest *nd_text_new(const char *name, bool byte_tokens,
                            size_t max_tokens, uint64_t max_bytes,
                            nd_ds_error *e)
{
    nd_text_ingest *t = calloc(1, sizeof *t);
    json_t *features = json_pack("[s]", "token");
    json_t *targets = json_pack("[s]", "token");
    if (t) {
        t->byte_tokens = byte_tokens;
        t->max_tokens = max_tokens;
        t->vocab = byte_tokens ? byte_vocabulary()
                               : nd_class_table_new(ND_DS_MAX_CLASSES);
    }
    if (!t || !t->vocab || !features || !targets) {
        nd_ds_fail(e, 503, NULL, "out of memory");
        nd_text_free(t);
        t = NULL;
    } else {
        nd_ds_spec spec = {name, byte_tokens ? ND_TEXT_SOURCE_PREFIX "byte"
                                             : ND_TEXT_SOURCE_PREFIX "char",
                           1, 1, features, targets, NULL, max_bytes};
        t->w = nd_ds_writer_begin(&spec, e);
        if (!t->w) {
            nd_text_free(t);
            t = NULL;
        }
    }
    json_decref(features);
    json_decref(targets);
    return t;
}

/* Appends one token id. */
static int add_token(nd_text_ingest *t, long id, nd_ds_error *e)
{
    if (nd_ds_writer_rows(t->w) == t->max_tokens) {
        nd_ds_fail(e, 422, "/bytes", "the text has more than the %zu tokens "
                   "a dataset may hold", t->max_tokens);
        return -1;
    }
    float v = (float)id; /* exact: ids are below 2^24 */
    return nd_ds_writer_add(t->w, &v, &v, e);
}

/* Tokenizes the complete character in t->ch, which starts at byte
 * offset `at`. */
static int add_character(nd_text_ingest *t, size_t at, nd_ds_error *e)
{
    char where[ND_PTR_MAX];
    snprintf(where, sizeof where, "/bytes/%zu", at);
    t->ch[t->ch_len] = 0;
    if (nd_utf8_sequence(t->ch) != t->ch_len) {
        nd_ds_fail(e, 422, where, "invalid UTF-8 at byte %zu (an overlong "
                   "form, a surrogate or past U+10FFFF)", at);
        return -1;
    }
    if (t->byte_tokens) {
        for (size_t i = 0; i < t->ch_len; i++)
            if (add_token(t, t->ch[i], e))
                return -1;
        return 0;
    }
    long id = nd_class_table_index(t->vocab, (const char *)t->ch, NULL);
    if (id == -1)
        nd_ds_fail(e, 422, where, "the text has more than %d distinct "
                   "characters (at byte %zu)", ND_DS_MAX_CLASSES, at);
    else if (id < 0)
        nd_ds_fail(e, 503, NULL, "out of memory");
    return id < 0 ? -1 : add_token(t, id, e);
}

/* Takes byte c of the body, at offset t->offset. */
static int add_byte(nd_text_ingest *t, unsigned char c, nd_ds_error *e)
{
    char where[ND_PTR_MAX];
    snprintf(where, sizeof where, "/bytes/%zu", t->offset);
    if (c == 0) {
        nd_ds_fail(e, 422, where, "a NUL byte at byte %zu: the body is "
                   "binary, not text", t->offset);
        return -1;
    }
    if (t->ch_len == 0) {
        t->ch_need = sequence_length(c);
    } else if ((c & 0xC0) != 0x80) {
        t->ch_need = 0; /* a character cut short by another */
    }
    if (t->ch_need == 0) {
        nd_ds_fail(e, 422, where, "invalid UTF-8 at byte %zu (0x%02x)",
                   t->offset, c);
        return -1;
    }
    t->ch[t->ch_len++] = c;
    if (t->ch_len < t->ch_need)
        return 0;
    size_t start = t->offset + 1 - t->ch_len;
    int rc = add_character(t, start, e);
    t->ch_len = 0;
    return rc;
}

int nd_text_feed(nd_text_ingest *t, const char *data, size_t len,
                 nd_ds_error *e)
{
    for (size_t i = 0; i < len; i++, t->offset++)
        if (add_byte(t, (unsigned char)data[i], e))
            return -1;
    return 0;
}

int nd_text_finish(nd_text_ingest *t, char id[ND_ID_MAX], nd_ds_error *e)
{
    if (t->ch_len) {
        char where[ND_PTR_MAX];
        size_t start = t->offset - t->ch_len;
        snprintf(where, sizeof where, "/bytes/%zu", start);
        nd_ds_fail(e, 422, where, "the text ends inside the character that "
                   "starts at byte %zu", start);
        return -1;
    }
    if (nd_ds_writer_rows(t->w) == 0) {
        nd_ds_fail(e, 422, "/bytes", "the text is empty: a text dataset "
                                     "needs at least one token");
        return -1;
    }
    nd_ds_writer *w = t->w;
    t->w = NULL; /* finish frees it, stored or not */
    return nd_ds_writer_finish(w, t->vocab, id, e);
}

void nd_text_free(nd_text_ingest *t)
{
    if (!t)
        return;
    nd_ds_writer_abort(t->w);
    nd_class_table_free(t->vocab);
    free(t);
}
