/* prism.h — Stoplight Prism (tools/prism, `npm ci` there) as an
 * independent judge of neurond's replies: `prism proxy` in front of a real
 * neurond checks every reply that passes through it — status, documented
 * headers, content type and body — against api-docs/openapi.yaml, and
 * reports what does not match in an `sl-violations` header and in its
 * log. It runs with `--errors` (a reply whose body or headers break the
 * document comes back as Prism's own 500) and `--validate-request false`:
 * requests are the server's to judge, so that the server's answers to
 * deliberately bad requests reach the judge instead of Prism's. */
#ifndef API_PRISM_H
#define API_PRISM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "harness.h"

typedef struct {
    pid_t pid;
    char log[340];   /* Prism's log, in the upstream server's folder */
    api_server via;  /* pass to api_call*: the call goes through Prism */
} prism_proxy;

/* Starts Prism ($NEUROND_PRISM, default tools/prism/node_modules/.bin/
 * prism) on a free loopback port in front of upstream, which must be
 * running; waits until it listens. Asserts it comes up (within 120 s). */
void prism_start(prism_proxy *p, const api_server *upstream);

/* What Prism found wrong with reply r, copied into out (its sl-violations
 * header, or the body of an error Prism made itself); false when r passed
 * clean. */
bool prism_violation(const api_response *r, char *out, size_t cap);

/* Stops Prism and returns the number of violations its log reports (the
 * lines holding "Violation:"), each also logged as a test error. */
unsigned prism_stop(prism_proxy *p);

#endif
