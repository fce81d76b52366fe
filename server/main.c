/* main.c — neurond: reads the configuration, starts the server, and stops
 * it cleanly on SIGINT or SIGTERM; or, as `neurond backup FILE`, copies
 * the database and exits. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "server.h"

/* `neurond backup FILE`: 0 once FILE holds the copy, 1 with the reason. */
static int backup(const nd_config *cfg)
{
    char err[600];
    nd_backup_stats st;
    if (nd_backup_to_file(cfg->db, cfg->backup_to, &st, err, sizeof err)) {
        fprintf(stderr, "neurond: backup failed: %s\n", err);
        return 1;
    }
    printf("neurond: backup of %s written to %s (%zu bytes, %d pages, "
           "%ld ms)\n", cfg->db, cfg->backup_to, st.bytes, st.pages, st.ms);
    return 0;
}

int main(int argc, char **argv)
{
    nd_server srv = {0};
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

    char err[512];
    if (nd_server_start(&srv, err, sizeof err)) {
        fprintf(stderr, "neurond: %s\n", err);
        return 1;
    }
    bool v6 = strchr(srv.cfg.bind, ':') != NULL;
    printf("neurond listening on http://%s%s%s:%u/ (database %s, %u "
           "workers)\n",
           v6 ? "[" : "", srv.cfg.bind, v6 ? "]" : "", srv.port, srv.cfg.db,
           srv.cfg.workers);
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    printf("neurond: %s received, stopping\n", sig == SIGINT ? "SIGINT"
                                                             : "SIGTERM");
    fflush(stdout);
    nd_server_stop(&srv);
    return 0;
}
