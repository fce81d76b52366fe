/* export_onnx.c — a network as an ONNX model (export_onnx.h): one row per
 * layer kind in onnx_layers[] (a kind without one is refused by name), the
 * activations, the normalisation, and the model around the graph. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export_onnx.h"
#include "nn_export.h"
#include "onnx_graph.h"
#include "version.h"

/* Writes layer k of net, reading tensor x, as nodes ending in tensor y. */
typedef void (*onnx_layer_fn)(onnx_graph *g, const nn_network *net, size_t k,
                              const char *x, const char *y);

/* The activation a from z to y: one node, or two for step, sign and a
 * sigmoid of steepness k ≠ 1. step and sign compare with 0 as libnn does
 * (x > 0), so sign(0) = −1. */
static void activation(onnx_graph *g, size_t k, const nn_activation *a,
                       const char *z, const char *y)
{
    char *name = onnx_strf(g, "layers.%zu.%s", k, nn_activation_name(a->kind));
    char *t = onnx_strf(g, "layers.%zu.t", k);
    if (a->kind == NN_ACT_STEP || a->kind == NN_ACT_SIGN) {
        const char *zero = onnx_init_scalar(g, "const.zero", 0.0f);
        const char *one = onnx_init_scalar(g, "const.one", 1.0f);
        const char *low = a->kind == NN_ACT_STEP
                              ? zero
                              : onnx_init_scalar(g, "const.minus_one", -1.0f);
        onnx_node(g, "Greater", onnx_strf(g, "layers.%zu.greater", k),
                  (const char *[]){z, zero}, 2, t);
        onnx_node(g, "Where", name, (const char *[]){t, one, low}, 3, y);
    } else if (a->kind == NN_ACT_SIGMOID && a->param != 1.0f) {
        const char *kk = onnx_init_scalar(g, onnx_strf(g, "layers.%zu.k", k),
                                          a->param);
        onnx_node(g, "Mul", onnx_strf(g, "layers.%zu.steepness", k),
                  (const char *[]){z, kk}, 2, t);
        onnx_node(g, "Sigmoid", name, (const char *[]){t}, 1, y);
    } else {
        static const char *const ops[NN_ACT_COUNT] = {
            [NN_ACT_SIGMOID] = "Sigmoid", [NN_ACT_TANH] = "Tanh",
            [NN_ACT_RELU] = "Relu",       [NN_ACT_LEAKY_RELU] = "LeakyRelu",
            [NN_ACT_LINEAR] = "Identity", [NN_ACT_SOFTMAX] = "Softmax",
        };
        Onnx__NodeProto *n = onnx_node(g, ops[a->kind], name,
                                       (const char *[]){z}, 1, y);
        if (a->kind == NN_ACT_LEAKY_RELU)
            onnx_attr_float(g, n, "alpha", a->param);
        if (a->kind == NN_ACT_SOFTMAX)
            onnx_attr_int(g, n, "axis", -1);
    }
}

/* Layer k's weights and biases as initializers of the given W shape. */
static void weights(onnx_graph *g, const nn_network *net, size_t k,
                    const int64_t *wdims, size_t wrank, const char **W,
                    const char **b)
{
    int64_t nb = (int64_t)net->info[k].n_b;
    *W = onnx_init_floats(g, onnx_strf(g, "layers.%zu.W", k),
                          net->params + net->w_offset[k], wdims, wrank);
    *b = onnx_init_floats(g, onnx_strf(g, "layers.%zu.b", k),
                          net->params + net->b_offset[k], &nb, 1);
}

static void dense(onnx_graph *g, const nn_network *net, size_t k,
                  const char *x, const char *y)
{
    const nn_layer_info *info = &net->info[k];
    int64_t dims[2] = {(int64_t)info->in.dim[0], (int64_t)info->out.dim[0]};
    const char *W, *b, *z = onnx_strf(g, "layers.%zu.z", k);
    weights(g, net, k, dims, 2, &W, &b);
    onnx_node(g, "Gemm", onnx_strf(g, "layers.%zu.dense", k),
              (const char *[]){x, W, b}, 3, z);
    activation(g, k, &net->layers[k].act, z, y);
}

/* kernel_shape, strides and pads of a conv2d or pool node. */
static void window_attrs(onnx_graph *g, Onnx__NodeProto *n,
                         const nn_network *net, size_t k)
{
    nn_export_window w;
    nn_export_window_of(net, k, &w);
    int64_t kernel[2] = {(int64_t)w.kh, (int64_t)w.kw};
    int64_t strides[2] = {(int64_t)w.stride, (int64_t)w.stride};
    int64_t pads[4] = {(int64_t)w.pad_top, (int64_t)w.pad_left,
                       (int64_t)w.pad_bottom, (int64_t)w.pad_right};
    onnx_attr_ints(g, n, "kernel_shape", kernel, 2);
    onnx_attr_ints(g, n, "strides", strides, 2);
    onnx_attr_ints(g, n, "pads", pads, 4);
}

