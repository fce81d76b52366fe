/* main.c — neurond: reads the configuration, starts the server, and stops
 * it cleanly on SIGINT or SIGTERM; or, as `neurond backup FILE`, copies
 * the database and exits; or runs an accounts command (`neurond user …`,
 * `neurond token …`, accounts_cli.h). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "accounts_cli.h"
#include "backup.h"
#include "log.h"
#include "server.h"
#include "version.h"

/* The start-up line; its msg names the URL, which scripts and tests read
 * (`listening on http://HOST:PORT/ `) to find a port picked with 0. */
static void log_listening(const nd_server *srv)
{
    bool v6 = strchr(srv->cfg.bind, ':') != NULL;
    char msg[1400];
    snprintf(msg, sizeof msg,
             "neurond listening on http://%s%s%s:%u/ (database %s, %u workers)",
             v6 ? "[" : "", srv->cfg.bind, v6 ? "]" : "", srv->port,
             srv->cfg.db, srv->cfg.workers);
    nd_log(ND_LOG_INFO, "server.started", msg, ND_LS("version", ND_VERSION),
           ND_LS("bind", srv->cfg.bind), ND_LI("port", srv->port),
           ND_LS("db", srv->cfg.db), ND_LI("workers", srv->cfg.workers),
           ND_LB("api_token", srv->cfg.api_token[0] != '\0'));
}

/* `neurond backup FILE`: 0 once FILE holds the copy, 1 with the reason. */
static int backup(const nd_config *cfg)
{
    char err[600];
    nd_backup_stats st;
    if (nd_backup_to_file(cfg->db, cfg->backup_to, &st, err, sizeof err)) {
        fprintf(stderr, "neurond: backup failed: %s\n", err);
        return 1;
    }
    if (st.stale_removed)
        printf("neurond: removed %d files a backup cut short had left\n",
               st.stale_removed);
    printf("neurond: backup of %s written to %s (%zu bytes, %d pages, "
           "%ld ms)\n", cfg->db, cfg->backup_to, st.bytes, st.pages, st.ms);
    return 0;
}

/* `neurond [options] user|token …`: the options before the command
 * (--db) are read as for the server, then the command runs. */
static int accounts(int argc, char **argv, int at)
{
    nd_config cfg;
    switch (nd_config_load(&cfg, at, argv, stdout, stderr)) {
    case ND_CONFIG_EXIT_OK: return 0;
    case ND_CONFIG_RUN: break;
    default: return 2;
    }
    return nd_accounts_run(cfg.db, argc - at, argv + at, stdout, stderr);
}

int main(int argc, char **argv)
{
    nd_server srv = {0};
    int at = nd_accounts_command_at(argc, argv);
    if (at)
        return accounts(argc, argv, at);
    switch (nd_config_load(&srv.cfg, argc, argv, stdout, stderr)) {
    case ND_CONFIG_EXIT_OK: return 0;
    case ND_CONFIG_ERROR: return 2;
    case ND_CONFIG_BACKUP: return backup(&srv.cfg);
    case ND_CONFIG_RUN: break;
    }
    /* Block the stop signals in every thread; main waits for them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    nd_log_format format = ND_LOG_TEXT;
    nd_log_format_parse(srv.cfg.log_format, &format); /* checked by config */
    nd_log_set_format(format);
    char err[512];
    int rc = nd_server_start(&srv, err, sizeof err);
    if (rc) {
        nd_log(ND_LOG_ERROR, "server.start_failed", err,
               ND_LS("version", ND_VERSION));
        return rc == -2 ? 2 : 1;
    }
    log_listening(&srv);
    int sig = 0;
    sigwait(&stop, &sig);
    nd_log(ND_LOG_INFO, "server.stopping", NULL,
           ND_LS("signal", sig == SIGINT ? "SIGINT" : "SIGTERM"));
    nd_server_stop(&srv);
    nd_logf(ND_LOG_INFO, "server.stopped", "neurond stopped cleanly");
    return 0;
}
