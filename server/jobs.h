/* jobs.h — the /v1/jobs routes: queueing training, progress, history,
 * cancel. The training itself runs in workers.c. */
#ifndef ND_JOBS_H
#define ND_JOBS_H

#include <jansson.h>

#include "http.h"

void jobs_create(nd_request *req);
void jobs_list(nd_request *req);
void jobs_get(nd_request *req);
void jobs_history(nd_request *req);
void jobs_cancel(nd_request *req);

/* The view of the job {id} of the path (the caller decrefs), or NULL
 * after replying 404. */
json_t *jobs_path_job(nd_request *req);

/* POST /v1/jobs/{id}/pause and /resume {"pause_after"} (job_control.c). */
void jobs_pause(nd_request *req);
void jobs_resume(nd_request *req);

/* GET /v1/jobs/{id}/events: Server-Sent Events (sse.c). */
void jobs_events(nd_request *req);

#endif
