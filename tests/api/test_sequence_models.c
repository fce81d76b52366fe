/* test_sequence_models.c — what the API says of libnn's sequence layers
 * while models cannot take vocab_size and context: embedding, rnn, lstm
 * and gru are refused by name (422 at the layer's type), never accepted
 * and ignored. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "harness.h"

static api_server srv;

static void setup(void)
{
    api_start(&srv, NULL);
}

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(sequence_models, .init = setup, .fini = teardown, .timeout = 60);

Test(sequence_models, sequence_layers_are_refused_by_name)
{
    const char *types[4] = {"embedding", "rnn", "lstm", "gru"};
    for (size_t i = 0; i < 4; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"name\": \"m\", \"inputs\": 4, \"layers\": [{\"units\": "
                 "3, \"activation\": \"tanh\"}, {\"type\": \"%s\"}, {\"units\": 2}]}", types[i]);
        api_response r = api_json(&srv, "POST", "/v1/models", body);
        api_assert_problem(&r, 422, "/layers/1/type");
        api_free(&r);
    }
    api_response r = api_call(&srv, "GET", "/v1/models", NULL, NULL, 0);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 0);
    api_free(&r);
}
