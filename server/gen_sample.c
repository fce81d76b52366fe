/* gen_sample.c — temperature and top-k sampling (see gen_sample.h). */
#include <math.h>
#include <stdlib.h>

#include "gen_sample.h"

static size_t argmax(const float *p, size_t V)
{
    size_t best = 0;
    for (size_t v = 1; v < V; v++)
        if (p[v] > p[best])
            best = v;
    return best;
}

/* The p that qsort's comparator ranks by (qsort passes no context). */
static _Thread_local const float *rank_p;

/* Descending probability, then ascending id: a total order. */
static int by_rank(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    if (rank_p[i] != rank_p[j])
        return rank_p[i] > rank_p[j] ? -1 : 1;
    return i < j ? -1 : i > j;
}

size_t nd_sample_token(const float *p, size_t V, const nd_sample_opts *o,
                       nn_rng *rng, size_t *order, double *w)
{
    if (o->temperature == 0.0 || o->top_k == 1)
        return argmax(p, V);
    size_t n = o->top_k && o->top_k < V ? o->top_k : V;
    for (size_t v = 0; v < V; v++)
        order[v] = v;
    if (n < V) {
        rank_p = p;
        qsort(order, V, sizeof *order, by_rank);
    }
    /* w ∝ p^(1/τ), computed from logs less the largest for range. */
    double top = -INFINITY, sum = 0;
    for (size_t i = 0; i < n; i++) {
        double lp = log(fmax((double)p[order[i]], 1e-38));
        w[i] = lp / o->temperature;
        top = fmax(top, w[i]);
    }
    for (size_t i = 0; i < n; i++)
        sum += w[i] = exp(w[i] - top);
    double u = (double)nn_rng_uniform(rng) * sum, acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc += w[i];
        if (u < acc)
            return order[i];
    }
    return order[n - 1]; /* u rounded up to the sum */
}
