/* jobs_helpers.c — API steps shared by the job tests (see jobs_helpers.h). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jobs_helpers.h"

static void take_id(api_response *r, long status, char id[64])
{
    cr_assert_eq(r->status, status, "%ld %s", r->status, r->body);
    snprintf(id, 64, "%s", api_str(r, "id"));
    api_free(r);
}

void make_generated(api_server *s, const char *generator, char id[64])
{
    api_response r = api_pack(s, "POST", "/v1/datasets", "{s:s, s:s}", "name",
                              generator, "generator", generator);
    take_id(&r, 201, id);
}

void make_csv(api_server *s, const char *path, const char *name,
              const char *target, char id[64])
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    char *data = malloc(1 << 20);
    size_t n = fread(data, 1, 1 << 20, f);
    fclose(f);
    char url[256];
    snprintf(url, sizeof url, "/v1/datasets?name=%s&target=%s", name, target);
    api_response r = api_call(s, "POST", url, "text/csv", data, n);
    free(data);
    take_id(&r, 201, id);
}

void make_dataset(api_server *s, const char *body, char id[64])
{
    api_response r = api_json(s, "POST", "/v1/datasets", body);
    take_id(&r, 201, id);
}

void make_model(api_server *s, const char *definition, char id[64])
{
    api_response r = api_json(s, "POST", "/v1/models", definition);
    take_id(&r, 201, id);
}

void make_xor_net(api_server *s, char id[64])
{
    make_model(s,
               "{\"name\":\"n\",\"inputs\":2,\"layers\":[{\"units\":4,"
               "\"activation\":\"tanh\"},{\"units\":1,\"activation\":"
               "\"sigmoid\"}],\"seed\":1}",
               id);
}

void start_job(api_server *s, const char *model, const char *dataset,
               const char *extra_fmt, char id[64], unsigned arg)
{
    char extra[512], body[768];
    snprintf(extra, sizeof extra, extra_fmt, arg);
    snprintf(body, sizeof body,
             "{\"model_id\":\"%s\",\"dataset_id\":\"%s\"%s%s}", model,
             dataset, extra[0] ? "," : "", extra);
    api_response r = api_json(s, "POST", "/v1/jobs", body);
    cr_assert_eq(r.status, 202, "%ld %s", r.status, r.body);
    cr_assert(strstr(r.location, "/v1/jobs/"), "Location: %s", r.location);
    take_id(&r, 202, id);
}

void start_diverging_job(api_server *s, char id[64])
{
    char ds[64], md[64];
    api_response r = api_json(s, "POST", "/v1/datasets",
                              "{\"name\":\"big\",\"inputs\":[[1],[2],[3],[4]],"
                              "\"targets\":[1e30,2e30,3e30,4e30]}");
    take_id(&r, 201, ds);
    make_model(s,
               "{\"name\":\"lin\",\"inputs\":1,\"layers\":[{\"units\":1,"
               "\"activation\":\"linear\"}]}",
               md);
    start_job(s, md, ds,
              "\"epochs\":%u,\"normalize\":\"none\",\"optimizer\":"
              "{\"learning_rate\":1000}",
              id, 100u);
}

void cancel_job(api_server *s, const char *job)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%s/cancel", job);
    api_response r = api_call(s, "POST", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 202, "%s", r.body);
    api_free(&r);
}

void predict4(api_server *s, const char *model, float out[4])
{
    char path[128];
    snprintf(path, sizeof path, "/v1/models/%s/predict", model);
    api_response r = api_json(s, "POST", path,
                              "{\"inputs\":[[0,0],[0,1],[1,0],[1,1]]}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *outs = json_object_get(r.json, "outputs");
    for (size_t i = 0; i < 4; i++)
        out[i] = (float)json_number_value(
            json_array_get(json_array_get(outs, i), 0));
    api_free(&r);
}

double text_unigram_nats(const char *text, size_t from, size_t to)
{
    double count[256] = {0}, nats = 0;
    for (size_t i = 0; i < from; i++)
        count[(unsigned char)text[i]]++;
    for (size_t i = from; i < to; i++) {
        double c = count[(unsigned char)text[i]];
        nats -= log((c > 0 ? c : 0.5) / (double)from);
    }
    return nats / (double)(to - from);
}

long job_epoch(api_server *s, const char *job)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%s", job);
    api_response r = api_call(s, "GET", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 200, "GET %s: %ld %s", path, r.status, r.body);
    long e = (long)api_int(r.json, "epoch");
    api_free(&r);
    return e;
}

long kill_mid_job(api_server *s, const char *job, long past, long epochs,
                  const char *const *extra)
{
    for (int i = 0; i < 6000 && job_epoch(s, job) < past; i++)
        nanosleep(&(struct timespec){0, 5000000}, NULL);
    nanosleep(&(struct timespec){0, 200000000}, NULL); /* a few checkpoints */
    long at = job_epoch(s, job);
    api_kill(s);
    cr_assert(at >= past && at < epochs, "killed mid-job (epoch %ld of %ld)",
              at, epochs);
    api_restart(s, extra);
    return at;
}

