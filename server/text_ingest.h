/* text_ingest.h — a text/plain upload (UTF-8) tokenized as it arrives and
 * written to the store chunk by chunk, so memory stays about one chunk
 * whatever the text's size. Two tokenizers:
 *   - "char": one token per Unicode character; token ids in the order the
 *     characters first appear in the text, at most ND_DS_MAX_CLASSES
 *     distinct;
 *   - "byte": one token per byte of the UTF-8 text; always 256 tokens, id
 *     = the byte's value (vocabulary entries "\x00" and "\x80".."\xff"
 *     for the bytes that are no character on their own).
 * Either way the body must be UTF-8 without NUL bytes (else it is binary,
 * not text): the first bad byte is a 422 naming its offset from 0. A text
 * dataset is stored as one token id per row (X and Y both hold it) with
 * source "text-char" or "text-byte" and the vocabulary as its classes;
 * the API shows it as task "language_modeling" (dataset_read.c). */
#ifndef ND_TEXT_INGEST_H
#define ND_TEXT_INGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "dataset_store.h"

#define ND_TEXT_SOURCE_PREFIX "text-" /* datasets.source of a text */

typedef struct nd_text_ingest nd_text_ingest;

/* A new ingest for dataset `name` (checked already, copied) with tokenizer
 * "char" or "byte" and at most max_tokens tokens, storing at most
 * max_bytes (nd_ds_spec's; 0: no limit); NULL after filling e (503 out
 * of memory, or the store's error). */
nd_text_ingest *nd_text_new(const char *name, bool byte_tokens,
                            size_t max_tokens, uint64_t max_bytes,
                            nd_ds_error *e);

/* Tokenizes the next piece of the body (a character may straddle two
 * pieces). Returns 0, or −1 after filling e; the ingest is then done for
 * (free it). */
int nd_text_feed(nd_text_ingest *t, const char *data, size_t len,
                 nd_ds_error *e);

/* Checks the end of the body (no cut-off character, at least one token)
 * and stores the dataset, copying its id. Returns 0, or −1 after filling
 * e. */
int nd_text_finish(nd_text_ingest *t, char id[ND_ID_MAX], nd_ds_error *e);

/* Frees t, deleting what it stored unless nd_text_finish succeeded; t may
 * be NULL. */
void nd_text_free(nd_text_ingest *t);

#endif
