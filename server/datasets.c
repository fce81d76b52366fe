/* datasets.c — the /v1/datasets routes: creating (JSON rows, a generator,
 * CSV streamed through datasets_csv, IDX files as multipart/form-data
 * through datasets_idx, or a text through datasets_text), listing,
 * reading, paging rows and
 * deleting. The work is done in dataset_json.c, csv_ingest.c and the
 * dataset store; this file maps requests and replies onto them. Query
 * arguments a route does not take were refused (400) by the router's
 * table before these run. */
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
#include "idx_ingest.h"
#include "quota.h"
#include "server.h"
#include "store.h"
#include "text_ingest.h"

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
    if (!nd_query_allow(req, NULL)) /* the route's are CSV's */
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
    size_t limit;
    nd_page_key after;
    json_t *items;
    bool more;
    if (!nd_page_args(req, "ds_", &limit, &after))
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
    const char *id;
    if (!(id = path_id(req)))
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
    const char *id;
    size_t offset, limit;
    if (!(id = path_id(req)) ||
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
    const char *id;
    if (!(id = path_id(req)))
        return;
    switch (nd_ds_delete(id)) {
    case 0: nd_reply_empty(req, 204); break;
    case 1: nd_reply_problem(req, 404, "no dataset %s", id); break;
    case 2:
        nd_reply_problem(req, 409, "dataset %s is used by a queued, running "
                                   "or paused job; cancel it first", id);
        break;
    default: nd_reply_store_failed(req, nd_store_full(), "deleting the dataset");
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
    /* The route takes the query of both uploads; each takes its own. */
    if (!nd_query_allow(req, "name,target,task,shape"))
        return;
    const char *name = query_name(req);
    const char *target = nd_query(req, "target");
    const char *task = nd_query(req, "task");
    const char *shape_text = nd_query(req, "shape");
    nd_shape shape;
    nd_ds_error e;
    uint64_t left;
    if (!name || !nd_quota_bytes_left(req, &left))
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
    if (shape_text && !nd_shape_parse(shape_text, "?shape", &shape, &e)) {
        nd_ds_reply_error(req, &e);
        return;
    }
    nd_csv_options opt = {name, target,
                          task && strcmp(task, "classification") == 0,
                          req->srv->cfg.max_rows, shape_text ? &shape : NULL,
                          left};
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

/* An IDX upload: the multipart/form-data body split into its parts by
 * libmicrohttpd's post processor, each piece handed to the ingest. */
typedef struct {
    struct MHD_PostProcessor *pp;
    nd_idx_ingest *ingest;
    bool failed;
    nd_ds_error err;
} idx_upload;

#define IDX_POST_BUFFER (64u << 10) /* the post processor's buffer */

static void idx_upload_free(idx_upload *u)
{
    if (!u)
        return;
    if (u->pp)
        MHD_destroy_post_processor(u->pp);
    nd_idx_ingest_free(u->ingest);
    free(u);
}

static enum MHD_Result idx_piece(void *cls, enum MHD_ValueKind kind,
                                 const char *key, const char *filename,
                                 const char *content_type,
                                 const char *transfer_encoding,
                                 const char *data, uint64_t off, size_t size)
{
    (void)kind;
    (void)filename;
    (void)content_type;
    (void)transfer_encoding;
    (void)off;
    idx_upload *u = cls;
    if (nd_idx_ingest_part(u->ingest, key, data, size, &u->err)) {
        u->failed = true;
        return MHD_NO;
    }
    return MHD_YES;
}

/* Before the multipart body: checks the query and starts the ingest. */
static void idx_begin(nd_request *req)
{
    if (!nd_query_allow(req, "name,classes"))
        return;
    const char *name = query_name(req);
    nd_ds_error e;
    uint64_t left;
    if (!name || !nd_quota_bytes_left(req, &left))
        return;
    nd_idx_options opt = {name, nd_query(req, "classes"),
                          req->srv->cfg.max_rows, left};
    idx_upload *u = calloc(1, sizeof *u);
    if (!u) {
        nd_reply_problem(req, 503, "out of memory");
        return;
    }
    if (!(u->ingest = nd_idx_ingest_new(&opt, &e))) {
        nd_ds_reply_error(req, &e);
        free(u);
        return;
    }
    u->pp = MHD_create_post_processor(req->conn, IDX_POST_BUFFER, idx_piece,
                                      u);
    if (!u->pp) {
        nd_reply_problem(req, 400, "the multipart/form-data body needs a "
                                   "boundary in its Content-Type");
        idx_upload_free(u);
        return;
    }
    req->state = u;
}

static bool idx_data(nd_request *req, const char *data, size_t len)
{
    idx_upload *u = req->state;
    if (MHD_post_process(u->pp, data, len) == MHD_YES)
        return true;
    if (u->failed)
        nd_ds_reply_error(req, &u->err);
    else
        nd_reply_problem(req, 400, "the multipart/form-data body is "
                                   "malformed");
    return false;
}

static void idx_end(nd_request *req)
{
    idx_upload *u = req->state;
    nd_ds_error e;
    char id[ND_ID_MAX];
    enum MHD_Result whole = MHD_destroy_post_processor(u->pp);
    u->pp = NULL;
    if (u->failed) /* a piece held back until the end failed */
        nd_ds_reply_error(req, &u->err);
    else if (whole != MHD_YES)
        nd_reply_problem(req, 400, "the multipart/form-data body ends "
                                   "inside a part");
    else if (nd_idx_ingest_finish(u->ingest, id, &e))
        nd_ds_reply_error(req, &e);
    else
        nd_ds_reply_created(req, id);
    idx_upload_free(u);
    req->state = NULL;
}

static void idx_abort(nd_request *req)
{
    idx_upload_free(req->state);
    req->state = NULL;
}

const nd_stream datasets_idx = {"multipart/form-data", idx_begin, idx_data,
                                idx_end, idx_abort};

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
    if (!nd_query_allow(req, "name,tokenizer"))
        return;
    if (!charset_utf8(nd_header(req, "Content-Type"))) {
        nd_reply_problem(req, 415, "a text must be sent as text/plain; "
                                   "charset=utf-8");
        return;
    }
    const char *name = query_name(req);
    const char *tokenizer = nd_query(req, "tokenizer");
    uint64_t left;
    if (!name || !nd_quota_bytes_left(req, &left))
        return;
    if (tokenizer && strcmp(tokenizer, "char") != 0 &&
        strcmp(tokenizer, "byte") != 0) {
        nd_reply_invalid(req, 422, "?tokenizer", "must be char or byte");
        return;
    }
    bool bytes = tokenizer && strcmp(tokenizer, "byte") == 0;
    nd_ds_error e;
    req->state = nd_text_new(name, bytes, req->srv->cfg.max_rows, left, &e);
    if (!req->state)
        nd_ds_reply_error(req, &e);
}

INGEST_CALLBACKS(text, nd_text_feed, nd_text_finish, nd_text_free)

const nd_stream datasets_text = {"text/plain", text_begin, text_data,
                                 text_end, text_abort};