void assert_resumed_from_checkpoint(api_server *s, const char *job, long at)
{
    static const char mark[] = "resumes from its checkpoint at epoch ";
    char *log = api_log(s);
    long from = -1;
    for (char *p = log; p && (p = strstr(p, mark)); p += sizeof mark) {
        char *eol = strchr(p, '\n');
        char *id = strstr(p, job);
        if (id && (!eol || id < eol))
            from = strtol(p + strlen(mark), NULL, 10);
    }
    free(log);
    cr_assert(from > 0 && from <= at, "resumed from its checkpoint at epoch "
              "%ld, killed at %ld", from, at);
}

void wait_epochs(api_server *s, const char *job, long epochs)
{
    for (int i = 0; i < 3000 && job_epoch(s, job) < epochs; i++)
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    cr_assert_geq(job_epoch(s, job), epochs, "job %s is stuck", job);
}

void assert_history_complete(api_server *s, const char *id, long n)
{
    json_int_t next = 1, after = 0;
    for (;;) {
        char path[160];
        snprintf(path, sizeof path,
                 "/v1/jobs/%s/history?limit=1000&after_epoch=%lld", id,
                 (long long)after);
        api_response r = api_call(s, "GET", path, NULL, NULL, 0);
        cr_assert_eq(r.status, 200, "GET %s: %ld %s", path, r.status, r.body);
        json_t *items = json_object_get(r.json, "items"), *p;
        size_t i;
        json_array_foreach(items, i, p) {
            cr_assert_eq(json_integer_value(json_object_get(p, "epoch")), next,
                         "history of %s skips or repeats at %lld", id,
                         (long long)next);
            next++;
        }
        json_t *more = json_object_get(r.json, "next_after_epoch");
        bool done = json_is_null(more);
        after = json_integer_value(more);
        api_free(&r);
        if (done)
            break;
    }
    cr_assert_eq(next - 1, n, "history has %lld epochs, expected %lld",
                 (long long)(next - 1), (long long)n);
}

/* A job that trains far longer than any test waits: 2000 spiral rows
 * (two classes), batch 1, a million epochs; the test cancels it. */
void start_long_job(api_server *s, char job[64])
{
    char ds[64], md[64];
    api_response r = api_pack(s, "POST", "/v1/datasets", "{s:s, s:s, s:i}",
                              "name", "spiral", "generator", "spiral", "n",
                              2000);
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(ds, sizeof ds, "%s", api_str(&r, "id"));
    api_free(&r);
    make_model(s,
               "{\"name\":\"n\",\"inputs\":2,\"layers\":[{\"units\":32,"
               "\"activation\":\"tanh\"},{\"units\":2,\"activation\":"
               "\"softmax\"}],\"seed\":1}",
               md);
    start_job(s, md, ds, "\"epochs\":%u,\"batch_size\":1", job, 1000000u);
}

json_t *job_get(api_server *s, const char *id)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%s", id);
    api_response r = api_call(s, "GET", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 200, "GET %s: %s", path, r.body);
    json_t *j = json_incref(r.json);
    api_free(&r);
    return j;
}
