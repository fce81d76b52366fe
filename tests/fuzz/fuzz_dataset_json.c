/* fuzz_dataset_json.c — libFuzzer harness of POST /v1/datasets with a
 * JSON body (server/dataset_json.c): rows with targets or labels, or a
 * generator, read as the daemon reads it (json_body.h). Every input ends
 * in 201 or a 4xx, never a 5xx. */
#include <stdio.h>
#include <stdlib.h>

#include "dataset_json.h"
#include "fuzz_support.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_store_open("dataset_json");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nd_request req;
    fuzz_request_init(&req);
    if (!fuzz_json_body(&req, data, size, 4096)) {
        fuzz_request_free(&req);
        return 0;
    }
    if (json_object_get(req.json, "generator"))
        nd_ds_create_generated(&req);
    else
        nd_ds_create_from_json(&req);
    if (!req.replied || req.status >= 500) {
        fprintf(stderr, "no reply or a 5xx: %u %.*s\n", req.status,
                (int)req.reply_len, req.reply ? req.reply : "");
        abort();
    }
    fuzz_request_free(&req);
    fuzz_store_reset();
    return 0;
}
