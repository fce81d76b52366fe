/* fuzz_csv_ingest.c — libFuzzer harness of the streamed CSV ingest
 * (server/csv_ingest.c). The first byte picks the options (a target
 * column or the last one, forced classification) and where the body is
 * cut into pieces, as a network would; the rest is the file. */
#include <stdio.h>
#include <stdlib.h>

#include "csv_ingest.h"
#include "fuzz_support.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_store_open("csv_ingest");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    const char *text = (const char *)data + 1;
    size_t len = size - 1, piece = 1 + (mode >> 3);
    nd_csv_options opt = {"fuzz", (mode & 1) ? "y" : NULL, (mode & 2) != 0,
                          fuzz_server()->cfg.max_rows, NULL, 0};
    nd_csv_ingest *c = nd_csv_new(&opt);
    if (!c)
        return 0;
    nd_ds_error e;
    int rc = 0;
    for (size_t at = 0; at < len && rc == 0; at += piece)
        rc = nd_csv_feed(c, text + at, len - at < piece ? len - at : piece, &e);
    char id[ND_ID_MAX];
    if (rc == 0)
        rc = nd_csv_finish(c, id, &e);
    if (rc && (e.status < 400 || e.status >= 500)) {
        fprintf(stderr, "CSV refused with %u\n", e.status);
        abort();
    }
    nd_csv_free(c);
    fuzz_store_reset();
    return 0;
}
