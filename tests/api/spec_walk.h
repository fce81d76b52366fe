/* spec_walk.h — reading api-docs/openapi.yaml (as JSON) into the calls
 * that its examples make, for test_spec_walk.c. */
#ifndef API_SPEC_WALK_H
#define API_SPEC_WALK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "harness.h"

typedef enum { SW_DATASET, SW_MODEL, SW_JOB, SW_TOKEN, SW_KINDS } sw_kind;

/* The walk's three rounds: POSTs to a collection (no {…} in the path);
 * every other call but DELETE; DELETEs. */
typedef enum { SW_CREATE, SW_READ, SW_DELETE } sw_phase;

#define SW_MAX_NAMED 64

typedef struct {
    json_t *spec;
    char ids[SW_KINDS][64]; /* the first of each kind the walk created */
    /* The objects created by named examples, for an example whose `x-id`
     * names one to fill its {id} (e.g. a model with a vocabulary). */
    struct {
        char example[64], id[64];
    } named[SW_MAX_NAMED];
    size_t n_named;
    const char *example; /* the example being called, or NULL */
    const char *path_id; /* its x-id, or NULL */
    json_t *body_ids;    /* its x-ids: {"md_": example name, …}, or NULL */
    unsigned operations;    /* path × method pairs in the document */
    unsigned calls;         /* calls made and judged */
    unsigned unjudged;      /* of them, not sent through Prism */
    unsigned violations;    /* replies the validator (Prism) found wrong */
    unsigned wrong;         /* replies the walk's own checks found wrong */
} sw_walk;

#define SW_MAX_HEADERS 4

/* One request built from the document: its URL with the path and query
 * parameters filled in, headers from header parameters, the body. */
typedef struct {
    const char *method; /* "GET", "POST", … */
    const char *path;   /* the document's path template, "/v1/jobs/{id}" */
    char url[1024];
    json_t *op;         /* the operation object (borrowed) */
    json_t *params;     /* its parameters and its path's, $refs resolved
                           (borrowed, valid while fn runs) */
    bool public_op;     /* security: [] */
    const char *content_type; /* NULL without a body */
    char *body;
    size_t body_len;
    char headers[SW_MAX_HEADERS][256];
    size_t n_headers;
} sw_call;

/* Loads the document ($NEUROND_OPENAPI_JSON or build/gen/openapi.json)
 * and counts its operations; asserts it is there. */
void sw_load(sw_walk *w);
void sw_free(sw_walk *w);

/* Calls fn for each call of phase, in the document's order: one per
 * example of each request content type (its `x-query` adds query
 * arguments), or one for an operation without a body. Query and header
 * parameters with an `example` are sent, path parameters filled with
 * w->ids for {id} (by the path's collection; an example's `x-id` names
 * the example whose object fills it instead) or their example; example
 * ids in bodies and parameters are replaced by w->ids (an example's
 * `x-ids`, {"md_": "name", …}, names the examples whose objects replace
 * ids of those prefixes instead). A call is built
 * just before fn runs, so ids remembered by fn fill the next ones. */
void sw_each_call(sw_walk *w, sw_phase phase,
                  void (*fn)(sw_walk *w, const sw_call *c));

/* node, or what its local "$ref" points at (borrowed). */
json_t *sw_deref(sw_walk *w, json_t *node);

/* The documented response of op for status ($ref resolved), or NULL. */
json_t *sw_response(sw_walk *w, json_t *op, long status);

/* Waits until job id has left queued and running, asking srv directly
 * with the Authorization header auth; asserts it does within a minute. */
void sw_wait_job(api_server *srv, const char *auth, const char *id);

/* Keeps r's "id" as the first dataset, model or job when the walk has
 * none of that kind yet, and as the object of the example being called
 * when it has a name. */
void sw_remember_ids(sw_walk *w, const api_response *r);

#endif
