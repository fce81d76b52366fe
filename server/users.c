/* users.c — users and tokens in the store (see users.h). */
#define _GNU_SOURCE /* strptime */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "users.h"

/* err from the connection's last error; returns ND_USERS_ERROR. */
static int failed(char *err, size_t errlen, const char *during)
{
    snprintf(err, errlen, "%s: %s", during, nd_errmsg());
    return ND_USERS_ERROR;
}

void nd_time_rfc3339(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* {"id", "name", "admin", "created_at"} from a row's first four columns. */
static json_t *user_object(nd_stmt *st)
{
    return json_pack("{s:s, s:s, s:b, s:s}",
                     "id", nd_col_text(st, 0),
                     "name", nd_col_text(st, 1),
                     "admin", nd_col_int(st, 2),
                     "created_at", nd_col_text(st, 3));
}

int nd_user_add(const char *name, bool admin, json_t **user, char *err,
                size_t errlen)
{
    char id[ND_ID_MAX], now[ND_TIME_MAX];
    nd_new_id(id, ND_USER_ID_PREFIX);
    nd_now(now);
    nd_stmt *st = nd_prepare("INSERT INTO users (id, name, admin, "
                                  "created_at) VALUES (?, ?, ?, ?)");
    if (!st)
        return failed(err, errlen, "adding the user");
    nd_bind_text(st, 1, id);
    nd_bind_text(st, 2, name);
    nd_bind_int(st, 3, admin);
    nd_bind_text(st, 4, now);
    int rc = nd_step(st);
    nd_finalize(st);
    if (rc == ND_CONSTRAINT) {
        snprintf(err, errlen, "a user named '%s' exists", name);
        return ND_USERS_TAKEN;
    }
    if (rc != ND_DONE)
        return failed(err, errlen, "adding the user");
    *user = json_pack("{s:s, s:s, s:b, s:s}", "id", id, "name", name,
                      "admin", admin, "created_at", now);
    if (!*user) {
        snprintf(err, errlen, "out of memory");
        return ND_USERS_ERROR;
    }
    return ND_USERS_OK;
}

int nd_user_get(const char *id, json_t **user, char *err, size_t errlen)
{
    nd_stmt *st = nd_prepare("SELECT id, name, admin, created_at FROM "
                                  "users WHERE id = ?");
    if (!st)
        return failed(err, errlen, "reading the user");
    nd_bind_text(st, 1, id);
    int rc = nd_step(st);
    *user = rc == ND_ROW ? user_object(st) : NULL;
    nd_finalize(st);
    if (rc == ND_DONE) {
        snprintf(err, errlen, "no user %s", id);
        return ND_USERS_NOT_FOUND;
    }
    return *user ? ND_USERS_OK : failed(err, errlen, "reading the user");
}

int nd_user_list(time_t now, json_t **items, char *err, size_t errlen)
{
    nd_stmt *st = nd_prepare(
        "SELECT u.id, u.name, u.admin, u.created_at,"
        " (SELECT count(*) FROM tokens t WHERE t.user_id = u.id"
        "  AND t.revoked_at IS NULL"
        "  AND (t.expires_at IS NULL OR t.expires_at > ?))"
        " FROM users u ORDER BY u.created_at, u.id");
    if (!st)
        return failed(err, errlen, "listing the users");
    nd_bind_int64(st, 1, (int64_t)now);
    json_t *list = json_array();
    int rc;
    while (list && (rc = nd_step(st)) == ND_ROW) {
        json_t *u = user_object(st);
        if (!u || json_object_set_new(u, "tokens", json_integer(
                      nd_col_int64(st, 4))) ||
            json_array_append_new(list, u)) {
            json_decref(list);
            list = NULL;
        }
    }
    nd_finalize(st);
    if (!list)
        return failed(err, errlen, "listing the users");
    *items = list;
    return ND_USERS_OK;
}

int nd_users_exist(bool *any)
{
    nd_stmt *st = nd_prepare("SELECT EXISTS (SELECT 1 FROM users)");
    if (!st)
        return ND_USERS_ERROR;
    int rc = nd_step(st);
    *any = rc == ND_ROW && nd_col_int(st, 0);
    nd_finalize(st);
    return rc == ND_ROW ? ND_USERS_OK : ND_USERS_ERROR;
}

/* The id of user name into id; ND_USERS_NOT_FOUND when there is none. */
static int user_id_of(const char *name, char id[ND_ID_MAX], char *err,
                      size_t errlen)
{
    nd_stmt *st = nd_prepare("SELECT id FROM users WHERE name = ?");
    if (!st)
        return failed(err, errlen, "finding the user");
    nd_bind_text(st, 1, name);
    int rc = nd_step(st);
    if (rc == ND_ROW)
        snprintf(id, ND_ID_MAX, "%s", nd_col_text(st, 0));
    nd_finalize(st);
    if (rc == ND_DONE) {
        snprintf(err, errlen, "no user named '%s'", name);
        return ND_USERS_NOT_FOUND;
    }
    return rc == ND_ROW ? ND_USERS_OK
                            : failed(err, errlen, "finding the user");
}

/* Stores token id of user_id as the hash of text. */
static int insert_token(const char *id, const char *user_id,
                        const char *text, time_t expires_at,
                        const char *now, char *err, size_t errlen)
{
    unsigned char hash[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)text, strlen(text), hash);
    nd_stmt *st = nd_prepare("INSERT INTO tokens (id, user_id, hash, "
                                  "created_at, expires_at) "
                                  "VALUES (?, ?, ?, ?, ?)");
    if (!st)
        return failed(err, errlen, "storing the token");
    nd_bind_text(st, 1, id);
    nd_bind_text(st, 2, user_id);
    nd_bind_blob(st, 3, hash, sizeof hash);
    nd_bind_text(st, 4, now);
    if (expires_at)
        nd_bind_int64(st, 5, (int64_t)expires_at);
    else
        nd_bind_null(st, 5);
    int rc = nd_step(st);
    nd_finalize(st);
    return rc == ND_DONE ? ND_USERS_OK
                             : failed(err, errlen, "storing the token");
}

