/* test_sequence_jobs.c — jobs that train a language model on a text: a
 * tiny LSTM on the start of tiny Shakespeare learns to beat the unigram
 * baseline clearly on the held-out block (figures printed); the job
 * stores the text's vocabulary with the model, which then generates from
 * it; a job killed mid-training resumes after a restart, and one paused
 * and stepped resumes, to the weights of the same job run straight; an
 * evaluation on a text is refused; and every mismatch of model, text and
 * parameters is a 422 naming its field before anything is queued. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "jobs_helpers.h"
#include "model_calls.h"

static api_server srv;

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(sequence_jobs, .fini = teardown, .timeout = 240);

/* The first n bytes of tiny Shakespeare (ASCII: n characters). */
static char *shakespeare(size_t n)
{
    char *all = api_read_file(api_shared_data("tinyshakespeare.txt"));
    cr_assert_not_null(all, "tinyshakespeare.txt");
    cr_assert_gt(strlen(all), n);
    all[n] = '\0';
    return all;
}

/* Uploads text as a text/plain dataset; its id into id, its vocabulary
 * size returned. */
static size_t upload_text(const char *text, char id[64])
{
    api_response r = api_call(&srv, "POST", "/v1/datasets?name=text",
                              "text/plain; charset=utf-8", text, strlen(text));
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(id, 64, "%s", api_str(&r, "id"));
    size_t v = (size_t)api_int(r.json, "vocab_size");
    api_free(&r);
    return v;
}

/* embedding 16 → lstm `units` → dense V softmax over `context` ids. */
static void make_lm(size_t V, size_t context, size_t units, char id[64])
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"name\": \"char-lstm\", \"vocab_size\": %zu, \"context\": %zu,"
             " \"seed\": 3, \"layers\": [{\"type\": \"embedding\", \"dim\": 16},"
             " {\"type\": \"lstm\", \"units\": %zu}, {\"units\": %zu,"
             " \"activation\": \"softmax\"}]}",
             V, context, units, V);
    make_model(&srv, body, id);
}

static const char job_fields[] =
    "\"epochs\": %u, \"epoch_steps\": 25, \"batch_size\": 16,"
    " \"validation_split\": 0.1, \"optimizer\": {\"name\": \"adam\","
    " \"learning_rate\": 0.01}, \"clip_grad_norm\": 1.0, \"seed\": 4";

Test(sequence_jobs, a_tiny_lstm_beats_the_unigram_baseline)
{
    api_start(&srv, NULL);
    enum { N = 12000, T = 32, EPOCHS = 8 };
    char *text = shakespeare(N), ds[64], md[64], job[64];
    size_t V = upload_text(text, ds);
    make_lm(V, T, 64, md);
    start_job(&srv, md, ds, job_fields, job, EPOCHS);
    json_t *j = api_wait_job(&srv, job, 200);
    cr_assert_str_eq(api_jstr(j, "status"), "succeeded", "%s",
                     api_jstr(j, "error") ? api_jstr(j, "error") : "");
    json_t *params = json_object_get(j, "params");
    cr_assert_eq(api_int(params, "epoch_steps"), 25);
    cr_assert_str_eq(api_jstr(params, "normalize"), "none");
    size_t n_val = (size_t)((double)N * 0.1f);
    double base = text_unigram_nats(text, N - n_val, N);
    double val = api_num(j, "val_loss"), loss = api_num(j, "loss");
    fprintf(stderr,
            "sequence_jobs: %d chars (vocab %zu), embedding 16 → lstm 64, "
            "context %d, %d×25 steps of 16: loss %.3f, val_loss %.3f nats "
            "per token, unigram baseline %.3f, val accuracy %.3f\n",
            N, V, T, EPOCHS, loss, val, base, api_num(j, "val_accuracy"));
    cr_assert_lt(val, base - 0.4, "val_loss %.3f vs unigram %.3f", val, base);
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%s/history", job);
    json_t *h = mt_get(&srv, path);
    json_t *items = json_object_get(h, "items");
    cr_assert_eq(json_array_size(items), EPOCHS, "a point per epoch");
    double first = api_num(json_array_get(items, 0), "val_loss");
    cr_assert_lt(val, first, "val_loss falls (%.3f → %.3f)", first, val);
    /* The vocabulary went with the model: generation uses it. */
    json_t *m = mt_get_model(&srv, md, false);
    cr_assert_eq(json_array_size(json_object_get(m, "vocabulary")), V);
    cr_assert_str_eq(json_string_value(json_array_get(
                         json_object_get(m, "vocabulary"), 0)),
                     "F", "in token order: the text starts \"First\"");
    snprintf(path, sizeof path, "/v1/models/%s/generate", md);
    api_response g = api_json(&srv, "POST", path,
                              "{\"prompt\": \"First Citizen:\\n\","
                              " \"max_tokens\": 80, \"seed\": 1,"
                              " \"temperature\": 0.7}");
    cr_assert_eq(g.status, 200, "%s", g.body);
    fprintf(stderr, "sequence_jobs: generated: %s\n", api_str(&g, "text"));
    api_free(&g);
    json_decref(m), json_decref(h), json_decref(j);
    free(text);
}

