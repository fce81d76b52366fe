/* accounts_cli.c — `neurond user …` and `neurond token …` (see
 * accounts_cli.h). */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "accounts_cli.h"
#include "http.h"
#include "store.h"
#include "users.h"

int nd_accounts_command_at(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "user") == 0 || strcmp(a, "token") == 0)
            return i;
        if (strncmp(a, "--", 2) != 0)
            return 0; /* another command (backup FILE) */
        if (!strchr(a, '=') && strcmp(a, "--help") != 0 &&
            strcmp(a, "--version") != 0)
            i++; /* the option's value */
    }
    return 0;
}

void nd_accounts_usage(FILE *out)
{
    fprintf(out,
            "       neurond [--db FILE] user add NAME [--admin]\n"
            "       neurond [--db FILE] user list\n"
            "       neurond [--db FILE] token create NAME "
            "[--expires DURATION|RFC3339]\n"
            "       neurond [--db FILE] token revoke ID\n");
}

static int usage(FILE *err)
{
    fprintf(err, "neurond: usage:\n");
    nd_accounts_usage(err);
    return 2;
}

static int user_add(int argc, char **argv, FILE *err)
{
    bool admin = argc == 2 && strcmp(argv[1], "--admin") == 0;
    char why[256];
    if (argc < 1 || argc > 2 || (argc == 2 && !admin))
        return usage(err);
    if (!nd_name_check(argv[0], ND_USER_NAME_MAX, why, sizeof why)) {
        fprintf(err, "neurond: user add: %s\n", why);
        return 2;
    }
    json_t *user = NULL;
    int rc = nd_user_add(argv[0], admin, &user, why, sizeof why);
    if (rc != ND_USERS_OK) {
        fprintf(err, "neurond: user add: %s\n", why);
        return 1;
    }
    fprintf(err, "neurond: user %s added (%s%s)\n", argv[0],
            json_string_value(json_object_get(user, "id")),
            admin ? ", administrator" : "");
    json_decref(user);
    return 0;
}

static int user_list(int argc, FILE *out, FILE *err)
{
    char why[256];
    json_t *items = NULL, *u;
    size_t i;
    if (argc != 0)
        return usage(err);
    if (nd_user_list(time(NULL), &items, why, sizeof why) != ND_USERS_OK) {
        fprintf(err, "neurond: user list: %s\n", why);
        return 1;
    }
    fprintf(out, "%-29s %-5s %-6s %-27s %s\n", "ID", "ADMIN", "TOKENS",
            "CREATED", "NAME");
    json_array_foreach(items, i, u)
        fprintf(out, "%-29s %-5s %-6lld %-27s %s\n",
                json_string_value(json_object_get(u, "id")),
                json_is_true(json_object_get(u, "admin")) ? "yes" : "no",
                (long long)json_integer_value(json_object_get(u, "tokens")),
                json_string_value(json_object_get(u, "created_at")),
                json_string_value(json_object_get(u, "name")));
    json_decref(items);
    return 0;
}

static int token_create(int argc, char **argv, FILE *out, FILE *err)
{
    const char *expires = "";
    char why[256];
    time_t at = 0;
    if (argc == 3 && strcmp(argv[1], "--expires") == 0)
        expires = argv[2];
    else if (argc != 1)
        return usage(err);
    if (!nd_token_expiry_parse(expires, time(NULL), &at, why, sizeof why)) {
        fprintf(err, "neurond: token create: --expires: %s\n", why);
        return 2;
    }
    json_t *token = NULL;
    if (nd_token_create(argv[0], at, &token, why, sizeof why) !=
        ND_USERS_OK) {
        fprintf(err, "neurond: token create: %s\n", why);
        return 1;
    }
    json_t *exp = json_object_get(token, "expires_at");
    fprintf(err, "neurond: token %s for %s, expires %s; it is shown once:\n",
            json_string_value(json_object_get(token, "id")), argv[0],
            json_is_string(exp) ? json_string_value(exp) : "never");
    fprintf(out, "%s\n", json_string_value(json_object_get(token, "token")));
    json_decref(token);
    return 0;
}

static int token_revoke(int argc, char **argv, FILE *err)
{
    char why[256];
    if (argc != 1)
        return usage(err);
    int rc = nd_id_valid(argv[0], ND_TOKEN_ID_PREFIX)
                 ? nd_token_revoke(argv[0], why, sizeof why)
                 : ND_USERS_NOT_FOUND;
    if (rc != ND_USERS_OK) {
        fprintf(err, "neurond: token revoke: %s\n",
                rc == ND_USERS_NOT_FOUND ? "no such token" : why);
        return 1;
    }
    fprintf(err, "neurond: token %s revoked\n", argv[0]);
    return 0;
}

int nd_accounts_run(const char *db, int argc, char **argv, FILE *out,
                    FILE *err)
{
    if (argc < 2)
        return usage(err);
    bool user = strcmp(argv[0], "user") == 0;
    const char *verb = argv[1];
    char why[512];
    if (!(user ? strcmp(verb, "add") == 0 || strcmp(verb, "list") == 0
               : strcmp(verb, "create") == 0 || strcmp(verb, "revoke") == 0))
        return usage(err);
    if (nd_store_open(db, why, sizeof why)) {
        fprintf(err, "neurond: %s\n", why);
        return 1;
    }
    int rc = user && verb[0] == 'a'   ? user_add(argc - 2, argv + 2, err)
             : user                   ? user_list(argc - 2, out, err)
             : verb[0] == 'c'         ? token_create(argc - 2, argv + 2, out,
                                                     err)
                                      : token_revoke(argc - 2, argv + 2, err);
    nd_db_close();
    return rc;
}
