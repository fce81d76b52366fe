/* model_store.h — the models table: inserting, reading, listing and
 * deleting models, all through prepared statements, writes inside
 * BEGIN IMMEDIATE transactions. A model row keeps its canonical
 * definition as JSON text (model_view.h) and its network — weights,
 * normalisation, classes — as a libnn model BLOB. nd_model_load and
 * nd_model_store (models.h), which the training workers call, live in
 * model_store.c as well. */
#ifndef ND_MODEL_STORE_H
#define ND_MODEL_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nn_network.h"
#include "paging.h"

#define ND_MODEL_ID_PREFIX "md_"

/* What the calls below return; messages go to their err buffers. */
enum {
    ND_STORE_ERROR = -1, /* SQLite or memory failed */
    ND_STORE_OK = 0,
    ND_STORE_NOT_FOUND = 1, /* no model with that id */
    ND_STORE_BUSY = 2,      /* a queued or running job uses the model */
    ND_STORE_QUOTA = 3      /* the model is larger than max_bytes */
};

/* Stores a new model named name with net's weights and definition (a
 * model_view definition object) under a fresh ID. On ND_STORE_OK *model is
 * the new model object (the caller owns it):
 *   {"id", "name", "type", ...definition..., "parameters", "trained",
 *    "created_at", "updated_at", "public", "owner"}
 * ND_STORE_QUOTA, storing nothing, when the stored model (weights,
 * normalisation, classes) would take more than max_bytes (0: no limit),
 * what the owner's --quota-bytes has left. */
int nd_model_insert(const char *name, const nn_network *net,
                    const json_t *definition, bool trained, uint64_t max_bytes,
                    json_t **model, char *err, size_t errlen);

/* Reads model id: its model object into *model when model is not NULL,
 * and its network into *net when net is not NULL (the caller owns both).
 * The network's BLOB is only read when it is asked for. */
int nd_model_get(const char *id, json_t **model, nn_network **net, char *err,
                 size_t errlen);

/* One page of the models, newest first: up to limit model objects after
 * the position `after` (empty: from the newest); with after->owner, only
 * that user's and the public ones. *page becomes
 * {"items": [...], "next_cursor": "..." | null}. */
int nd_model_list(const nd_page_key *after, size_t limit, json_t **page,
                  char *err, size_t errlen);

/* Deletes model id with its finished jobs and their history, unless a
 * queued or running job uses it (ND_STORE_BUSY); on a full disk, once
 * more after releasing the reserve (nd_store_retry_full). */
int nd_model_remove(const char *id, char *err, size_t errlen);

/* Replaces model id's weights with net's and its definition with
 * `definition` (the new init and seed), and marks it untrained — unless a
 * queued, running or paused job uses it (ND_STORE_BUSY). */
int nd_model_reset_store(const char *id, const nn_network *net,
                         const json_t *definition, char *err, size_t errlen);

#endif
