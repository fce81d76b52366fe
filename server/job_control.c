/* job_control.c — pausing and resuming a job: POST /v1/jobs/{id}/pause
 * stops it after its current epoch (checkpointed, history kept, worker
 * freed, the model still held), POST /v1/jobs/{id}/resume queues it again
 * for the rest or for `pause_after` more epochs — a step is one. One job,
 * one validation split, one history, however many pauses. */
#include <stdio.h>

#include "events.h"
#include "job_store.h"
#include "jobs.h"
#include "jsonv.h"
#include "log.h"
#include "server.h"
#include "workers.h"

void jobs_pause(nd_request *req)
{
    json_t *job = jobs_path_job(req);
    if (!job)
        return;
    json_decref(job);
    const char *id = req->params[0];
    /* Queued first; if a worker claimed it meanwhile, it is running. */
    int rc = nd_job_pause_queued(id);
    if (rc == 0)
        nd_events_status(req->srv->events, id); /* paused */
    if (rc == 1 && (rc = nd_job_request_pause(id)) == 0)
        nd_workers_pause(req->srv->workers, id);
    if (rc == 1) {
        nd_reply_problem(req, 409, "job %s is neither queued nor running", id);
        return;
    }
    if (rc) {
        nd_reply_problem(req, 500, "cannot pause the job");
        return;
    }
    nd_log(ND_LOG_INFO, "job.pause_requested", NULL, ND_LS("job_id", id),
           ND_LS("request_id", req->request_id));
    nd_reply_json(req, 202, nd_job_view(id));
}

void jobs_resume(nd_request *req)
{
    static const char *const fields[] = {"pause_after", NULL};
    json_t *job = jobs_path_job(req);
    uint64_t after = 0;
    if (!job)
        return;
    size_t epoch = (size_t)json_integer_value(json_object_get(job, "epoch"));
    json_decref(job);
    if (!nd_json_allow(req, req->json, "", fields) ||
        !nd_field_uint(req, req->json, "", "pause_after", false, 1,
                       req->srv->cfg.max_epochs, &after))
        return;
    const char *id = req->params[0];
    int rc = nd_job_resume(id, after ? epoch + (size_t)after : 0);
    if (rc == 1) {
        nd_reply_problem(req, 409, "job %s is not paused", id);
        return;
    }
    if (rc) {
        nd_reply_problem(req, 500, "cannot resume the job");
        return;
    }
    nd_events_status(req->srv->events, id); /* queued */
    nd_workers_notify(req->srv->workers);
    nd_log(ND_LOG_INFO, "job.resumed_by_request", NULL, ND_LS("job_id", id),
           ND_LI("pause_after", after), ND_LS("request_id", req->request_id));
    nd_reply_json(req, 202, nd_job_view(id));
}
