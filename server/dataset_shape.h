/* dataset_shape.h — the input shape of an image dataset, [C, H, W]
 * (channels first), as JSON ("input_shape": [1, 28, 28]) or as a query
 * argument (?shape=1,28,28). A row of such a dataset is the image's
 * C·H·W values flattened in that order, so the product must be the row
 * length. */
#ifndef ND_DATASET_SHAPE_H
#define ND_DATASET_SHAPE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "dataset_store.h"
#include "nn_network.h"

#define ND_SHAPE_DIMS 3 /* C, H, W */

typedef struct {
    size_t dims[ND_SHAPE_DIMS];
} nd_shape;

/* Parses "C,H,W" (three whole numbers ≥ 1, their product at most
 * NN_MAX_UNITS). Returns false after filling e (422 at pointer). */
bool nd_shape_parse(const char *text, const char *pointer, nd_shape *out,
                    nd_ds_error *e);

/* Reads a JSON array of three whole numbers ≥ 1 as nd_shape_parse does;
 * a value that is not an array of integers is a 400, a bad size 422. */
bool nd_shape_from_json(json_t *arr, const char *pointer, nd_shape *out,
                        nd_ds_error *e);

/* C·H·W. */
size_t nd_shape_size(const nd_shape *s);

/* Fails (422 at pointer) unless the shape's size is input_dim. */
bool nd_shape_matches(const nd_shape *s, size_t input_dim,
                      const char *pointer, nd_ds_error *e);

/* Whether the rows of a dataset of image shape image (all 0: plain
 * vectors) of the model's row length may feed a model of input shape in:
 * those of a vector dataset take the model's shape, and an image dataset
 * feeds any vector model (a dense net on the pixels); an image model
 * needs an image dataset of its [C, H, W]. False after filling e (422 at
 * pointer, naming both shapes). */
bool nd_shape_feeds(const nd_shape *image, const nn_shape *in,
                    const char *pointer, nd_ds_error *e);

/* The shape as a new JSON array [C, H, W]; NULL when out of memory. */
json_t *nd_shape_json(const nd_shape *s);

#endif