static void conv2d(onnx_graph *g, const nn_network *net, size_t k,
                   const char *x, const char *y)
{
    const nn_layer_spec *s = &net->layers[k];
    int64_t dims[4] = {(int64_t)s->filters, (int64_t)net->info[k].in.dim[0],
                       (int64_t)s->kernel_h, (int64_t)s->kernel_w};
    const char *W, *b, *z = onnx_strf(g, "layers.%zu.z", k);
    weights(g, net, k, dims, 4, &W, &b);
    Onnx__NodeProto *n = onnx_node(g, "Conv", onnx_strf(g, "layers.%zu.conv", k),
                                   (const char *[]){x, W, b}, 3, z);
    window_attrs(g, n, net, k);
    activation(g, k, &s->act, z, y);
}

static void pool(onnx_graph *g, const nn_network *net, size_t k,
                 const char *x, const char *y)
{
    bool max = net->layers[k].kind == NN_LAYER_MAXPOOL2D;
    Onnx__NodeProto *n =
        onnx_node(g, max ? "MaxPool" : "AveragePool",
                  onnx_strf(g, "layers.%zu.pool", k), (const char *[]){x}, 1, y);
    window_attrs(g, n, net, k);
}

static void flatten(onnx_graph *g, const nn_network *net, size_t k,
                    const char *x, const char *y)
{
    (void)net;
    Onnx__NodeProto *n = onnx_node(g, "Flatten",
                                   onnx_strf(g, "layers.%zu.flatten", k),
                                   (const char *[]){x}, 1, y);
    onnx_attr_int(g, n, "axis", 1);
}

/* Dropout predicts as the identity (inverted dropout scales in training). */
static void dropout(onnx_graph *g, const nn_network *net, size_t k,
                    const char *x, const char *y)
{
    (void)net;
    onnx_node(g, "Identity", onnx_strf(g, "layers.%zu.dropout", k),
              (const char *[]){x}, 1, y);
}

static void batchnorm(onnx_graph *g, const nn_network *net, size_t k,
                      const char *x, const char *y)
{
    int64_t C = (int64_t)net->info[k].n_w;
    const float *state = net->state + net->s_offset[k];
    const char *W, *b, *z = onnx_strf(g, "layers.%zu.z", k);
    weights(g, net, k, &C, 1, &W, &b);
    const char *mean = onnx_init_floats(
        g, onnx_strf(g, "layers.%zu.running_mean", k), state, &C, 1);
    const char *var = onnx_init_floats(
        g, onnx_strf(g, "layers.%zu.running_var", k), state + C, &C, 1);
    Onnx__NodeProto *n =
        onnx_node(g, "BatchNormalization", onnx_strf(g, "layers.%zu.batchnorm", k),
                  (const char *[]){x, W, b, mean, var}, 5, z);
    onnx_attr_float(g, n, "epsilon", NN_BATCHNORM_EPS);
    activation(g, k, &net->layers[k].act, z, y);
}

static const onnx_layer_fn onnx_layers[NN_LAYER_KIND_COUNT] = {
    [NN_LAYER_DENSE] = dense,         [NN_LAYER_CONV2D] = conv2d,
    [NN_LAYER_MAXPOOL2D] = pool,      [NN_LAYER_AVGPOOL2D] = pool,
    [NN_LAYER_FLATTEN] = flatten,     [NN_LAYER_DROPOUT] = dropout,
    [NN_LAYER_BATCHNORM] = batchnorm,
};

/* The normalisation x' = (x − shift) · scale as Sub and Mul; returns the
 * tensor the first layer reads. */
static const char *normalisation(onnx_graph *g, const nn_network *net)
{
    if (net->norm.kind == NN_NORM_NONE)
        return "input";
    int64_t dims[NN_MAX_RANK];
    for (size_t i = 0; i < net->input_shape.rank; i++)
        dims[i] = (int64_t)net->input_shape.dim[i];
    size_t rank = net->input_shape.rank;
    const char *shift = onnx_init_floats(g, "normalization.shift",
                                         net->norm.shift, dims, rank);
    const char *scale = onnx_init_floats(g, "normalization.scale",
                                         net->norm.scale, dims, rank);
    onnx_node(g, "Sub", "normalization.sub", (const char *[]){"input", shift},
              2, "normalization.centred");
    onnx_node(g, "Mul", "normalization.mul",
              (const char *[]){"normalization.centred", scale}, 2,
              "normalized");
    return "normalized";
}

