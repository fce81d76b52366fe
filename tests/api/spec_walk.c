/* spec_walk.c — the calls that api-docs/openapi.yaml's examples make (see
 * spec_walk.h). */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spec_walk.h"

/* Each kind's id prefix and the collection whose {id} it fills. */
static const struct {
    const char *prefix, *collection;
} kinds[SW_KINDS] = {
    {"ds_", "/v1/datasets/"}, {"md_", "/v1/models/"}, {"jb_", "/v1/jobs/"},
    {"tk_", "/v1/admin/tokens/"}};

static const char *const methods[][2] = {
    {"get", "GET"}, {"post", "POST"}, {"put", "PUT"}, {"delete", "DELETE"},
    {"patch", "PATCH"}};

/* "GET" for "get"; NULL for a key of a path item that is no method. */
static const char *http_method(const char *key)
{
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
        if (strcmp(key, methods[i][0]) == 0)
            return methods[i][1];
    return NULL;
}

void sw_load(sw_walk *w)
{
    memset(w, 0, sizeof *w);
    const char *path = getenv("NEUROND_OPENAPI_JSON");
    path = path ? path : "build/gen/openapi.json";
    json_error_t e;
    w->spec = json_load_file(path, 0, &e);
    cr_assert_not_null(w->spec, "%s: %s (make %s)", path, e.text, path);
    const char *p, *key;
    json_t *item, *op;
    json_object_foreach(json_object_get(w->spec, "paths"), p, item)
        json_object_foreach(item, key, op) w->operations += !!http_method(key);
}

void sw_free(sw_walk *w)
{
    json_decref(w->spec);
    w->spec = NULL;
}

/* node, or what its local "$ref" ("#/components/…") points at. */
json_t *sw_deref(sw_walk *w, json_t *node)
{
    const char *ref = json_string_value(json_object_get(node, "$ref"));
    if (!ref)
        return node;
    cr_assert(strncmp(ref, "#/", 2) == 0, "not a local $ref: %s", ref);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", ref + 2);
    json_t *at = w->spec;
    char *save = NULL;
    for (char *part = strtok_r(buf, "/", &save); part && at;
         part = strtok_r(NULL, "/", &save))
        at = json_object_get(at, part);
    cr_assert_not_null(at, "unresolved $ref %s", ref);
    return at;
}

json_t *sw_response(sw_walk *w, json_t *op, long status)
{
    char code[16];
    snprintf(code, sizeof code, "%ld", status);
    json_t *r = json_object_get(json_object_get(op, "responses"), code);
    return r ? sw_deref(w, r) : NULL;
}

void sw_remember_ids(sw_walk *w, const api_response *r)
{
    const char *id = json_string_value(json_object_get(r->json, "id"));
    for (int k = 0; id && k < SW_KINDS; k++)
        if (strncmp(id, kinds[k].prefix, 3) == 0 && !w->ids[k][0])
            snprintf(w->ids[k], sizeof w->ids[k], "%s", id);
    if (id && w->example) {
        cr_assert(w->n_named < SW_MAX_NAMED, "more than %d named examples "
                  "created objects (SW_MAX_NAMED)", SW_MAX_NAMED);
        snprintf(w->named[w->n_named].example,
                 sizeof w->named[w->n_named].example, "%s", w->example);
        snprintf(w->named[w->n_named++].id, sizeof w->named[0].id, "%s", id);
    }
}

/* The id the example named `example` created; asserted there. */
static const char *named_id(const sw_walk *w, const char *example)
{
    for (size_t i = 0; i < w->n_named; i++)
        if (strcmp(w->named[i].example, example) == 0)
            return w->named[i].id;
    cr_assert_fail("x-id %s: no example of that name created an object",
                   example);
    return NULL;
}

/* The walk's id for an example id (a prefix and 26 characters), else s. */
static const char *swap_id(sw_walk *w, const char *s)
{
    char prefix[4];
    snprintf(prefix, sizeof prefix, "%s", s);
    const char *named = json_string_value(json_object_get(w->body_ids, prefix));
    if (named && strlen(s) == 29)
        return named_id(w, named);
    for (int k = 0; k < SW_KINDS; k++)
        if (strncmp(s, kinds[k].prefix, 3) == 0 && strlen(s) == 29 &&
            w->ids[k][0])
            return w->ids[k];
    return s;
}

/* Replaces example ids in the strings of v (an object or array). */
static void swap_ids(sw_walk *w, json_t *v)
{
    const char *key;
    size_t i;
    json_t *m;
    json_object_foreach(v, key, m) {
        if (json_is_string(m))
            json_object_set_new(v, key,
                                json_string(swap_id(w, json_string_value(m))));
        else
            swap_ids(w, m);
    }
    json_array_foreach(v, i, m) {
        if (json_is_string(m))
            json_array_set_new(v, i,
                               json_string(swap_id(w, json_string_value(m))));
        else
            swap_ids(w, m);
    }
}

