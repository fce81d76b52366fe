/* datasets.h — the /v1/datasets routes (JSON, streamed CSV, generators)
 * and loading a stored dataset for training. */
#ifndef ND_DATASETS_H
#define ND_DATASETS_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "dataset_shape.h"
#include "http.h"
#include "store.h"

extern const nd_stream datasets_csv; /* POST /v1/datasets, text/csv */
/* POST /v1/datasets, multipart/form-data: IDX images and labels
 * (idx_upload.c) */
extern const nd_stream datasets_idx;
extern const nd_stream datasets_text; /* POST /v1/datasets, text/plain */
void datasets_create(nd_request *req); /* POST /v1/datasets, JSON */
void datasets_list(nd_request *req);
void datasets_get(nd_request *req);
void datasets_rows(nd_request *req);
void datasets_delete(nd_request *req);

/* A stored dataset as training sees it. A text (text_ingest.h) loads as
 * its token ids only: ids has `rows` entries, each < n_classes (its
 * vocabulary), and X and Y are NULL. */
typedef struct {
    char id[ND_ID_MAX];
    size_t rows, input_dim, output_dim;
    bool classification;
    bool text;
    uint32_t *ids;   /* a text's tokens, else NULL */
    float *X;        /* rows × input_dim */
    float *Y;        /* rows × output_dim; one-hot rows for classification */
    size_t n_classes;
    char **classes;  /* class names, n_classes of them */
    nd_shape image;  /* [C, H, W] of an image dataset; all 0 for vectors */
} nd_dataset;

/* Loads dataset id whole. Returns 0, 1 when there is no such dataset, or
 * −1 with a message in err. Release with nd_dataset_release. */
int nd_dataset_load(const char *id, nd_dataset *out, char *err,
                    size_t errlen);
void nd_dataset_release(nd_dataset *d);

/* Whether id is a complete text dataset (text_ingest.h). */
bool nd_ds_is_text(const char *id);

/* The dataset's shape without its rows (image: as nd_dataset's); 0, 1
 * (not found) or −1. */
int nd_dataset_shape(const char *id, size_t *rows, size_t *input_dim,
                     size_t *output_dim, bool *classification,
                     nd_shape *image);

#endif
