/* test_jobs.c — training through the API: the seed end to end (perceptron
 * gates, XOR's failure, a 2-4-1 net learning XOR, iris), job validation,
 * busy models, cancel, history paging, listing, and divergence. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "jobs_helpers.h"

static api_server srv;

static void setup(void)
{
    api_start(&srv, NULL);
}

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(jobs, .init = setup, .fini = teardown, .timeout = 120);

/* Trains a fresh step perceptron on a gate; returns the final job. */
static json_t *train_gate(const char *gate, unsigned epochs)
{
    char ds[64], md[64];
    make_generated(&srv, gate, ds);
    const char *inputs = strcmp(gate, "not") == 0 ? "1" : "2";
    char def[256];
    snprintf(def, sizeof def,
             "{\"name\":\"p\",\"type\":\"perceptron\",\"inputs\":%s,"
             "\"activation\":\"step\"}",
             inputs);
    make_model(&srv, def, md);
    char job[64];
    start_job(&srv, md, ds, "\"epochs\":%u", job, epochs);
    return api_wait_job(&srv, job, 60);
}

Test(jobs, perceptron_learns_and_or_nand_nor_not)
{
    const char *gates[] = {"and", "or", "nand", "nor", "not"};
    for (size_t i = 0; i < 5; i++) {
        json_t *job = train_gate(gates[i], 100);
        cr_assert_str_eq(json_string_value(json_object_get(job, "status")),
                         "succeeded", "%s", gates[i]);
        cr_assert(json_is_true(json_object_get(job, "converged")),
                  "%s did not converge", gates[i]);
        cr_assert_lt(json_integer_value(json_object_get(job, "epoch")), 100);
        cr_assert_float_eq(json_number_value(json_object_get(job, "accuracy")),
                           1.0, 1e-9, "%s", gates[i]);
        json_decref(job);
    }
}

Test(jobs, perceptron_does_not_converge_on_xor)
{
    json_t *job = train_gate("xor", 50);
    const char *id = json_string_value(json_object_get(job, "id"));
    cr_assert_str_eq(json_string_value(json_object_get(job, "status")),
                     "succeeded");
    cr_assert(json_is_false(json_object_get(job, "converged")));
    cr_assert_eq(json_integer_value(json_object_get(job, "epoch")), 50);
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%s/history?limit=1000", id);
    api_response r = api_call(&srv, "GET", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 200);
    json_t *items = json_object_get(r.json, "items"), *p;
    cr_assert_eq(json_array_size(items), 50);
    size_t i;
    json_array_foreach(items, i, p) {
        cr_assert_eq(json_integer_value(json_object_get(p, "epoch")),
                     (json_int_t)i + 1);
        cr_assert_gt(json_integer_value(json_object_get(p, "mistakes")), 0,
                     "epoch %zu had no mistake on XOR", i + 1);
    }
    api_free(&r);
    json_decref(job);
}

Test(jobs, two_four_one_network_learns_xor)
{
    char ds[64], md[64], job[64];
    make_generated(&srv, "xor", ds);
    make_model(&srv,
               "{\"name\":\"xor-net\",\"inputs\":2,\"layers\":[{\"units\":4,"
               "\"activation\":\"tanh\"},{\"units\":1,\"activation\":"
               "\"sigmoid\"}],\"loss\":\"mse\",\"init\":\"xavier\",\"seed\":7}",
               md);
    start_job(&srv, md, ds,
              "\"epochs\":%u,\"batch_size\":4,\"normalize\":\"none\","
              "\"optimizer\":{\"name\":\"sgd\",\"learning_rate\":0.5,"
              "\"momentum\":0.9},\"seed\":1",
              job, 2000u);
    json_t *j = api_wait_job(&srv, job, 60);
    cr_assert_str_eq(json_string_value(json_object_get(j, "status")),
                     "succeeded", "%s", json_dumps(j, 0));
    cr_assert_null(json_object_get(j, "converged"), "MLP jobs have none");
    json_decref(j);
    float out[4];
    predict4(&srv, md, out);
    cr_assert_lt(out[0], 0.5f);
    cr_assert_gt(out[1], 0.5f);
    cr_assert_gt(out[2], 0.5f);
    cr_assert_lt(out[3], 0.5f);
}

Test(jobs, iris_reaches_validation_accuracy_090)
{
    char ds[64], md[64], job[64];
    make_csv(&srv, api_shared_data("iris.csv"), "iris", "species", ds);
    make_model(&srv,
               "{\"name\":\"iris\",\"inputs\":4,\"layers\":[{\"units\":16,"
               "\"activation\":\"relu\"},{\"units\":3,\"activation\":"
               "\"softmax\"}],\"loss\":\"cross_entropy\",\"init\":\"he\","
               "\"seed\":3}",
               md);
    start_job(&srv, md, ds,
              "\"epochs\":%u,\"batch_size\":16,\"validation_split\":0.2,"
              "\"optimizer\":{\"name\":\"adam\",\"learning_rate\":0.01},"
              "\"seed\":5",
              job, 200u);
    json_t *j = api_wait_job(&srv, job, 60);
    cr_assert_str_eq(json_string_value(json_object_get(j, "status")),
                     "succeeded");
    double acc = json_number_value(json_object_get(j, "val_accuracy"));
    cr_assert_geq(acc, 0.9, "iris validation accuracy %.3f", acc);
    json_decref(j);
    /* The model now predicts species names. */
    char path[128];
    snprintf(path, sizeof path, "/v1/models/%s/predict", md);
    api_response r = api_json(&srv, "POST", path,
                              "{\"inputs\":[[5.1,3.5,1.4,0.2],[6.7,3.0,5.2,2.3]]}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *labels = json_object_get(r.json, "labels");
    cr_assert_str_eq(json_string_value(json_array_get(labels, 0)), "setosa");
    cr_assert_str_eq(json_string_value(json_array_get(labels, 1)), "virginica");
    api_free(&r);
}
