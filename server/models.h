/* models.h — the /v1/models routes (definitions, hand-given weights,
 * export/import, prediction) and loading/storing a model's network for
 * training. */
#ifndef ND_MODELS_H
#define ND_MODELS_H

#include "http.h"
#include "nn_network.h"

/* The most rows one prediction takes (422 past it). */
#define ND_PREDICT_MAX_ROWS 100000

void models_create(nd_request *req);
void models_list(nd_request *req);
void models_get(nd_request *req);
void models_delete(nd_request *req);
void models_export(nd_request *req);
void models_import(nd_request *req);
void models_predict(nd_request *req);
void models_evaluate(nd_request *req); /* evaluate.c */

/* POST /v1/models/{id}/reset {"init", "seed"}: draws the weights again
 * (model_reset.c); 409 while a job holds the model. */
void models_reset(nd_request *req);

/* Loads model id's network (definition, weights, normalisation, classes).
 * Returns 0, 1 when there is no such model, or −1 with a message. */
int nd_model_load(const char *id, nn_network **net, char *err, size_t errlen);

/* Writes net's weights, normalisation and classes back to model id and
 * marks it trained; runs inside the caller's transaction if one is open.
 * Returns 0 or −1 with a message. */
int nd_model_store(const char *id, const nn_network *net, char *err,
                   size_t errlen);

#endif
