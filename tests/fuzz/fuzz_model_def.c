/* fuzz_model_def.c — libFuzzer harness of the model-definition parser
 * (server/model_def.c): any JSON object read both as a POST /v1/models
 * body and as an export document for POST /v1/models/import. It must
 * either build a network within the limits or reply 4xx. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_support.h"
#include "model_def.h"

static void read_as(json_t *doc, nd_def_source src)
{
    nd_request req;
    fuzz_request_init(&req);
    nd_model_def def = {0};
    bool ok = nd_model_def_read(&req, doc, src, req.srv->cfg.max_params, &def);
    if (!ok && (!req.replied || req.status < 400 || req.status >= 500)) {
        fprintf(stderr, "refused without a 4xx: %u %.*s\n", req.status,
                (int)req.reply_len, req.reply ? req.reply : "");
        abort();
    }
    nd_model_def_free(&def);
    fuzz_request_free(&req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc = fuzz_json(data, size);
    if (json_is_object(doc)) {
        read_as(doc, ND_DEF_CREATE);
        read_as(doc, ND_DEF_IMPORT);
    }
    json_decref(doc);
    return 0;
}
