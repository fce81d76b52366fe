/* datasets.c — the /v1/datasets routes: creating (JSON rows, a generator,
 * or CSV streamed through datasets_csv), listing, reading, paging rows and
 * deleting. The work is done in dataset_json.c, csv_ingest.c and the
 * dataset store; this file maps requests and replies onto them. Query
 * arguments a route does not know are refused (400), like unknown JSON
 * fields. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_ingest.h"
#include "dataset_json.h"
#include "dataset_store.h"
#include "datasets.h"
#include "server.h"

typedef struct {
    nd_request *req;
    const char *const *allowed;
    bool ok;
} query_check;

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind,
                                 const char *key, const char *value)
{
    (void)kind;
    (void)value;
    query_check *q = cls;
    for (size_t i = 0; q->allowed[i]; i++)
        if (strcmp(key, q->allowed[i]) == 0)
            return MHD_YES;
    char p[ND_PTR_MAX];
    snprintf(p, sizeof p, "?%s", key);
    nd_reply_invalid(q->req, 400, p, "unknown query argument");
    q->ok = false;
    return MHD_NO;
}

/* Refuses (400) the first query argument not in allowed (NULL-ended). */
static bool query_allow(nd_request *req, const char *const *allowed)
{
    query_check q = {req, allowed, true};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, check_arg,
                              &q);
    return q.ok;
}

/* ?name as a whole number: def when absent, at most max (larger is
 * clamped); 400 when it is not a number, 422 below min. */
static bool query_size(nd_request *req, const char *name, size_t def,
                       size_t min, size_t max, size_t *out)
{
    uint64_t v;
    if (!nd_query_uint(req, name, def, max, &v))
        return false;
    if (v < min) {
        char p[ND_PTR_MAX];
        snprintf(p, sizeof p, "?%s", name);
        nd_reply_invalid(req, 422, p, "must be at least %zu", min);
        return false;
    }
    *out = (size_t)v;
    return true;
}

/* The {id} of the path when it is a dataset ID; otherwise replies 404. */
static const char *path_id(nd_request *req)
{
    const char *id = req->params[0];
    if (nd_id_valid(id, "ds_"))
        return id;
    nd_reply_problem(req, 404, "no dataset %.60s", id);
    return NULL;
}

/* POST /v1/datasets with a JSON body: a generator when the body names one,
 * else rows. Replies 201 with the dataset, or the problem. */
void datasets_create(nd_request *req)
{
    static const char *const none[] = {NULL};
    if (!query_allow(req, none))
        return;
    if (json_object_get(req->json, "generator"))
        nd_ds_create_generated(req);
    else
        nd_ds_create_from_json(req);
}

/* GET /v1/datasets?limit&cursor: {"items", "next_cursor"}, newest first;
 * limit 1..200 (default 50, larger clamped). */
void datasets_list(nd_request *req)
{
    static const char *const args[] = {"limit", "cursor", NULL};
    size_t limit;
    nd_page_key after;
    json_t *items;
    bool more;
    if (!query_allow(req, args) ||
        !nd_page_args(req, "ds_", &limit, &after))
        return;
    if (nd_ds_list(&after, limit, &items, &more)) {
        nd_reply_problem(req, 500, "cannot list the datasets");
        return;
    }
    json_t *next = nd_page_next(items, more);
    nd_reply_json(req, 200, json_pack("{s:o, s:o}", "items", items,
                                      "next_cursor", next));
}

/* GET /v1/datasets/{id}: the dataset, or 404. */
void datasets_get(nd_request *req)
{
    static const char *const none[] = {NULL};
    const char *id;
    if (!query_allow(req, none) || !(id = path_id(req)))
        return;
    json_t *obj;
    int rc = nd_ds_object(id, &obj);
    if (rc == 0)
        nd_reply_json(req, 200, obj);
    else if (rc == 1)
        nd_reply_problem(req, 404, "no dataset %s", id);
    else
        nd_reply_problem(req, 500, "cannot read dataset %s", id);
}

/* GET /v1/datasets/{id}/rows?offset&limit: a page of rows; limit 1..1000
 * (default 100, larger clamped, shortened for very wide rows). */
void datasets_rows(nd_request *req)
{
    static const char *const args[] = {"offset", "limit", NULL};
    const char *id;
    size_t offset, limit;
    if (!query_allow(req, args) || !(id = path_id(req)) ||
        !query_size(req, "offset", 0, 0, INT64_MAX, &offset) ||
        !query_size(req, "limit", 100, 1, 1000, &limit))
        return;
    json_t *page;
    int rc = nd_ds_rows(id, offset, limit, &page);
    if (rc == 0)
        nd_reply_json(req, 200, page);
    else if (rc == 1)
        nd_reply_problem(req, 404, "no dataset %s", id);
    else
        nd_reply_problem(req, 500, "cannot read the rows of dataset %s", id);
}

/* DELETE /v1/datasets/{id}: 204, 404, or 409 while a queued, running or paused
 * job uses the dataset. */
void datasets_delete(nd_request *req)
{
    static const char *const none[] = {NULL};
    const char *id;
    if (!query_allow(req, none) || !(id = path_id(req)))
        return;
    switch (nd_ds_delete(id)) {
    case 0: nd_reply_raw(req, 204, "text/plain", "", 0); break;
    case 1: nd_reply_problem(req, 404, "no dataset %s", id); break;
    case 2:
        nd_reply_problem(req, 409, "dataset %s is used by a queued, running "
                                   "or paused job; cancel it first", id);
        break;
    default: nd_reply_problem(req, 500, "cannot delete dataset %s", id);
    }
}

/* Before the CSV body: checks the query and starts the ingest. */
static void csv_begin(nd_request *req)
{
    static const char *const args[] = {"name", "target", "task", NULL};
    if (!query_allow(req, args))
        return;
    const char *name = nd_query(req, "name");
    const char *target = nd_query(req, "target");
    const char *task = nd_query(req, "task");
    nd_ds_error e;
    if (!name) {
        nd_reply_invalid(req, 422, "?name", "is required");
        return;
    }
    if (!nd_ds_name_check(name, "?name", &e)) {
        nd_ds_reply_error(req, &e);
        return;
    }
    if (task && strcmp(task, "classification") != 0 &&
        strcmp(task, "regression") != 0) {
        nd_reply_invalid(req, 422, "?task", "must be classification or "
                                            "regression");
        return;
    }
    if (target && !*target) {
        nd_reply_invalid(req, 422, "?target", "must name a column");
        return;
    }
    nd_csv_options opt = {name, target,
                          task && strcmp(task, "classification") == 0,
                          req->srv->cfg.max_rows};
    req->state = nd_csv_new(&opt);
    if (!req->state)
        nd_reply_problem(req, 503, "out of memory");
}

static bool csv_data(nd_request *req, const char *data, size_t len)
{
    nd_ds_error e;
    if (nd_csv_feed(req->state, data, len, &e) == 0)
        return true;
    nd_ds_reply_error(req, &e);
    return false;
}

static void csv_end(nd_request *req)
{
    nd_ds_error e;
    char id[ND_ID_MAX];
    if (nd_csv_finish(req->state, id, &e))
        nd_ds_reply_error(req, &e);
    else
        nd_ds_reply_created(req, id);
    nd_csv_free(req->state);
    req->state = NULL;
}

/* The client went away, or the upload was refused part-way: whatever was
 * stored goes. */
static void csv_abort(nd_request *req)
{
    nd_csv_free(req->state);
    req->state = NULL;
}

const nd_stream datasets_csv = {"text/csv", csv_begin, csv_data, csv_end,
                                csv_abort};
