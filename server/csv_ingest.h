/* csv_ingest.h — a CSV upload parsed as it arrives (libcsv: quoted
 * fields, CRLF, a UTF-8 byte-order mark skipped) and written to the store
 * chunk by chunk, so memory stays about one chunk whatever the file's
 * size. The first row is the header; the target columns (the last one by
 * default) become the targets and the others the inputs. A target column
 * whose first value is not a number holds class labels (classes in order
 * of first appearance); with force_classification a numeric one does too
 * (classes ascending by value). Errors point at "/rows/N/COLUMN" (N
 * counting data rows from 1, COLUMN the header's name) and say the line.
 * With a shape, the input columns must number C·H·W (else 422 at
 * "?shape"). */
#ifndef ND_CSV_INGEST_H
#define ND_CSV_INGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "dataset_shape.h"
#include "dataset_store.h"

typedef struct {
    const char *name;    /* the dataset's, already checked */
    const char *target;  /* comma-separated column names, or NULL */
    bool force_classification;
    size_t max_rows;
    const nd_shape *shape; /* ?shape: [C, H, W] of the inputs, or NULL */
    uint64_t max_bytes;  /* the writer's (nd_ds_spec); 0: no limit */
} nd_csv_options;

typedef struct nd_csv_ingest nd_csv_ingest;

/* A new ingest (the options are copied); NULL when out of memory. */
nd_csv_ingest *nd_csv_new(const nd_csv_options *opt);

/* Parses the next piece of the file, writing full chunks. Returns 0, or
 * −1 after filling e; the ingest is then done for (free it). */
int nd_csv_feed(nd_csv_ingest *c, const char *data, size_t len,
                nd_ds_error *e);

/* Parses what is left after the last piece and stores the dataset,
 * copying its id. Returns 0, or −1 after filling e. */
int nd_csv_finish(nd_csv_ingest *c, char id[ND_ID_MAX], nd_ds_error *e);

/* Frees c, deleting what it stored unless nd_csv_finish succeeded; c may
 * be NULL. */
void nd_csv_free(nd_csv_ingest *c);

#endif
