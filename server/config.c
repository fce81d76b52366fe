/* config.c — flags and environment variables (see config.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounts_cli.h"
#include "config.h"
#include "log.h"
#include "nn_limits.h"
#include "version.h"

typedef enum { OPT_STR, OPT_UINT, OPT_SIZE } opt_kind;

typedef struct {
    const char *flag, *env, *help;
    opt_kind kind;
    size_t offset, size; /* field in nd_config; size for strings */
    unsigned long long min, max;
} opt_def;

#define F(field) offsetof(nd_config, field), sizeof(((nd_config *)0)->field)

static const opt_def options[] = {
    {"bind", "NEUROND_BIND", "address to listen on", OPT_STR, F(bind), 0, 0},
    {"port", "NEUROND_PORT", "TCP port (0 picks a free one and prints it)",
     OPT_UINT, F(port), 0, 65535},
    {"db", "NEUROND_DB", "SQLite database file (created if missing), or a PostgreSQL URI "
     "(postgresql://user@host:port/dbname) for a cluster", OPT_STR,
     F(db), 0, 0},
    {"workers", "NEUROND_WORKERS", "training jobs run at once (one per core by default)",
     OPT_UINT, F(workers), 1, 256},
    {"http-threads", "NEUROND_HTTP_THREADS", "threads serving HTTP requests",
     OPT_UINT, F(http_threads), 1, 256},
    {"max-json-bytes", "NEUROND_MAX_JSON_BYTES",
     "largest JSON request body", OPT_SIZE, F(max_json_bytes), 1024,
     1ull << 34},
    {"max-csv-bytes", "NEUROND_MAX_CSV_BYTES", "largest CSV or text upload", OPT_SIZE,
     F(max_csv_bytes), 1024, 1ull << 40},
    {"max-rows", "NEUROND_MAX_ROWS", "most rows (a text: tokens) in one dataset", OPT_SIZE,
     F(max_rows), 1, 1ull << 32},
    {"max-params", "NEUROND_MAX_PARAMS", "most parameters in one model",
     OPT_SIZE, F(max_params), 1, 1ull << 28},
    {"max-epochs", "NEUROND_MAX_EPOCHS", "most epochs in one job", OPT_UINT,
     F(max_epochs), 1, 100000000},
    {"max-batch-size", "NEUROND_MAX_BATCH_SIZE",
     "most rows in one mini-batch of a job", OPT_UINT, F(max_batch), 1,
     NN_MAX_BATCH},
    {"timeout", "NEUROND_TIMEOUT",
     "seconds an idle connection is kept open", OPT_UINT, F(timeout_s), 1,
     86400},
    {"header-timeout", "NEUROND_HEADER_TIMEOUT",
     "seconds a request's headers may take, counted from the connection's "
     "start or its previous reply", OPT_UINT, F(header_timeout_s), 1, 3600},
    {"min-body-rate", "NEUROND_MIN_BODY_RATE",
     "bytes a second a request body must average once it has taken "
     "--header-timeout seconds (0: no minimum)", OPT_SIZE, F(min_body_rate),
     0, 1ull << 30},
    {"checkpoint-ms", "NEUROND_CHECKPOINT_MS",
     "milliseconds between checkpoints of a running job", OPT_UINT,
     F(checkpoint_ms), 10, 3600000},
    {"max-watchers", "NEUROND_MAX_WATCHERS",
     "event streams open at once (each is a connection)", OPT_UINT,
     F(max_watchers), 1, 100000},
    {"keepalive-ms", "NEUROND_KEEPALIVE_MS",
     "milliseconds of silence before an event stream gets a keep-alive",
     OPT_UINT, F(keepalive_ms), 100, 3600000},
    {"max-queued-jobs", "NEUROND_MAX_QUEUED_JOBS",
     "most jobs waiting in the queue (then 429)", OPT_UINT,
     F(max_queued_jobs), 1, 10000000},
    {"max-connections", "NEUROND_MAX_CONNECTIONS",
     "most HTTP connections open at once", OPT_UINT, F(max_connections), 1,
     100000},
    {"max-per-ip", "NEUROND_MAX_PER_IP",
     "most connections from one IP address (0: no limit)", OPT_UINT,
     F(max_per_ip), 0, 100000},
    {"max-backups", "NEUROND_MAX_BACKUPS",
     "POST /v1/admin/backup copies open at once, each a temporary copy of "
     "the database until its reader has it all (then 429)",
     OPT_UINT, F(max_backups), 1, 1000},
    {"disk-reserve-bytes", "NEUROND_DISK_RESERVE_BYTES",
     "room kept beside the database (<db>.reserve) so that deleting works "
     "when its disk is full; 0: none",
     OPT_SIZE, F(disk_reserve_bytes), 0, 1ull << 36},
    {"quota-models", "NEUROND_QUOTA_MODELS",
     "most models one user (not an administrator) may own, then 429 (0: "
     "no quota)", OPT_UINT, F(quota_models), 0, 10000000},
    {"quota-queued-jobs", "NEUROND_QUOTA_QUEUED_JOBS",
     "most jobs one user (not an administrator) may have queued, then 429 "
     "(0: no quota)", OPT_UINT, F(quota_queued_jobs), 0, 10000000},
    {"quota-bytes", "NEUROND_QUOTA_BYTES",
     "most bytes one user (not an administrator) may store: datasets' "
     "rows, models' weights, jobs' checkpoints; past it an upload or a "
     "new model is 413 (0: no quota)", OPT_SIZE, F(quota_bytes), 0,
     1ull << 50},
    {"api-token", "NEUROND_API_TOKEN",
     "the administrator's bearer token (none, and no users: no auth)", OPT_STR,
     F(api_token), 0, 0},
    {"api-token-file", "NEUROND_API_TOKEN_FILE",
     "file whose first line is the bearer token", OPT_STR, F(api_token_file),
     0, 0},
    {"cors-origin", "NEUROND_CORS_ORIGIN",
     "comma-separated origins CORS allows", OPT_STR,
     F(cors_origin), 0, 0},
    {"log-format", "NEUROND_LOG_FORMAT",
     "log lines on stdout as text (logfmt) or json", OPT_STR, F(log_format),
     0, 0},
    {"node-name", "NEUROND_NODE_NAME",
     "this node's name, shown as the `node` of the jobs it runs (letters, "
     "digits, . _ -)", OPT_STR, F(node_name), 0, 0},
    {"lease-ms", "NEUROND_LEASE_MS",
     "milliseconds a running job's lease lasts; its node renews it every "
     "third of that, and once it runs out (the node died) another node "
     "resumes the job", OPT_UINT, F(lease_ms), 1000, 3600000},
};
#define N_OPTIONS (sizeof options / sizeof *options)

