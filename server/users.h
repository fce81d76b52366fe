/* users.h — accounts in the store: users (named, optionally
 * administrators) and their bearer tokens, kept as SHA-256 hashes. Used
 * by the CLI (`neurond user …`, `neurond token …`), the admin routes
 * (accounts_api.c) and the access check (access.c). No HTTP here. */
#ifndef ND_USERS_H
#define ND_USERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define ND_USER_ID_PREFIX "us_"
#define ND_TOKEN_ID_PREFIX "tk_"
#define ND_USER_NAME_MAX 64 /* characters */

/* What the calls below return; messages go to their err buffers. */
enum {
    ND_USERS_ERROR = -1,    /* SQLite or memory failed */
    ND_USERS_OK = 0,
    ND_USERS_NOT_FOUND = 1, /* no such user, or no such live token */
    ND_USERS_TAKEN = 2      /* a user of that name exists */
};

/* Who a token belongs to. */
typedef struct {
    char id[40];
    char token_id[40];
    bool admin;
} nd_user_ref;

/* Adds user name (checked by the caller with nd_name_check). On
 * ND_USERS_OK *user is {"id", "name", "admin", "created_at"} (the caller
 * owns it); ND_USERS_TAKEN when the name is in use. */
int nd_user_add(const char *name, bool admin, json_t **user, char *err,
                size_t errlen);

/* User id as nd_user_add's object into *user (the caller owns it), or
 * ND_USERS_NOT_FOUND. */
int nd_user_get(const char *id, json_t **user, char *err, size_t errlen);

/* Every user, oldest first, each as nd_user_add's object plus "tokens"
 * (how many of theirs are live: neither revoked nor expired at now). */
int nd_user_list(time_t now, json_t **items, char *err, size_t errlen);

/* Whether any user exists (then the API asks every caller for a token);
 * ND_USERS_ERROR when the store cannot say. */
int nd_users_exist(bool *any);

/* Makes a token for user name, expiring at expires_at (Unix seconds; 0:
 * never). On ND_USERS_OK *token is {"id", "user", "token", "created_at",
 * "expires_at"}: "token" is the text, which exists only there (the store
 * keeps its SHA-256). ND_USERS_NOT_FOUND when no user has that name. */
int nd_token_create(const char *user, time_t expires_at, json_t **token,
                    char *err, size_t errlen);

/* Revokes token id at once: ND_USERS_OK (also when it was revoked
 * already), ND_USERS_NOT_FOUND for an id never given out. */
int nd_token_revoke(const char *id, char *err, size_t errlen);

/* Finds whose token text (len bytes) is: ND_USERS_OK with *who, or
 * ND_USERS_NOT_FOUND when it is unknown, revoked or expired at now. The
 * lookup is by the text's SHA-256, then compared in constant time. */
int nd_token_lookup(const char *text, size_t len, time_t now,
                    nd_user_ref *who, char *err, size_t errlen);

/* Whether token id is still live at now: neither revoked nor expired
 * (false also when the store cannot say). An open event stream asks
 * before each event it sends. */
bool nd_token_live(const char *id, time_t now);

/* Reads when a token expires: "" for never (0), a duration ("90s", "30m",
 * "12h", "7d") counted from now, or an RFC 3339 UTC time
 * ("2027-01-31T00:00:00Z"), which must be later than now. false with
 * the reason in why. */
bool nd_token_expiry_parse(const char *text, time_t now, time_t *at,
                           char *why, size_t cap);

/* t as RFC 3339 UTC ("2027-01-31T00:00:00Z"). */
void nd_time_rfc3339(time_t t, char out[32]);

#endif
