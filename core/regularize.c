/* regularize.c — the gradient of L1/L2 weight penalties and AdamW's
 * decoupled decay, both over the weights only (nn_regularize.h). */
#include <math.h>

#include "nn_regularize.h"

nn_status nn_regularization_check(const nn_regularization *r, nn_error *err)
{
    if (!(isfinite(r->l1) && r->l1 >= 0.0f))
        return nn_fail(err, NN_ERR_INVALID, "/regularization/l1",
                       "l1 must be a number ≥ 0");
    if (!(isfinite(r->l2) && r->l2 >= 0.0f))
        return nn_fail(err, NN_ERR_INVALID, "/regularization/l2",
                       "l2 must be a number ≥ 0");
    return NN_OK;
}

/* λ1 sign(w) + λ2 w over [lo, hi); sign(0) is 0, so a zero weight stays
 * put under L1 alone. */
static void penalise(float l1, float l2, const float *w, float *g, size_t lo,
                     size_t hi)
{
    for (size_t i = lo; i < hi; i++) {
        float s = w[i] > 0.0f ? 1.0f : w[i] < 0.0f ? -1.0f : 0.0f;
        g[i] += l1 * s + l2 * w[i];
    }
}

/* Layer k's weights W[k] clipped to [begin, end): true when not empty. */
static bool weights_in(const nn_network *net, size_t k, size_t begin,
                       size_t end, size_t *lo, size_t *hi)
{
    size_t a = net->w_offset[k], b = a + net->info[k].n_w;
    *lo = a > begin ? a : begin;
    *hi = b < end ? b : end;
    return *lo < *hi;
}

void nn_regularize(const nn_network *net, const nn_regularization *r,
                   const float *params, float *grads, size_t begin,
                   size_t end)
{
    if (r->l1 == 0.0f && r->l2 == 0.0f)
        return;
    size_t lo, hi;
    for (size_t k = 0; k < net->n_layers; k++)
        if (weights_in(net, k, begin, end, &lo, &hi))
            penalise(r->l1, r->l2, params, grads, lo, hi);
}

void nn_decay_weights(const nn_network *net, float factor, float *params,
                      size_t begin, size_t end)
{
    if (factor == 1.0f)
        return;
    size_t lo, hi;
    for (size_t k = 0; k < net->n_layers; k++)
        if (weights_in(net, k, begin, end, &lo, &hi))
            for (size_t i = lo; i < hi; i++)
                params[i] *= factor;
}
