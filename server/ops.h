/* ops.h — operational routes: liveness, readiness, version, the API
 * document. */
#ifndef ND_OPS_H
#define ND_OPS_H

#include "http.h"

void ops_healthz(nd_request *req); /* GET /healthz: the process answers */
void ops_readyz(nd_request *req);  /* GET /readyz: store and workers ready */
void ops_metrics(nd_request *req); /* GET /metrics: Prometheus text */
void ops_version(nd_request *req); /* GET /v1/version */
void ops_openapi(nd_request *req); /* GET /openapi.yaml */

#endif
