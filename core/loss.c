/* loss.c — mse, softmax cross-entropy (dense or sparse targets) and
 * sigmoid binary cross-entropy. */
#include <math.h>
#include <string.h>

#include "nn_loss.h"

static const char *const loss_names[NN_LOSS_COUNT] = {
    [NN_LOSS_MSE] = "mse",
    [NN_LOSS_CROSS_ENTROPY] = "cross_entropy",
    [NN_LOSS_BCE] = "binary_cross_entropy",
};

nn_status nn_loss_parse(const char *name, nn_loss_kind *out, const char *field,
                        nn_error *err)
{
    for (int k = 0; k < NN_LOSS_COUNT; k++) {
        if (name && strcmp(name, loss_names[k]) == 0) {
            *out = (nn_loss_kind)k;
            return NN_OK;
        }
    }
    return nn_fail(err, NN_ERR_INVALID, field,
                   "unknown loss '%s' (expected mse, cross_entropy or "
                   "binary_cross_entropy)",
                   name ? name : "");
}

const char *nn_loss_name(nn_loss_kind kind)
{
    return (unsigned)kind < NN_LOSS_COUNT ? loss_names[kind] : "?";
}

nn_status nn_loss_check(nn_loss_kind loss, const nn_activation *out,
                        size_t units, const char *field, nn_error *err)
{
    if ((unsigned)loss >= NN_LOSS_COUNT)
        return nn_fail(err, NN_ERR_INVALID, field, "unknown loss");
    if (loss == NN_LOSS_CROSS_ENTROPY &&
        (out->kind != NN_ACT_SOFTMAX || units < 2))
        return nn_fail(err, NN_ERR_INVALID, field,
                       "cross_entropy needs a softmax output layer of at "
                       "least 2 units");
    if (loss == NN_LOSS_BCE && out->kind != NN_ACT_SIGMOID)
        return nn_fail(err, NN_ERR_INVALID, field,
                       "binary_cross_entropy needs a sigmoid output layer");
    if (loss != NN_LOSS_CROSS_ENTROPY && out->kind == NN_ACT_SOFTMAX &&
        units < 2)
        return nn_fail(err, NN_ERR_INVALID, field,
                       "a softmax output needs at least 2 units");
    return NN_OK;
}

static double mse_rows(const nn_activation *act, const float *z,
                       const float *o, const float *y, size_t rows,
                       size_t cols, float scale, float *dz)
{
    double total = 0.0;
    size_t n = rows * cols;
    for (size_t i = 0; i < n; i++) {
        float d = o[i] - y[i];
        total += 0.5 * (double)d * d;
        if (dz)
            dz[i] = scale * d;
    }
    if (dz) /* dJ/do = (o − y); chain through the output activation */
        nn_activation_backward(act, dz, dz, z, o, rows, cols);
    return total;
}

/* −Σ_j y_j log softmax(z)_j = Σ_j y_j (lse(z) − z_j); dz = p·Σy − y. */
static double softmax_ce_rows(const float *z, const float *p, const float *y,
                              size_t rows, size_t cols, float scale,
                              float *dz)
{
    double total = 0.0;
    for (size_t r = 0; r < rows; r++) {
        const float *zr = z + r * cols, *pr = p + r * cols, *yr = y + r * cols;
        float max = zr[0];
        for (size_t j = 1; j < cols; j++)
            max = zr[j] > max ? zr[j] : max;
        double sum = 0.0, ysum = 0.0, yz = 0.0;
        for (size_t j = 0; j < cols; j++) {
            sum += exp((double)(zr[j] - max));
            ysum += yr[j];
            yz += (double)yr[j] * (zr[j] - max);
        }
        total += ysum * log(sum) - yz;
        if (dz) {
            float ys = (float)ysum;
            for (size_t j = 0; j < cols; j++)
                dz[r * cols + j] = scale * (pr[j] * ys - yr[j]);
        }
    }
    return total;
}

/* With u = k z: loss = max(u,0) − u y + log(1 + e^−|u|); dz = k (σ(u) − y). */
static double sigmoid_bce_rows(const nn_activation *act, const float *z,
                               const float *p, const float *y, size_t n,
                               float scale, float *dz)
{
    double total = 0.0;
    float k = act->param;
    for (size_t i = 0; i < n; i++) {
        double u = (double)k * z[i];
        total += (u > 0 ? u : 0) - u * y[i] + log1p(exp(-fabs(u)));
        if (dz)
            dz[i] = scale * k * (p[i] - y[i]);
    }
    return total;
}

double nn_loss_eval(nn_loss_kind loss, const nn_activation *out,
                    const float *z, const float *o, const float *y,
                    size_t rows, size_t cols, float scale, float *dz)
{
    switch (loss) {
    case NN_LOSS_CROSS_ENTROPY:
        return softmax_ce_rows(z, o, y, rows, cols, scale, dz);
    case NN_LOSS_BCE:
        return sigmoid_bce_rows(out, z, o, y, rows * cols, scale, dz);
    case NN_LOSS_MSE:
    case NN_LOSS_COUNT: break;
    }
    return mse_rows(out, z, o, y, rows, cols, scale, dz);
}

static size_t argmax_row(const float *p, size_t n)
{
    size_t best = 0;
    for (size_t j = 1; j < n; j++)
        best = p[j] > p[best] ? j : best;
    return best;
}

double nn_sparse_ce(const float *z, const float *p, const uint32_t *targets,
                    size_t rows, size_t cols, float scale, float *dz,
                    size_t *scored, size_t *correct)
{
    double total = 0.0;
    size_t n = 0, right = 0;
    for (size_t r = 0; r < rows; r++) {
        const float *zr = z + r * cols, *pr = p + r * cols;
        uint32_t y = targets[r];
        if (y >= cols) { /* NN_NO_TARGET */
            if (dz)
                memset(dz + r * cols, 0, cols * sizeof *dz);
            continue;
        }
        float max = zr[0];
        for (size_t j = 1; j < cols; j++)
            max = zr[j] > max ? zr[j] : max;
        double sum = 0.0;
        for (size_t j = 0; j < cols; j++)
            sum += exp((double)(zr[j] - max));
        total += log(sum) - (double)(zr[y] - max);
        n++;
        right += argmax_row(pr, cols) == y;
        if (dz) {
            float *d = dz + r * cols;
            for (size_t j = 0; j < cols; j++)
                d[j] = scale * pr[j];
            d[y] -= scale;
        }
    }
    if (scored)
        *scored += n;
    if (correct)
        *correct += right;
    return total;
}
