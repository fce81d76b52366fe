/* model_calls.c — /v1/models calls for the API tests (see model_calls.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_calls.h"

const char mt_xor_net[] =
    "{\"name\": \"xor\", \"inputs\": 2,"
    " \"layers\": [{\"units\": 2, \"activation\": \"step\"},"
    "              {\"units\": 1, \"activation\": \"step\"}],"
    " \"weights\": [{\"W\": [[1, 1], [1, 1]], \"b\": [-0.5, -1.5]},"
    "               {\"W\": [[1], [-1]], \"b\": [-0.5]}]}";

const char mt_truth_table[] = "[[0, 0], [0, 1], [1, 0], [1, 1]]";

const char mt_scaled_doc[] =
    "{\"format\": \"neurond-model\", \"version\": 1, \"name\": \"scaled\","
    " \"type\": \"mlp\", \"inputs\": 1,"
    " \"layers\": [{\"units\": 1, \"activation\": \"linear\"}],"
    " \"loss\": \"mse\", \"weights\": [{\"W\": [[2]], \"b\": [0]}],"
    " \"normalization\": {\"kind\": \"standard\", \"shift\": [1],"
    "                     \"scale\": [0.5]},"
    " \"classes\": [\"no\", \"yes\"], \"trained\": true}";

/* The JSON of r after asserting its status and Location; frees r. */
static json_t *created(api_response *r, const char *what)
{
    cr_assert_eq(r->status, 201, "%s -> %ld %s", what, r->status, r->body);
    char want[128];
    snprintf(want, sizeof want, "/v1/models/%s", api_str(r, "id"));
    cr_assert_str_eq(r->location, want);
    json_t *m = json_incref(r->json);
    api_free(r);
    return m;
}

json_t *mt_create(api_server *s, const char *body)
{
    api_response r = api_json(s, "POST", "/v1/models", body);
    return created(&r, body);
}

json_t *mt_import(api_server *s, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(9));
    api_response r = api_json(s, "POST", "/v1/models/import", text);
    free(text);
    return created(&r, "import");
}

json_t *mt_get(api_server *s, const char *path)
{
    api_response r = api_call(s, "GET", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 200, "GET %s -> %ld %s", path, r.status, r.body);
    json_t *j = json_incref(r.json);
    api_free(&r);
    return j;
}

json_t *mt_get_model(api_server *s, const char *id, bool weights)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/models/%s%s", id,
             weights ? "?weights=true" : "");
    return mt_get(s, path);
}

json_t *mt_export(api_server *s, const char *id)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/models/%s/export", id);
    return mt_get(s, path);
}

json_t *mt_predict(api_server *s, const char *id, const char *inputs)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/models/%s/predict", id);
    size_t cap = strlen(inputs) + 16;
    char *body = malloc(cap);
    snprintf(body, cap, "{\"inputs\": %s}", inputs);
    api_response r = api_json(s, "POST", path, body);
    free(body);
    cr_assert_eq(r.status, 200, "predict -> %ld %s", r.status, r.body);
    json_t *j = json_incref(r.json);
    api_free(&r);
    return j;
}

void mt_refused(api_server *s, const char *method, const char *path,
                const char *body, long status, const char *pointer)
{
    api_response r = api_json(s, method, path, body);
    cr_assert_eq(r.status, status, "%s %s %.300s -> %ld %s", method, path,
                 body ? body : "", r.status, r.body);
    api_assert_problem(&r, status, pointer);
    api_free(&r);
}

void mt_assert_json(json_t *v, const char *want)
{
    json_t *w = json_loads(want, 0, NULL);
    cr_assert_not_null(w, "bad expected JSON %s", want);
    char *got = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    bool same = json_equal(v, w);
    json_decref(w);
    cr_assert(same, "got %s, want %s", got, want);
    free(got);
}


void mt_assert_no_models(api_server *s)
{
    json_t *list = mt_get(s, "/v1/models");
    cr_assert_eq(json_array_size(json_object_get(list, "items")), 0,
                 "no refused definition made a model");
    json_decref(list);
}
