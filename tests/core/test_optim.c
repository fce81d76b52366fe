/* test_optim.c — the optimizers' update rules, step by step against
 * values worked out by hand (sgd, momentum, Nesterov) or in double from
 * the documented formulas (Adam); ranges; configuration checks. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <string.h>

#include "helpers.h"

static nn_optimizer make(nn_optim_config cfg, size_t n)
{
    nn_optimizer opt;
    nn_error err;
    cr_assert_eq(nn_optim_check(&cfg, "/optimizer", &err), NN_OK, "%s",
                 err.message);
    cr_assert_eq(nn_optimizer_init(&opt, &cfg, n, &err), NN_OK);
    return opt;
}

static void step(nn_optimizer *opt, float *w, const float *g, size_t n)
{
    nn_optimizer_begin_step(opt);
    nn_optimizer_apply(opt, w, g, 0, n);
}

Test(optim, plain_sgd)
{
    nn_optim_config c = nn_optim_defaults();
    c.learning_rate = 0.5f;
    nn_optimizer opt = make(c, 2);
    cr_assert_null(opt.m, "plain sgd keeps no state");
    float w[2] = {1.0f, -2.0f}, g[2] = {0.5f, -1.0f};
    step(&opt, w, g, 2);
    cr_assert(ieee_ulp_eq(flt, w[0], 0.75f, 0));
    cr_assert(ieee_ulp_eq(flt, w[1], -1.5f, 0));
    cr_assert_eq(opt.t, 1);
    nn_optimizer_release(&opt);
}

/* v ← μv + g; w ← w − ηv with η = 0.5, μ = 0.5, g = 1 each step:
 * v = 1, w = 0.5; v = 1.5, w = −0.25; v = 1.75, w = −1.125. */
Test(optim, sgd_momentum)
{
    nn_optim_config c = nn_optim_defaults();
    c.learning_rate = 0.5f;
    c.momentum = 0.5f;
    nn_optimizer opt = make(c, 1);
    float w[1] = {1.0f}, g[1] = {1.0f};
    const float want[3] = {0.5f, -0.25f, -1.125f};
    for (int t = 0; t < 3; t++) {
        step(&opt, w, g, 1);
        cr_assert(ieee_ulp_eq(flt, w[0], want[t], 0), "step %d: %g", t + 1,
                  (double)w[0]);
    }
    nn_optimizer_release(&opt);
}

/* Nesterov: v ← μv + g; w ← w − η(g + μv). Same numbers:
 * v = 1, w = 1 − 0.5·1.5 = 0.25; v = 1.5, w = 0.25 − 0.5·1.75 = −0.625. */
Test(optim, sgd_nesterov)
{
    nn_optim_config c = nn_optim_defaults();
    c.learning_rate = 0.5f;
    c.momentum = 0.5f;
    c.nesterov = true;
    nn_optimizer opt = make(c, 1);
    float w[1] = {1.0f}, g[1] = {1.0f};
    step(&opt, w, g, 1);
    cr_assert(ieee_ulp_eq(flt, w[0], 0.25f, 0), "%g", (double)w[0]);
    step(&opt, w, g, 1);
    cr_assert(ieee_ulp_eq(flt, w[0], -0.625f, 0), "%g", (double)w[0]);
    nn_optimizer_release(&opt);
}

/* Adam against the textbook formulas in double, gradients changing sign
 * and size; 1e-6 relative. The first step moves each weight by ≈ η. */
Test(optim, adam_matches_formulas)
{
    nn_optim_config c = nn_optim_defaults();
    c.kind = NN_OPT_ADAM;
    c.learning_rate = 0.01f;
    nn_optimizer opt = make(c, 3);
    float w[3] = {0.5f, -1.0f, 2.0f};
    double rw[3] = {0.5, -1.0, 2.0}, m[3] = {0}, v[3] = {0};
    const float gs[4][3] = {{0.1f, -3.0f, 1e-3f},
                            {-0.2f, -1.0f, 2e-3f},
                            {0.3f, 2.0f, 0.0f},
                            {0.05f, 0.5f, -1e-3f}};
    for (int t = 1; t <= 4; t++) {
        step(&opt, w, gs[t - 1], 3);
        for (int i = 0; i < 3; i++) {
            double g = gs[t - 1][i];
            m[i] = 0.9 * m[i] + 0.1 * g;
            v[i] = 0.999 * v[i] + 0.001 * g * g;
            double mh = m[i] / (1 - pow(0.9, t)), vh = v[i] / (1 - pow(0.999, t));
            rw[i] -= 0.01 * mh / (sqrt(vh) + 1e-8);
            cr_assert_float_eq(w[i], rw[i], 1e-6 * fabs(rw[i]) + 1e-7,
                               "step %d weight %d: %.9g vs %.9g", t, i,
                               (double)w[i], rw[i]);
        }
        if (t == 1)
            for (int i = 0; i < 3; i++)
                cr_assert_float_eq(fabs(rw[i] - (i == 0 ? 0.5 : i == 1 ? -1 : 2)),
                                   0.01, 1e-4);
    }
    nn_optimizer_release(&opt);
}