/* The nodes of every layer, from the normalised input to "output"
 * ([N, outputs]: a last layer with an image output is flattened). */
static void layers(onnx_graph *g, const nn_network *net)
{
    const char *x = normalisation(g, net);
    size_t last = net->n_layers - 1;
    bool flat = net->info[last].out.rank == 1;
    for (size_t k = 0; k < net->n_layers; k++) {
        const char *y = k == last && flat ? "output"
                                          : onnx_strf(g, "layers.%zu.out", k);
        onnx_layers[net->layers[k].kind](g, net, k, x, y);
        x = y;
    }
    if (!flat) {
        Onnx__NodeProto *n =
            onnx_node(g, "Flatten", "output.flatten", (const char *[]){x}, 1,
                      "output");
        onnx_attr_int(g, n, "axis", 1);
    }
}

static Onnx__GraphProto *graph(onnx_graph *g, const nn_network *net,
                               const char *name)
{
    Onnx__GraphProto *gp = onnx_alloc(g, sizeof *gp);
    Onnx__ValueInfoProto **in = onnx_alloc(g, sizeof *in);
    Onnx__ValueInfoProto **out = onnx_alloc(g, sizeof *out);
    if (!gp || !in || !out)
        return NULL;
    onnx__graph_proto__init(gp);
    layers(g, net);
    size_t outputs = nn_network_outputs(net);
    in[0] = onnx_value_info(g, "input", net->input_shape.dim,
                            net->input_shape.rank);
    out[0] = onnx_value_info(g, "output", &outputs, 1);
    gp->name = onnx_strf(g, "%s", name);
    gp->n_input = 1, gp->input = in;
    gp->n_output = 1, gp->output = out;
    gp->n_node = g->n_nodes, gp->node = g->nodes;
    gp->n_initializer = g->n_inits, gp->initializer = g->inits;
    return gp;
}

/* The model around graph gp; NULL when out of memory. */
static Onnx__ModelProto *model(onnx_graph *g, Onnx__GraphProto *gp,
                               const nd_onnx_meta *meta, size_t n_meta)
{
    Onnx__ModelProto *m = onnx_alloc(g, sizeof *m);
    Onnx__OperatorSetIdProto *opset = onnx_alloc(g, sizeof *opset);
    Onnx__OperatorSetIdProto **opsets = onnx_alloc(g, sizeof *opsets);
    Onnx__StringStringEntryProto **props =
        onnx_alloc(g, n_meta * sizeof *props);
    if (!m || !opset || !opsets || !props)
        return NULL;
    onnx__model_proto__init(m);
    onnx__operator_set_id_proto__init(opset);
    opset->domain = onnx_strf(g, "%s", "");
    opset->has_version = true, opset->version = ND_ONNX_OPSET;
    opsets[0] = opset;
    for (size_t i = 0; i < n_meta; i++) {
        props[i] = onnx_alloc(g, sizeof *props[i]);
        if (!props[i])
            return NULL;
        onnx__string_string_entry_proto__init(props[i]);
        props[i]->key = onnx_strf(g, "%s", meta[i].key);
        props[i]->value = onnx_strf(g, "%s", meta[i].value);
    }
    m->has_ir_version = true, m->ir_version = 7;
    m->n_opset_import = 1, m->opset_import = opsets;
    m->producer_name = onnx_strf(g, "neurond");
    m->producer_version = onnx_strf(g, "%s", ND_VERSION);
    m->graph = gp;
    m->n_metadata_props = n_meta, m->metadata_props = props;
    return m;
}

nn_status nd_export_onnx(const nn_network *net, const char *name,
                         const nd_onnx_meta *meta, size_t n_meta,
                         unsigned char **out, size_t *len, nn_error *err)
{
    bool supported[NN_LAYER_KIND_COUNT];
    for (unsigned k = 0; k < NN_LAYER_KIND_COUNT; k++)
        supported[k] = onnx_layers[k] != NULL;
    nn_status st = nn_export_check_kinds(net, supported, "ONNX", err);
    if (st != NN_OK)
        return st;
    onnx_graph g = {0};
    Onnx__GraphProto *gp = graph(&g, net, name);
    Onnx__ModelProto *m = gp ? model(&g, gp, meta, n_meta) : NULL;
    unsigned char *buf = NULL;
    size_t n = 0;
    if (m && !g.oom) {
        n = onnx__model_proto__get_packed_size(m);
        buf = malloc(n ? n : 1);
        if (buf)
            onnx__model_proto__pack(m, buf);
    }
    onnx_graph_free(&g);
    if (!buf)
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    *out = buf;
    *len = n;
    return NN_OK;
}
