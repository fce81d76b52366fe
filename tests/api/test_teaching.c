/* test_teaching.c — the teaching controls of DESIGN.md on a real neurond:
 * a prediction traced layer by layer, and L1/L2 regularisation of a job's
 * weights; each with its refusals. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "jobs_helpers.h"
#include "model_calls.h"

static api_server srv;

static void setup(void)
{
    api_start(&srv, NULL);
}

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(teaching, .init = setup, .fini = teardown, .timeout = 60);

/* POST /v1/models/{id}/<action> with body; asserts status, returns the
 * reply's JSON (the caller decrefs). */
static json_t *model_post(const char *id, const char *action,
                          const char *body, long status)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/models/%s/%s", id, action);
    api_response r = api_json(&srv, "POST", path, body);
    cr_assert_eq(r.status, status, "%ld %s", r.status, r.body);
    json_t *j = json_incref(r.json);
    api_free(&r);
    return j;
}

static json_t *predict_body(const char *id, const char *body, long status)
{
    return model_post(id, "predict", body, status);
}

static json_t *reset(const char *id, const char *body, long status)
{
    return model_post(id, "reset", body, status);
}

Test(teaching, trace_shows_each_layers_sums_and_activations)
{
    json_t *m = mt_create(&srv, mt_xor_net);
    json_t *p = predict_body(api_jstr(m, "id"),
                             "{\"inputs\": [[0, 0], [0, 1], [1, 0], [1, 1]],"
                             " \"trace\": true}",
                             200);
    /* By hand: h = step(x W0 + b0) with W0 all ones, b0 = (−0.5, −1.5);
     * out = step(h1 − h2 − 0.5). */
    mt_assert_json(p,
                   "{\"outputs\": [[0.0], [1.0], [1.0], [0.0]], \"trace\": ["
                   " {\"z\": [[-0.5, -1.5], [0.5, -0.5], [0.5, -0.5],"
                   "          [1.5, 0.5]],"
                   "  \"a\": [[0.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 1.0]]},"
                   " {\"z\": [[-0.5], [0.5], [0.5], [-0.5]],"
                   "  \"a\": [[0.0], [1.0], [1.0], [0.0]]}]}");
    json_decref(p);
    p = predict_body(api_jstr(m, "id"),
                     "{\"inputs\": [[1, 1]], \"trace\": false}", 200);
    cr_assert_null(json_object_get(p, "trace"), "no trace unless asked");
    json_decref(p);
    json_decref(m);
}

Test(teaching, trace_of_a_perceptron_shows_in_and_its_step)
{
    json_t *m = mt_create(
        &srv, "{\"name\": \"nor\", \"type\": \"perceptron\", \"inputs\": 2,"
              " \"weights\": [{\"W\": [[-1], [-1]], \"b\": [0.5]}]}");
    json_t *p = predict_body(api_jstr(m, "id"),
                             "{\"inputs\": [[0, 0], [0, 1], [1, 0], [1, 1]],"
                             " \"trace\": true}",
                             200);
    mt_assert_json(json_object_get(p, "trace"),
                   "[{\"z\": [[0.5], [-0.5], [-0.5], [-1.5]],"
                   "  \"a\": [[1.0], [0.0], [0.0], [0.0]]}]");
    json_decref(p);
    json_decref(m);
}

Test(teaching, trace_refusals)
{
    json_t *m = mt_create(&srv, mt_xor_net);
    const char *id = api_jstr(m, "id");
    char path[128];
    snprintf(path, sizeof path, "/v1/models/%s/predict", id);
    mt_refused(&srv, "POST", path, "{\"inputs\": [[0, 0]], \"trace\": 1}", 400,
               "/trace");
    mt_refused(&srv, "POST", path, "{\"inputs\": [[0, 0]], \"trace\": \"yes\"}",
               400, "/trace");
    mt_refused(&srv, "POST", path,
               "{\"inputs\": [[0, 0], [0, \"x\"]], \"trace\": true}", 400,
               "/inputs/1/1");
    json_decref(m);
    /* 51 units traced per row: 90,000 rows are past the 4,194,304 values
     * a traced reply may hold, yet fine untraced (one output each). */
    m = mt_create(&srv, "{\"name\": \"wide\", \"inputs\": 1, \"layers\":"
                        " [{\"units\": 50, \"activation\": \"relu\"},"
                        "  {\"units\": 1, \"activation\": \"linear\"}]}");
    size_t rows = 90000, cap = rows * 4 + 64, n = 0;
    char *body = malloc(cap);
    n += (size_t)snprintf(body, cap, "{\"inputs\": [");
    for (size_t i = 0; i < rows; i++)
        n += (size_t)snprintf(body + n, cap - n, i ? ",[0]" : "[0]");
    snprintf(body + n, cap - n, "], \"trace\": true}");
    snprintf(path, sizeof path, "/v1/models/%s/predict", api_jstr(m, "id"));
    mt_refused(&srv, "POST", path, body, 422, "/inputs");
    snprintf(body + n, cap - n, "], \"trace\": false}");
    json_decref(predict_body(api_jstr(m, "id"), body, 200));
    free(body);
    json_decref(m);
}

