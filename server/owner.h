/* owner.h — who may touch which dataset, model and job. Every object has
 * an owner: the user whose token made it, or none (the administrator's:
 * made with --api-token or on an open server). A user reaches only their
 * own; administrators reach all. Another user's object answers exactly as
 * an id never given out does (404, or the 422/404 of an unknown id in a
 * body), so that no reply tells that it exists — unless it is public
 * (sharing.h): then every user may read, predict with, generate from,
 * evaluate, export and train on it (a public dataset in a job; a public
 * model only as a copy, exported then imported), and a change (PATCH, DELETE, reset, a
 * job on the model) answers 403: its existence is no secret. */
#ifndef ND_OWNER_H
#define ND_OWNER_H

#include <stdbool.h>

#include "http.h"

/* Called before a route's handler, once its JSON body is read: for a
 * user who is not an administrator, the {id} of /v1/datasets/{id}…,
 * /v1/models/{id}… and /v1/jobs/{id}… must be theirs, and so must the
 * model_id and dataset_id a body names (POST /v1/jobs, evaluate), or
 * public where the route only reads them (see above).
 * Returns true to go on, false once it has replied as for an unknown id
 * (or 503 when the store cannot say). */
bool nd_owner_gate(nd_request *req);

/* Called after a handler replied: a deletion (204) of a dataset or model
 * is logged as audit.deleted (user, id); a dataset, model or job it created
 * (201/202 with a Location) becomes the caller's when the caller is a
 * user, and the "owner" of the reply's object their name. When that
 * cannot be written the reply becomes a 500 saying so
 * (the object stays the administrator's, invisible to the user). */
void nd_owner_claim(nd_request *req);

#endif
