/* dataset_store.h — datasets in SQLite (tables `datasets` and
 * `dataset_chunks`, migrations/sqlite/001_init.sql).
 *
 * Writing: a dataset is written row by row through an nd_ds_writer, which
 * stores the rows in chunks of about ND_DS_CHUNK_BYTES, each in its own
 * short transaction, while the dataset's row is marked as uploading (and
 * so invisible to every reader). Finishing fills in the metadata and
 * makes it visible; aborting deletes everything written. X is stored as
 * float32 little-endian rows; Y holds the target values per row
 * (regression) or the class index (classification, one value per row).
 *
 * Reading: the dataset object the API returns, pages of rows, the list,
 * deletion (dataset_read.c), and nd_dataset_load for training. */
#ifndef ND_DATASET_STORE_H
#define ND_DATASET_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "class_table.h"
#include "http.h"
#include "paging.h"
#include "jsonv.h"
#include "store.h"

#define ND_DS_NAME_MAX 200             /* characters in a name */
#define ND_DS_MAX_CLASSES 4096         /* distinct labels in a dataset */
#define ND_DS_CHUNK_BYTES (1u << 20)   /* X and Y bytes per stored chunk */

/* Why an ingest failed, as the problem the client gets: status (422 for
 * bad data, 500 or 503 for the server's own failures), the pointer of the
 * offending field ("" when none) and one sentence. */
typedef struct {
    unsigned status;
    char pointer[ND_PTR_MAX];
    char message[512];
} nd_ds_error;

/* Fills e; the message is printf-formatted. pointer may be NULL. */
void nd_ds_fail(nd_ds_error *e, unsigned status, const char *pointer,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Replies with e as a problem (with an errors[] entry when it has a
 * pointer). */
void nd_ds_reply_error(nd_request *req, const nd_ds_error *e);

/* Replies 201 with a Location header and the object of the dataset just
 * stored (500 if it cannot be read back). */
void nd_ds_reply_created(nd_request *req, const char *id);

/* Checks a dataset name: 1 to ND_DS_NAME_MAX characters of UTF-8 without
 * control characters. Returns false after filling e (422 at pointer). */
bool nd_ds_name_check(const char *name, const char *pointer, nd_ds_error *e);

/* What a writer needs before the first row. */
typedef struct {
    const char *name;       /* already checked with nd_ds_name_check */
    const char *source;     /* "json", "csv" or "generator" */
    size_t input_dim;       /* ≥ 1 */
    size_t target_dim;      /* ≥ 1; 1 for classification (the class index) */
    json_t *feature_names;  /* input_dim strings (borrowed) */
    json_t *target_names;   /* target_dim strings (borrowed) */
    json_t *input_shape;    /* [C, H, W] of an image dataset, or NULL
                               (borrowed; its product is input_dim) */
    uint64_t max_bytes;     /* X and Y bytes it may store, what the
                               owner's --quota-bytes has left (0: no
                               limit); a row past it is a 413 */
} nd_ds_spec;

typedef struct nd_ds_writer nd_ds_writer;

/* Starts a new dataset: inserts its row, marked as uploading, in a short
 * transaction (sweeping away uploads a crashed process left behind).
 * Returns the writer, or NULL after filling e. The caller ends it with
 * nd_ds_writer_finish or nd_ds_writer_abort. */
nd_ds_writer *nd_ds_writer_begin(const nd_ds_spec *spec, nd_ds_error *e);

/* Appends one row: x has input_dim values, y target_dim (for
 * classification the class index in first-appearance order). A full chunk
 * is written in its own transaction. The caller has checked the values
 * (finite) and the row limits. Returns 0, or −1 after filling e (413
 * when the row would pass the spec's max_bytes). */
int nd_ds_writer_add(nd_ds_writer *w, const float *x, const float *y,
                     nd_ds_error *e);

/* For a classification whose rows were appended before their labels were
 * known (an IDX upload that sends its images first, with class 0 as a
 * placeholder): at finish, row r's class index becomes labels[r]. labels
 * holds one class index per row and stays the caller's, valid until
 * nd_ds_writer_finish returns. Rewriting the stored targets costs a second
 * pass over the chunks. */
void nd_ds_writer_late_labels(nd_ds_writer *w, const unsigned char *labels);

/* The rows appended so far. */
size_t nd_ds_writer_rows(const nd_ds_writer *w);

/* Writes the last chunk, puts the class indexes in the table's final
 * order (classes NULL for regression), computes the sha256 and the
 * column statistics, and makes the dataset visible. Copies its id into id.
 * Returns 0, or −1 after filling e (the dataset is then deleted). Frees w
 * either way. */
int nd_ds_writer_finish(nd_ds_writer *w, const nd_class_table *classes,
                        char id[ND_ID_MAX], nd_ds_error *e);

/* Deletes whatever w wrote and frees it; w may be NULL. */
void nd_ds_writer_abort(nd_ds_writer *w);


/* The dataset object of the API (id, name, rows, input_dim, output_dim,
 * input_shape ([input_dim] for plain vectors), task, classes,
 * feature_names, target_names, sha256, created_at, stats, public, owner)
 * for a complete dataset. Returns 0 with *out (the caller's), 1 when there
 * is no such dataset, −1 on a database error. */
int nd_ds_object(const char *id, json_t **out);

/* A page of complete datasets, newest first (by the time their upload
 * completed, then id), starting after the cursor position `after` (the
 * newest when after->id is empty); with after->owner, only that user's
 * and the public ones. Returns 0 with *items (a JSON array of
 * at most limit objects, the caller's) and *more (whether more follow), or
 * −1 on a database error. */
int nd_ds_list(const nd_page_key *after, size_t limit, json_t **items,
               bool *more);

/* Rows [offset, offset + limit) of a dataset as the rows page
 * ({"items", "offset", "limit", "total"}): {"inputs", "targets"} per row,
 * or {"inputs", "label"} for classification; for a text, tokens
 * [offset, offset + limit) as {"text", "tokens", "offset", "limit",
 * "total"}. Returns 0 with *page (the
 * caller's), 1 when there is no such dataset, −1 on an error. */
int nd_ds_rows(const char *id, size_t offset, size_t limit, json_t **page);

/* The number of input columns of a complete dataset, or 0 when there is
 * none with that id (or on an error). */
size_t nd_ds_input_dim(const char *id);

/* Deletes a dataset unless a queued or running job uses it; on a full
 * disk, once more after releasing the reserve (nd_store_retry_full).
 * Returns 0 when deleted, 1 when there is no such dataset, 2 when a job
 * uses it, −1 on a database error (nd_store_full tells a full disk). */
int nd_ds_delete(const char *id);

#endif
