/* gemm_shapes.c — the products of a training step (see gemm_shapes.h). */
#include <stdio.h>

#include "gemm_shapes.h"

static void add(gemm_shape *out, size_t cap, size_t *n, const char *kind,
                size_t layer, const char *part, bool ta, bool tb, size_t m,
                size_t nn, size_t k, size_t per_step)
{
    if (*n >= cap)
        return;
    gemm_shape *s = &out[(*n)++];
    *s = (gemm_shape){.ta = ta, .tb = tb, .m = m, .n = nn, .k = k,
                      .per_step = per_step};
    snprintf(s->what, sizeof s->what, "%s %zu %s", kind, layer, part);
}

/* conv2d layer k (number `layer` among the network's layers). */
static void conv(const nn_network *net, size_t k, size_t layer, size_t B,
                 bool batched, bool first, gemm_shape *out, size_t cap,
                 size_t *n)
{
    const nn_layer_spec *s = &net->layers[k];
    const nn_layer_info *i = &net->info[k];
    size_t F = s->filters, K = i->in.dim[0] * s->kernel_h * s->kernel_w;
    size_t P = i->out.dim[1] * i->out.dim[2];
    if (batched) {
        add(out, cap, n, "conv2d", layer, "forward", false, true, B * P, F,
            K, 1);
        add(out, cap, n, "conv2d", layer, "dW", true, false, K, F, B * P, 1);
        if (!first)
            add(out, cap, n, "conv2d", layer, "dcol", false, false, B * P, K,
                F, 1);
        return;
    }
    add(out, cap, n, "conv2d", layer, "forward", false, false, F, P, K, B);
    add(out, cap, n, "conv2d", layer, "dW", false, true, F, K, P, B);
    if (!first)
        add(out, cap, n, "conv2d", layer, "dcol", true, false, K, P, F, B);
}

size_t gemm_step_shapes(const nn_network *net, size_t batch, bool batched,
                        gemm_shape *out, size_t cap)
{
    size_t n = 0;
    for (size_t k = 0; k < net->n_layers; k++) {
        const nn_layer_info *i = &net->info[k];
        size_t in = nn_shape_size(&i->in), units = nn_shape_size(&i->out);
        switch (net->layers[k].kind) {
        case NN_LAYER_DENSE:
            add(out, cap, &n, "dense", k, "forward", false, false, batch,
                units, in, 1);
            add(out, cap, &n, "dense", k, "dW", true, false, in, units, batch,
                1);
            if (k > 0)
                add(out, cap, &n, "dense", k, "dX", false, true, batch, in,
                    units, 1);
            break;
        case NN_LAYER_CONV2D:
            conv(net, k, k, batch, batched, k == 0, out, cap, &n);
            break;
        default:
            break;
        }
    }
    return n;
}

double gemm_flops(const gemm_shape *s)
{
    return 2.0 * (double)s->m * (double)s->n * (double)s->k;
}