static void set_defaults(nd_config *c)
{
    memset(c, 0, sizeof *c);
    strcpy(c->bind, "127.0.0.1");
    c->port = 8080;
    strcpy(c->db, "./data/neurond.db");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    c->workers = cores > 0 ? (unsigned)cores : 1;
    c->http_threads = 4;
    c->max_json_bytes = 64ull << 20;
    c->max_csv_bytes = 1ull << 30;
    c->max_rows = 10000000;
    c->max_params = 50000000;
    c->max_epochs = 1000000;
    c->max_batch = 65536;
    c->timeout_s = 60;
    c->header_timeout_s = 20;
    c->min_body_rate = 1024;
    c->checkpoint_ms = 5000;
    c->max_watchers = 256;
    c->keepalive_ms = 15000;
    c->max_queued_jobs = 1000;
    c->max_connections = 512;
    c->max_per_ip = 64;
    c->max_backups = 2;
    c->disk_reserve_bytes = 8u << 20;
    c->lease_ms = 10000;
    strcpy(c->log_format, "text");
}

/* Replaces c->api_token with the first line of c->api_token_file; false
 * with a message (never the token) when it cannot. */
static bool read_token_file(nd_config *c, FILE *err)
{
    FILE *f = fopen(c->api_token_file, "r");
    if (!f) {
        fprintf(err, "neurond: --api-token-file %s: %s\n", c->api_token_file,
                strerror(errno));
        return false;
    }
    char line[sizeof c->api_token + 1];
    bool ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    line[ok ? strcspn(line, "\r\n") : 0] = '\0';
    if (!ok || !line[0] || strlen(line) >= sizeof c->api_token) {
        fprintf(err, "neurond: --api-token-file %s: the first line must hold "
                     "a token of 1 to %zu characters\n",
                c->api_token_file, sizeof c->api_token - 1);
        return false;
    }
    strcpy(c->api_token, line);
    return true;
}

