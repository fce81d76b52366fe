/* fuzz_idx_ingest.c — libFuzzer harness of the IDX upload
 * (server/idx_ingest.c, server/idx_decode.c). The first byte picks which
 * part comes first and where the pieces are cut; the next two say where
 * the body splits into its two parts (images, labels, in that order or
 * the other); the rest is the two files, each gzipped or not as its first
 * bytes say. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_support.h"
#include "idx_ingest.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_store_open("idx_ingest");
    return 0;
}

/* Feeds len bytes of part in pieces; the first failure's status in *rc. */
static int feed(nd_idx_ingest *g, const char *part, const uint8_t *data,
                size_t len, size_t piece, nd_ds_error *e)
{
    int rc = 0;
    for (size_t at = 0; at < len && rc == 0; at += piece)
        rc = nd_idx_ingest_part(g, part, (const char *)data + at,
                                len - at < piece ? len - at : piece, e);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    uint8_t mode = data[0];
    size_t split = ((size_t)data[1] << 8 | data[2]), piece = 1 + (mode >> 2);
    data += 3;
    size -= 3;
    split = split < size ? split : size;
    nd_idx_options opt = {"fuzz", (mode & 2) ? "a,b,c" : NULL,
                          fuzz_server()->cfg.max_rows, 0};
    nd_ds_error e;
    nd_idx_ingest *g = nd_idx_ingest_new(&opt, &e);
    if (!g)
        return 0;
    const char *first = (mode & 1) ? "labels" : "images";
    const char *second = (mode & 1) ? "images" : "labels";
    int rc = feed(g, first, data, split, piece, &e);
    if (rc == 0)
        rc = feed(g, second, data + split, size - split, piece, &e);
    char id[ND_ID_MAX];
    if (rc == 0)
        rc = nd_idx_ingest_finish(g, id, &e);
    if (rc && (e.status < 400 || e.status >= 500)) {
        fprintf(stderr, "IDX refused with %u\n", e.status);
        abort();
    }
    nd_idx_ingest_free(g);
    fuzz_store_reset();
    return 0;
}
