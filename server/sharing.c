/* sharing.c — marking a dataset or a model public, and the reply fields
 * that say so (see sharing.h). */
#include <stdio.h>
#include <string.h>

#include "dataset_store.h"
#include "jsonv.h"
#include "log.h"
#include "model_store.h"
#include "sharing.h"
#include "store.h"

int nd_share_fields(json_t *obj, nd_stmt *st, int col)
{
    const char *owner = nd_col_text(st, col + 1);
    return json_object_set_new(obj, "public",
                               json_boolean(nd_col_int(st, col))) |
           json_object_set_new(obj, "owner",
                               owner ? json_string(owner) : json_null());
}

/* One kind that can be shared: its table, id prefix and name, and how
 * its reply object is read back (0, 1 for none, −1). */
typedef struct {
    const char *table, *prefix, *name;
    int (*object)(const char *id, json_t **out);
} shareable;

/* Sets the flag of object id of s: 1 when no such object, 0 or −1. */
static int set_public(const shareable *s, const char *id, bool on)
{
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE %s SET public = ?1 WHERE id = ?2%s",
             s->table,
             strcmp(s->table, "datasets") == 0 ? " AND uploading IS NULL"
                                               : "");
    nd_stmt *st = nd_prepare(sql);
    if (!st)
        return -1;
    nd_bind_int(st, 1, on);
    nd_bind_text(st, 2, id);
    int rc = nd_step(st) == ND_DONE ? 0 : -1;
    nd_finalize(st);
    if (rc == 0 && nd_changes() == 0)
        rc = 1;
    return rc;
}

/* The PATCH of s: reads {"public"}, sets it, replies the object. */
static void share(nd_request *req, const shareable *s)
{
    static const char *const fields[] = {"public", NULL};
    const char *id = req->params[0];
    bool on = false;
    if (!nd_id_valid(id, s->prefix)) {
        nd_reply_problem(req, 404, "no %s %.60s", s->name, id);
        return;
    }
    if (!nd_json_allow(req, req->json, "", fields) ||
        !nd_field_bool(req, req->json, "", "public", true, &on))
        return;
    int rc = set_public(s, id, on);
    json_t *obj = NULL;
    if (rc == 0)
        rc = s->object(id, &obj);
    if (rc == 1) {
        nd_reply_problem(req, 404, "no %s %s", s->name, id);
        return;
    }
    if (rc != 0) {
        nd_reply_store_failed(req, nd_store_full(), "sharing it");
        return;
    }
    nd_log(ND_LOG_INFO, on ? "audit.shared" : "audit.unshared", NULL,
           ND_LS("id", id), ND_LS("user", req->user_id),
           ND_LB("admin", req->admin), ND_LS("request_id", req->request_id));
    nd_reply_json(req, 200, obj);
}

/* The model object of id, as nd_ds_object reads a dataset's. */
static int model_object(const char *id, json_t **out)
{
    char err[256];
    int rc = nd_model_get(id, out, NULL, err, sizeof err);
    return rc == ND_STORE_OK ? 0 : rc == ND_STORE_NOT_FOUND ? 1 : -1;
}

void datasets_share(nd_request *req)
{
    static const shareable s = {"datasets", "ds_", "dataset", nd_ds_object};
    share(req, &s);
}

void models_share(nd_request *req)
{
    static const shareable s = {"models", "md_", "model", model_object};
    share(req, &s);
}
