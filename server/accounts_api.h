/* accounts_api.h — the administrator's routes for accounts: users and
 * their tokens (the same as `neurond user …` and `neurond token …`).
 * access.c lets only administrators reach /v1/admin/... */
#ifndef ND_ACCOUNTS_API_H
#define ND_ACCOUNTS_API_H

#include "http.h"

/* GET /v1/me: who the caller is — {"via": "user", "user": {…}, "admin"}
 * for a user's token, {"via": "api_token", "user": null, "admin": true}
 * for --api-token, {"via": "open", …} on an open server. Any caller. */
void accounts_me(nd_request *req);

/* POST /v1/admin/users {"name", "admin": false}: 201 with the user; 409 when the name is taken, 422 for a bad name. */
void accounts_user_create(nd_request *req);

/* GET /v1/admin/users: {"items": [user + "tokens" (live ones)]}, oldest
 * first. A class has tens of users, not thousands: no pages. */
void accounts_user_list(nd_request *req);

/* POST /v1/admin/tokens {"user": name, "expires": "30d" | RFC 3339}: 201
 * with the token's text, shown this once; 422 for an unknown user or a
 * bad expiry (naming the field). */
void accounts_token_create(nd_request *req);

/* DELETE /v1/admin/tokens/{id}: 204 once revoked (also when it was
 * already); the next request with it is refused. 404 for an unknown id. */
void accounts_token_revoke(nd_request *req);

#endif