/* Ranges are independent: applying [0, 2) and [2, 5) separately is the
 * same as [0, 5), and nothing outside the range moves. */
Test(optim, apply_touches_only_its_range)
{
    nn_optim_config c = nn_optim_defaults();
    c.kind = NN_OPT_ADAM;
    nn_optimizer a = make(c, 5), b = make(c, 5);
    float wa[5] = {1, 2, 3, 4, 5}, wb[5] = {1, 2, 3, 4, 5};
    const float g[5] = {0.1f, -0.2f, 0.3f, -0.4f, 0.5f};
    nn_optimizer_begin_step(&a);
    nn_optimizer_apply(&a, wa, g, 0, 5);
    nn_optimizer_begin_step(&b);
    nn_optimizer_apply(&b, wb, g, 2, 5);
    cr_assert(ieee_ulp_eq(flt, wb[0], 1.0f, 0));
    cr_assert(ieee_ulp_eq(flt, wb[1], 2.0f, 0));
    nn_optimizer_apply(&b, wb, g, 0, 2);
    cr_assert(memcmp(wa, wb, sizeof wa) == 0);
    nn_optimizer_release(&a);
    nn_optimizer_release(&b);
}

Test(optim, check_names_the_field)
{
    nn_optim_config c = nn_optim_defaults();
    nn_error err;
    cr_assert_eq(nn_optim_check(&c, "/opt", &err), NN_OK);
    c.learning_rate = 0;
    cr_assert_eq(nn_optim_check(&c, "/opt", &err), NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/opt/learning_rate");
    c = nn_optim_defaults();
    c.momentum = 1;
    cr_assert_eq(nn_optim_check(&c, "/opt", &err), NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/opt/momentum");
    c = nn_optim_defaults();
    c.kind = NN_OPT_ADAM;
    c.momentum = 5; /* sgd only: ignored for adam */
    cr_assert_eq(nn_optim_check(&c, "/opt", &err), NN_OK);
    c.beta1 = -0.1f;
    cr_assert_eq(nn_optim_check(&c, "/opt", &err), NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/opt/beta1");
}

/* Epoch e (from 1) trains with η · lr_decay^(e−1). */
Test(optim, learning_rate_decay_per_epoch)
{
    nn_optim_config c = nn_optim_defaults();
    cr_assert(ieee_ulp_eq(flt, c.lr_decay, 1.0f, 0), "no decay by default");
    c.learning_rate = 0.1f;
    for (size_t e = 1; e < 50; e += 7)
        cr_assert(ieee_ulp_eq(flt, nn_optim_epoch_lr(&c, e), 0.1f, 0));
    c.lr_decay = 0.5f;
    cr_assert(ieee_ulp_eq(flt, nn_optim_epoch_lr(&c, 1), 0.1f, 0));
    cr_assert(ieee_ulp_eq(flt, nn_optim_epoch_lr(&c, 2), 0.05f, 1));
    cr_assert(ieee_ulp_eq(flt, nn_optim_epoch_lr(&c, 4), 0.0125f, 1));
    c.lr_decay = 0.9f;
    cr_assert_float_eq(nn_optim_epoch_lr(&c, 21), 0.1 * pow(0.9, 20), 1e-8);

    nn_error err;
    const float bad[] = {0.0f, -0.5f, 1.5f, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        c.lr_decay = bad[i];
        cr_assert_eq(nn_optim_check(&c, "/opt", &err), NN_ERR_INVALID,
                     "lr_decay %g accepted", (double)bad[i]);
        cr_assert_str_eq(err.field, "/opt/lr_decay");
    }
    c.lr_decay = 1.0f;
    cr_assert_eq(nn_optim_check(&c, "/opt", &err), NN_OK);
}

Test(optim, parse_and_names)
{
    nn_opt_kind k;
    cr_assert_eq(nn_optim_parse("sgd", &k, "/o", NULL), NN_OK);
    cr_assert_eq(k, NN_OPT_SGD);
    cr_assert_eq(nn_optim_parse("adam", &k, "/o", NULL), NN_OK);
    cr_assert_eq(k, NN_OPT_ADAM);
    cr_assert_str_eq(nn_optim_name(NN_OPT_ADAM), "adam");
    nn_error err;
    cr_assert_eq(nn_optim_parse("rmsprop", &k, "/optimizer/name", &err),
                 NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/optimizer/name");
    nn_optim_config d = nn_optim_defaults();
    cr_assert_eq(d.kind, NN_OPT_SGD);
    cr_assert(ieee_ulp_eq(flt, d.learning_rate, 0.01f, 0));
    cr_assert(ieee_ulp_eq(flt, d.beta1, 0.9f, 0));
    cr_assert(ieee_ulp_eq(flt, d.beta2, 0.999f, 0));
    cr_assert(ieee_ulp_eq(flt, d.epsilon, 1e-8f, 0));
}
