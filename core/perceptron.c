/* perceptron.c — Rosenblatt's rule, one example at a time. */
#include "nn_perceptron.h"

size_t nn_perceptron_epoch(nn_network *net, const float *X, const float *Y,
                           size_t rows, const size_t *idx)
{
    size_t in = net->inputs, outs = net->layers[0].units, mistakes = 0;
    float *W = net->params + net->w_offset[0]; /* in × outs */
    float *b = net->params + net->b_offset[0];
    for (size_t n = 0; n < rows; n++) {
        size_t r = idx ? idx[n] : n;
        const float *x = X + r * in, *y = Y + r * outs;
        for (size_t j = 0; j < outs; j++) {
            float t = y[j] > 0.5f ? 1.0f : -1.0f;
            float s = b[j];
            for (size_t i = 0; i < in; i++)
                s += W[i * outs + j] * x[i];
            if (t * s > 0.0f)
                continue;
            for (size_t i = 0; i < in; i++)
                W[i * outs + j] += t * x[i];
            b[j] += t;
            mistakes++;
        }
    }
    return mistakes;
}
