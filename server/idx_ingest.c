/* idx_ingest.c — IDX images and labels into the dataset store (see
 * idx_ingest.h). Each part has an nd_idx decoder; the images' decoder
 * hands over one image at a time, which becomes a row at once. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_shape.h"
#include "idx_decode.h"
#include "idx_ingest.h"
#include "nn_limits.h"

#define MAX_LABEL_CLASSES 256 /* a label is one byte */

typedef enum { PART_NONE, PART_IMAGES, PART_LABELS } part_kind;

struct nd_idx_ingest {
    char *name;
    size_t max_rows;
    uint64_t max_bytes;     /* nd_ds_spec's */
    nd_class_table *given;  /* ?classes, or NULL */
    part_kind current;
    nd_idx *decoder;        /* of the current part */
    bool seen[3];           /* by part_kind */
    uint64_t n_images, n_labels; /* as their headers announce (0: not yet) */
    nd_shape shape;
    float *row;             /* the image being written, as floats */
    unsigned char *labels;  /* n_labels of them */
    uint64_t labels_read, rows;
    unsigned max_label;
    bool late;              /* rows were written before their labels */
    nd_ds_writer *w;
};

/* Names "pixel0" … for n inputs, as shared/tools/fashion-mnist-csv. */
static json_t *pixel_names(size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "pixel%zu", i);
        if (json_array_append_new(arr, json_string(name))) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return arr;
}

/* Reads ?classes into a class table; false after filling e. */
static bool read_classes(nd_idx_ingest *g, const char *text, nd_ds_error *e)
{
    char *copy = strdup(text);
    g->given = nd_class_table_new(MAX_LABEL_CLASSES);
    bool ok = copy && g->given;
    if (!ok)
        nd_ds_fail(e, 503, NULL, "out of memory");
    for (char *at = copy; ok;) {
        size_t len = strcspn(at, ",");
        bool last = at[len] == '\0', added;
        at[len] = '\0';
        long k = nd_ds_name_check(at, "?classes", e)
                     ? nd_class_table_index(g->given, at, &added)
                     : -3;
        if (k == -1)
            nd_ds_fail(e, 422, "?classes", "names more than %d classes (a "
                       "label is one byte)", MAX_LABEL_CLASSES);
        else if (k >= 0 && !added)
            nd_ds_fail(e, 422, "?classes", "names class '%.60s' twice", at);
        else if (k == -2)
            nd_ds_fail(e, 503, NULL, "out of memory");
        ok = k >= 0 && added;
        if (last)
            break;
        at += len + 1;
    }
    free(copy);
    return ok;
}

nd_idx_ingest *nd_idx_ingest_new(const nd_idx_options *opt, nd_ds_error *e)
{
    nd_idx_ingest *g = calloc(1, sizeof *g);
    if (!g || !(g->name = strdup(opt->name))) {
        free(g);
        nd_ds_fail(e, 503, NULL, "out of memory");
        return NULL;
    }
    g->max_rows = opt->max_rows;
    g->max_bytes = opt->max_bytes;
    if (opt->classes && !read_classes(g, opt->classes, e)) {
        nd_idx_ingest_free(g);
        return NULL;
    }
    return g;
}

void nd_idx_ingest_free(nd_idx_ingest *g)
{
    if (!g)
        return;
    nd_ds_writer_abort(g->w);
    nd_idx_free(g->decoder);
    nd_class_table_free(g->given);
    free(g->name);
    free(g->row);
    free(g->labels);
    free(g);
}

/* Checks an announced item count against the limit and the other part's
 * (other 0: not known yet); false after filling e. */
static bool count_ok(const nd_idx_ingest *g, uint64_t n, uint64_t other,
                     const char *pointer, const char *what, nd_ds_error *e)
{
    if (n == 0 || n > g->max_rows) {
        nd_ds_fail(e, 422, pointer, "announces %llu %s; a dataset has 1 to "
                   "%zu rows", (unsigned long long)n, what, g->max_rows);
        return false;
    }
    if (other && other != n) {
        nd_ds_fail(e, 422, pointer, "announces %llu %s, but the other part "
                   "announces %llu", (unsigned long long)n, what,
                   (unsigned long long)other);
        return false;
    }
    return true;
}

/* The images' header: N×H×W or N×C×H×W. Starts the writer. */
static int images_header(void *ctx, const uint32_t *dims, size_t n_dims,
                         nd_ds_error *e)
{
    nd_idx_ingest *g = ctx;
    if (n_dims != 3 && n_dims != 4) {
        nd_ds_fail(e, 422, "/images", "has %zu sizes; images are N×H×W or "
                   "N×C×H×W", n_dims);
        return -1;
    }
    if (!count_ok(g, dims[0], g->n_labels, "/images", "images", e))
        return -1;
    g->n_images = dims[0];
    g->shape.dims[0] = n_dims == 4 ? dims[1] : 1;
    g->shape.dims[1] = dims[n_dims - 2];
    g->shape.dims[2] = dims[n_dims - 1];
    size_t d = nd_shape_size(&g->shape); /* ≤ NN_MAX_UNITS: item bound */
    json_t *names = pixel_names(d), *targets = json_pack("[s]", "label");
    json_t *shape = nd_shape_json(&g->shape);
    g->row = malloc(d * sizeof *g->row);
    nd_ds_spec spec = {g->name, "idx",  d,           1,
                       names,   targets, shape, g->max_bytes};
    if (!names || !targets || !shape || !g->row)
        nd_ds_fail(e, 503, NULL, "out of memory");
    else
        g->w = nd_ds_writer_begin(&spec, e);
    json_decref(names);
    json_decref(targets);
    json_decref(shape);
    return g->w ? 0 : -1;
}

