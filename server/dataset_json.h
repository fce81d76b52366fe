/* dataset_json.h — POST /v1/datasets with a JSON body: rows given as
 * "inputs" with "targets" or "labels", or made by a built-in "generator". */
#ifndef ND_DATASET_JSON_H
#define ND_DATASET_JSON_H

#include "http.h"

/* Stores the dataset of a body {"name", "inputs", "targets" | "labels",
 * "feature_names"?} and replies: 201 with it, or the problem naming the
 * bad field. */
void nd_ds_create_from_json(nd_request *req);

/* Stores the dataset of a body {"name", "generator", "n"?, "noise"?,
 * "seed"?} and replies the same way. */
void nd_ds_create_generated(nd_request *req);

#endif
