/* dataset.h — Fashion-MNIST for the benchmark: from the Debian package's
 * IDX files (gzip) or from the CSV that shared/tools/fashion-mnist-csv
 * writes. Pixels become floats in [0, 1]; labels become one-hot rows. */
#ifndef BENCH_DATASET_H
#define BENCH_DATASET_H

#include <stddef.h>

typedef struct {
    size_t rows, cols, classes;
    float *X;   /* rows × cols */
    float *Y;   /* rows × classes, one-hot */
} bench_set;

/* Reads images and labels from two gzip'd IDX files (at most limit rows
 * when limit > 0). Returns 0, or −1 with a message in msg. */
int bench_load_idx(bench_set *s, const char *images, const char *labels,
                   size_t limit, char *msg, size_t msglen);

/* Reads a CSV with a header, numeric pixel columns and a last column
 * `label` holding one of the ten Fashion-MNIST class names. */
int bench_load_csv(bench_set *s, const char *path, size_t limit, char *msg,
                   size_t msglen);

void bench_set_free(bench_set *s);

#endif
