/* request_log.c — the access log line and metrics of a request (see
 * request_log.h). */
#include <arpa/inet.h>
#include <microhttpd.h>

#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "request_log.h"
#include "router.h"

/* The client's address as text into out ("" when unknown). */
static void remote_address(const nd_request *req, char *out, size_t cap)
{
    out[0] = '\0';
    const union MHD_ConnectionInfo *ci =
        req->conn ? MHD_get_connection_info(
                        req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS)
                  : NULL;
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out,
                  (socklen_t)cap);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
                  out, (socklen_t)cap);
}

void nd_request_finished(const nd_request *req, bool complete)
{
    double seconds = nd_clock_ms() / 1e3 - req->started;
    const nd_route *route = req->route;
    unsigned status = req->sent ? req->status : 499;
    nd_metrics_request(route, req->method, status, seconds);
    char remote[INET6_ADDRSTRLEN];
    remote_address(req, remote, sizeof remote);
    nd_log_level level = status == 500   ? ND_LOG_ERROR
                         : status >= 500 ? ND_LOG_WARN
                                         : ND_LOG_INFO;
    nd_log(level,
           "http.request", NULL, ND_LS("method", req->method),
           ND_LS("route", route ? route->pattern : "unmatched"),
           ND_LS("path", req->raw_path ? req->raw_path : req->url), ND_LI("status", status),
           ND_LN("duration_ms", seconds * 1e3),
           ND_LI("bytes", req->bytes_sent),
           ND_LS("request_id", req->request_id), ND_LS("remote", remote),
           ND_LS("user", req->user_id[0] ? req->user_id
                         : req->admin    ? "admin"
                                         : ""),
           ND_LB("complete", complete));
}
