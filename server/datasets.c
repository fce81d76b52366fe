/* datasets.c — the /v1/datasets routes: creating (JSON rows, a generator,
 * CSV streamed through datasets_csv, or a text through datasets_text),
 * listing, reading, paging rows and
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
#include <strings.h>

#include "csv_ingest.h"
#include "dataset_json.h"
#include "dataset_store.h"
#include "datasets.h"
#include "server.h"
#include "text_ingest.h"

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

/* DELETE /v1/datasets/{id}: 204, 404, or 409 while a queued or running
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
        nd_reply_problem(req, 409, "dataset %s is used by a queued or "
                                   "running job; cancel it first", id);
        break;
    default: nd_reply_problem(req, 500, "cannot delete dataset %s", id);
    }
}

/* ?name of an upload, required and checked; NULL once it has replied. */
static const char *query_name(nd_request *req)
{
    const char *name = nd_query(req, "name");
    nd_ds_error e;
    if (!name)
        nd_reply_invalid(req, 422, "?name", "is required");
    else if (!nd_ds_name_check(name, "?name", &e))
        nd_ds_reply_error(req, &e);
    else
        return name;
    return NULL;
}

/* Before the CSV body: checks the query and starts the ingest. */
static void csv_begin(nd_request *req)
{
    static const char *const args[] = {"name", "target", "task", NULL};
    if (!query_allow(req, args))
        return;
    const char *name = query_name(req);
    const char *target = nd_query(req, "target");
    const char *task = nd_query(req, "task");
    if (!name)
        return;
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

/* The data, end and abort callbacks of a streamed ingest whose state is
 * req->state, from its feed, finish and free functions: a piece the
 * ingest refuses is the reply, the end replies 201 with the dataset or
 * the error, and an abort (the client went away, or the upload was
 * refused part-way) frees the ingest, which deletes whatever it stored. */
#define INGEST_CALLBACKS(prefix, feed, finish, release)                      \
    static void prefix##_abort(nd_request *req)                              \
    {                                                                        \
        release(req->state);                                                 \
        req->state = NULL;                                                   \
    }                                                                        \
    static bool prefix##_data(nd_request *req, const char *data, size_t len) \
    {                                                                        \
        nd_ds_error e;                                                       \
        if (feed(req->state, data, len, &e) == 0)                            \
            return true;                                                     \
        nd_ds_reply_error(req, &e);                                          \
        return false;                                                        \
    }                                                                        \
    static void prefix##_end(nd_request *req)                                \
    {                                                                        \
        nd_ds_error e;                                                       \
        char id[ND_ID_MAX];                                                  \
        if (finish(req->state, id, &e))                                      \
            nd_ds_reply_error(req, &e);                                      \
        else                                                                 \
            nd_ds_reply_created(req, id);                                    \
        prefix##_abort(req);                                                 \
    }

INGEST_CALLBACKS(csv, nd_csv_feed, nd_csv_finish, nd_csv_free)

const nd_stream datasets_csv = {"text/csv", csv_begin, csv_data, csv_end,
                                csv_abort};

/* Whether a text/plain Content-Type names no charset or UTF-8. */
static bool charset_utf8(const char *type)
{
    const char *p = type;
    while (p && *p && strncasecmp(p, "charset=", 8) != 0)
        p++;
    if (!p || !*p)
        return true;
    p += strlen("charset=");
    if (*p == '"')
        p++;
    size_t n = strcspn(p, "\"; ");
    return (n == 5 && strncasecmp(p, "utf-8", 5) == 0) ||
           (n == 4 && strncasecmp(p, "utf8", 4) == 0);
}

/* Before the text body: checks ?name and ?tokenizer and starts the
 * ingest. */
static void text_begin(nd_request *req)
{
    static const char *const args[] = {"name", "tokenizer", NULL};
    if (!query_allow(req, args))
        return;
    if (!charset_utf8(nd_header(req, "Content-Type"))) {
        nd_reply_problem(req, 415, "a text must be sent as text/plain; "
                                   "charset=utf-8");
        return;
    }
    const char *name = query_name(req);
    const char *tokenizer = nd_query(req, "tokenizer");
    if (!name)
        return;
    if (tokenizer && strcmp(tokenizer, "char") != 0 &&
        strcmp(tokenizer, "byte") != 0) {
        nd_reply_invalid(req, 422, "?tokenizer", "must be char or byte");
        return;
    }
    bool bytes = tokenizer && strcmp(tokenizer, "byte") == 0;
    nd_ds_error e;
    req->state = nd_text_new(name, bytes, req->srv->cfg.max_rows, &e);
    if (!req->state)
        nd_ds_reply_error(req, &e);
}

INGEST_CALLBACKS(text, nd_text_feed, nd_text_finish, nd_text_free)

const nd_stream datasets_text = {"text/plain", text_begin, text_data,
                                 text_end, text_abort};
