/* test_train_options.c — the training options any job may set, on a real
 * neurond: optimizer adamw, lr_schedule and clip_grad_norm are recorded in
 * the job with their defaults filled in, change what is trained, and every
 * bad value is refused naming its field. */
#include <criterion/criterion.h>
#include <stdio.h>
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

TestSuite(train_options, .init = setup, .fini = teardown, .timeout = 60);

/* Trains a fresh XOR net (its id into model) on ds for 150 epochs with the
 * extra job fields; returns the finished job (caller decrefs). */
static json_t *train(const char *ds, const char *extra, char model[64])
{
    char job[64], fmt[512];
    snprintf(fmt, sizeof fmt, "\"epochs\":%%u,\"batch_size\":2,\"seed\":5%s",
             extra);
    make_xor_net(&srv, model);
    start_job(&srv, model, ds, fmt, job, 150u);
    json_t *j = api_wait_job(&srv, job, 30);
    cr_assert_str_eq(api_jstr(j, "status"), "succeeded", "%s",
                     api_jstr(j, "error"));
    return j;
}

Test(train_options, adamw_schedule_and_clipping_are_recorded_and_learn)
{
    char ds[64], model[64];
    make_generated(&srv, "xor", ds);
    json_t *j = train(ds,
                      ",\"optimizer\":{\"name\":\"adamw\",\"learning_rate\":"
                      "0.05,\"weight_decay\":0.001,\"eps\":1e-7},"
                      "\"lr_schedule\":{\"warmup_steps\":20,\"decay\":"
                      "\"cosine\",\"min_learning_rate\":0.001},"
                      "\"clip_grad_norm\":1.0",
                      model);
    json_t *p = json_object_get(j, "params");
    mt_assert_json(json_object_get(p, "optimizer"),
                   "{\"name\": \"adamw\", \"learning_rate\": 0.05, "
                   "\"beta1\": 0.9, \"beta2\": 0.999, \"epsilon\": 1e-07, "
                   "\"lr_decay\": 1.0, \"weight_decay\": 0.001}");
    mt_assert_json(json_object_get(p, "lr_schedule"),
                   "{\"warmup_steps\": 20, \"decay\": \"cosine\", "
                   "\"min_learning_rate\": 0.001}");
    cr_assert_eq(json_number_value(json_object_get(p, "clip_grad_norm")), 1.0);
    cr_assert_lt(json_number_value(json_object_get(j, "loss")), 0.05,
                 "xor not learned: loss %g",
                 json_number_value(json_object_get(j, "loss")));
    json_decref(j);

    j = train(ds, "", model); /* the defaults: no schedule, no clipping */
    p = json_object_get(j, "params");
    mt_assert_json(json_object_get(p, "lr_schedule"),
                   "{\"warmup_steps\": 0, \"decay\": \"none\", "
                   "\"min_learning_rate\": 0.0}");
    json_t *clip = json_object_get(p, "clip_grad_norm");
    cr_assert(json_is_number(clip) && json_number_value(clip) == 0.0,
              "clip_grad_norm 0 (off) is reported");
    json_decref(j);
}

/* Same net, same seed: a tight clip, a schedule, or AdamW's decay each
 * train other weights than the run without them. */
Test(train_options, each_option_changes_the_weights)
{
    char ds[64], m[4][64];
    make_generated(&srv, "xor", ds);
    const char *adam = ",\"optimizer\":{\"name\":\"adam\",\"learning_rate\":0.05}";
    char extra[3][256];
    snprintf(extra[0], sizeof extra[0], "%s,\"clip_grad_norm\":0.01", adam);
    snprintf(extra[1], sizeof extra[1],
             "%s,\"lr_schedule\":{\"decay\":\"cosine\"}", adam);
    snprintf(extra[2], sizeof extra[2], "%s",
             ",\"optimizer\":{\"name\":\"adamw\",\"learning_rate\":0.05,"
             "\"weight_decay\":1}");
    json_decref(train(ds, adam, m[0]));
    float base[4], out[4];
    predict4(&srv, m[0], base);
    for (int k = 0; k < 3; k++) {
        json_decref(train(ds, extra[k], m[k + 1]));
        predict4(&srv, m[k + 1], out);
        cr_assert(memcmp(base, out, sizeof out) != 0,
                  "option %d changed nothing", k);
    }
}

Test(train_options, bad_values_name_their_field)
{
    char ds[64], net[64], perceptron[64], body[512];
    make_generated(&srv, "and", ds);
    make_xor_net(&srv, net);
    make_model(&srv, "{\"name\":\"p\",\"type\":\"perceptron\",\"inputs\":2}",
               perceptron);
    const struct {
        const char *model, *fields, *pointer;
        long status;
    } cases[] = {
        {net, "\"optimizer\":{\"name\":\"adamx\"}", "/optimizer/name", 422},
        {net, "\"optimizer\":{\"name\":\"adamw\",\"weight_decay\":-1}",
         "/optimizer/weight_decay", 422},
        {net, "\"optimizer\":{\"name\":\"adamw\",\"weight_decay\":\"x\"}",
         "/optimizer/weight_decay", 400},
        {net, "\"optimizer\":{\"name\":\"adamw\",\"learning_rate\":1,"
              "\"weight_decay\":2}", "/optimizer/weight_decay", 422},
        {net, "\"optimizer\":{\"name\":\"adam\",\"weight_decay\":0.1}",
         "/optimizer/weight_decay", 422},
        {net, "\"optimizer\":{\"name\":\"adamw\",\"eps\":1e-8,"
              "\"epsilon\":1e-8}", "/optimizer/eps", 422},
        {net, "\"optimizer\":{\"name\":\"adamw\",\"eps\":0}",
         "/optimizer/eps", 422},
        {net, "\"lr_schedule\":7", "/lr_schedule", 400},
        {net, "\"lr_schedule\":{\"warmup\":3}", "/lr_schedule/warmup", 400},
        {net, "\"lr_schedule\":{\"warmup_steps\":-1}",
         "/lr_schedule/warmup_steps", 422},
        {net, "\"lr_schedule\":{\"warmup_steps\":1.5}",
         "/lr_schedule/warmup_steps", 400},
        {net, "\"lr_schedule\":{\"decay\":\"linear\"}", "/lr_schedule/decay",
         422},
        {net, "\"lr_schedule\":{\"decay\":1}", "/lr_schedule/decay", 400},
        {net, "\"lr_schedule\":{\"decay\":\"cosine\",\"min_learning_rate\":1}",
         "/lr_schedule/min_learning_rate", 422},
        {net, "\"lr_schedule\":{\"min_learning_rate\":-0.1}",
         "/lr_schedule/min_learning_rate", 422},
        {net, "\"optimizer\":{\"lr_decay\":0.5},\"lr_schedule\":"
              "{\"warmup_steps\":3}", "/optimizer/lr_decay", 422},
        {net, "\"clip_grad_norm\":-1", "/clip_grad_norm", 422},
        {net, "\"clip_grad_norm\":\"big\"", "/clip_grad_norm", 400},
        {perceptron, "\"clip_grad_norm\":1", "/clip_grad_norm", 400},
        {perceptron, "\"lr_schedule\":{}", "/lr_schedule", 400},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(body, sizeof body,
                 "{\"model_id\":\"%s\",\"dataset_id\":\"%s\",%s}",
                 cases[i].model, ds, cases[i].fields);
        api_response r = api_json(&srv, "POST", "/v1/jobs", body);
        api_assert_problem(&r, cases[i].status, cases[i].pointer);
        api_free(&r);
    }
}
