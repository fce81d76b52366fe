/* job_params.h — a training job's parameters: read strictly from a
 * request, written to and read back from the store as JSON, and turned
 * into libnn's nn_train_config. */
#ifndef ND_JOB_PARAMS_H
#define ND_JOB_PARAMS_H

#include <jansson.h>
#include <stdbool.h>

#include "http.h"
#include "nn_train.h"

/* Reads the training fields of a POST /v1/jobs body into cfg, with the
 * defaults of DESIGN.md (normalize "none" for a perceptron, "standard"
 * otherwise; a random seed when none is given). A perceptron takes no
 * optimizer (400 /optimizer). max_epochs bounds /epochs and max_batch
 * /batch_size (422 past them). Returns false once it has replied. */
bool nd_job_params_read(nd_request *req, json_t *body, bool perceptron,
                        unsigned max_epochs, unsigned max_batch,
                        nn_train_config *cfg);

/* The parameters as stored and shown in a job ("params"). */
json_t *nd_job_params_json(const nn_train_config *cfg, bool perceptron);

/* Parses what nd_job_params_json wrote; false if text is not such JSON. */
bool nd_job_params_parse(const char *text, nn_train_config *cfg);

#endif