/* Σ w² over the model's W matrices, and Σ b² over its biases. */
static void weight_norms(const char *model, double *w2, double *b2)
{
    json_t *m = mt_get_model(&srv, model, true);
    json_t *layers = json_object_get(m, "weights"), *l, *row, *v;
    size_t k, i, j;
    *w2 = *b2 = 0;
    json_array_foreach(layers, k, l) {
        json_array_foreach(json_object_get(l, "W"), i, row)
            json_array_foreach(row, j, v) *w2 += pow(json_number_value(v), 2);
        json_array_foreach(json_object_get(l, "b"), i, v)
            *b2 += pow(json_number_value(v), 2);
    }
    json_decref(m);
}

/* Trains a fresh 2-4-1 net (its id into model) on ds for 200 epochs of
 * Adam, with `reg` as the job's regularization field (NULL: none);
 * returns the finished job (caller decrefs). */
static json_t *train_adam(const char *ds, const char *reg, char model[64])
{
    char job[64], extra[256];
    snprintf(extra, sizeof extra,
             "\"epochs\":%%u,\"batch_size\":4,\"seed\":3,\"optimizer\":"
             "{\"name\":\"adam\",\"learning_rate\":0.05}%s%s",
             reg ? ",\"regularization\":" : "", reg ? reg : "");
    make_xor_net(&srv, model);
    start_job(&srv, model, ds, extra, job, 200u);
    json_t *j = api_wait_job(&srv, job, 30);
    cr_assert_str_eq(api_jstr(j, "status"), "succeeded");
    return j;
}

Test(teaching, l2_keeps_the_weights_small)
{
    char ds[64], plain[64], reg[64];
    make_generated(&srv, "xor", ds);
    json_t *j = train_adam(ds, NULL, plain);
    mt_assert_json(json_object_get(json_object_get(j, "params"),
                                   "regularization"),
                   "{\"l1\": 0.0, \"l2\": 0.0}");
    json_decref(j);
    j = train_adam(ds, "{\"l2\":0.5}", reg);
    mt_assert_json(json_object_get(json_object_get(j, "params"),
                                   "regularization"),
                   "{\"l1\": 0.0, \"l2\": 0.5}");
    json_decref(j);
    double w_plain, b_plain, w_reg, b_reg;
    weight_norms(plain, &w_plain, &b_plain);
    weight_norms(reg, &w_reg, &b_reg);
    cr_assert_lt(w_reg, w_plain / 4, "Σw² %g with l2, %g without", w_reg,
                 w_plain);
    cr_assert_gt(b_reg, 0.0, "the biases are not driven to zero");
}

Test(teaching, l1_shrinks_the_weights_too)
{
    char ds[64], plain[64], reg[64];
    make_generated(&srv, "and", ds);
    json_decref(train_adam(ds, NULL, plain));
    json_decref(train_adam(ds, "{\"l1\":0.05}", reg));
    double w_plain, b_plain, w_reg, b_reg;
    weight_norms(plain, &w_plain, &b_plain);
    weight_norms(reg, &w_reg, &b_reg);
    cr_assert_lt(w_reg, w_plain, "Σw² %g with l1, %g without", w_reg, w_plain);
}

Test(teaching, regularization_refusals)
{
    char ds[64], net[64], perceptron[64], body[256];
    make_generated(&srv, "and", ds);
    make_xor_net(&srv, net);
    make_model(&srv, "{\"name\":\"p\",\"type\":\"perceptron\",\"inputs\":2}",
               perceptron);
    const struct {
        const char *model, *reg, *pointer;
        long status;
    } cases[] = {
        {net, "{\"l2\":-1}", "/regularization/l2", 422},
        {net, "{\"l1\":-0.5}", "/regularization/l1", 422},
        {net, "{\"l1\":\"big\"}", "/regularization/l1", 400},
        {net, "{\"l3\":1}", "/regularization/l3", 400},
        {net, "0.1", "/regularization", 400},
        {perceptron, "{\"l2\":0.1}", "/regularization", 400},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(body, sizeof body,
                 "{\"model_id\":\"%s\",\"dataset_id\":\"%s\","
                 "\"regularization\":%s}",
                 cases[i].model, ds, cases[i].reg);
        api_response r = api_json(&srv, "POST", "/v1/jobs", body);
        api_assert_problem(&r, cases[i].status, cases[i].pointer);
        api_free(&r);
    }
}

