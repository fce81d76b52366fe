/* onnx_graph.h — building an ONNX graph (onnx.proto, compiled by
 * protoc-c at build time) node by node: every message, string and array
 * the graph holds is allocated through one onnx_graph and freed with it.
 * Allocation failure is sticky: it sets `oom`, later calls become no-ops
 * returning NULL, and the caller checks once at the end. */
#ifndef ND_ONNX_GRAPH_H
#define ND_ONNX_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnx.pb-c.h"

typedef struct {
    void **allocs; /* everything below, freed by onnx_graph_free */
    size_t n_allocs, cap_allocs;
    Onnx__NodeProto **nodes;
    size_t n_nodes, cap_nodes;
    Onnx__TensorProto **inits;
    size_t n_inits, cap_inits;
    bool oom;
} onnx_graph;

/* Frees everything g allocated (not g itself). */
void onnx_graph_free(onnx_graph *g);

/* n zeroed bytes owned by g, or NULL. */
void *onnx_alloc(onnx_graph *g, size_t n);

/* A printf-formatted string owned by g, or NULL. */
char *onnx_strf(onnx_graph *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Adds a float32 initializer `name` of shape dims[0..rank) (rank 0: a
 * scalar) holding a copy of v (the product of dims floats). Returns name
 * (g's copy), or NULL. */
const char *onnx_init_floats(onnx_graph *g, const char *name, const float *v,
                             const int64_t *dims, size_t rank);

/* A float32 scalar initializer `name` = v, added once however often it is
 * asked for. Returns name, or NULL. */
const char *onnx_init_scalar(onnx_graph *g, const char *name, float v);

/* Appends a node op_type (default domain) named name, reading the n_in
 * tensors in[] and writing out. Returns it (for attributes), or NULL. */
Onnx__NodeProto *onnx_node(onnx_graph *g, const char *op_type,
                           const char *name, const char *const *in,
                           size_t n_in, const char *out);

/* Attributes on node (NULL: no-op, the failure already recorded). */
void onnx_attr_int(onnx_graph *g, Onnx__NodeProto *node, const char *name,
                   int64_t v);
void onnx_attr_float(onnx_graph *g, Onnx__NodeProto *node, const char *name,
                     float v);
void onnx_attr_ints(onnx_graph *g, Onnx__NodeProto *node, const char *name,
                    const int64_t *v, size_t n);

/* A float32 tensor value named name of shape [N, dims[0..rank)], N the
 * symbolic batch dimension. Returns it, or NULL. */
Onnx__ValueInfoProto *onnx_value_info(onnx_graph *g, const char *name,
                                      const size_t *dims, size_t rank);

#endif