Test(sequence_jobs, mismatches_are_refused_naming_the_field)
{
    api_start(&srv, NULL);
    char *text = shakespeare(2000), ds[64], tiny[64], md[64], wrong[64];
    char vec[64], rows[64], longer[64];
    size_t V = upload_text(text, ds);
    size_t v_tiny = upload_text("To be, or not to be", tiny); /* 19 tokens */
    make_lm(V, 16, 8, md);
    make_lm(V + 1, 16, 8, wrong);
    make_lm(v_tiny, 19, 8, longer); /* a window of 20 */
    make_model(&srv, "{\"name\": \"vec\", \"inputs\": 2, \"layers\": "
               "[{\"units\": 1, \"activation\": \"sigmoid\"}]}", vec);
    make_generated(&srv, "xor", rows);
    static const struct {
        int model, dataset; /* md, wrong, vec, longer; ds, tiny, rows */
        const char *fields;
        const char *pointer;
    } cases[] = {
        {1, 0, "", "/dataset_id"},   /* vocab_size ≠ the text's */
        {3, 1, "", "/dataset_id"},   /* the text is shorter than a window */
        {2, 0, "", "/model_id"},     /* a text trains a language model */
        {0, 2, "", "/dataset_id"},   /* a language model trains on a text */
        /* 10 held-out tokens: not a window of 17 */
        {0, 0, ", \"validation_split\": 0.005", "/validation_split"},
        {0, 0, ", \"normalize\": \"standard\"", "/normalize"},
        {0, 0, ", \"epoch_steps\": -1", "/epoch_steps"},
        {2, 2, ", \"epoch_steps\": 10", "/epoch_steps"},
    };
    const char *models[4] = {md, wrong, vec, longer};
    const char *sets[3] = {ds, tiny, rows};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char body[512];
        snprintf(body, sizeof body,
                 "{\"model_id\": \"%s\", \"dataset_id\": \"%s\"%s}",
                 models[cases[i].model], sets[cases[i].dataset],
                 cases[i].fields);
        mt_refused(&srv, "POST", "/v1/jobs", body, 422, cases[i].pointer);
    }
    char path[128];
    snprintf(path, sizeof path, "/v1/models/%s/evaluate", md);
    char body[128];
    snprintf(body, sizeof body, "{\"dataset_id\": \"%s\"}", ds);
    mt_refused(&srv, "POST", path, body, 422, "/dataset_id");
    json_t *list = mt_get(&srv, "/v1/jobs");
    cr_assert_eq(json_array_size(json_object_get(list, "items")), 0,
                 "nothing was queued");
    json_decref(list);
    free(text);
}

/* A model's weights once its job succeeded (a new reference). */
static json_t *weights_after(const char *job, const char *md)
{
    json_t *j = api_wait_job(&srv, job, 200);
    cr_assert_str_eq(api_jstr(j, "status"), "succeeded", "job %s", job);
    json_decref(j);
    json_t *m = mt_get_model(&srv, md, true);
    json_t *w = json_incref(json_object_get(m, "weights"));
    json_decref(m);
    return w;
}

