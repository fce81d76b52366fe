/* idx_ingest.h — an IDX upload (MNIST / Fashion-MNIST: an images file and
 * a labels file, each gzipped or not) written to the dataset store as it
 * arrives. The HTTP side (datasets.c) splits the multipart/form-data body
 * into its parts and hands each piece here with the part's name. The
 * images file is N×H×W (or N×C×H×W) unsigned bytes, the labels file N
 * bytes; each image becomes a row of C·H·W inputs (pixel values 0–255 as
 * they are) with input_shape [C, H, W], its label the row's class.
 *
 * Memory: one image, zlib's window, the writer's chunk, and the labels
 * (one byte per row, at most max_rows), whatever the files' size. The
 * parts may come in either order; when the images come first their rows
 * are written before the labels are known and the labels are filled in
 * at the end (a second pass over the stored targets).
 *
 * Classes: the names given (?classes, label k named by the k-th; a label
 * past them is a 422), or "0" … "K-1" for labels 0 … K-1. Errors point at
 * the part ("/images", "/labels", "/labels/N" for the N-th label, counted
 * from 0) or the query ("?classes"). */
#ifndef ND_IDX_INGEST_H
#define ND_IDX_INGEST_H

#include <stddef.h>

#include "dataset_store.h"

typedef struct {
    const char *name;    /* the dataset's, already checked */
    const char *classes; /* comma-separated class names, or NULL */
    size_t max_rows;
    uint64_t max_bytes;  /* the writer's (nd_ds_spec); 0: no limit */
} nd_idx_options;

typedef struct nd_idx_ingest nd_idx_ingest;

/* A new ingest (the options are copied). NULL with e filled when the
 * class names are bad (422 at "?classes") or memory is short. */
nd_idx_ingest *nd_idx_ingest_new(const nd_idx_options *opt, nd_ds_error *e);

/* The next piece of the part named part ("images" or "labels"; another
 * name is a 400). A part ends when a piece of another part arrives or at
 * nd_idx_ingest_finish; a part given twice is a 400. Returns 0, or −1
 * after filling e (the ingest is then done for: free it). */
int nd_idx_ingest_part(nd_idx_ingest *g, const char *part, const char *data,
                       size_t len, nd_ds_error *e);

/* Ends the last part, checks both were whole and agree, and stores the
 * dataset, copying its id. Returns 0, or −1 after filling e. */
int nd_idx_ingest_finish(nd_idx_ingest *g, char id[ND_ID_MAX],
                         nd_ds_error *e);

/* Frees g, deleting what it stored unless finish succeeded; g may be
 * NULL. */
void nd_idx_ingest_free(nd_idx_ingest *g);

#endif
