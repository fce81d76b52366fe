/* dataset.c — loading Fashion-MNIST for bench-train (see dataset.h). */
#include <csv.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "dataset.h"

#define N_CLASSES 10
static const char *const class_names[N_CLASSES] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

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

/* libcsv callbacks fill the set row by row. */
typedef struct {
    bench_set *s;
    size_t limit, col, cap;
    int header, failed;
    char *msg;
    size_t msglen;
} csv_state;

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
    if (st->col == 0 && s->rows == st->cap) {
        st->cap = st->cap ? 2 * st->cap : 4096;
        float *x = realloc(s->X, st->cap * s->cols * sizeof *x);
        float *y = x ? realloc(s->Y, st->cap * N_CLASSES * sizeof *y) : NULL;
        if (x)
            s->X = x;
        if (y)
            s->Y = y;
        if (!x || !y) {
            snprintf(st->msg, st->msglen, "out of memory");
            st->failed = 1;
            return;
        }
    }
    char field[64];
    snprintf(field, sizeof field, "%.*s", (int)(len < 63 ? len : 63),
             (const char *)data);
    if (st->col < s->cols) {
        char *end;
        s->X[s->rows * s->cols + st->col] = strtof(field, &end) / 255.0f;
        if (*end || end == field) {
            snprintf(st->msg, st->msglen, "row %zu column %zu: not a number",
                     s->rows + 1, st->col + 1);
            st->failed = 1;
        }
    } else {
        float *y = s->Y + s->rows * N_CLASSES;
        memset(y, 0, N_CLASSES * sizeof *y);
        int k = 0;
        while (k < N_CLASSES && strcmp(field, class_names[k]) != 0)
            k++;
        if (k == N_CLASSES) {
            snprintf(st->msg, st->msglen, "row %zu: unknown label '%s'",
                     s->rows + 1, field);
            st->failed = 1;
            return;
        }
        y[k] = 1.0f;
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
        snprintf(st->msg, st->msglen, "row %zu has %zu fields, not %zu",
                 st->s->rows + 1, st->col, st->s->cols + 1);
        st->failed = 1;
    } else {
        st->s->rows++;
    }
    st->col = 0;
}

int bench_load_csv(bench_set *s, const char *path, size_t limit, char *msg,
                   size_t msglen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(msg, msglen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct csv_parser p;
    csv_init(&p, CSV_APPEND_NULL);
    csv_state st = {.s = s, .limit = limit, .header = 1, .msg = msg,
                    .msglen = msglen};
    s->classes = N_CLASSES;
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
    return st.failed ? -1 : 0;
}

void bench_set_free(bench_set *s)
{
    free(s->X);
    free(s->Y);
    s->X = s->Y = NULL;
}
