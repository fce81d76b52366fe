/* test_job_errors.c — POST /v1/jobs refuses bad requests, each with the
 * status and the pointer of the field to blame. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "jobs_helpers.h"

static api_server srv;
static char xor_ds[64], circle_ds[64], net[64], perceptron[64];

static void setup(void)
{
    api_start(&srv, (const char *[]){"--max-epochs", "1000", NULL});
    make_generated(&srv, "xor", xor_ds);
    make_generated(&srv, "circle", circle_ds);
    make_model(&srv,
               "{\"name\":\"n\",\"inputs\":2,\"layers\":[{\"units\":3,"
               "\"activation\":\"tanh\"},{\"units\":1,\"activation\":"
               "\"sigmoid\"}]}",
               net);
    make_model(&srv,
               "{\"name\":\"p\",\"type\":\"perceptron\",\"inputs\":2}",
               perceptron);
}

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(job_errors, .init = setup, .fini = teardown, .timeout = 60);

/* POSTs {"model_id": model, "dataset_id": ds, <extra>} and checks the
 * problem. */
static void refused(const char *model, const char *ds, const char *extra,
                    long status, const char *pointer)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"model_id\":\"%s\",\"dataset_id\":\"%s\"%s%s}", model, ds,
             extra[0] ? "," : "", extra);
    api_response r = api_json(&srv, "POST", "/v1/jobs", body);
    api_assert_problem(&r, status, pointer);
    api_free(&r);
}

Test(job_errors, missing_and_unknown_references)
{
    api_response r = api_json(&srv, "POST", "/v1/jobs",
                              "{\"dataset_id\":\"ds_x\"}");
    api_assert_problem(&r, 422, "/model_id");
    api_free(&r);
    refused("md_aaaaaaaaaaaaaaaaaaaaaaaaaa", xor_ds, "", 422, "/model_id");
    refused("not-an-id", xor_ds, "", 422, "/model_id");
    refused(net, "ds_aaaaaaaaaaaaaaaaaaaaaaaaaa", "", 422, "/dataset_id");
}

Test(job_errors, dataset_that_does_not_fit_the_model)
{
    /* circle has two classes (two outputs); the net has one output. */
    refused(net, circle_ds, "", 422, "/dataset_id");
}

Test(job_errors, unknown_fields_and_wrong_types)
{
    refused(net, xor_ds, "\"epoch\":5", 400, "/epoch");
    refused(net, xor_ds, "\"epochs\":\"many\"", 400, "/epochs");
    refused(net, xor_ds, "\"epochs\":2.5", 400, "/epochs");
    refused(net, xor_ds, "\"shuffle\":1", 400, "/shuffle");
    refused(net, xor_ds, "\"optimizer\":\"sgd\"", 400, "/optimizer");
    refused(net, xor_ds, "\"optimizer\":{\"name\":\"sgd\",\"lr\":1}", 400,
            "/optimizer/lr");
    refused(net, xor_ds, "\"early_stopping\":{\"patience\":2,\"x\":1}", 400,
            "/early_stopping/x");
}

Test(job_errors, values_out_of_range)
{
    refused(net, xor_ds, "\"epochs\":0", 422, "/epochs");
    refused(net, xor_ds, "\"epochs\":1001", 422, "/epochs");
    refused(net, xor_ds, "\"batch_size\":0", 422, "/batch_size");
    refused(net, xor_ds, "\"validation_split\":1", 422, "/validation_split");
    refused(net, xor_ds, "\"validation_split\":-0.1", 422,
            "/validation_split");
    refused(net, xor_ds, "\"normalize\":\"zscore\"", 422, "/normalize");
    refused(net, xor_ds, "\"optimizer\":{\"name\":\"rmsprop\"}", 422,
            "/optimizer/name");
    refused(net, xor_ds, "\"optimizer\":{\"learning_rate\":-0.1}", 422,
            "/optimizer/learning_rate");
    refused(net, xor_ds, "\"optimizer\":{\"learning_rate\":0}", 422,
            "/optimizer/learning_rate");
    refused(net, xor_ds, "\"optimizer\":{\"momentum\":1}", 422,
            "/optimizer/momentum");
    refused(net, xor_ds, "\"optimizer\":{\"nesterov\":true}", 422,
            "/optimizer/nesterov");
    refused(net, xor_ds, "\"early_stopping\":{\"patience\":0}", 422,
            "/early_stopping/patience");
    refused(net, xor_ds, "\"early_stopping\":{}", 422,
            "/early_stopping/patience");
}

Test(job_errors, a_perceptron_takes_no_optimizer)
{
    refused(perceptron, xor_ds, "\"optimizer\":{\"name\":\"sgd\"}", 400,
            "/optimizer");
}

Test(job_errors, not_json_and_wrong_content_type)
{
    api_response r = api_json(&srv, "POST", "/v1/jobs", "{\"model_id\":");
    api_assert_problem(&r, 400, "");
    api_free(&r);
    r = api_json(&srv, "POST", "/v1/jobs", "[1,2]");
    api_assert_problem(&r, 400, "");
    api_free(&r);
    r = api_call(&srv, "POST", "/v1/jobs", "text/plain", "{}", 2);
    api_assert_problem(&r, 415, NULL);
    api_free(&r);
    r = api_json(&srv, "POST", "/v1/jobs", "{\"model_id\":\"a\",\"model_id\":"
                                            "\"b\"}");
    api_assert_problem(&r, 400, "");
    api_free(&r);
}

Test(job_errors, unknown_job_ids)
{
    const char *paths[] = {"/v1/jobs/jb_aaaaaaaaaaaaaaaaaaaaaaaaaa",
                           "/v1/jobs/nonsense",
                           "/v1/jobs/jb_aaaaaaaaaaaaaaaaaaaaaaaaaa/history"};
    for (size_t i = 0; i < 3; i++) {
        api_response r = api_call(&srv, "GET", paths[i], NULL, NULL, 0);
        api_assert_problem(&r, 404, NULL);
        api_free(&r);
    }
    api_response r = api_call(&srv, "POST",
                              "/v1/jobs/jb_aaaaaaaaaaaaaaaaaaaaaaaaaa/cancel",
                              NULL, NULL, 0);
    api_assert_problem(&r, 404, NULL);
    api_free(&r);
}