int nd_token_create(const char *user, time_t expires_at, json_t **token,
                    char *err, size_t errlen)
{
    char user_id[ND_ID_MAX], id[ND_ID_MAX], text[ND_ID_MAX];
    char now[ND_TIME_MAX], expires[32];
    int rc = user_id_of(user, user_id, err, errlen);
    if (rc != ND_USERS_OK)
        return rc;
    nd_new_id(id, ND_TOKEN_ID_PREFIX);
    nd_new_id(text, "ndt_"); /* 128 random bits */
    nd_now(now);
    rc = insert_token(id, user_id, text, expires_at, now, err, errlen);
    if (rc != ND_USERS_OK)
        return rc;
    nd_time_rfc3339(expires_at, expires);
    *token = json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", id, "user", user,
                       "token", text, "created_at", now, "expires_at",
                       expires_at ? json_string(expires) : json_null());
    OPENSSL_cleanse(text, sizeof text);
    if (!*token) {
        snprintf(err, errlen, "out of memory");
        return ND_USERS_ERROR;
    }
    return ND_USERS_OK;
}

int nd_token_revoke(const char *id, char *err, size_t errlen)
{
    char now[ND_TIME_MAX];
    nd_now(now);
    nd_stmt *st = nd_prepare(
        "UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?");
    if (!st)
        return failed(err, errlen, "revoking the token");
    nd_bind_text(st, 1, now);
    nd_bind_text(st, 2, id);
    int rc = nd_step(st);
    nd_finalize(st);
    if (rc != ND_DONE)
        return failed(err, errlen, "revoking the token");
    if (nd_changes() == 0) {
        snprintf(err, errlen, "no token %s", id);
        return ND_USERS_NOT_FOUND;
    }
    return ND_USERS_OK;
}

int nd_token_lookup(const char *text, size_t len, time_t now,
                    nd_user_ref *who, char *err, size_t errlen)
{
    unsigned char hash[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)text, len, hash);
    nd_stmt *st = nd_prepare(
        "SELECT t.hash, u.id, u.admin, t.id FROM tokens t JOIN users u"
        " ON u.id = t.user_id WHERE t.hash = ? AND t.revoked_at IS NULL"
        " AND (t.expires_at IS NULL OR t.expires_at > ?)");
    if (!st)
        return failed(err, errlen, "checking the token");
    nd_bind_blob(st, 1, hash, sizeof hash);
    nd_bind_int64(st, 2, (int64_t)now);
    int rc = nd_step(st);
    /* The index found the row by the hash of a 128-bit random text; the
     * comparison again in constant time keeps even that step's timing
     * from depending on how much of a guess matched. */
    bool match = rc == ND_ROW &&
                 nd_col_bytes(st, 0) == (int)sizeof hash &&
                 CRYPTO_memcmp(nd_col_blob(st, 0), hash,
                               sizeof hash) == 0;
    if (match) {
        snprintf(who->id, sizeof who->id, "%s", nd_col_text(st, 1));
        who->admin = nd_col_int(st, 2) != 0;
        snprintf(who->token_id, sizeof who->token_id, "%s",
                 nd_col_text(st, 3));
    }
    nd_finalize(st);
    if (rc != ND_ROW && rc != ND_DONE)
        return failed(err, errlen, "checking the token");
    return match ? ND_USERS_OK : ND_USERS_NOT_FOUND;
}

bool nd_token_live(const char *id, time_t now)
{
    nd_stmt *st = nd_prepare(
        "SELECT 1 FROM tokens WHERE id = ? AND revoked_at IS NULL"
        " AND (expires_at IS NULL OR expires_at > ?)");
    if (!st)
        return false;
    nd_bind_text(st, 1, id);
    nd_bind_int64(st, 2, (int64_t)now);
    bool live = nd_step(st) == ND_ROW;
    nd_finalize(st);
    return live;
}

/* Seconds in a duration "<n><s|m|h|d>", or 0 when text is none. */
static long long duration_seconds(const char *text)
{
    char *end;
    errno = 0;
    long long n = strtoll(text, &end, 10);
    if (errno || end == text || text[0] == '-' || text[0] == '+' || n <= 0 ||
        end[0] == '\0' || end[1] != '\0')
        return 0;
    long long unit = end[0] == 's'   ? 1
                     : end[0] == 'm' ? 60
                     : end[0] == 'h' ? 3600
                     : end[0] == 'd' ? 86400
                                     : 0;
    if (!unit || n > 100LL * 366 * 86400 / unit) /* at most a century */
        return 0;
    return n * unit;
}

bool nd_token_expiry_parse(const char *text, time_t now, time_t *at,
                           char *why, size_t cap)
{
    if (!text[0]) {
        *at = 0;
        return true;
    }
    long long secs = duration_seconds(text);
    if (secs) {
        *at = now + (time_t)secs;
        return true;
    }
    struct tm tm = {0};
    const char *end = strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!end || *end) {
        snprintf(why, cap, "'%s' is neither a duration (90s, 30m, 12h, 7d) "
                           "nor an RFC 3339 UTC time (2027-01-31T00:00:00Z)",
                 text);
        return false;
    }
    time_t t = timegm(&tm);
    if (t <= now) {
        snprintf(why, cap, "'%s' is not in the future", text);
        return false;
    }
    *at = t;
    return true;
}
