/* model_def.h — reading a model definition from request JSON into a libnn
 * network: the body of POST /v1/models, and the export document that
 * POST /v1/models/import takes back. Every field is validated here, at the
 * edge, and a failure is answered with a problem naming its JSON pointer
 * (400 for a wrong JSON type or an unknown field, 422 for a bad value). */
#ifndef ND_MODEL_DEF_H
#define ND_MODEL_DEF_H

#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "nn_network.h"

#define ND_MODEL_NAME_MAX 200 /* characters (code points) */
#define ND_EXPORT_FORMAT "neurond-model"
#define ND_EXPORT_VERSION 1

/* The name of the `init` of a model whose weights were given by hand (or
 * imported) rather than drawn. */
#define ND_INIT_GIVEN "given"

typedef enum {
    ND_DEF_CREATE, /* POST /v1/models: init and seed, or weights */
    ND_DEF_IMPORT  /* an export document: weights, normalization, classes */
} nd_def_source;

/* A validated definition and the network it made. */
typedef struct {
    const char *name; /* points into the request's JSON */
    const char *init; /* nn_init_name(...) or ND_INIT_GIVEN */
    bool has_seed;    /* seed drew the initial weights */
    uint64_t seed;
    bool trained;    /* import: the document's "trained" */
    nn_network *net; /* owned; weights set */
} nd_model_def;

/* Reads and validates doc (the request's JSON object) as a definition of
 * kind src, refusing networks of more than max_params parameters before
 * allocating them, and builds the network with its starting weights (drawn
 * with the seed — random when absent — given by hand, or imported with
 * normalisation and class names). Returns true with *out filled (free it
 * with nd_model_def_free), or false after replying. */
bool nd_model_def_read(nd_request *req, json_t *doc, nd_def_source src,
                       size_t max_params, nd_model_def *out);

/* A seed for weights drawn without one: 53 random bits, so that any JSON
 * client (JavaScript's numbers included) can send it back exactly. */
uint64_t nd_model_random_seed(void);

/* Frees what def owns; def may be zeroed or already freed. */
void nd_model_def_free(nd_model_def *def);

#endif
