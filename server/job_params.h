/* job_params.h — a training job's parameters: read strictly from a
 * request, written to and read back from the store as JSON, and turned
 * into libnn's nn_train_config. */
#ifndef ND_JOB_PARAMS_H
#define ND_JOB_PARAMS_H

#include <jansson.h>
#include <stdbool.h>

#include "http.h"
#include "nn_train.h"

/* What a job trains, which decides the fields it takes. */
typedef enum {
    ND_JOB_NETWORK,    /* a network on rows */
    ND_JOB_PERCEPTRON, /* by Rosenblatt's rule: no gradient fields */
    ND_JOB_TEXT        /* a language model on a text: epoch_steps */
} nd_job_kind;

/* The most steps a text job's epoch may be (epoch_steps). */
#define ND_MAX_EPOCH_STEPS 1000000000u

/* Reads the training fields of a POST /v1/jobs body into cfg, with the
 * defaults of DESIGN.md (normalize "none" for a perceptron and a text,
 * "standard" otherwise; a random seed when none is given). A perceptron
 * takes no optimizer (400 /optimizer); only a text job takes epoch_steps
 * (422 otherwise) and no normalisation but none (422 /normalize).
 * max_epochs bounds /epochs and max_batch /batch_size (422 past them).
 * Returns false once it has replied. */
bool nd_job_params_read(nd_request *req, json_t *body, nd_job_kind kind,
                        unsigned max_epochs, unsigned max_batch,
                        nn_train_config *cfg);

/* The parameters as stored and shown in a job ("params"). */
json_t *nd_job_params_json(const nn_train_config *cfg, nd_job_kind kind);

/* Parses what nd_job_params_json wrote; false if text is not such JSON. */
bool nd_job_params_parse(const char *text, nn_train_config *cfg);

/* The same from the parsed object (a job's "params"); false when p is
 * not an object or names an unknown optimizer, decay or normalisation. */
bool nd_job_params_of(json_t *p, nn_train_config *cfg);

#endif