/* The node's name: the one given, checked, or <host name>-<pid>. */
static bool node_name(nd_config *c, FILE *err)
{
    if (!c->node_name[0]) {
        char host[32] = "node";
        gethostname(host, sizeof host - 1);
        host[sizeof host - 1] = '\0';
        snprintf(c->node_name, sizeof c->node_name, "%s-%ld", host,
                 (long)getpid());
        return true;
    }
    if (strspn(c->node_name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
                             "TUVWXYZ0123456789._-") != strlen(c->node_name)) {
        fprintf(err, "neurond: --node-name may hold letters, digits, '.', "
                     "'_' and '-' only, not '%s'\n", c->node_name);
        return false;
    }
    return true;
}

/* Checks what single options cannot: a token file, an allowlist that
 * never holds "*" (origins are echoed exactly, one by one), a log
 * format the log knows, and the node's name. */
static bool finish_config(nd_config *c, FILE *err)
{
    nd_log_format format;
    if (c->api_token_file[0] && !read_token_file(c, err))
        return false;
    if (!node_name(c, err))
        return false;
    if (!nd_log_format_parse(c->log_format, &format)) {
        fprintf(err, "neurond: --log-format must be text or json, not '%s'\n",
                c->log_format);
        return false;
    }
    if (strchr(c->cors_origin, '*')) {
        fprintf(err, "neurond: --cors-origin lists origins exactly; '*' is "
                     "not allowed\n");
        return false;
    }
    return true;
}

/* The command after the options: only `backup FILE`. */
static nd_config_result command(nd_config *c, int argc, char **argv,
                                FILE *err)
{
    if (strcmp(argv[0], "backup") != 0) {
        fprintf(err, "neurond: unexpected argument '%s'\n", argv[0]);
        return ND_CONFIG_ERROR;
    }
    if (argc != 2 || !argv[1][0]) {
        fprintf(err, "neurond: usage: neurond [--db FILE] backup FILE\n");
        return ND_CONFIG_ERROR;
    }
    if (strlen(argv[1]) >= sizeof c->backup_to) {
        fprintf(err, "neurond: backup: file name too long\n");
        return ND_CONFIG_ERROR;
    }
    strcpy(c->backup_to, argv[1]);
    return ND_CONFIG_BACKUP;
}

/* Stores text into the option's field; false with a message on a bad
 * value. */
static bool assign(nd_config *c, const opt_def *o, const char *text,
                   const char *from, FILE *err)
{
    char *field = (char *)c + o->offset;
    if (o->kind == OPT_STR) {
        if (strlen(text) >= o->size) {
            fprintf(err, "neurond: %s: value too long\n", from);
            return false;
        }
        strcpy(field, text);
        return true;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-' || v < o->min ||
        v > o->max) {
        fprintf(err, "neurond: %s: '%s' is not a whole number in [%llu, %llu]\n",
                from, text, o->min, o->max);
        return false;
    }
    if (o->kind == OPT_UINT)
        *(unsigned *)field = (unsigned)v;
    else
        *(size_t *)field = (size_t)v;
    return true;
}

