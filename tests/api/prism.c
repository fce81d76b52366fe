/* prism.c — Stoplight Prism's validation proxy in front of a test's
 * neurond (see prism.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "prism.h"

#define LISTENING "Prism is listening on http://127.0.0.1:"

static const char *prism_bin(void)
{
    const char *bin = getenv("NEUROND_PRISM");
    return bin ? bin : "tools/prism/node_modules/.bin/prism";
}

/* Runs Prism in a child whose output goes to p->log. */
static void spawn(prism_proxy *p, const char *upstream_url)
{
    const char *bin = prism_bin();
    cr_assert_eq(access(bin, X_OK), 0,
                 "%s: %s (make test installs it: cd tools/prism && npm ci "
                 "--ignore-scripts)", bin, strerror(errno));
    const char *argv[] = {bin, "proxy", "--errors", "--validate-request",
                          "false", "--cors", "false", "-h", "127.0.0.1",
                          "-p", "0", "api-docs/openapi.yaml", upstream_url,
                          NULL};
    p->pid = api_spawn(argv, p->log);
}

void prism_start(prism_proxy *p, const api_server *upstream)
{
    memset(p, 0, sizeof *p);
    snprintf(p->log, sizeof p->log, "%s/prism.log", upstream->dir);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", upstream->port);
    spawn(p, url);
    p->via = *upstream;
    p->via.pid = 0; /* not the proxy's to stop */
    struct timespec tick = {0, 50000000L};
    for (int i = 0; i < 2400; i++) { /* node starts slowly on a busy box */
        char *log = api_read_file(p->log);
        char *at = log ? strstr(log, LISTENING) : NULL;
        if (at)
            p->via.port = (unsigned)strtoul(at + strlen(LISTENING), NULL, 10);
        int status;
        bool died = !at && waitpid(p->pid, &status, WNOHANG) == p->pid;
        if (died)
            p->pid = 0;
        cr_assert(!died, "prism exited at start-up:\n%s", log ? log : "");
        free(log);
        if (at)
            return;
        nanosleep(&tick, NULL);
    }
    cr_assert_fail("prism did not listen within 120 s (log: %s)", p->log);
}

bool prism_violation(const api_response *r, char *out, size_t cap)
{
    if (api_header(r, "sl-violations", out, cap))
        return true;
    const char *type = json_string_value(json_object_get(r->json, "type"));
    if (type && strstr(type, "stoplight.io/prism/errors")) {
        snprintf(out, cap, "%s", r->body);
        return true;
    }
    return false;
}

unsigned prism_stop(prism_proxy *p)
{
    if (p->pid) {
        kill(p->pid, SIGTERM);
        waitpid(p->pid, NULL, 0);
        p->pid = 0;
    }
    char *log = api_read_file(p->log);
    cr_assert_not_null(log, "%s: %s", p->log, strerror(errno));
    unsigned n = 0;
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strstr(line, "Violation:"))
            continue;
        cr_log_error("prism: %s", line);
        n++;
    }
    free(log);
    return n;
}
