/* two_users.h — the setting of the object-level authorization tests
 * (test_bola.c, test_sharing.c): a server with an administrator's token,
 * users made through /v1/admin, and user A's objects made by the spec
 * walk's creations. */
#ifndef API_TWO_USERS_H
#define API_TWO_USERS_H

#include "harness.h"
#include "spec_walk.h"

/* Makes user name and a token for them as the holder of admin_auth (an
 * "Authorization: Bearer …" line); the header for the token into auth. */
void tu_make_user(api_server *s, const char *admin_auth, const char *name,
                  char auth[128]);

/* POST path with the JSON body as the holder of auth; asserts 201 or 202
 * and copies the new object's id into id. */
void tu_post_id(api_server *s, const char *auth, const char *path,
                const char *body, char id[64]);

/* Sends call c as the holder of auth, to url (c->url when NULL) with body
 * (c's own when NULL). */
api_response tu_send(api_server *s, const char *auth, const sw_call *c,
                     const char *url, const char *body);

/* Loads the walk into w and makes its creations as the holder of auth
 * (the admin routes skipped), each asserted a success, keeping the first
 * dataset, model and job made (asserted made); waits for the job to end. */
void tu_walk_create_as(api_server *s, sw_walk *w, const char *auth);

/* Calls fn for every call of the walk: its creations, then its reads and
 * changes, then its deletions. */
void tu_each_call(sw_walk *w, void (*fn)(sw_walk *w, const sw_call *c));

/* Starts s with --api-token admin_token, makes users alice (A) and bob
 * (B), their headers into auth_a and auth_b, and walks the creations as
 * A (tu_walk_create_as). */
void tu_start_a_and_b(api_server *s, const char *admin_token, sw_walk *w,
                      char auth_a[128], char auth_b[128]);

#endif
