/* dataset_store.c — writing a dataset in chunks while it is marked as
 * uploading, then publishing it with its statistics and sha256 (see
 * dataset_store.h); and the error record every ingest path shares. */
#include <math.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_store.h"
#include "nn_limits.h"
#include "quota.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "datasets are stored as little-endian float32; this host needs a byte swap"
#endif

void nd_ds_fail(nd_ds_error *e, unsigned status, const char *pointer,
                const char *fmt, ...)
{
    e->status = status;
    snprintf(e->pointer, sizeof e->pointer, "%s", pointer ? pointer : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

void nd_ds_reply_error(nd_request *req, const nd_ds_error *e)
{
    if (e->pointer[0])
        nd_reply_invalid(req, e->status, e->pointer, "%s", e->message);
    else
        nd_reply_problem(req, e->status, "%s", e->message);
}

void nd_ds_reply_created(nd_request *req, const char *id)
{
    json_t *obj = NULL;
    if (nd_ds_object(id, &obj) != 0) {
        nd_reply_problem(req, 500, "dataset %s was stored but cannot be "
                                   "read back", id);
        return;
    }
    char location[64];
    snprintf(location, sizeof location, "/v1/datasets/%s", id);
    nd_reply_header(req, "Location", location);
    nd_reply_json(req, 201, obj);
}

bool nd_ds_name_check(const char *name, const char *pointer, nd_ds_error *e)
{
    char why[96];
    if (nd_name_check(name, ND_DS_NAME_MAX, why, sizeof why))
        return true;
    nd_ds_fail(e, 422, pointer, "%s", why);
    return false;
}

/* The ID of this process, marking the uploads it is writing: an uploading
 * row with another mark was left by a process that died mid-upload. */
static char boot_id[ND_ID_MAX];
static pthread_once_t boot_once = PTHREAD_ONCE_INIT;

static void make_boot_id(void)
{
    nd_new_id(boot_id, "boot_");
}

struct nd_ds_writer {
    char id[ND_ID_MAX];
    size_t input_dim, target_dim;
    size_t rows;       /* rows appended */
    size_t chunks;     /* chunks written */
    size_t chunk_rows; /* rows waiting in cx, cy */
    size_t chunk_cap;  /* rows per chunk */
    float *cx, *cy;
    double *mean, *m2; /* per input column (Welford) */
    float *min, *max;
    EVP_MD_CTX *sha;   /* over the X bytes written so far */
    json_t *feature_names;
    const unsigned char *late_labels; /* the class of each row, or NULL */
    uint64_t max_bytes; /* X and Y bytes it may store; 0: no limit */
};

static void writer_free(nd_ds_writer *w)
{
    if (!w)
        return;
    free(w->cx);
    free(w->cy);
    free(w->mean);
    free(w->m2);
    free(w->min);
    free(w->max);
    EVP_MD_CTX_free(w->sha);
    json_decref(w->feature_names);
    free(w);
}

static nd_ds_writer *writer_alloc(const nd_ds_spec *spec)
{
    nd_ds_writer *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    size_t d = spec->input_dim, t = spec->target_dim;
    size_t row_bytes = (d + t) * sizeof(float);
    w->input_dim = d;
    w->target_dim = t;
    w->max_bytes = spec->max_bytes;
    w->chunk_cap = row_bytes < ND_DS_CHUNK_BYTES ? ND_DS_CHUNK_BYTES / row_bytes
                                                 : 1;
    w->cx = malloc(w->chunk_cap * d * sizeof *w->cx);
    w->cy = malloc(w->chunk_cap * t * sizeof *w->cy);
    w->mean = calloc(d, sizeof *w->mean);
    w->m2 = calloc(d, sizeof *w->m2);
    w->min = malloc(d * sizeof *w->min);
    w->max = malloc(d * sizeof *w->max);
    w->sha = EVP_MD_CTX_new();
    w->feature_names = json_incref(spec->feature_names);
    if (!w->cx || !w->cy || !w->mean || !w->m2 || !w->min || !w->max ||
        !w->sha || !EVP_DigestInit_ex(w->sha, EVP_sha256(), NULL)) {
        writer_free(w);
        return NULL;
    }
    return w;
}

/* Fills e with the database's last error. */
static void db_fail(nd_ds_error *e, const char *what)
{
    if (nd_store_full())
        nd_ds_fail(e, 507, NULL, "%s: " ND_DISK_FULL_DETAIL, what);
    else
        nd_ds_fail(e, 500, NULL, "database error while %s: %s", what,
                   nd_errmsg());
}

/* Steps st once to completion and finalizes it; 0 or −1. */
static int step_done(nd_stmt *st)
{
    int rc = nd_step(st);
    nd_finalize(st);
    return rc == ND_DONE ? 0 : -1;
}

/* Deletes the dataset's row, its chunks following (ON DELETE CASCADE). */
static int delete_dataset(const char *id)
{
    if (nd_tx_begin())
        return -1;
    nd_stmt *st = nd_prepare("DELETE FROM datasets WHERE id = ?1");
    if (!st) {
        nd_tx_rollback();
        return -1;
    }
    nd_bind_text(st, 1, id);
    if (step_done(st)) {
        nd_tx_rollback();
        return -1;
    }
    return nd_tx_commit();
}

/* Deletes the uploads of dead processes, inside the caller's
 * transaction. */
static int sweep_abandoned(void)
{
    nd_stmt *st = nd_prepare("DELETE FROM datasets WHERE uploading IS "
                                  "NOT NULL AND uploading <> ?1");
    if (!st)
        return -1;
    nd_bind_text(st, 1, boot_id);
    return step_done(st);
}

/* Inserts the dataset's row, marked as uploading, inside the caller's
 * transaction. */
static int insert_row(const nd_ds_writer *w, const nd_ds_spec *spec)
{
    char now[ND_TIME_MAX];
    nd_now(now);
    char *features = json_dumps(spec->feature_names, JSON_COMPACT);
    char *targets = json_dumps(spec->target_names, JSON_COMPACT);
    char *shape = spec->input_shape
                      ? json_dumps(spec->input_shape, JSON_COMPACT)
                      : NULL;
    nd_stmt *st = nd_prepare(
        "INSERT INTO datasets (id, name, rows, input_dim, output_dim, "
        "target_dim, task, classes, feature_names, target_names, stats, "
        "sha256, source, created_at, uploading, input_shape) VALUES (?1, ?2, "
        "0, ?3, ?4, ?4, 'regression', '[]', ?5, ?6, '[]', '', ?7, ?8, ?9, "
        "?10)");
    int rc = -1;
    if (st && features && targets && (shape || !spec->input_shape)) {
        nd_bind_text(st, 1, w->id);
        nd_bind_text(st, 2, spec->name);
        nd_bind_int64(st, 3, (int64_t)w->input_dim);
        nd_bind_int64(st, 4, (int64_t)w->target_dim);
        nd_bind_text(st, 5, features);
        nd_bind_text(st, 6, targets);
        nd_bind_text(st, 7, spec->source);
        nd_bind_text(st, 8, now);
        nd_bind_text(st, 9, boot_id);
        if (shape)
            nd_bind_text(st, 10, shape);
        rc = step_done(st);
        st = NULL;
    }
    nd_finalize(st);
    free(features);
    free(targets);
    free(shape);
    return rc;
}

nd_ds_writer *nd_ds_writer_begin(const nd_ds_spec *spec, nd_ds_error *e)
{
    pthread_once(&boot_once, make_boot_id);
    nd_ds_writer *w = writer_alloc(spec);
    if (!w) {
        nd_ds_fail(e, 503, NULL, "out of memory for a dataset of %zu columns",
                   spec->input_dim + spec->target_dim);
        return NULL;
    }
    nd_new_id(w->id, "ds_");
    if (nd_tx_begin()) {
        db_fail(e, "starting an upload");
        writer_free(w);
        return NULL;
    }
    if (sweep_abandoned() || insert_row(w, spec) || nd_tx_commit()) {
        db_fail(e, "starting an upload");
        nd_tx_rollback();
        writer_free(w);
        return NULL;
    }
    return w;
}

/* Writes the buffered rows as the next chunk, in its own transaction. */
static int flush_chunk(nd_ds_writer *w, nd_ds_error *e)
{
    if (w->chunk_rows == 0)
        return 0;
    size_t xb = w->chunk_rows * w->input_dim * sizeof(float);
    size_t yb = w->chunk_rows * w->target_dim * sizeof(float);
    if (!EVP_DigestUpdate(w->sha, w->cx, xb)) {
        nd_ds_fail(e, 500, NULL, "sha256 failed");
        return -1;
    }
    if (nd_tx_begin()) {
        db_fail(e, "writing rows");
        return -1;
    }
    nd_stmt *st = nd_prepare(
        "INSERT INTO dataset_chunks (dataset_id, seq, first_row, rows, x, y) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (st) {
        nd_bind_text(st, 1, w->id);
        nd_bind_int64(st, 2, (int64_t)w->chunks);
        nd_bind_int64(st, 3, (int64_t)(w->rows - w->chunk_rows));
        nd_bind_int64(st, 4, (int64_t)w->chunk_rows);
        nd_bind_blob(st, 5, w->cx, xb);
        nd_bind_blob(st, 6, w->cy, yb);
    }
    if (!st || step_done(st) || nd_tx_commit()) {
        db_fail(e, "writing rows");
        nd_tx_rollback();
        return -1;
    }
    w->chunks++;
    w->chunk_rows = 0;
    return 0;
}

/* Adds row x to the running min, max, mean and sum of squared deviations
 * (Welford's update, stable where Σx² − n·mean² is not). */
static void update_stats(nd_ds_writer *w, const float *x)
{
    double n = (double)w->rows + 1;
    for (size_t j = 0; j < w->input_dim; j++) {
        if (w->rows == 0 || x[j] < w->min[j])
            w->min[j] = x[j];
        if (w->rows == 0 || x[j] > w->max[j])
            w->max[j] = x[j];
        double delta = x[j] - w->mean[j];
        w->mean[j] += delta / n;
        w->m2[j] += delta * (x[j] - w->mean[j]);
    }
}

int nd_ds_writer_add(nd_ds_writer *w, const float *x, const float *y,
                     nd_ds_error *e)
{
    uint64_t row_bytes = (w->input_dim + w->target_dim) * sizeof(float);
    if (w->max_bytes && (w->rows + 1) * row_bytes > w->max_bytes) {
        char detail[sizeof e->message];
        nd_quota_bytes_detail(detail, sizeof detail, "the dataset",
                              w->max_bytes);
        nd_ds_fail(e, 413, NULL, "%s", detail);
        return -1;
    }
    memcpy(w->cx + w->chunk_rows * w->input_dim, x,
           w->input_dim * sizeof *x);
    memcpy(w->cy + w->chunk_rows * w->target_dim, y,
           w->target_dim * sizeof *y);
    update_stats(w, x);
    w->chunk_rows++;
    w->rows++;
    return w->chunk_rows == w->chunk_cap ? flush_chunk(w, e) : 0;
}

void nd_ds_writer_late_labels(nd_ds_writer *w, const unsigned char *labels)
{
    w->late_labels = labels;
}

size_t nd_ds_writer_rows(const nd_ds_writer *w)
{
    return w->rows;
}

/* Reads chunk seq's Y into w->cy; its value count goes to *n. */
static int read_chunk_y(nd_ds_writer *w, size_t seq, size_t *n)
{
    nd_stmt *st = nd_prepare("SELECT y FROM dataset_chunks WHERE "
                                  "dataset_id = ?1 AND seq = ?2");
    if (!st)
        return -1;
    nd_bind_text(st, 1, w->id);
    nd_bind_int64(st, 2, (int64_t)seq);
    int rc = -1;
    if (nd_step(st) == ND_ROW) {
        size_t bytes = (size_t)nd_col_bytes(st, 0);
        if (bytes <= w->chunk_cap * w->target_dim * sizeof(float)) {
            memcpy(w->cy, nd_col_blob(st, 0), bytes);
            *n = bytes / sizeof(float);
            rc = 0;
        }
    }
    nd_finalize(st);
    return rc;
}

/* Rewrites chunk seq's Y from w->cy (n values), in its own transaction. */
static int write_chunk_y(nd_ds_writer *w, size_t seq, size_t n)
{
    if (nd_tx_begin())
        return -1;
    nd_stmt *st = nd_prepare("UPDATE dataset_chunks SET y = ?3 WHERE "
                                  "dataset_id = ?1 AND seq = ?2");
    if (st) {
        nd_bind_text(st, 1, w->id);
        nd_bind_int64(st, 2, (int64_t)seq);
        nd_bind_blob(st, 3, w->cy, n * sizeof(float));
    }
    if (!st || step_done(st) || nd_tx_commit()) {
        nd_tx_rollback();
        return -1;
    }
    return 0;
}

/* Second pass over the stored Y: puts in the late labels (every chunk but
 * the last is full, so chunk seq starts at row seq · chunk_cap), renumbers
 * class indexes into their final order when it differs from first
 * appearance (order NULL: none), and adds the Y bytes to the sha256, which
 * X has already been through. */
static int finish_y(nd_ds_writer *w, const size_t *order, nd_ds_error *e)
{
    const unsigned char *late = w->late_labels;
    for (size_t seq = 0; seq < w->chunks; seq++) {
        size_t n;
        if (read_chunk_y(w, seq, &n)) {
            db_fail(e, "reading the targets back");
            return -1;
        }
        for (size_t i = 0; late && i < n; i++)
            w->cy[i] = late[seq * w->chunk_cap + i];
        for (size_t i = 0; order && i < n; i++)
            w->cy[i] = (float)order[(size_t)w->cy[i]];
        if ((order || late) && write_chunk_y(w, seq, n)) {
            db_fail(e, "renumbering the classes");
            return -1;
        }
        if (!EVP_DigestUpdate(w->sha, w->cy, n * sizeof(float))) {
            nd_ds_fail(e, 500, NULL, "sha256 failed");
            return -1;
        }
    }
    return 0;
}

/* The statistics of every input column as text:
 * [{"name", "min", "max", "mean", "std"}, …], std of the population. */
static char *stats_text(const nd_ds_writer *w)
{
    json_t *arr = json_array();
    for (size_t j = 0; arr && j < w->input_dim; j++) {
        json_t *o = json_pack(
            "{s:O, s:f, s:f, s:f, s:f}", "name",
            json_array_get(w->feature_names, j), "min",
            nd_float_shortest(w->min[j]), "max",
            nd_float_shortest(w->max[j]), "mean", w->mean[j], "std",
            sqrt(w->m2[j] / (double)w->rows));
        if (!o || json_array_append_new(arr, o)) {
            json_decref(arr);
            arr = NULL;
        }
    }
    char *text = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    return text;
}

/* The digest as 64 lower-case hex digits. */
static int sha_hex(EVP_MD_CTX *sha, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (!EVP_DigestFinal_ex(sha, md, &len) || len != 32)
        return -1;
    for (unsigned i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return 0;
}

/* Fills in the metadata and clears the uploading mark, in one short
 * transaction. */
static int publish(nd_ds_writer *w, const nd_class_table *classes,
                   const char *sha, nd_ds_error *e)
{
    char now[ND_TIME_MAX];
    nd_now(now);
    json_t *names = classes ? nd_class_table_json(classes) : json_array();
    char *class_text = names ? json_dumps(names, JSON_COMPACT) : NULL;
    char *stats = stats_text(w);
    json_decref(names);
    size_t output_dim = classes ? nd_class_table_count(classes)
                                : w->target_dim;
    nd_stmt *st = NULL;
    int rc = -1;
    if (!class_text || !stats)
        nd_ds_fail(e, 503, NULL, "out of memory");
    else if (nd_tx_begin())
        db_fail(e, "finishing an upload");
    else if (!(st = nd_prepare(
                   "UPDATE datasets SET rows = ?2, output_dim = ?3, task = ?4, "
                   "classes = ?5, stats = ?6, sha256 = ?7, created_at = ?8, "
                   "uploading = NULL WHERE id = ?1")))
        db_fail(e, "finishing an upload");
    if (st) {
        nd_bind_text(st, 1, w->id);
        nd_bind_int64(st, 2, (int64_t)w->rows);
        nd_bind_int64(st, 3, (int64_t)output_dim);
        nd_bind_text(st, 4, classes ? "classification" : "regression");
        nd_bind_text(st, 5, class_text);
        nd_bind_text(st, 6, stats);
        nd_bind_text(st, 7, sha);
        nd_bind_text(st, 8, now);
        rc = step_done(st) || nd_tx_commit() ? -1 : 0;
        if (rc)
            db_fail(e, "finishing an upload");
    }
    nd_tx_rollback(); /* a no-op after a commit */
    free(class_text);
    free(stats);
    return rc;
}

/* Refuses a classification whose one-hot targets would pass libnn's
 * limit on one data matrix. */
static int check_one_hot(const nd_ds_writer *w, const nd_class_table *classes,
                         nd_ds_error *e)
{
    size_t elements;
    if (!classes ||
        (nn_size_mul(w->rows, nd_class_table_count(classes), &elements) &&
         elements <= NN_MAX_ELEMENTS))
        return 0;
    nd_ds_fail(e, 422, NULL, "%zu rows × %zu classes of one-hot targets are "
                             "more than the %lu values a dataset may hold",
               w->rows, nd_class_table_count(classes), NN_MAX_ELEMENTS);
    return -1;
}

int nd_ds_writer_finish(nd_ds_writer *w, const nd_class_table *classes,
                        char id[ND_ID_MAX], nd_ds_error *e)
{
    bool identity = true;
    size_t *order = classes ? nd_class_table_order(classes, &identity) : NULL;
    char sha[65];
    int rc = -1;
    if (classes && !order)
        nd_ds_fail(e, 503, NULL, "out of memory");
    else if (check_one_hot(w, classes, e) || flush_chunk(w, e) ||
             finish_y(w, identity ? NULL : order, e))
        rc = -1;
    else if (sha_hex(w->sha, sha))
        nd_ds_fail(e, 500, NULL, "sha256 failed");
    else
        rc = publish(w, classes, sha, e);
    free(order);
    if (rc == 0)
        memcpy(id, w->id, ND_ID_MAX);
    else
        delete_dataset(w->id);
    writer_free(w);
    return rc;
}

void nd_ds_writer_abort(nd_ds_writer *w)
{
    if (!w)
        return;
    delete_dataset(w->id);
    writer_free(w);
}

