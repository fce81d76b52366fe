/* history_sample.c — downsampling a job's history (see history_sample.h). */
#include <math.h>
#include <stdbool.h>

#include "history_sample.h"
#include "job_store.h"
#include "store.h"

typedef struct {
    nn_epoch_stats st;
    bool perceptron; /* the row has mistakes */
} point;

/* One bucket's extremes as they are found. */
typedef struct {
    point lo, hi;
    bool any;
} bucket;

static double column_or_nan(nd_stmt *st, int i)
{
    return nd_col_null(st, i)
               ? NAN
               : nd_col_double(st, i);
}

/* The current row of a SELECT of ND_HISTORY_COLUMNS. */
static point read_point(nd_stmt *st)
{
    point p = {.perceptron = !nd_col_null(st, 6)};
    p.st.epoch = (size_t)nd_col_int64(st, 0);
    p.st.loss = column_or_nan(st, 1);
    p.st.val_loss = column_or_nan(st, 2);
    p.st.accuracy = column_or_nan(st, 3);
    p.st.val_accuracy = column_or_nan(st, 4);
    p.st.elapsed_ms = nd_col_double(st, 5);
    p.st.mistakes = p.perceptron ? (size_t)nd_col_int64(st, 6) : 0;
    return p;
}

static void add(json_t *items, const point *p)
{
    json_array_append_new(items, nd_history_view_point(&p->st, p->perceptron));
}

/* Appends a finished bucket's least and greatest loss in epoch order. */
static void flush_bucket(json_t *items, bucket *b)
{
    if (!b->any)
        return;
    const point *first = b->lo.st.epoch <= b->hi.st.epoch ? &b->lo : &b->hi;
    const point *second = first == &b->lo ? &b->hi : &b->lo;
    add(items, first);
    if (second->st.epoch != first->st.epoch)
        add(items, second);
    b->any = false;
}

/* Takes p into the bucket: a NaN loss is never an extreme unless the
 * bucket has nothing else. */
static void bucket_take(bucket *b, const point *p)
{
    if (!b->any) {
        b->lo = b->hi = *p;
        b->any = true;
        return;
    }
    if (isnan(b->lo.st.loss) || p->st.loss < b->lo.st.loss)
        b->lo = *p;
    if (isnan(b->hi.st.loss) || p->st.loss > b->hi.st.loss)
        b->hi = *p;
}

static nd_stmt *select_after(const char *sql, const char *job_id,
                                  uint64_t after)
{
    nd_stmt *st = nd_prepare(sql);
    if (st) {
        nd_bind_text(st, 1, job_id);
        nd_bind_int64(st, 2, (int64_t)after);
    }
    return st;
}

json_t *nd_history_sample(const char *job_id, uint64_t after,
                          size_t max_points)
{
    nd_stmt *st = select_after("SELECT COUNT(*) FROM history WHERE "
                                    "job_id = ? AND epoch > ?",
                                    job_id, after);
    if (!st || nd_step(st) != ND_ROW) {
        nd_finalize(st);
        return NULL;
    }
    size_t total = (size_t)nd_col_int64(st, 0);
    nd_finalize(st);
    st = select_after("SELECT " ND_HISTORY_COLUMNS " FROM history WHERE "
                      "job_id = ? AND epoch > ? ORDER BY epoch LIMIT ?",
                      job_id, after);
    if (st) /* rows stored since the count wait for the next call */
        nd_bind_int64(st, 3, (int64_t)total);
    json_t *items = json_array();
    if (!st || !items) {
        nd_finalize(st);
        json_decref(items);
        return NULL;
    }
    /* Rows 1 .. total−2 fall into n_buckets buckets, two points each. */
    size_t inner = total > 2 ? total - 2 : 0,
           n_buckets = (max_points - 2) / 2, i = 0, current = 0;
    bool all = total <= max_points;
    bucket b = {0};
    for (; nd_step(st) == ND_ROW; i++) {
        point p = read_point(st);
        if (all || i == 0 || i == total - 1 || n_buckets == 0) {
            if (all || i == 0 || i == total - 1)
                add(items, &p);
            continue;
        }
        size_t k = (size_t)((double)(i - 1) * (double)n_buckets /
                            (double)inner);
        if (k != current)
            flush_bucket(items, &b);
        current = k;
        bucket_take(&b, &p);
        if (i == total - 2)
            flush_bucket(items, &b);
    }
    nd_finalize(st);
    return items;
}
