/* conn_guard.h — the deadlines libmicrohttpd does not keep. Its
 * --timeout is an idle timeout: a client sending one byte every few
 * seconds (slowloris) resets it forever. The guard tracks every
 * connection (libmicrohttpd's NOTIFY_CONNECTION callback) through the
 * phases of its requests and, from a thread of its own, shuts down the
 * socket of one that is late:
 *   - headers: a request's headers must all have arrived within
 *     header_timeout_s of the connection's start, or of the end of the
 *     previous request on a kept-alive connection;
 *   - body: once a body has been read for header_timeout_s, it must
 *     average at least min_body_rate bytes a second since its start.
 * While the server works on a request or sends its reply (an event stream
 * may last hours) no deadline applies. A socket shut down reads as the end
 * of the stream to libmicrohttpd, which then closes the connection and
 * frees its slot (--max-connections, --max-per-ip). */
#ifndef ND_CONN_GUARD_H
#define ND_CONN_GUARD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct nd_conn_guard nd_conn_guard;

/* Starts the guard's thread. Returns NULL when out of memory or threads.
 * The caller passes nd_conn_guard_notify and the guard to libmicrohttpd as
 * MHD_OPTION_NOTIFY_CONNECTION, and stops the guard after the daemon. */
nd_conn_guard *nd_conn_guard_start(unsigned header_timeout_s,
                                   size_t min_body_rate);

/* Stops the thread and frees the guard; every connection must have been
 * closed (the daemon stopped) before. NULL is ignored. */
void nd_conn_guard_stop(nd_conn_guard *g);

/* libmicrohttpd's MHD_NotifyConnectionCallback: STARTED registers the
 * connection (its headers' clock starts), CLOSED forgets it, before
 * libmicrohttpd closes the socket. */
void nd_conn_guard_notify(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code);

/* The phases of a request, as the access handler sees them: headers
 * complete (a body may follow: its rate is watched from now), n more body
 * bytes read, the server at work on the request or replying (no deadline),
 * the request finished (the next one's headers' clock starts). Each is a
 * no-op for a connection the guard does not track. */
void nd_conn_guard_body_start(struct MHD_Connection *conn);
void nd_conn_guard_body_bytes(struct MHD_Connection *conn, size_t n);
void nd_conn_guard_working(struct MHD_Connection *conn);
void nd_conn_guard_request_done(struct MHD_Connection *conn);

#endif
