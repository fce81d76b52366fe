/* config.h — neurond's configuration: flags, their environment variables
 * and defaults, in one table that also writes `neurond --help`. */
#ifndef ND_CONFIG_H
#define ND_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct {
    char bind[64];          /* --bind, NEUROND_BIND */
    unsigned port;          /* --port, NEUROND_PORT; 0 picks a free port */
    char db[1024];          /* --db, NEUROND_DB */
    unsigned workers;       /* --workers, NEUROND_WORKERS */
    unsigned http_threads;  /* --http-threads, NEUROND_HTTP_THREADS */
    size_t max_json_bytes;  /* --max-json-bytes, NEUROND_MAX_JSON_BYTES */
    size_t max_csv_bytes;   /* --max-csv-bytes, NEUROND_MAX_CSV_BYTES */
    size_t max_rows;        /* --max-rows, NEUROND_MAX_ROWS */
    size_t max_params;      /* --max-params, NEUROND_MAX_PARAMS */
    unsigned max_epochs;    /* --max-epochs, NEUROND_MAX_EPOCHS */
    unsigned max_batch;     /* --max-batch-size, NEUROND_MAX_BATCH_SIZE */
    unsigned timeout_s;     /* --timeout, NEUROND_TIMEOUT */
    unsigned header_timeout_s; /* --header-timeout, NEUROND_HEADER_TIMEOUT */
    size_t min_body_rate;   /* --min-body-rate, NEUROND_MIN_BODY_RATE */
    unsigned checkpoint_ms; /* --checkpoint-ms, NEUROND_CHECKPOINT_MS */
    unsigned max_watchers;  /* --max-watchers, NEUROND_MAX_WATCHERS */
    unsigned keepalive_ms;  /* --keepalive-ms, NEUROND_KEEPALIVE_MS */
    unsigned max_queued_jobs; /* --max-queued-jobs, NEUROND_MAX_QUEUED_JOBS */
    unsigned max_connections; /* --max-connections, NEUROND_MAX_CONNECTIONS */
    unsigned max_per_ip;      /* --max-per-ip, NEUROND_MAX_PER_IP; 0: none */
    unsigned max_backups;     /* --max-backups, NEUROND_MAX_BACKUPS */
    size_t disk_reserve_bytes; /* --disk-reserve-bytes; 0: no reserve */
    unsigned quota_models;      /* --quota-models: per user; 0: none */
    unsigned quota_queued_jobs; /* --quota-queued-jobs: per user; 0: none */
    size_t quota_bytes;         /* --quota-bytes: per user; 0: none */
    char api_token[256];      /* --api-token, NEUROND_API_TOKEN; "" is off */
    char api_token_file[1024]; /* --api-token-file: read into api_token */
    char cors_origin[1024];   /* --cors-origin: comma-separated origins */
    char log_format[8];       /* --log-format, NEUROND_LOG_FORMAT: text|json */
    char node_name[64];       /* --node-name: shown in jobs; <host>-<pid> */
    unsigned lease_ms;        /* --lease-ms: a running job's lease */
    char backup_to[1024];     /* FILE of `neurond backup FILE` */
} nd_config;

typedef enum {
    ND_CONFIG_RUN,    /* start the server */
    ND_CONFIG_BACKUP, /* `neurond backup FILE`: copy cfg->db to backup_to */
    ND_CONFIG_EXIT_OK,
    ND_CONFIG_ERROR
} nd_config_result;

/* Fills cfg from defaults, then the environment, then argv (flags win);
 * a token file, when named, replaces api_token with its first line.
 * Returns ND_CONFIG_BACKUP for the command `backup FILE` (among the
 * options, in any order), ND_CONFIG_EXIT_OK after printing --help or
 * --version to out, ND_CONFIG_ERROR after printing the reason to err. */
nd_config_result nd_config_load(nd_config *cfg, int argc, char **argv,
                                FILE *out, FILE *err);

/* Prints the usage text with every flag, variable and default. */
void nd_config_usage(FILE *out);

#endif
