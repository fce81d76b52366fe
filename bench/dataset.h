/* dataset.h — data for the benchmark: Fashion-MNIST from the Debian
 * package's IDX files (gzip; pixels scaled to [0, 1]), or any CSV with a
 * header, numeric feature columns and the class label last (as
 * shared/tools/fashion-mnist-csv writes, or shared/data/iris.csv; features
 * as they are). Labels become one-hot rows. */
#ifndef BENCH_DATASET_H
#define BENCH_DATASET_H

#include <stddef.h>

typedef struct {
    size_t rows, cols, classes;
    float *X;   /* rows × cols */
    float *Y;   /* rows × classes, one-hot */
    char **names; /* class names, `classes` of them (CSV only) */
} bench_set;

/* Reads images and labels from two gzip'd IDX files (at most limit rows
 * when limit > 0). Returns 0, or −1 with a message in msg. */
int bench_load_idx(bench_set *s, const char *images, const char *labels,
                   size_t limit, char *msg, size_t msglen);

/* Reads a CSV with a header, numeric feature columns and a last column of
 * class labels. Classes are numbered in order of first appearance, or, when
 * `classes_of` is not NULL (a test set), taken from that set: an unknown
 * label is then an error. */
int bench_load_csv(bench_set *s, const char *path, size_t limit,
                   const bench_set *classes_of, char *msg, size_t msglen);

void bench_set_free(bench_set *s);

#endif
