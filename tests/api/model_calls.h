/* model_calls.h — calls to /v1/models shared by the model API tests:
 * each asserts the status it expects and hands back the JSON. */
#ifndef API_MODEL_CALLS_H
#define API_MODEL_CALLS_H

#include <jansson.h>
#include <stdbool.h>

#include "harness.h"

/* A hand-weighted 2-2-1 network of step units: h1 = OR, h2 = AND, out =
 * OR and not AND = XOR. */
extern const char mt_xor_net[];
/* [[0, 0], [0, 1], [1, 0], [1, 1]] */
extern const char mt_truth_table[];

/* An export document: a linear 1→1 model y = 2x' with x' = (x − 1)·0.5
 * (standard normalisation), classes "no"/"yes", trained. */
extern const char mt_scaled_doc[];

/* POSTs body to /v1/models, asserts 201 with a Location naming the new
 * model, and returns the model object (the caller decrefs). */
json_t *mt_create(api_server *s, const char *body);

/* POSTs doc to /v1/models/import, asserts 201, returns the new model. */
json_t *mt_import(api_server *s, json_t *doc);

/* GET path, asserting 200; returns the JSON (the caller decrefs). */
json_t *mt_get(api_server *s, const char *path);

/* GET /v1/models/{id}, with ?weights=true when weights. */
json_t *mt_get_model(api_server *s, const char *id, bool weights);

/* GET /v1/models/{id}/export. */
json_t *mt_export(api_server *s, const char *id);

/* POSTs {"inputs": inputs} to model id's predict, asserts 200, returns
 * the reply (the caller decrefs). */
json_t *mt_predict(api_server *s, const char *id, const char *inputs);

/* Asserts that method path (with body, or none when NULL) is refused
 * with a problem of status naming pointer (any pointer when NULL). */
void mt_refused(api_server *s, const char *method, const char *path,
                const char *body, long status, const char *pointer);

/* Asserts that v equals the JSON text want (reals must be written as
 * reals: 1.0, not 1). */
void mt_assert_json(json_t *v, const char *want);

/* Asserts that GET /v1/models lists no model (after refused definitions). */
void mt_assert_no_models(api_server *s);
#endif
