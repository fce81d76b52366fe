/* conn_guard.c — header deadlines and the minimum body rate, kept by a
 * thread that shuts down late sockets (see conn_guard.h). */
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "clock.h"
#include "conn_guard.h"
#include "log.h"

/* How often the thread looks for late connections: a deadline is kept to
 * within this. */
#define SWEEP_MS 200

typedef enum { PHASE_HEADERS, PHASE_BODY, PHASE_WORKING } conn_phase;

typedef struct guarded {
    struct guarded *prev, *next;
    nd_conn_guard *guard;
    int fd;
    conn_phase phase;
    double since_ms;   /* when the phase began */
    size_t body_bytes; /* read in PHASE_BODY */
    bool shut;         /* shut down by the guard already */
} guarded;

struct nd_conn_guard {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool stopping;
    guarded *head;
    double header_ms;
    size_t min_rate;
};

/* Why c is late at now, or NULL when it is not. */
static const char *late_reason(const nd_conn_guard *g, const guarded *c,
                               double now)
{
    double elapsed = now - c->since_ms;
    if (c->shut || c->phase == PHASE_WORKING || elapsed < g->header_ms)
        return NULL;
    if (c->phase == PHASE_HEADERS)
        return "headers";
    double least = (double)g->min_rate * elapsed / 1e3;
    return (double)c->body_bytes < least ? "body_rate" : NULL;
}

/* One pass over the connections: shuts down each late one's socket, which
 * libmicrohttpd then reads as the end of the stream. The fd stays valid
 * under the lock: libmicrohttpd tells CLOSED (taking it) before closing. */
static void sweep(nd_conn_guard *g)
{
    unsigned headers = 0, slow_bodies = 0;
    pthread_mutex_lock(&g->lock);
    double now = nd_clock_ms();
    for (guarded *c = g->head; c; c = c->next) {
        const char *why = late_reason(g, c, now);
        if (!why)
            continue;
        shutdown(c->fd, SHUT_RDWR);
        c->shut = true;
        if (c->phase == PHASE_HEADERS)
            headers++;
        else
            slow_bodies++;
    }
    pthread_mutex_unlock(&g->lock);
    if (headers)
        nd_log(ND_LOG_WARN, "http.too_slow",
               "closed connections whose request headers were late",
               ND_LS("phase", "headers"), ND_LI("connections", headers),
               ND_LN("deadline_s", g->header_ms / 1e3));
    if (slow_bodies)
        nd_log(ND_LOG_WARN, "http.too_slow",
               "closed connections whose request body came too slowly",
               ND_LS("phase", "body"), ND_LI("connections", slow_bodies),
               ND_LI("min_bytes_per_s", g->min_rate));
}

static void *guard_main(void *arg)
{
    nd_conn_guard *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += SWEEP_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&g->wake, &g->lock, &until);
        if (g->stopping)
            break;
        pthread_mutex_unlock(&g->lock);
        sweep(g);
        pthread_mutex_lock(&g->lock);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

nd_conn_guard *nd_conn_guard_start(unsigned header_timeout_s,
                                   size_t min_body_rate)
{
    nd_conn_guard *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->header_ms = header_timeout_s * 1e3;
    g->min_rate = min_body_rate;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&g->thread, NULL, guard_main, g) != 0) {
        pthread_cond_destroy(&g->wake);
        pthread_mutex_destroy(&g->lock);
        free(g);
        return NULL;
    }
    return g;
}

void nd_conn_guard_stop(nd_conn_guard *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    g->stopping = true;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->thread, NULL);
    while (g->head) { /* none once the daemon is stopped; freed if so */
        guarded *c = g->head;
        g->head = c->next;
        free(c);
    }
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

static void track(nd_conn_guard *g, struct MHD_Connection *conn,
                  void **socket_context)
{
    const union MHD_ConnectionInfo *fd =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    guarded *c = fd ? calloc(1, sizeof *c) : NULL;
    if (!c)
        return; /* untracked: only --timeout applies to it */
    c->guard = g;
    c->fd = fd->connect_fd;
    c->phase = PHASE_HEADERS;
    pthread_mutex_lock(&g->lock);
    c->since_ms = nd_clock_ms();
    c->next = g->head;
    if (g->head)
        g->head->prev = c;
    g->head = c;
    pthread_mutex_unlock(&g->lock);
    *socket_context = c;
}

void nd_conn_guard_notify(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    nd_conn_guard *g = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        track(g, conn, socket_context);
        return;
    }
    guarded *c = *socket_context;
    if (!c)
        return;
    pthread_mutex_lock(&g->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        g->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&g->lock);
    free(c);
    *socket_context = NULL;
}

/* The guard's record of conn, or NULL when untracked. */
static guarded *lookup(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        conn ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT)
             : NULL;
    return info ? info->socket_context : NULL;
}

static void enter(struct MHD_Connection *conn, conn_phase phase)
{
    guarded *c = lookup(conn);
    if (!c)
        return;
    pthread_mutex_lock(&c->guard->lock);
    if (c->phase != phase) {
        c->phase = phase;
        c->since_ms = nd_clock_ms();
        c->body_bytes = 0;
    }
    pthread_mutex_unlock(&c->guard->lock);
}

void nd_conn_guard_body_start(struct MHD_Connection *conn)
{
    enter(conn, PHASE_BODY);
}

void nd_conn_guard_body_bytes(struct MHD_Connection *conn, size_t n)
{
    guarded *c = lookup(conn);
    if (!c)
        return;
    pthread_mutex_lock(&c->guard->lock);
    c->body_bytes += n;
    pthread_mutex_unlock(&c->guard->lock);
}

void nd_conn_guard_working(struct MHD_Connection *conn)
{
    enter(conn, PHASE_WORKING);
}

void nd_conn_guard_request_done(struct MHD_Connection *conn)
{
    enter(conn, PHASE_HEADERS);
}
