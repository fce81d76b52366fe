/* sharing.h — public datasets and models, for teaching: an owner (or an
 * administrator) marks one public with PATCH /v1/datasets/{id} or
 * PATCH /v1/models/{id} {"public": true|false}. Who may then do what
 * with it is decided in owner.c; this file holds the routes and the two
 * fields every dataset and model reply carries: "public" and "owner"
 * (the owner's user name, null for the administrator's). */
#ifndef ND_SHARING_H
#define ND_SHARING_H

#include <jansson.h>

#include "db.h"
#include "http.h"

/* The two columns nd_share_fields reads, for a SELECT on table
 * ("datasets" or "models"): the flag, then the owner's name or NULL. */
#define ND_SHARE_COLUMNS(table)                                              \
    "public, (SELECT name FROM users WHERE users.id = " table ".owner)"

/* Sets obj's "public" (column col of st's row) and "owner" (column
 * col + 1, null when NULL). Returns 0, or −1 when out of memory. */
int nd_share_fields(json_t *obj, nd_stmt *st, int col);

/* PATCH /v1/datasets/{id} and PATCH /v1/models/{id} with
 * {"public": bool} (required; any other member is a 400): sets the flag,
 * logs audit.shared or audit.unshared, and replies 200 with the object.
 * 404 for an unknown id. The owner gate (owner.c) has already refused
 * everyone but the owner and administrators. */
void datasets_share(nd_request *req);
void models_share(nd_request *req);

#endif
