/* dataset_read.c — reading complete datasets back: the API's dataset
 * object, the newest-first list, pages of rows, deletion, and loading a
 * whole dataset for training (see dataset_store.h and datasets.h). Rows
 * are read chunk by chunk; a chunk whose blobs do not match its row count
 * is reported as corrupt, never read past. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_shape.h"
#include "dataset_store.h"
#include "datasets.h"
#include "nn_limits.h"
#include "sharing.h"
#include "text_ingest.h"

/* Values (inputs and targets) one page of rows may hold, whatever its
 * limit: a page of very wide rows is shortened to stay a few MB. */
#define PAGE_VALUES (1u << 20)

#define OBJECT_COLUMNS                                                       \
    "id, name, rows, input_dim, output_dim, task, classes, feature_names, "  \
    "target_names, sha256, created_at, stats, input_shape, source, "        \
    ND_SHARE_COLUMNS("datasets")
#define SHARE_COL 14 /* public, then owner (sharing.h) */

/* A JSON text column parsed, or NULL. */
static json_t *column_json(nd_stmt *st, int col)
{
    const char *text = nd_col_text(st, col);
    return text ? json_loads(text, 0, NULL) : NULL;
}

/* The stored input shape, or [input_dim] for a dataset of plain vectors
 * (input_shape NULL); NULL when out of memory or corrupt. */
static json_t *shape_from_row(nd_stmt *st)
{
    if (nd_col_null(st, 12))
        return json_pack("[I]", (json_int_t)nd_col_int64(st, 3));
    return column_json(st, 12);
}

/* The tokenizer of a text dataset stored with this source, or NULL when
 * it is not a text. */
static const char *text_tokenizer(const char *source)
{
    size_t n = strlen(ND_TEXT_SOURCE_PREFIX);
    return source && strncmp(source, ND_TEXT_SOURCE_PREFIX, n) == 0
               ? source + n
               : NULL;
}

/* The dataset object of a text from a row of OBJECT_COLUMNS: its tokens
 * are the rows, its vocabulary the classes. */
static json_t *text_object_from_row(nd_stmt *st, const char *tokenizer)
{
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:s, s:s}", "id",
        nd_col_text(st, 0), "name",
        nd_col_text(st, 1), "task",
        "language_modeling", "tokenizer", tokenizer, "tokens",
        (json_int_t)nd_col_int64(st, 2), "vocab_size",
        (json_int_t)nd_col_int64(st, 4), "vocabulary",
        column_json(st, 6), "sha256",
        nd_col_text(st, 9), "created_at",
        nd_col_text(st, 10));
}

/* The dataset object but its sharing fields from a row of OBJECT_COLUMNS. */
static json_t *unshared_object_from_row(nd_stmt *st)
{
    const char *tokenizer =
        text_tokenizer(nd_col_text(st, 13));
    if (tokenizer)
        return text_object_from_row(st, tokenizer);
    return json_pack(
        "{s:s, s:s, s:I, s:I, s:I, s:o, s:s, s:o, s:o, s:o, s:s, s:s, s:o}",
        "id", nd_col_text(st, 0), "name",
        nd_col_text(st, 1), "rows",
        (json_int_t)nd_col_int64(st, 2), "input_dim",
        (json_int_t)nd_col_int64(st, 3), "output_dim",
        (json_int_t)nd_col_int64(st, 4), "input_shape",
        shape_from_row(st), "task",
        nd_col_text(st, 5), "classes",
        column_json(st, 6), "feature_names", column_json(st, 7),
        "target_names", column_json(st, 8), "sha256",
        nd_col_text(st, 9), "created_at",
        nd_col_text(st, 10), "stats",
        column_json(st, 11));
}

/* The dataset object from a row of OBJECT_COLUMNS; NULL when out of
 * memory or the row's JSON is corrupt. */