/* A scalar example as text for a URL or header. */
static void scalar_text(sw_walk *w, json_t *v, char *out, size_t cap)
{
    if (json_is_string(v))
        snprintf(out, cap, "%s", swap_id(w, json_string_value(v)));
    else if (json_is_integer(v))
        snprintf(out, cap, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(out, cap, "%.17g", json_real_value(v));
    else {
        cr_assert(json_is_boolean(v), "a parameter example that is no scalar");
        snprintf(out, cap, "%s", json_is_true(v) ? "true" : "false");
    }
}

/* Appends "?name=value" or "&name=value" (value escaped) to c->url. */
static void add_query(sw_walk *w, sw_call *c, const char *name, json_t *v)
{
    char text[512];
    scalar_text(w, v, text, sizeof text);
    char *esc = curl_easy_escape(NULL, text, 0);
    size_t n = strlen(c->url);
    snprintf(c->url + n, sizeof c->url - n, "%c%s=%s",
             strchr(c->url, '?') ? '&' : '?', name, esc);
    curl_free(esc);
}

/* The parameters of the path item and of the operation, $refs resolved
 * (a new array of borrowed objects). */
static json_t *parameters(sw_walk *w, json_t *item, json_t *op)
{
    json_t *all = json_array(), *p;
    size_t i;
    json_array_foreach(json_object_get(item, "parameters"), i, p)
        json_array_append(all, sw_deref(w, p));
    json_array_foreach(json_object_get(op, "parameters"), i, p)
        json_array_append(all, sw_deref(w, p));
    return all;
}

/* The value of path parameter name: the walk's id for {id}, by the
 * collection the path is in, else the parameter's example. */
static void path_value(sw_walk *w, const char *path, json_t *params,
                       const char *name, char *out, size_t cap)
{
    if (strcmp(name, "id") == 0 && w->path_id) {
        snprintf(out, cap, "%s", named_id(w, w->path_id));
        return;
    }
    for (int k = 0; strcmp(name, "id") == 0 && k < SW_KINDS; k++) {
        if (strncmp(path, kinds[k].collection,
                    strlen(kinds[k].collection)) == 0) {
            cr_assert(w->ids[k][0], "%s: no %s… id yet", path,
                      kinds[k].prefix);
            snprintf(out, cap, "%s", w->ids[k]);
            return;
        }
    }
    size_t i;
    json_t *p;
    json_array_foreach(params, i, p) {
        const char *n = json_string_value(json_object_get(p, "name"));
        if (n && strcmp(n, name) == 0 && json_object_get(p, "example")) {
            scalar_text(w, json_object_get(p, "example"), out, cap);
            return;
        }
    }
    cr_assert_fail("%s: no example for the path parameter %s", path, name);
}

/* c->url: path with its {…} filled in, then the query parameters that
 * have an example and the example's own (x-query). */
static void build_url(sw_walk *w, sw_call *c, const char *path,
                      json_t *params, json_t *xquery)
{
    size_t n = 0;
    for (const char *s = path; *s && n + 1 < sizeof c->url;) {
        if (*s != '{') {
            c->url[n++] = *s++;
            continue;
        }
        char name[64], value[256];
        size_t len = strcspn(s + 1, "}");
        snprintf(name, sizeof name, "%.*s", (int)len, s + 1);
        path_value(w, path, params, name, value, sizeof value);
        n += (size_t)snprintf(c->url + n, sizeof c->url - n, "%s", value);
        s += len + 2;
    }
    c->url[n < sizeof c->url ? n : sizeof c->url - 1] = '\0';
    size_t i;
    json_t *p, *v;
    const char *key;
    json_array_foreach(params, i, p) {
        const char *in = json_string_value(json_object_get(p, "in"));
        if ((v = json_object_get(p, "example")) && strcmp(in, "query") == 0)
            add_query(w, c, json_string_value(json_object_get(p, "name")), v);
    }
    json_object_foreach(xquery, key, v) add_query(w, c, key, v);
}

/* c->headers from the header parameters that have an example. */
static void build_headers(sw_walk *w, sw_call *c, json_t *params)
{
    size_t i;
    json_t *p, *v;
    json_array_foreach(params, i, p) {
        const char *in = json_string_value(json_object_get(p, "in"));
        if (!(v = json_object_get(p, "example")) || strcmp(in, "header") != 0)
            continue;
        cr_assert_lt(c->n_headers, SW_MAX_HEADERS);
        char text[200];
        scalar_text(w, v, text, sizeof text);
        snprintf(c->headers[c->n_headers++], sizeof c->headers[0], "%s: %s",
                 json_string_value(json_object_get(p, "name")), text);
    }
}

#define SW_BOUNDARY "spec-walk-boundary-q7Zk"

/* A multipart/form-data example: an object of part name → the part's
 * bytes in base64 (`format: binary` parts such as IDX files), sent with a
 * boundary of ours. */
static void build_multipart(sw_call *c, json_t *v)
{
    cr_assert(json_is_object(v), "a multipart example that is not an object");
    size_t cap = 1024, len = 0;
    const char *name;
    json_t *b64;
    json_object_foreach(v, name, b64) cap += json_string_length(b64) + 256;
    c->body = malloc(cap);
    cr_assert_not_null(c->body);
    json_object_foreach(v, name, b64) {
        const char *text = json_string_value(b64);
        cr_assert_not_null(text, "part %s: not a base64 string", name);
        len += (size_t)snprintf(c->body + len, cap - len,
                                "--" SW_BOUNDARY "\r\nContent-Disposition: "
                                "form-data; name=\"%s\"; filename=\"%s\"\r\n"
                                "\r\n", name, name);
        size_t n = strlen(text);
        int got = EVP_DecodeBlock((unsigned char *)c->body + len,
                                  (const unsigned char *)text, (int)n);
        cr_assert_geq(got, 0, "part %s: not base64", name);
        /* EVP_DecodeBlock counts the bytes the padding stands for */
        len += (size_t)got - (n && text[n - 1] == '=') -
               (n > 1 && text[n - 2] == '=');
        len += (size_t)snprintf(c->body + len, cap - len, "\r\n");
    }
    len += (size_t)snprintf(c->body + len, cap - len, "--" SW_BOUNDARY "--\r\n");
    c->body_len = len;
    c->content_type = "multipart/form-data; boundary=" SW_BOUNDARY;
}

/* c's body: a JSON example serialised with the walk's ids, a multipart
 * one encoded, or a text example as it is. */
static void build_body(sw_walk *w, sw_call *c, const char *type, json_t *v)
{
    c->content_type = type;
    if (strcmp(type, "multipart/form-data") == 0) {
        build_multipart(c, v);
        return;
    }
    if (strstr(type, "json")) {
        json_t *copy = json_deep_copy(v);
        swap_ids(w, copy);
        c->body = json_dumps(copy, JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(copy);
    } else {
        cr_assert(json_is_string(v), "a %s example that is not text", type);
        c->body = strdup(json_string_value(v));
    }
    cr_assert_not_null(c->body);
    c->body_len = strlen(c->body);
}

typedef struct {
    const char *path, *method;
    json_t *item, *op;
    void (*fn)(sw_walk *w, const sw_call *c);
} operation;

/* Builds the call of o with body example value (or none) and runs fn. */
static void make_call(sw_walk *w, const operation *o, const char *type,
                      json_t *value, json_t *xquery)
{
    sw_call c = {.method = http_method(o->method), .path = o->path,
                 .op = o->op};
    json_t *sec = json_object_get(o->op, "security");
    c.public_op = json_is_array(sec) && json_array_size(sec) == 0;
    c.params = parameters(w, o->item, o->op);
    build_url(w, &c, o->path, c.params, xquery);
    build_headers(w, &c, c.params);
    if (type)
        build_body(w, &c, type, value);
    o->fn(w, &c);
    json_decref(c.params);
    free(c.body);
}

/* One call per example of each request content type, or one without a
 * body. */
static void each_example(sw_walk *w, const operation *o)
{
    json_t *rb = json_object_get(o->op, "requestBody");
    if (!rb) {
        make_call(w, o, NULL, NULL, NULL);
        return;
    }
    const char *type, *name;
    json_t *media, *ex;
    json_object_foreach(json_object_get(sw_deref(w, rb), "content"), type,
                        media) {
        json_t *one = json_object_get(media, "example");
        json_t *many = json_object_get(media, "examples");
        cr_assert(one || many, "%s %s: no example of %s", o->method, o->path,
                  type);
        if (one)
            make_call(w, o, type, one, NULL);
        json_object_foreach(many, name, ex) {
            ex = sw_deref(w, ex);
            w->example = name;
            w->path_id = json_string_value(json_object_get(ex, "x-id"));
            w->body_ids = json_object_get(ex, "x-ids");
            make_call(w, o, type, json_object_get(ex, "value"),
                      json_object_get(ex, "x-query"));
            w->example = w->path_id = NULL;
            w->body_ids = NULL;
        }
    }
}

static sw_phase phase_of(const char *path, const char *method)
{
    if (strcmp(method, "delete") == 0)
        return SW_DELETE;
    return strcmp(method, "post") == 0 && !strchr(path, '{') ? SW_CREATE
                                                             : SW_READ;
}

void sw_each_call(sw_walk *w, sw_phase phase,
                  void (*fn)(sw_walk *w, const sw_call *c))
{
    const char *path, *method;
    json_t *item, *op;
    json_object_foreach(json_object_get(w->spec, "paths"), path, item) {
        json_object_foreach(item, method, op) {
            if (!http_method(method) || phase_of(path, method) != phase)
                continue;
            operation o = {path, method, item, op, fn};
            each_example(w, &o);
        }
    }
}

void sw_wait_job(api_server *srv, const char *auth, const char *id)
{
    const char *headers[] = {auth, NULL};
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%s", id);
    for (int i = 0; i < 3000; i++) {
        api_response r = api_call_with(srv, "GET", path, headers, NULL, NULL,
                                       0);
        cr_assert_eq(r.status, 200, "%s", r.body);
        const char *st = api_jstr(r.json, "status");
        bool done = strcmp(st, "queued") && strcmp(st, "running");
        api_free(&r);
        if (done)
            return;
        usleep(20000);
    }
    cr_assert_fail("job %s did not end", id);
}