void nd_config_usage(FILE *out)
{
    nd_config d;
    set_defaults(&d);
    fprintf(out,
            "usage: neurond [options]\n"
            "       neurond [--db FILE] backup FILE\n");
    nd_accounts_usage(out);
    fprintf(out,
            "\n"
            "neurond is a neural-network training server: an HTTP API "
            "(see /openapi.yaml,\n"
            "/docs) for datasets, models, training jobs and predictions, "
            "stored in SQLite.\n\n"
            "`backup FILE` copies the database to FILE and exits: a "
            "consistent snapshot,\n"
            "taken while a server may be running on it, written "
            "atomically (POST\n"
            "/v1/admin/backup streams the same copy over HTTP).\n\n"
            "`user` and `token` manage accounts: users (administrators "
            "with --admin) and\n"
            "their bearer tokens, printed once on stdout (only a hash is "
            "stored); --expires\n"
            "takes 90s, 30m, 12h, 7d or an RFC 3339 UTC time. Once a user "
            "exists, every\n"
            "API call needs a token (or --api-token, the administrator's); "
            "with neither,\n"
            "the server is open, for loopback use. The same as "
            "/v1/admin/users and\n"
            "/v1/admin/tokens.\n\n"
            "Each option can also be set by its environment variable; a flag "
            "wins.\n\n");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const opt_def *o = &options[i];
        const char *field = (const char *)&d + o->offset;
        char def[64];
        if (o->kind == OPT_STR)
            snprintf(def, sizeof def, "%s", field);
        else if (o->kind == OPT_UINT)
            snprintf(def, sizeof def, "%u", *(const unsigned *)field);
        else
            snprintf(def, sizeof def, "%zu", *(const size_t *)field);
        fprintf(out, "  --%-16s %-24s %s (default %s)\n", o->flag, o->env,
                o->help,
                o->offset == offsetof(nd_config, node_name) ? "<host name>-<pid>"
                : def[0]                                    ? def
                                                            : "none");
    }
    fprintf(out, "  --%-41s this text\n  --%-41s the version\n", "help",
            "version");
}

nd_config_result nd_config_load(nd_config *cfg, int argc, char **argv,
                                FILE *out, FILE *err)
{
    set_defaults(cfg);
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const char *v = getenv(options[i].env);
        if (v && *v && !assign(cfg, &options[i], v, options[i].env, err))
            return ND_CONFIG_ERROR;
    }
    struct option longs[N_OPTIONS + 3];
    for (size_t i = 0; i < N_OPTIONS; i++)
        longs[i] = (struct option){options[i].flag, required_argument, NULL,
                                   (int)i};
    longs[N_OPTIONS] = (struct option){"help", no_argument, NULL, 'h'};
    longs[N_OPTIONS + 1] = (struct option){"version", no_argument, NULL, 'V'};
    longs[N_OPTIONS + 2] = (struct option){NULL, 0, NULL, 0};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        if (c == 'h') {
            nd_config_usage(out);
            return ND_CONFIG_EXIT_OK;
        }
        if (c == 'V') {
            fprintf(out, "neurond %s\n", ND_VERSION);
            return ND_CONFIG_EXIT_OK;
        }
        if (c < 0 || (size_t)c >= N_OPTIONS) {
            fprintf(err, "neurond: unknown or incomplete option '%s' (see "
                         "--help)\n", argv[optind - 1]);
            return ND_CONFIG_ERROR;
        }
        char from[64];
        snprintf(from, sizeof from, "--%s", options[c].flag);
        if (!assign(cfg, &options[c], optarg, from, err))
            return ND_CONFIG_ERROR;
    }
    if (optind < argc)
        return command(cfg, argc - optind, argv + optind, err);
    return finish_config(cfg, err) ? ND_CONFIG_RUN : ND_CONFIG_ERROR;
}
