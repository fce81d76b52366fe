/* onnx_graph.c — the ONNX graph builder (onnx_graph.h) over protobuf-c's
 * generated onnx.pb-c.h messages. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_graph.h"

/* Makes room for one more entry in *v (n used of *cap, each size bytes). */
static bool grow(void **v, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return true;
    size_t c = *cap ? 2 * *cap : 16;
    void *p = realloc(*v, c * size);
    if (!p)
        return false;
    *v = p;
    *cap = c;
    return true;
}

void onnx_graph_free(onnx_graph *g)
{
    for (size_t i = 0; i < g->n_allocs; i++)
        free(g->allocs[i]);
    free(g->allocs);
    free(g->nodes);
    free(g->inits);
    *g = (onnx_graph){0};
}

void *onnx_alloc(onnx_graph *g, size_t n)
{
    if (g->oom)
        return NULL;
    void *p = calloc(1, n ? n : 1);
    if (!p || !grow((void **)&g->allocs, g->n_allocs, &g->cap_allocs,
                    sizeof *g->allocs)) {
        free(p);
        g->oom = true;
        return NULL;
    }
    g->allocs[g->n_allocs++] = p;
    return p;
}

char *onnx_strf(onnx_graph *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n < 0 ? NULL : onnx_alloc(g, (size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

const char *onnx_init_floats(onnx_graph *g, const char *name, const float *v,
                             const int64_t *dims, size_t rank)
{
    size_t n = 1;
    for (size_t i = 0; i < rank; i++)
        n *= (size_t)dims[i]; /* shapes libnn bounded at creation */
    Onnx__TensorProto *t = onnx_alloc(g, sizeof *t);
    char *copy = onnx_strf(g, "%s", name);
    float *data = onnx_alloc(g, n * sizeof *data);
    int64_t *d = onnx_alloc(g, (rank ? rank : 1) * sizeof *d);
    if (!t || !copy || !data || !d ||
        !grow((void **)&g->inits, g->n_inits, &g->cap_inits, sizeof *g->inits)) {
        g->oom = true;
        return NULL;
    }
    onnx__tensor_proto__init(t);
    memcpy(data, v, n * sizeof *data);
    if (rank)
        memcpy(d, dims, rank * sizeof *d);
    t->name = copy;
    t->n_dims = rank;
    t->dims = d;
    t->has_data_type = true;
    t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    t->n_float_data = n;
    t->float_data = data;
    g->inits[g->n_inits++] = t;
    return copy;
}

const char *onnx_init_scalar(onnx_graph *g, const char *name, float v)
{
    if (!name || g->oom)
        return NULL;
    for (size_t i = 0; i < g->n_inits; i++)
        if (strcmp(g->inits[i]->name, name) == 0)
            return g->inits[i]->name;
    return onnx_init_floats(g, name, &v, NULL, 0);
}

Onnx__NodeProto *onnx_node(onnx_graph *g, const char *op_type,
                           const char *name, const char *const *in,
                           size_t n_in, const char *out)
{
    if (g->oom)
        return NULL;
    Onnx__NodeProto *node = onnx_alloc(g, sizeof *node);
    char **ins = onnx_alloc(g, n_in * sizeof *ins);
    char **outs = onnx_alloc(g, sizeof *outs);
    if (!node || !ins || !outs ||
        !grow((void **)&g->nodes, g->n_nodes, &g->cap_nodes, sizeof *g->nodes)) {
        g->oom = true;
        return NULL;
    }
    onnx__node_proto__init(node);
    for (size_t i = 0; i < n_in; i++)
        ins[i] = onnx_strf(g, "%s", in[i]);
    outs[0] = onnx_strf(g, "%s", out);
    node->op_type = onnx_strf(g, "%s", op_type);
    node->name = onnx_strf(g, "%s", name);
    node->n_input = n_in;
    node->input = ins;
    node->n_output = 1;
    node->output = outs;
    g->nodes[g->n_nodes++] = node;
    return node;
}

/* A new attribute `name` of type on node, or NULL. */
static Onnx__AttributeProto *add_attr(onnx_graph *g, Onnx__NodeProto *node,
                                      const char *name,
                                      Onnx__AttributeProto__AttributeType type)
{
    if (!node)
        return NULL;
    Onnx__AttributeProto *a = onnx_alloc(g, sizeof *a);
    Onnx__AttributeProto **list =
        onnx_alloc(g, (node->n_attribute + 1) * sizeof *list);
    if (!a || !list)
        return NULL;
    onnx__attribute_proto__init(a);
    a->name = onnx_strf(g, "%s", name);
    a->has_type = true;
    a->type = type;
    if (node->n_attribute)
        memcpy(list, node->attribute, node->n_attribute * sizeof *list);
    list[node->n_attribute++] = a;
    node->attribute = list;
    return a;
}

/* An INT (is_int) or FLOAT attribute holding i or f. */
static void attr_number(onnx_graph *g, Onnx__NodeProto *node,
                        const char *name, bool is_int, int64_t i, float f)
{
    Onnx__AttributeProto *a =
        add_attr(g, node, name,
                 is_int ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT
                        : ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    if (a && is_int)
        a->has_i = true, a->i = i;
    else if (a)
        a->has_f = true, a->f = f;
}

void onnx_attr_int(onnx_graph *g, Onnx__NodeProto *node, const char *name,
                   int64_t v)
{
    attr_number(g, node, name, true, v, 0.0f);
}

void onnx_attr_float(onnx_graph *g, Onnx__NodeProto *node, const char *name,
                     float v)
{
    attr_number(g, node, name, false, 0, v);
}

void onnx_attr_ints(onnx_graph *g, Onnx__NodeProto *node, const char *name,
                    const int64_t *v, size_t n)
{
    Onnx__AttributeProto *a =
        add_attr(g, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    int64_t *copy = onnx_alloc(g, n * sizeof *copy);
    if (!a || !copy)
        return;
    memcpy(copy, v, n * sizeof *copy);
    a->n_ints = n;
    a->ints = copy;
}

Onnx__ValueInfoProto *onnx_value_info(onnx_graph *g, const char *name,
                                      const size_t *dims, size_t rank)
{
    Onnx__ValueInfoProto *vi = onnx_alloc(g, sizeof *vi);
    Onnx__TypeProto *type = onnx_alloc(g, sizeof *type);
    Onnx__TypeProto__Tensor *tensor = onnx_alloc(g, sizeof *tensor);
    Onnx__TensorShapeProto *shape = onnx_alloc(g, sizeof *shape);
    Onnx__TensorShapeProto__Dimension **dim =
        onnx_alloc(g, (rank + 1) * sizeof *dim);
    if (!vi || !type || !tensor || !shape || !dim)
        return NULL;
    onnx__value_info_proto__init(vi);
    onnx__type_proto__init(type);
    onnx__type_proto__tensor__init(tensor);
    onnx__tensor_shape_proto__init(shape);
    for (size_t i = 0; i <= rank; i++) {
        dim[i] = onnx_alloc(g, sizeof *dim[i]);
        if (!dim[i])
            return NULL;
        onnx__tensor_shape_proto__dimension__init(dim[i]);
        if (i == 0) {
            dim[i]->value_case =
                ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            dim[i]->dim_param = onnx_strf(g, "N");
        } else {
            dim[i]->value_case =
                ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dim[i]->dim_value = (int64_t)dims[i - 1];
        }
    }
    shape->n_dim = rank + 1;
    shape->dim = dim;
    tensor->has_elem_type = true;
    tensor->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tensor->shape = shape;
    type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    type->tensor_type = tensor;
    vi->name = onnx_strf(g, "%s", name);
    vi->type = type;
    return vi;
}