static json_t *object_from_row(nd_stmt *st)
{
    json_t *o = unshared_object_from_row(st);
    if (o && nd_share_fields(o, st, SHARE_COL)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int nd_ds_object(const char *id, json_t **out)
{
    nd_stmt *st = nd_prepare("SELECT " OBJECT_COLUMNS " FROM datasets "
                                  "WHERE id = ?1 AND uploading IS NULL");
    if (!st)
        return -1;
    nd_bind_text(st, 1, id);
    int rc = nd_step(st);
    if (rc == ND_ROW) {
        *out = object_from_row(st);
        rc = *out ? 0 : -1;
    } else {
        rc = rc == ND_DONE ? 1 : -1;
    }
    nd_finalize(st);
    return rc;
}

int nd_ds_list(const nd_page_key *after, size_t limit, json_t **items,
               bool *more)
{
    nd_stmt *st = nd_prepare(
        "SELECT " OBJECT_COLUMNS " FROM datasets WHERE uploading IS NULL "
        "AND (CAST(?1 AS TEXT) IS NULL OR (created_at, id) < (?1, ?2)) "
        "AND (CAST(?4 AS TEXT) IS NULL OR owner = ?4 OR public = 1) "
        "ORDER BY created_at DESC, id DESC LIMIT ?3");
    *items = json_array();
    if (!st || !*items) {
        nd_finalize(st);
        json_decref(*items);
        return -1;
    }
    if (after->id[0]) {
        nd_bind_text(st, 1, after->created_at);
        nd_bind_text(st, 2, after->id);
    }
    nd_bind_int64(st, 3, (int64_t)limit + 1);
    if (after->owner[0])
        nd_bind_text(st, 4, after->owner);
    int rc;
    *more = false;
    while ((rc = nd_step(st)) == ND_ROW) {
        if (json_array_size(*items) == limit) {
            *more = true;
            continue;
        }
        json_t *o = object_from_row(st);
        if (!o || json_array_append_new(*items, o))
            break;
    }
    nd_finalize(st);
    if (rc != ND_DONE) {
        json_decref(*items);
        return -1;
    }
    return 0;
}

/* What reading rows needs to know of a dataset. */
typedef struct {
    size_t rows, input_dim, output_dim, target_dim;
    bool classification;
    bool text;       /* a text dataset: one token id per row */
    bool byte_tokens; /* … whose tokens are the bytes of its UTF-8 */
    nd_shape image;   /* its [C, H, W]; all 0 for plain vectors */
    json_t *classes; /* only when asked for */
} shape;

/* The stored input_shape of column col into *image (all 0 when NULL);
 * false when it is corrupt. */
static bool image_shape(nd_stmt *st, int col, nd_shape *image)
{
    *image = (nd_shape){{0}};
    if (nd_col_null(st, col))
        return true;
    json_t *js = column_json(st, col);
    nd_ds_error e;
    bool ok = nd_shape_from_json(js, "", image, &e);
    json_decref(js);
    return ok;
}

/* Reads the shape of complete dataset id; 0, 1 (none) or −1. */
static int read_shape(const char *id, shape *s, bool want_classes)
{
    nd_stmt *st = nd_prepare(
        "SELECT rows, input_dim, output_dim, target_dim, task, classes, "
        "source, input_shape FROM datasets WHERE id = ?1 AND uploading IS "
        "NULL");
    if (!st)
        return -1;
    nd_bind_text(st, 1, id);
    int rc = nd_step(st);
    if (rc == ND_ROW) {
        s->rows = (size_t)nd_col_int64(st, 0);
        s->input_dim = (size_t)nd_col_int64(st, 1);
        s->output_dim = (size_t)nd_col_int64(st, 2);
        s->target_dim = (size_t)nd_col_int64(st, 3);
        s->classification = strcmp(nd_col_text(st, 4),
                                   "classification") == 0;
        const char *tok = text_tokenizer(
            nd_col_text(st, 6));
        s->text = tok != NULL;
        s->byte_tokens = tok && strcmp(tok, "byte") == 0;
        s->classes = want_classes ? column_json(st, 5) : NULL;
        rc = (want_classes && !json_is_array(s->classes)) ||
                     !image_shape(st, 7, &s->image)
                 ? -1
                 : 0;
        if (rc)
            json_decref(s->classes);
    } else {
        rc = rc == ND_DONE ? 1 : -1;
    }
    nd_finalize(st);
    return rc;
}

/* Called for each chunk that overlaps the rows asked for: rows
 * [first, first + n) with their X and Y as stored (not aligned: copy the
 * floats out). Returns 0 to go on. */
typedef int (*chunk_fn)(void *ctx, size_t first, size_t n,
                        const unsigned char *x, const unsigned char *y);

/* Runs fn over the chunks of dataset id that hold rows [from, to). */
static int each_chunk(const char *id, const shape *s, size_t from, size_t to,
                      chunk_fn fn, void *ctx)
{
    nd_stmt *st = nd_prepare(
        "SELECT first_row, rows, x, y FROM dataset_chunks WHERE dataset_id = "
        "?1 AND first_row < ?3 AND first_row + rows > ?2 ORDER BY seq");
    if (!st)
        return -1;
    nd_bind_text(st, 1, id);
    nd_bind_int64(st, 2, (int64_t)from);
    nd_bind_int64(st, 3, (int64_t)to);
    int rc = 0, step;
    size_t covered = 0;
    while ((step = nd_step(st)) == ND_ROW) {
        size_t first = (size_t)nd_col_int64(st, 0);
        size_t n = (size_t)nd_col_int64(st, 1);
        const unsigned char *x = nd_col_blob(st, 2);
        size_t xb = (size_t)nd_col_bytes(st, 2);
        const unsigned char *y = nd_col_blob(st, 3);
        size_t yb = (size_t)nd_col_bytes(st, 3);
        if (first + n > s->rows || xb != n * s->input_dim * sizeof(float) ||
            yb != n * s->target_dim * sizeof(float) || !x || !y)
            rc = -1; /* corrupt */
        else
            rc = fn(ctx, first, n, x, y);
        if (rc)
            break;
        covered += (to < first + n ? to : first + n) - (from > first ? from
                                                                    : first);
    }
    /* every row asked for must have been in some chunk */
    if (rc == 0 && (step != ND_DONE || covered != to - from))
        rc = -1;
    nd_finalize(st);
    return rc;
}

/* value i of a stored float array */
static float stored_float(const unsigned char *p, size_t i)
{
    float f;
    memcpy(&f, p + i * sizeof f, sizeof f);
    return f;
}

/* n stored floats as a JSON array of short decimals. */
static json_t *float_array(const unsigned char *p, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, json_real(nd_float_shortest(
                                           stored_float(p, i))))) {
            json_decref(arr);
            arr = NULL;
        }
    return arr;
}

