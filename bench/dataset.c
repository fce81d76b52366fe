/* dataset.c — loading Fashion-MNIST for bench-train (see dataset.h). */
#include <csv.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "dataset.h"

#define N_CLASSES 10 /* Fashion-MNIST's, in the IDX files */

/* Reads a whole gzip file into memory; NULL with msg on failure. */
static unsigned char *gunzip_file(const char *path, size_t *len, char *msg,
                                  size_t msglen)
{
    gzFile f = gzopen(path, "rb");
    if (!f) {
        snprintf(msg, msglen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 20, n = 0;
    unsigned char *buf = malloc(cap);
    int got;
    while (buf && (got = gzread(f, buf + n, (unsigned)(cap - n))) > 0) {
        n += (size_t)got;
        if (n == cap) {
            unsigned char *p = realloc(buf, cap *= 2);
            if (!p)
                free(buf);
            buf = p;
        }
    }
    gzclose(f);
    if (!buf)
        snprintf(msg, msglen, "%s: out of memory", path);
    *len = n;
    return buf;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

int bench_load_idx(bench_set *s, const char *images, const char *labels,
                   size_t limit, char *msg, size_t msglen)
{
    size_t ilen = 0, llen = 0;
    unsigned char *img = gunzip_file(images, &ilen, msg, msglen);
    unsigned char *lab = img ? gunzip_file(labels, &llen, msg, msglen) : NULL;
    int rc = -1;
    if (!img || !lab)
        goto out;
    if (ilen < 16 || llen < 8 || be32(img) != 0x803 || be32(lab) != 0x801) {
        snprintf(msg, msglen, "%s or %s is not an IDX file", images, labels);
        goto out;
    }
    size_t n = be32(img + 4), cols = (size_t)be32(img + 8) * be32(img + 12);
    if (be32(lab + 4) != n || ilen < 16 + n * cols || llen < 8 + n) {
        snprintf(msg, msglen, "%s and %s do not match", images, labels);
        goto out;
    }
    if (limit && limit < n)
        n = limit;
    s->rows = n;
    s->cols = cols;
    s->classes = N_CLASSES;
    s->X = malloc(n * cols * sizeof *s->X);
    s->Y = calloc(n * N_CLASSES, sizeof *s->Y);
    if (!s->X || !s->Y) {
        snprintf(msg, msglen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n * cols; i++)
        s->X[i] = img[16 + i] / 255.0f;
    for (size_t r = 0; r < n; r++) {
        if (lab[8 + r] >= N_CLASSES) {
            snprintf(msg, msglen, "%s: label %u out of range", labels,
                     lab[8 + r]);
            goto out;
        }
        s->Y[r * N_CLASSES + lab[8 + r]] = 1.0f;
    }
    rc = 0;
out:
    free(img);
    free(lab);
    return rc;
}

#define MAX_CLASSES 1000

/* libcsv callbacks fill the set row by row; labels are kept as class
 * numbers until the class count is known. */
typedef struct {
    bench_set *s;
    size_t limit, col, cap;
    int header, failed, fixed_classes;
    unsigned *labels;
    char *msg;
    size_t msglen;
} csv_state;

static int fail(csv_state *st, const char *fmt, const char *what)
{
    snprintf(st->msg, st->msglen, fmt, st->s->rows + 1, what);
    st->failed = 1;
    return -1;
}

/* Makes room for one more row. */
static int grow(csv_state *st)
{
    bench_set *s = st->s;
    if (s->rows < st->cap)
        return 0;
    st->cap = st->cap ? 2 * st->cap : 4096;
    float *x = realloc(s->X, st->cap * s->cols * sizeof *x);
    if (x)
        s->X = x;
    unsigned *l = x ? realloc(st->labels, st->cap * sizeof *l) : NULL;
    if (l)
        st->labels = l;
    return x && l ? 0 : fail(st, "row %zu: %s", "out of memory");
}

/* The class number of a label, adding it unless the classes are fixed. */
static int class_of(csv_state *st, const char *label)
{
    bench_set *s = st->s;
    for (size_t k = 0; k < s->classes; k++)
        if (strcmp(s->names[k], label) == 0)
            return (int)k;
    if (st->fixed_classes)
        return fail(st, "row %zu: unknown label '%s'", label);
    if (s->classes == MAX_CLASSES)
        return fail(st, "row %zu: more than 1000 classes at '%s'", label);
    char **names = realloc(s->names, (s->classes + 1) * sizeof *names);
    if (!names)
        return fail(st, "row %zu: %s", "out of memory");
    s->names = names;
    if (!(names[s->classes] = strdup(label)))
        return fail(st, "row %zu: %s", "out of memory");
    return (int)s->classes++;
}

static void on_field(void *data, size_t len, void *ctx)
{
    csv_state *st = ctx;
    bench_set *s = st->s;
    if (st->failed || (st->limit && s->rows >= st->limit))
        return;
    if (st->header) {
        st->col++;
        return;
    }
    if (st->col == 0 && grow(st))
        return;
    char field[256];
    snprintf(field, sizeof field, "%.*s", (int)(len < 255 ? len : 255),
             (const char *)data);
    if (st->col < s->cols) {
        char *end;
        s->X[s->rows * s->cols + st->col] = strtof(field, &end);
        if (*end || end == field)
            fail(st, "row %zu: '%s' is not a number", field);
    } else if (st->col == s->cols) {
        int k = class_of(st, field);
        if (k >= 0)
            st->labels[s->rows] = (unsigned)k;
    }
    st->col++;
}

static void on_row(int c, void *ctx)
{
    (void)c;
    csv_state *st = ctx;
    if (st->failed || (st->limit && st->s->rows >= st->limit))
        return;
    if (st->header) {
        st->s->cols = st->col - 1; /* the last column is the label */
        st->header = 0;
    } else if (st->col != st->s->cols + 1) {
        fail(st, "row %zu has the wrong number of fields%s", "");
    } else {
        st->s->rows++;
    }
    st->col = 0;
}

/* Turns the class numbers into one-hot rows. */
static int one_hot(csv_state *st)
{
    bench_set *s = st->s;
    s->Y = calloc(s->rows * s->classes, sizeof *s->Y);
    if (!s->Y)
        return fail(st, "row %zu: %s", "out of memory");
    for (size_t r = 0; r < s->rows; r++)
        s->Y[r * s->classes + st->labels[r]] = 1.0f;
    return 0;
}

static int copy_classes(bench_set *s, const bench_set *from)
{
    s->names = calloc(from->classes, sizeof *s->names);
    for (size_t k = 0; s->names && k < from->classes; k++)
        if (!(s->names[k] = strdup(from->names[k])))
            return -1;
    s->classes = from->classes;
    return s->names ? 0 : -1;
}

int bench_load_csv(bench_set *s, const char *path, size_t limit,
                   const bench_set *classes_of, char *msg, size_t msglen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(msg, msglen, "%s: %s", path, strerror(errno));
        return -1;
    }
    csv_state st = {.s = s, .limit = limit, .header = 1, .msg = msg,
                    .msglen = msglen, .fixed_classes = classes_of != NULL};
    if (classes_of && copy_classes(s, classes_of))
        fail(&st, "row %zu: %s", "out of memory");
    struct csv_parser p;
    csv_init(&p, CSV_APPEND_NULL);
    char buf[1 << 16];
    size_t n;
    while (!st.failed && (n = fread(buf, 1, sizeof buf, f)) > 0)
        if (csv_parse(&p, buf, n, on_field, on_row, &st) != n) {
            snprintf(msg, msglen, "%s: %s", path,
                     csv_strerror(csv_error(&p)));
            st.failed = 1;
        }
    csv_fini(&p, on_field, on_row, &st);
    csv_free(&p);
    fclose(f);
    if (!st.failed && s->rows == 0) {
        snprintf(msg, msglen, "%s: no data rows", path);
        st.failed = 1;
    }
    if (!st.failed)
        one_hot(&st);
    free(st.labels);
    return st.failed ? -1 : 0;
}

void bench_set_free(bench_set *s)
{
    for (size_t k = 0; s->names && k < s->classes; k++)
        free(s->names[k]);
    free(s->names);
    free(s->X);
    free(s->Y);
    s->X = s->Y = NULL;
    s->names = NULL;
}
