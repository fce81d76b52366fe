/* jobs.c — placeholder until the jobs routes land. */
#include "jobs.h"

static void todo(nd_request *req) { nd_reply_problem(req, 404, "jobs are not implemented yet"); }
void jobs_create(nd_request *req) { todo(req); }
void jobs_list(nd_request *req) { todo(req); }
void jobs_get(nd_request *req) { todo(req); }
void jobs_history(nd_request *req) { todo(req); }
void jobs_cancel(nd_request *req) { todo(req); }
