/* regularize.c — the gradient of L1/L2 weight penalties (nn_regularize.h). */
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

void nn_regularize(const nn_network *net, const nn_regularization *r,
                   const float *params, float *grads, size_t begin,
                   size_t end)
{
    if (r->l1 == 0.0f && r->l2 == 0.0f)
        return;
    for (size_t k = 0; k < net->n_layers; k++) {
        size_t lo = net->w_offset[k];
        size_t hi = lo + net->info[k].n_w; /* W[k] only */
        lo = lo > begin ? lo : begin;
        hi = hi < end ? hi : end;
        if (lo < hi)
            penalise(r->l1, r->l2, params, grads, lo, hi);
    }
}
