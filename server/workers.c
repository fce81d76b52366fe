/* workers.c — placeholder until the worker pool lands. */
#include <stdlib.h>

#include "workers.h"

struct nd_workers { unsigned n; };
nd_workers *nd_workers_start(struct nd_server *srv, unsigned n) { (void)srv; nd_workers *w = calloc(1, sizeof *w); if (w) w->n = n; return w; }
void nd_workers_notify(nd_workers *w) { (void)w; }
bool nd_workers_cancel(nd_workers *w, const char *job_id) { (void)w; (void)job_id; return false; }
unsigned nd_workers_alive(const nd_workers *w) { return w->n; }
void nd_workers_stop(nd_workers *w) { free(w); }
