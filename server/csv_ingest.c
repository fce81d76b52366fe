/* csv_ingest.c — streaming CSV into the dataset store (see
 * csv_ingest.h). libcsv calls on_field for each value and on_row at each
 * row's end; the input is handed to it one physical line at a time so
 * that every callback knows the line it is on. libcsv cannot be stopped
 * from inside a callback, so the first error is kept and everything after
 * it ignored. */
#include <csv.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_ingest.h"
#include "nn_limits.h"

#define MAX_FIELD (64u << 10)    /* bytes in one value */
#define MAX_COLUMNS (1u << 16)   /* columns in the header */

typedef enum {
    TARGET_UNDECIDED, /* until the first data row */
    TARGET_NUMBER,    /* regression */
    TARGET_LABEL,     /* class names as written */
    TARGET_CLASS_NUM  /* numbers taken as class labels */
} target_kind;

struct nd_csv_ingest {
    struct csv_parser parser;
    char *name, *target;
    bool force_classification;
    size_t max_rows;
    uint64_t max_bytes; /* nd_ds_spec's */
    bool shaped;
    nd_shape shape;
    size_t line;        /* the physical line being parsed, from 1 */
    size_t bom_matched; /* leading bytes matching a BOM; 3 when past it */
    bool after_newline; /* the last byte parsed was a newline */

    json_t *header;       /* the column names */
    bool header_numeric;  /* every header cell so far is a number */
    bool header_done;
    long *role;           /* per column: input j ≥ 0, or target t as −1 − t */
    size_t input_dim, target_dim;
    json_t *feature_names, *target_names;

    size_t col;           /* the column of the next value */
    size_t data_rows;     /* complete data rows */
    float *x, *y;         /* the row being read */
    target_kind kind;
    nd_class_table *classes;
    nd_ds_writer *w;

    bool failed;
    nd_ds_error err;
};

/* libcsv grows a value's buffer through this: refusing past MAX_FIELD
 * bounds the memory one huge value could take. */
static void *bounded_realloc(void *p, size_t n)
{
    return n > MAX_FIELD ? NULL : realloc(p, n);
}

nd_csv_ingest *nd_csv_new(const nd_csv_options *opt)
{
    nd_csv_ingest *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (csv_init(&c->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)) {
        free(c);
        return NULL;
    }
    csv_set_realloc_func(&c->parser, bounded_realloc);
    c->name = strdup(opt->name);
    c->target = opt->target ? strdup(opt->target) : NULL;
    c->force_classification = opt->force_classification;
    c->max_rows = opt->max_rows;
    c->max_bytes = opt->max_bytes;
    c->shaped = opt->shape != NULL;
    if (opt->shape)
        c->shape = *opt->shape;
    c->line = 1;
    c->header = json_array();
    c->header_numeric = true;
    if (!c->name || (opt->target && !c->target) || !c->header) {
        nd_csv_free(c);
        return NULL;
    }
    return c;
}

void nd_csv_free(nd_csv_ingest *c)
{
    if (!c)
        return;
    nd_ds_writer_abort(c->w);
    csv_free(&c->parser);
    free(c->name);
    free(c->target);
    json_decref(c->header);
    free(c->role);
    json_decref(c->feature_names);
    json_decref(c->target_names);
    free(c->x);
    free(c->y);
    nd_class_table_free(c->classes);
    free(c);
}