Test(teaching, reset_draws_the_weights_again_from_a_seed)
{
    char ds[64], job[64];
    make_generated(&srv, "xor", ds);
    json_t *m = mt_create(&srv, "{\"name\": \"n\", \"inputs\": 2, \"layers\":"
                                " [{\"units\": 3, \"activation\": \"tanh\"},"
                                "  {\"units\": 1, \"activation\": \"sigmoid\"}],"
                                " \"init\": \"he\", \"seed\": 7}");
    const char *id = api_jstr(m, "id");
    json_t *fresh = mt_get_model(&srv, id, true);
    start_job(&srv, id, ds, "\"epochs\":%u,\"batch_size\":4", job, 50u);
    json_decref(api_wait_job(&srv, job, 30));
    json_t *trained = mt_get_model(&srv, id, true);
    cr_assert(json_is_true(json_object_get(trained, "trained")));
    cr_assert_str_eq(api_jstr(json_object_get(trained, "normalization"), "kind"),
                     "standard");
    cr_assert(!json_equal(json_object_get(trained, "weights"),
                          json_object_get(fresh, "weights")));

    json_t *r = reset(id, "{\"seed\": 7}", 200);
    cr_assert(json_is_false(json_object_get(r, "trained")));
    cr_assert_eq(api_int(r, "seed"), 7);
    cr_assert_str_eq(api_jstr(r, "init"), "he", "the model keeps its init");
    json_decref(r);
    json_t *again = mt_get_model(&srv, id, true);
    cr_assert(json_equal(json_object_get(again, "weights"),
                         json_object_get(fresh, "weights")),
              "seed 7 again draws the weights the model was made with");
    cr_assert_str_eq(api_jstr(json_object_get(again, "normalization"), "kind"),
                     "none", "the fitted normalisation is dropped");
    json_decref(again);

    r = reset(id, "{\"seed\": 8, \"init\": \"uniform\"}", 200);
    cr_assert_str_eq(api_jstr(r, "init"), "uniform");
    json_decref(r);
    again = mt_get_model(&srv, id, true);
    cr_assert(!json_equal(json_object_get(again, "weights"),
                          json_object_get(fresh, "weights")));
    json_decref(again);
    r = reset(id, "{}", 200);
    cr_assert(json_is_integer(json_object_get(r, "seed")), "a random seed, "
                                                           "reported");
    json_decref(r);
    json_decref(trained);
    json_decref(fresh);
    json_decref(m);
}

Test(teaching, reset_of_hand_given_weights_and_of_a_perceptron)
{
    json_t *m = mt_create(&srv, mt_xor_net);
    json_t *r = reset(api_jstr(m, "id"), "{\"seed\": 1}", 200);
    cr_assert_str_eq(api_jstr(r, "init"), "xavier");
    json_decref(r);
    json_decref(m);
    m = mt_create(&srv,
                  "{\"name\": \"nor\", \"type\": \"perceptron\", \"inputs\": 2,"
                  " \"weights\": [{\"W\": [[-1], [-1]], \"b\": [0.5]}]}");
    const char *id = api_jstr(m, "id");
    r = reset(id, "{}", 200);
    cr_assert_str_eq(api_jstr(r, "init"), "zeros");
    cr_assert(json_is_null(json_object_get(r, "seed")));
    json_decref(r);
    r = mt_get_model(&srv, id, true);
    mt_assert_json(json_object_get(r, "weights"),
                   "[{\"W\": [[0.0], [0.0]], \"b\": [0.0]}]");
    json_decref(r);
    json_decref(reset(id, "{\"seed\": 1}", 422));
    json_decref(m);
}

Test(teaching, reset_refusals)
{
    char ds[64], net[64], job[64], path[128];
    make_generated(&srv, "xor", ds);
    make_xor_net(&srv, net);
    snprintf(path, sizeof path, "/v1/models/%s/reset", net);
    mt_refused(&srv, "POST", path, "{\"init\": \"bogus\"}", 422, "/init");
    mt_refused(&srv, "POST", path, "{\"seed\": -1}", 422, "/seed");
    mt_refused(&srv, "POST", path, "{\"seed\": \"x\"}", 400, "/seed");
    mt_refused(&srv, "POST", path, "{\"weights\": []}", 400, "/weights");
    mt_refused(&srv, "POST", "/v1/models/md_aaaaaaaaaaaaaaaaaaaaaaaaaa/reset",
               "{}", 404, NULL);
    mt_refused(&srv, "POST", "/v1/models/nonsense/reset", "{}", 404, NULL);
    start_job(&srv, net, ds, "\"epochs\":%u", job, 1000000u);
    mt_refused(&srv, "POST", path, "{}", 409, NULL);
    cancel_job(&srv, job);
    json_decref(api_wait_job(&srv, job, 30));
    json_decref(reset(net, "{}", 200));
}