typedef struct {
    const shape *s;
    size_t from, to;
    json_t *items;
} page_ctx;

/* Appends the chunk's rows of the page to ctx->items. */
static int page_chunk(void *ctx, size_t first, size_t n,
                      const unsigned char *x, const unsigned char *y)
{
    page_ctx *p = ctx;
    const shape *s = p->s;
    size_t lo = p->from > first ? p->from : first;
    size_t hi = p->to < first + n ? p->to : first + n;
    for (size_t r = lo; r < hi; r++) {
        size_t i = r - first;
        json_t *inputs = float_array(x + i * s->input_dim * sizeof(float),
                                     s->input_dim);
        json_t *out;
        if (s->classification)
            out = json_incref(json_array_get(
                s->classes, (size_t)stored_float(y, i)));
        else
            out = float_array(y + i * s->target_dim * sizeof(float),
                              s->target_dim);
        /* json_pack takes both references, also when it fails */
        json_t *row = json_pack("{s:o, s:o}", "inputs", inputs,
                                s->classification ? "label" : "targets", out);
        if (!row || json_array_append_new(p->items, row))
            return -1;
    }
    return 0;
}

typedef struct {
    const shape *s;
    size_t from, to;
    char *text; /* the slice, NUL-ended */
    size_t len;
    json_t *ids;
} text_ctx;

/* Appends the chunk's tokens of the slice to ctx->text and ctx->ids. */
static int text_chunk(void *ctx, size_t first, size_t n,
                      const unsigned char *x, const unsigned char *y)
{
    (void)y;
    text_ctx *p = ctx;
    size_t lo = p->from > first ? p->from : first;
    size_t hi = p->to < first + n ? p->to : first + n;
    for (size_t r = lo; r < hi; r++) {
        size_t k = (size_t)stored_float(x, r - first);
        const char *tok = json_string_value(json_array_get(p->s->classes, k));
        char byte[2] = {(char)k, 0};
        if (p->s->byte_tokens)
            tok = byte;
        if (!tok || json_array_append_new(p->ids, json_integer((json_int_t)k)))
            return -1; /* corrupt, or out of memory */
        size_t m = strlen(tok);
        memcpy(p->text + p->len, tok, m + 1);
        p->len += m;
    }
    return 0;
}