/* Keeps the first error, its message ending with the line. */
static void fail(nd_csv_ingest *c, unsigned status, const char *pointer,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void fail(nd_csv_ingest *c, unsigned status, const char *pointer,
                 const char *fmt, ...)
{
    if (c->failed)
        return;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    nd_ds_fail(&c->err, status, pointer, "%s (line %zu)", msg, c->line);
    c->failed = true;
}

/* "/rows/N/COLUMN" for column col of the current data row ("/rows/N"
 * past the header's columns). */
static void cell_pointer(const nd_csv_ingest *c, size_t col,
                         char p[ND_PTR_MAX])
{
    char row[40];
    snprintf(row, sizeof row, "/rows/%zu", c->data_rows + 1);
    json_t *name = json_array_get(c->header, col);
    if (name)
        nd_ptr(p, row, json_string_value(name));
    else
        snprintf(p, ND_PTR_MAX, "%s", row);
}

/* Whether s, blanks aside, is a decimal number: an optional sign, digits
 * with an optional point (at least one digit), an optional exponent.
 * strtod alone would also read hex ("0x10" as 16), hex floats, "inf" and
 * "nan", which a data file means as text, not as numbers. */
static bool decimal_syntax(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    s += *s == '+' || *s == '-';
    size_t digits = strspn(s, "0123456789");
    s += digits;
    if (*s == '.') {
        size_t frac = strspn(s + 1, "0123456789");
        digits += frac;
        s += 1 + frac;
    }
    if (digits == 0)
        return false;
    if (*s == 'e' || *s == 'E') {
        s++;
        s += *s == '+' || *s == '-';
        size_t exp = strspn(s, "0123456789");
        if (exp == 0)
            return false;
        s += exp;
    }
    while (isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

/* Whether s is a whole decimal number (decimal_syntax); its value
 * (infinite past the range of a double) into *v. */
static bool parse_number(const char *s, double *v)
{
    if (!decimal_syntax(s))
        return false;
    *v = strtod(s, NULL);
    return true;
}

/* Reads a numeric cell into *out; false after failing. */
static bool cell_number(nd_csv_ingest *c, size_t col, const char *s,
                        float *out)
{
    char p[ND_PTR_MAX];
    double v;
    if (parse_number(s, &v) && isfinite((float)v)) {
        *out = (float)v;
        return true;
    }
    cell_pointer(c, col, p);
    if (!*s)
        fail(c, 422, p, "is empty");
    else if (parse_number(s, &v))
        fail(c, 422, p, "'%.40s' is not a finite float32 number", s);
    else
        fail(c, 422, p, "'%.40s' is not a number", s);
    return false;
}

/* Reads a class label cell into the class index *out. */
static bool cell_label(nd_csv_ingest *c, size_t col, const char *s,
                       float *out)
{
    char p[ND_PTR_MAX];
    cell_pointer(c, col, p);
    long k;
    if (c->kind == TARGET_CLASS_NUM) {
        float f;
        double v; /* the class is named after the number as written */
        if (!cell_number(c, col, s, &f) || !parse_number(s, &v))
            return false;
        k = nd_class_table_index_number(c->classes, v);
    } else {
        nd_ds_error e;
        if (!*s) {
            fail(c, 422, p, "is empty");
            return false;
        }
        if (!nd_ds_name_check(s, p, &e)) {
            fail(c, 422, p, "a class label %s", e.message);
            return false;
        }
        k = nd_class_table_index(c->classes, s, NULL);
    }
    if (k == -1)
        fail(c, 422, p, "'%.40s' is a class past the limit of %d", s,
             ND_DS_MAX_CLASSES);
    else if (k < 0)
        fail(c, 503, NULL, "out of memory");
    *out = (float)k;
    return k >= 0;
}

/* On the first data row: whether the targets are numbers or class
 * labels, from the first target value (or force_classification). */
static bool decide_kind(nd_csv_ingest *c, size_t col, const char *s)
{
    double v;
    bool numeric = parse_number(s, &v);
    if (c->kind == TARGET_UNDECIDED)
        c->kind = c->force_classification ? TARGET_CLASS_NUM
                  : numeric              ? TARGET_NUMBER
                                         : TARGET_LABEL;
    if (c->target_dim > 1 && (!numeric || c->kind != TARGET_NUMBER)) {
        fail(c, 422, "?target", "column '%s' holds class labels ('%.40s'), "
             "and a classification needs exactly one target column",
             json_string_value(json_array_get(c->header, col)), s);
        return false;
    }
    if (c->kind != TARGET_NUMBER && !c->classes &&
        !(c->classes = nd_class_table_new(ND_DS_MAX_CLASSES))) {
        fail(c, 503, NULL, "out of memory");
        return false;
    }
    return true;
}

/* A value of a data row. */
static void data_field(nd_csv_ingest *c, const char *s)
{
    if (c->col >= json_array_size(c->header)) {
        char p[ND_PTR_MAX];
        cell_pointer(c, c->col, p);
        fail(c, 422, p, "the row has more values than the header's %zu "
                        "columns", json_array_size(c->header));
        return;
    }
    long role = c->role[c->col];
    if (role >= 0) {
        cell_number(c, c->col, s, &c->x[role]);
    } else if (c->data_rows > 0 || decide_kind(c, c->col, s)) {
        float *out = &c->y[-1 - role];
        if (c->kind == TARGET_NUMBER)
            cell_number(c, c->col, s, out);
        else
            cell_label(c, c->col, s, out);
    }
    c->col++;
}

/* The end of a data row: checks it is whole and within the limits, and
 * hands it to the writer. */
static void data_row_end(nd_csv_ingest *c)
{
    char p[ND_PTR_MAX];
    size_t ncols = json_array_size(c->header), elements;
    if (c->col < ncols) {
        cell_pointer(c, c->col, p);
        fail(c, 422, p, "the row ends after %zu of the header's %zu columns",
             c->col, ncols);
        return;
    }
    snprintf(p, sizeof p, "/rows/%zu", c->data_rows + 1);
    if (c->data_rows == c->max_rows) {
        fail(c, 422, p, "is past the limit of %zu rows", c->max_rows);
        return;
    }
    if (!nn_size_mul(c->data_rows + 1, c->input_dim, &elements) ||
        elements > NN_MAX_ELEMENTS) {
        fail(c, 422, p, "is past the limit of %lu input values",
             NN_MAX_ELEMENTS);
        return;
    }
    if (nd_ds_writer_add(c->w, c->x, c->y, &c->err)) {
        c->failed = true;
        return;
    }
    c->data_rows++;
    c->col = 0;
}

/* A header cell: a column name. */
static void header_field(nd_csv_ingest *c, const char *s)
{
    double v;
    char p[48];
    nd_ds_error e;
    snprintf(p, sizeof p, "/rows/0");
    if (json_array_size(c->header) == MAX_COLUMNS) {
        fail(c, 422, p, "the header has more than %u columns", MAX_COLUMNS);
        return;
    }
    c->header_numeric = c->header_numeric && parse_number(s, &v);
    if (!nd_ds_name_check(s, p, &e)) {
        fail(c, 422, p, "the name of column %zu %s",
             json_array_size(c->header) + 1, e.message);
        return;
    }
    if (json_array_append_new(c->header, json_string(s)))
        fail(c, 503, NULL, "out of memory");
}

/* Marks the target columns (−1 − t in role; 0 for the rest): those the
 * query names, comma-separated, or else the last one. False after failing
 * on a name that is not a column or is given twice. */
static bool assign_roles(nd_csv_ingest *c, const nd_class_table *index)
{
    size_t ncols = json_array_size(c->header);
    for (size_t j = 0; j < ncols; j++)
        c->role[j] = 0;
    if (!c->target) {
        c->role[ncols - 1] = -1;
        c->target_dim = 1;
        return true;
    }
    for (char *at = c->target;; at++) {
        size_t len = strcspn(at, ",");
        char save = at[len];
        at[len] = '\0';
        long col = nd_class_table_find(index, at);
        if (col < 0 || c->role[col] < 0)
            fail(c, 422, "?target", col < 0 ? "the header has no column "
                 "'%.60s'" : "names column '%.60s' twice", at);
        else
            c->role[col] = -1 - (long)c->target_dim++;
        at[len] = save;
        at += len;
        if (c->failed || !*at)
            break;
    }
    return !c->failed;
}

/* Splits the columns into inputs and targets, their names into the
 * writer's spec, and allocates the row. */
static bool split_columns(nd_csv_ingest *c, const nd_class_table *index)
{
    size_t ncols = json_array_size(c->header);
    c->role = malloc(ncols * sizeof *c->role);
    c->feature_names = json_array();
    c->target_names = json_array();
    if (!c->role || !c->feature_names || !c->target_names) {
        fail(c, 503, NULL, "out of memory");
        return false;
    }
    if (!assign_roles(c, index))
        return false;
    for (size_t t = 0; t < c->target_dim; t++) /* filled in below */
        json_array_append_new(c->target_names, json_null());
    for (size_t j = 0; j < ncols; j++) { /* targets in the query's order */
        json_t *name = json_array_get(c->header, j);
        if (c->role[j] >= 0) {
            c->role[j] = (long)c->input_dim++;
            json_array_append(c->feature_names, name);
        } else {
            json_array_set(c->target_names, (size_t)(-1 - c->role[j]), name);
        }
    }
    if (c->input_dim == 0)
        fail(c, 422, "?target", "every column is a target: none is left as "
                                "an input");
    if (c->force_classification && c->target_dim > 1)
        fail(c, 422, "?target", "a classification needs exactly one target "
                                "column, not %zu", c->target_dim);
    nd_ds_error e;
    if (!c->failed && c->shaped &&
        !nd_shape_matches(&c->shape, c->input_dim, "?shape", &e))
        fail(c, e.status, e.pointer, "%s", e.message);
    if (c->failed)
        return false;
    c->x = malloc(c->input_dim * sizeof *c->x);
    c->y = malloc(c->target_dim * sizeof *c->y);
    if (!c->x || !c->y)
        fail(c, 503, NULL, "out of memory");
    return !c->failed;
}

/* The end of the header: refuses a first row of numbers and duplicate
 * names, finds the targets, and starts the writer. */
static void header_end(nd_csv_ingest *c)
{
    c->header_done = true;
    if (c->header_numeric) {
        fail(c, 422, "/rows/0", "the first row must be a header naming the "
                                "columns, not values");
        return;
    }
    size_t ncols = json_array_size(c->header);
    nd_class_table *index = nd_class_table_new(ncols);
    for (size_t j = 0; index && j < ncols && !c->failed; j++) {
        bool added;
        const char *name = json_string_value(json_array_get(c->header, j));
        char p[ND_PTR_MAX];
        nd_ptr(p, "/rows/0", name);
        if (nd_class_table_index(index, name, &added) < 0)
            fail(c, 503, NULL, "out of memory");
        else if (!added)
            fail(c, 422, p, "column name '%.60s' appears twice", name);
    }
    if (!index)
        fail(c, 503, NULL, "out of memory");
    if (!c->failed && split_columns(c, index)) {
        json_t *shape = c->shaped ? nd_shape_json(&c->shape) : NULL;
        nd_ds_spec spec = {c->name,         "csv",
                           c->input_dim,    c->target_dim,
                           c->feature_names, c->target_names,
                           shape,           c->max_bytes};
        if (c->shaped && !shape)
            fail(c, 503, NULL, "out of memory");
        else
            c->w = nd_ds_writer_begin(&spec, &c->err);
        c->failed = c->w == NULL;
        json_decref(shape);
    }
    nd_class_table_free(index);
}

static void on_field(void *s, size_t len, void *ctx)
{
    nd_csv_ingest *c = ctx;
    if (c->failed)
        return;
    const char *text = s ? s : "";
    if (memchr(text, '\0', len)) {
        fail(c, 422, c->header_done ? "/rows" : "/rows/0",
             "the file holds a NUL byte");
        return;
    }
    if (c->header_done)
        data_field(c, text);
    else
        header_field(c, text);
}

static void on_row(int terminator, void *ctx)
{
    (void)terminator;
    nd_csv_ingest *c = ctx;
    if (c->failed)
        return;
    if (c->header_done)
        data_row_end(c);
    else
        header_end(c);
}

/* Records why libcsv stopped. */
static void parser_failed(nd_csv_ingest *c)
{
    char p[40];
    snprintf(p, sizeof p, "/rows/%zu", c->header_done ? c->data_rows + 1 : 0);
    int code = csv_error(&c->parser);
    if (code == CSV_EPARSE)
        fail(c, 422, p, "malformed quoting: a quote inside an unquoted value "
                        "or a quoted value left open");
    else if (code == CSV_ENOMEM && csv_get_buffer_size(&c->parser) >=
                                       MAX_FIELD / 2)
        fail(c, 422, p, "a value is longer than %u bytes", MAX_FIELD);
    else
        fail(c, 503, NULL, "out of memory parsing CSV: %s",
             csv_strerror(code));
}

/* Parses data line by line, counting lines. */
static void parse_lines(nd_csv_ingest *c, const char *data, size_t len)
{
    while (len > 0 && !c->failed) {
        const char *nl = memchr(data, '\n', len);
        size_t n = nl ? (size_t)(nl - data) + 1 : len;
        if (csv_parse(&c->parser, data, n, on_field, on_row, c) != n)
            parser_failed(c);
        if (nl)
            c->line++;
        c->after_newline = nl != NULL;
        data += n;
        len -= n;
    }
}

static const char bom[3] = {'\xef', '\xbb', '\xbf'};

/* Consumes the bytes of a leading byte-order mark, which may arrive
 * split across pieces; returns how many of data it took. Bytes that only
 * looked like the start of one are parsed as data. */
static size_t skip_bom(nd_csv_ingest *c, const char *data, size_t len)
{
    size_t used = 0;
    while (c->bom_matched < 3 && used < len) {
        if (data[used] != bom[c->bom_matched]) {
            size_t k = c->bom_matched;
            c->bom_matched = 3;
            parse_lines(c, bom, k);
            break;
        }
        c->bom_matched++;
        used++;
    }
    return used;
}

int nd_csv_feed(nd_csv_ingest *c, const char *data, size_t len,
                nd_ds_error *e)
{
    size_t skipped = c->failed ? 0 : skip_bom(c, data, len);
    parse_lines(c, data + skipped, len - skipped);
    if (c->failed)
        *e = c->err;
    return c->failed ? -1 : 0;
}

int nd_csv_finish(nd_csv_ingest *c, char id[ND_ID_MAX], nd_ds_error *e)
{
    if (!c->failed && c->bom_matched > 0 && c->bom_matched < 3) {
        size_t k = c->bom_matched; /* a file of only a BOM's first bytes */
        c->bom_matched = 3;
        parse_lines(c, bom, k);
    }
    /* after a final newline the line counter is one past the file's
     * last line, where a quoted value left open started or ended */
    if (c->line > 1 && c->after_newline)
        c->line--;
    if (!c->failed && csv_fini(&c->parser, on_field, on_row, c))
        parser_failed(c);
    if (!c->failed && !c->header_done) { /* no line to speak of */
        nd_ds_fail(&c->err, 422, "/rows", "the file is empty: it needs a "
                                          "header row, then data rows");
        c->failed = true;
    } else if (c->data_rows == 0)
        fail(c, 422, "/rows", "the file has a header but no data rows");
    if (!c->failed) {
        nd_ds_writer *w = c->w;
        c->w = NULL; /* finish frees it, whatever happens */
        c->failed = nd_ds_writer_finish(w, c->kind == TARGET_NUMBER
                                               ? NULL
                                               : c->classes,
                                        id, &c->err) != 0;
    }
    if (c->failed)
        *e = c->err;
    return c->failed ? -1 : 0;
}
