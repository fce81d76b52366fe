/* fuzz_support.h — what the libFuzzer harnesses share: a server
 * configuration with small limits, a store in a temporary file, and
 * requests that have no HTTP connection (nd_query and nd_header answer
 * NULL for them). */
#ifndef FUZZ_SUPPORT_H
#define FUZZ_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "server.h"

/* The server every harness request points at: default configuration with
 * limits small enough that one input cannot allocate gigabytes. */
nd_server *fuzz_server(void);

/* Opens a fresh store in a temporary file named after the harness,
 * removed at exit. Aborts (a harness bug, not a finding) when it cannot. */
void fuzz_store_open(const char *harness);

/* Empties the datasets table, so the store does not grow run after run. */
void fuzz_store_reset(void);

/* A request without a connection, for fuzz_server(). */
void fuzz_request_init(nd_request *req);

/* Frees what the handlers left in req (reply, headers, JSON). */
void fuzz_request_free(nd_request *req);

/* Parses data as the daemon does (duplicates rejected); NULL if it is not
 * JSON. */
json_t *fuzz_json(const uint8_t *data, size_t size);

/* Reads data into req as the daemon reads a JSON body (json_body.h), fed
 * piece bytes at a time: req->json and req->jbody, freed by
 * fuzz_request_free. False when it is not a JSON object. */
bool fuzz_json_body(nd_request *req, const uint8_t *data, size_t size,
                    size_t piece);

#endif