/* The page of a text dataset: tokens [from, to) as {"text", "tokens"
 * (their ids), "offset", "limit", "total"}. A byte slice that cuts a
 * character shows its stray bytes as '?'. */
static int text_page(const char *id, const shape *s, size_t from, size_t to,
                     size_t limit, json_t **page)
{
    /* a character is at most 4 bytes of UTF-8 */
    text_ctx ctx = {s, from, to, malloc(4 * (to - from) + 1), 0,
                    json_array()};
    int rc = ctx.text && ctx.ids ? 0 : -1;
    if (rc == 0) {
        ctx.text[0] = 0;
        rc = each_chunk(id, s, from, to, text_chunk, &ctx);
    }
    if (rc == 0) {
        nd_utf8_scrub(ctx.text);
        *page = json_pack("{s:s, s:O, s:I, s:I, s:I}", "text", ctx.text,
                          "tokens", ctx.ids, "offset", (json_int_t)from,
                          "limit", (json_int_t)limit, "total",
                          (json_int_t)s->rows);
        rc = *page ? 0 : -1;
    }
    free(ctx.text);
    json_decref(ctx.ids);
    return rc;
}

int nd_ds_rows(const char *id, size_t offset, size_t limit, json_t **page)
{
    shape s;
    int rc = read_shape(id, &s, true);
    if (rc)
        return rc;
    if (s.text) {
        size_t from = offset < s.rows ? offset : s.rows;
        size_t to = limit < s.rows - from ? from + limit : s.rows;
        rc = text_page(id, &s, from, to, limit, page);
        json_decref(s.classes);
        return rc;
    }
    size_t per_row = s.input_dim + s.target_dim;
    size_t most = PAGE_VALUES / per_row ? PAGE_VALUES / per_row : 1;
    if (limit > most)
        limit = most;
    size_t from = offset < s.rows ? offset : s.rows;
    size_t to = limit < s.rows - from ? from + limit : s.rows;
    page_ctx ctx = {&s, from, to, json_array()};
    rc = ctx.items ? each_chunk(id, &s, from, to, page_chunk, &ctx) : -1;
    json_decref(s.classes);
    if (rc == 0)
        *page = json_pack("{s:o, s:I, s:I, s:I}", "items", ctx.items,
                          "offset", (json_int_t)offset, "limit",
                          (json_int_t)limit, "total", (json_int_t)s.rows);
    else
        json_decref(ctx.items);
    return rc == 0 && !*page ? -1 : rc;
}

bool nd_ds_is_text(const char *id)
{
    shape s;
    return read_shape(id, &s, false) == 0 && s.text;
}

size_t nd_ds_input_dim(const char *id)
{
    shape s;
    return read_shape(id, &s, false) == 0 ? s.input_dim : 0;
}

/* One try of nd_ds_delete. */
static int delete_once(const char *id)
{
    if (nd_tx_begin())
        return -1;
    nd_stmt *st = nd_prepare(
        "SELECT (SELECT count(*) FROM datasets WHERE id = ?1 AND uploading "
        "IS NULL), (SELECT count(*) FROM jobs WHERE dataset_id = ?1 AND "
        "status IN ('queued', 'running', 'paused'))");
    int rc = -1;
    if (st) {
        nd_bind_text(st, 1, id);
        if (nd_step(st) == ND_ROW)
            rc = nd_col_int(st, 0) == 0   ? 1
                 : nd_col_int(st, 1) > 0 ? 2
                                                 : 0;
        nd_finalize(st);
    }
    if (rc == 0) {
        st = nd_prepare("DELETE FROM datasets WHERE id = ?1");
        if (st)
            nd_bind_text(st, 1, id);
        rc = st && nd_step(st) == ND_DONE ? 0 : -1;
        nd_finalize(st);
    }
    if (rc == 0)
        return nd_tx_commit();
    nd_tx_rollback();
    return rc;
}

int nd_ds_delete(const char *id)
{
    int rc = delete_once(id);
    if (rc == -1 && nd_store_retry_full())
        rc = delete_once(id);
    return rc;
}

int nd_dataset_shape(const char *id, size_t *rows, size_t *input_dim,
                     size_t *output_dim, bool *classification,
                     nd_shape *image)
{
    shape s;
    int rc = read_shape(id, &s, false);
    if (rc)
        return rc;
    *rows = s.rows;
    *input_dim = s.input_dim;
    *output_dim = s.output_dim;
    *classification = s.classification;
    *image = s.image;
    return 0;
}