/* One image: a row, labelled now when the labels came first. */
static int images_item(void *ctx, const unsigned char *bytes, nd_ds_error *e)
{
    nd_idx_ingest *g = ctx;
    size_t d = nd_shape_size(&g->shape);
    for (size_t j = 0; j < d; j++)
        g->row[j] = bytes[j];
    float y = 0; /* a placeholder until the labels come */
    if (g->rows < g->labels_read)
        y = g->labels[g->rows];
    else
        g->late = true;
    g->rows++;
    return nd_ds_writer_add(g->w, g->row, &y, e);
}

static int labels_header(void *ctx, const uint32_t *dims, size_t n_dims,
                         nd_ds_error *e)
{
    nd_idx_ingest *g = ctx;
    if (n_dims != 1) {
        nd_ds_fail(e, 422, "/labels", "has %zu sizes; labels are one size, "
                   "N", n_dims);
        return -1;
    }
    if (!count_ok(g, dims[0], g->n_images, "/labels", "labels", e))
        return -1;
    g->n_labels = dims[0];
    g->labels = malloc(g->n_labels);
    if (!g->labels) {
        nd_ds_fail(e, 503, NULL, "out of memory");
        return -1;
    }
    return 0;
}

static int labels_item(void *ctx, const unsigned char *bytes, nd_ds_error *e)
{
    nd_idx_ingest *g = ctx;
    size_t k = bytes[0];
    if (g->given && k >= nd_class_table_count(g->given)) {
        char p[ND_PTR_MAX];
        snprintf(p, sizeof p, "/labels/%llu",
                 (unsigned long long)g->labels_read);
        nd_ds_fail(e, 422, p, "is label %zu, past the %zu classes ?classes "
                   "names", k, nd_class_table_count(g->given));
        return -1;
    }
    if (k > g->max_label)
        g->max_label = (unsigned)k;
    g->labels[g->labels_read++] = (unsigned char)k;
    return 0;
}

static const nd_idx_sink images_sink = {images_header, images_item};
static const nd_idx_sink labels_sink = {labels_header, labels_item};

/* Ends the current part: its file must be whole. */
static int end_part(nd_idx_ingest *g, nd_ds_error *e)
{
    int rc = g->decoder ? nd_idx_finish(g->decoder, e) : 0;
    nd_idx_free(g->decoder);
    g->decoder = NULL;
    g->current = PART_NONE;
    return rc;
}

/* Starts the part named part; false after filling e. */
static int begin_part(nd_idx_ingest *g, const char *part, nd_ds_error *e)
{
    char p[ND_PTR_MAX];
    nd_ptr(p, "", part);
    part_kind kind = strcmp(part, "images") == 0   ? PART_IMAGES
                     : strcmp(part, "labels") == 0 ? PART_LABELS
                                                   : PART_NONE;
    if (kind == PART_NONE) {
        nd_ds_fail(e, 400, p, "is not a part of an IDX upload: send the "
                              "parts images and labels");
        return -1;
    }
    if (g->seen[kind]) {
        nd_ds_fail(e, 400, p, "is sent twice");
        return -1;
    }
    g->seen[kind] = true;
    g->current = kind;
    /* an image of NN_MAX_UNITS bytes at most; a label is one byte */
    g->decoder = nd_idx_new(p, kind == PART_IMAGES ? &images_sink
                                                   : &labels_sink,
                            g, kind == PART_IMAGES ? NN_MAX_UNITS : 1);
    if (!g->decoder) {
        nd_ds_fail(e, 503, NULL, "out of memory");
        return -1;
    }
    return 0;
}

int nd_idx_ingest_part(nd_idx_ingest *g, const char *part, const char *data,
                       size_t len, nd_ds_error *e)
{
    static const char *const names[] = {"", "images", "labels"};
    if (g->current != PART_NONE && strcmp(part, names[g->current]) != 0 &&
        end_part(g, e))
        return -1;
    if (g->current == PART_NONE && begin_part(g, part, e))
        return -1;
    return nd_idx_feed(g->decoder, (const unsigned char *)data, len, e);
}

/* The class table: the names given, or "0" … max label. */
static nd_class_table *final_classes(nd_idx_ingest *g, nd_ds_error *e)
{
    nd_class_table *t = g->given;
    g->given = NULL;
    if (!t && (t = nd_class_table_new(g->max_label + 1)))
        for (unsigned k = 0; t && k <= g->max_label; k++)
            if (nd_class_table_index_number(t, k) < 0) {
                nd_class_table_free(t);
                t = NULL;
            }
    if (!t)
        nd_ds_fail(e, 503, NULL, "out of memory");
    return t;
}

int nd_idx_ingest_finish(nd_idx_ingest *g, char id[ND_ID_MAX],
                         nd_ds_error *e)
{
    if (end_part(g, e))
        return -1;
    if (!g->seen[PART_IMAGES] || !g->seen[PART_LABELS]) {
        nd_ds_fail(e, 422, g->seen[PART_IMAGES] ? "/labels" : "/images",
                   "is required: an IDX upload has the parts images and "
                   "labels");
        return -1;
    }
    nd_class_table *classes = final_classes(g, e);
    if (!classes)
        return -1;
    if (g->late)
        nd_ds_writer_late_labels(g->w, g->labels);
    nd_ds_writer *w = g->w;
    g->w = NULL; /* finish frees it, whatever happens */
    int rc = nd_ds_writer_finish(w, classes, id, e);
    nd_class_table_free(classes);
    return rc;
}