Test(sequence_jobs, a_killed_text_job_resumes_to_the_straight_weights)
{
    const char *fast[] = {"--checkpoint-ms", "50", "--workers", "1", NULL};
    api_start(&srv, fast);
    /* Long enough that the job cannot end in the 200 ms it trains past
     * epoch 40 on a fast machine (400 epochs did, on a quiet one). */
    enum { EPOCHS = 6000 };
    char *text = shakespeare(3000), ds[64], md[64], ref[64], job[64], rj[64];
    size_t V = upload_text(text, ds);
    make_lm(V, 16, 16, md);
    make_lm(V, 16, 16, ref);
    static const char fields[] =
        "\"epochs\": %u, \"epoch_steps\": 2, \"batch_size\": 4,"
        " \"validation_split\": 0.1, \"optimizer\": {\"name\": \"adamw\","
        " \"learning_rate\": 0.003}, \"lr_schedule\": {\"warmup_steps\": 20,"
        " \"decay\": \"cosine\"}, \"clip_grad_norm\": 1.0, \"seed\": 8";
    start_job(&srv, md, ds, fields, job, EPOCHS);
    long at = kill_mid_job(&srv, job, 40, EPOCHS, fast);
    json_t *resumed = weights_after(job, md);
    assert_resumed_from_checkpoint(&srv, job, at);
    start_job(&srv, ref, ds, fields, rj, EPOCHS);
    json_t *straight = weights_after(rj, ref);
    cr_assert(json_equal(resumed, straight),
              "the resumed job ends with the uninterrupted job's weights");
    cr_assert_eq(json_array_size(resumed), 3);
    json_decref(resumed), json_decref(straight);
    free(text);
}

/* POST /v1/jobs/{job}/<action> with body (NULL: none); asserts 202. */
static void control(const char *job, const char *action, const char *body)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%s/%s", job, action);
    api_response r = body ? api_json(&srv, "POST", path, body)
                          : api_call(&srv, "POST", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 202, "%s %s: %ld %s", action, job, r.status,
                 r.body);
    api_free(&r);
}

/* The job once it stopped (paused or ended), asserted in status. */
static json_int_t stopped_at(const char *job, const char *status)
{
    json_t *j = api_wait_job(&srv, job, 120);
    cr_assert_str_eq(api_jstr(j, "status"), status, "job %s", job);
    json_int_t e = api_int(j, "epoch");
    json_decref(j);
    return e;
}

Test(sequence_jobs, paused_and_stepped_it_trains_as_if_never_paused)
{
    const char *one[] = {"--workers", "1", NULL};
    api_start(&srv, one);
    enum { EPOCHS = 30 };
    char *text = shakespeare(3000), ds[64], md[64], ref[64], job[64], rj[64];
    size_t V = upload_text(text, ds);
    make_lm(V, 16, 16, md);
    make_lm(V, 16, 16, ref);
    static const char fields[] =
        "\"epochs\": %u, \"epoch_steps\": 3, \"batch_size\": 4,"
        " \"validation_split\": 0.1, \"optimizer\": {\"name\": \"adam\","
        " \"learning_rate\": 0.003}, \"seed\": 2";
    start_job(&srv, md, ds, fields, job, EPOCHS);
    control(job, "pause", NULL);
    json_int_t e = stopped_at(job, "paused");
    cr_assert_lt(e, EPOCHS);
    control(job, "resume", "{\"pause_after\": 1}");
    cr_assert_eq(stopped_at(job, "paused"), e + 1, "a step is one epoch");
    control(job, "resume", NULL);
    cr_assert_eq(stopped_at(job, "succeeded"), EPOCHS);
    json_t *paused = weights_after(job, md);
    start_job(&srv, ref, ds, fields, rj, EPOCHS);
    json_t *straight = weights_after(rj, ref);
    cr_assert(json_equal(paused, straight),
              "paused twice, it ends with the never-paused job's weights");
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%s/history?limit=1000", job);
    json_t *h = mt_get(&srv, path);
    cr_assert_eq(json_array_size(json_object_get(h, "items")), EPOCHS);
    json_decref(h), json_decref(paused), json_decref(straight);
    free(text);
}