/* Copies a chunk into the dataset being loaded; Y one-hot for
 * classification. */
static int load_chunk(void *ctx, size_t first, size_t n,
                      const unsigned char *x, const unsigned char *y)
{
    nd_dataset *d = ctx;
    memcpy(d->X + first * d->input_dim, x, n * d->input_dim * sizeof(float));
    if (!d->classification) {
        memcpy(d->Y + first * d->output_dim, y,
               n * d->output_dim * sizeof(float));
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)stored_float(y, i);
        if (k >= d->output_dim)
            return -1; /* corrupt */
        d->Y[(first + i) * d->output_dim + k] = 1.0f;
    }
    return 0;
}

/* Copies a text chunk's token ids (stored as one float per row). */
static int load_ids(void *ctx, size_t first, size_t n, const unsigned char *x,
                    const unsigned char *y)
{
    (void)y;
    nd_dataset *d = ctx;
    for (size_t i = 0; i < n; i++) {
        float v = stored_float(x, i);
        if (!(v >= 0.0f && v < (float)d->n_classes))
            return -1; /* corrupt */
        d->ids[first + i] = (uint32_t)v;
    }
    return 0;
}

/* Copies the class names of a loaded dataset. */
static int copy_classes(nd_dataset *d, json_t *classes)
{
    d->n_classes = json_array_size(classes);
    if (d->n_classes == 0)
        return 0;
    d->classes = calloc(d->n_classes, sizeof *d->classes);
    if (!d->classes)
        return -1;
    for (size_t i = 0; i < d->n_classes; i++) {
        const char *name = json_string_value(json_array_get(classes, i));
        d->classes[i] = strdup(name ? name : "");
        if (!d->classes[i])
            return -1;
    }
    return 0;
}

/* Allocates X and Y (zeroed) for the shape, or a text's ids; −1 past
 * libnn's limits. */
static int alloc_matrices(nd_dataset *d)
{
    size_t nx, ny;
    if (d->text) {
        d->ids = d->rows <= NN_MAX_ELEMENTS ? malloc(d->rows * sizeof *d->ids)
                                            : NULL;
        return d->ids ? 0 : -1;
    }
    if (!nn_size_mul(d->rows, d->input_dim, &nx) ||
        !nn_size_mul(d->rows, d->output_dim, &ny) || nx > NN_MAX_ELEMENTS ||
        ny > NN_MAX_ELEMENTS)
        return -1;
    d->X = malloc(nx * sizeof *d->X);
    d->Y = calloc(ny, sizeof *d->Y);
    return d->X && d->Y ? 0 : -1;
}

int nd_dataset_load(const char *id, nd_dataset *out, char *err,
                    size_t errlen)
{
    memset(out, 0, sizeof *out);
    shape s;
    int rc = read_shape(id, &s, true);
    if (rc) {
        snprintf(err, errlen, rc == 1 ? "dataset %s does not exist"
                                      : "cannot read dataset %s", id);
        return rc;
    }
    snprintf(out->id, sizeof out->id, "%s", id);
    out->rows = s.rows;
    out->input_dim = s.input_dim;
    out->output_dim = s.output_dim;
    out->classification = s.classification;
    out->image = s.image;
    out->text = s.text;
    const char *why = "out of memory";
    rc = copy_classes(out, s.classes) || alloc_matrices(out) ? -1 : 0;
    if (rc == 0 && each_chunk(id, &s, 0, s.rows,
                              s.text ? load_ids : load_chunk, out)) {
        why = "its stored rows are unreadable or corrupt";
        rc = -1;
    }
    json_decref(s.classes);
    if (rc) {
        snprintf(err, errlen, "cannot load dataset %s: %s", id, why);
        nd_dataset_release(out);
    }
    return rc;
}

/* Frees what nd_dataset_load allocated and zeroes d; d may be NULL or
 * released already. */
void nd_dataset_release(nd_dataset *d)
{
    if (!d)
        return;
    free(d->X);
    free(d->Y);
    free(d->ids);
    for (size_t i = 0; d->classes && i < d->n_classes; i++)
        free(d->classes[i]);
    free(d->classes);
    memset(d, 0, sizeof *d);
}
