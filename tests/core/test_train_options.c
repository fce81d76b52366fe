/* test_train_options.c — the training options any job may set: AdamW
 * (decoupled decay on weights, not biases), the learning-rate schedule
 * (warm-up, cosine to a minimum at the last step) and global-norm gradient
 * clipping, against values worked out by hand; their checks name the
 * field; a run with all three resumes to the same weights. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

/* AdamW: w ← w (1 − ηλ), then Adam's step, in double from the formulas. */
Test(train_options, adamw_decays_then_steps)
{
    nn_optim_config c = nn_optim_defaults();
    c.kind = NN_OPT_ADAMW;
    c.learning_rate = 0.1f;
    c.weight_decay = 0.5f;
    nn_error err;
    cr_assert_eq(nn_optim_check(&c, "/optimizer", &err), NN_OK, "%s",
                 err.message);
    nn_optimizer opt;
    cr_assert_eq(nn_optimizer_init(&opt, &c, 2, &err), NN_OK);
    cr_assert_not_null(opt.v, "adamw keeps Adam's moments");
    float w[2] = {2.0f, -1.0f};
    double rw[2] = {2.0, -1.0}, m[2] = {0}, v[2] = {0};
    const float g[2] = {0.3f, -0.02f};
    for (int t = 1; t <= 3; t++) {
        nn_optimizer_begin_step(&opt);
        float f = nn_optimizer_decay_factor(&opt);
        cr_assert(ieee_ulp_eq(flt, f, 0.95f, 1), "factor %g", (double)f);
        for (int i = 0; i < 2; i++)
            w[i] *= f;
        nn_optimizer_apply(&opt, w, g, 0, 2);
        for (int i = 0; i < 2; i++) {
            rw[i] *= 1.0 - 0.1 * 0.5;
            m[i] = 0.9 * m[i] + 0.1 * g[i];
            v[i] = 0.999 * v[i] + 0.001 * (double)g[i] * g[i];
            double mh = m[i] / (1 - pow(0.9, t)), vh = v[i] / (1 - pow(0.999, t));
            rw[i] -= 0.1 * mh / (sqrt(vh) + 1e-8);
            cr_assert_float_eq(w[i], rw[i], 1e-6 * fabs(rw[i]),
                               "step %d weight %d: %.9g vs %.9g", t, i,
                               (double)w[i], rw[i]);
        }
    }
    nn_optimizer_release(&opt);
    c.kind = NN_OPT_ADAM; /* the others decay nothing */
    cr_assert_eq(nn_optimizer_init(&opt, &c, 2, &err), NN_OK);
    cr_assert(ieee_ulp_eq(flt, nn_optimizer_decay_factor(&opt), 1.0f, 0));
    nn_optimizer_release(&opt);
}

/* nn_decay_weights scales each layer's W block and no bias. */
Test(train_options, decay_touches_weights_not_biases)
{
    nn_layer_spec L[2] = {layer(3, NN_ACT_TANH, 0), layer(2, NN_ACT_LINEAR, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, 2, L, 2, NN_LOSS_MSE);
    for (size_t i = 0; i < net->n_params; i++)
        net->params[i] = 1.0f;
    nn_decay_weights(net, 0.5f, net->params, 0, 7); /* part of the block */
    nn_decay_weights(net, 0.5f, net->params, 7, net->n_params);
    for (size_t k = 0; k < 2; k++) {
        for (size_t i = 0; i < net->info[k].n_w; i++)
            cr_assert(ieee_ulp_eq(flt, net->params[net->w_offset[k] + i],
                                  0.5f, 0), "layer %zu weight %zu", k, i);
        for (size_t i = 0; i < net->info[k].n_b; i++)
            cr_assert(ieee_ulp_eq(flt, net->params[net->b_offset[k] + i],
                                  1.0f, 0), "layer %zu bias %zu", k, i);
    }
    nn_network_free(net);
}

/* η 1, warm-up 2, 6 steps, minimum 0.1: 1/3, 2/3, then cosine over
 * steps 2..5: r = 0, 1/3, 2/3, 1 → 1, 0.1 + 0.45·1.5 = 0.775,
 * 0.1 + 0.45·0.5 = 0.325, 0.1. Without decay the rate stays 1. */
Test(train_options, schedule_warmup_then_cosine)
{
    nn_lr_schedule s = {.warmup_steps = 2, .decay = NN_LR_DECAY_COSINE,
                        .min_learning_rate = 0.1f};
    const double want[6] = {1.0 / 3, 2.0 / 3, 1.0, 0.775, 0.325, 0.1};
    for (uint64_t t = 0; t < 6; t++)
        cr_assert_float_eq(nn_lr_schedule_at(&s, 1.0f, t, 6), want[t], 1e-6,
                           "step %d: %g", (int)t,
                           (double)nn_lr_schedule_at(&s, 1.0f, t, 6));
    cr_assert(ieee_ulp_eq(flt, nn_lr_schedule_at(&s, 1.0f, 9, 6), 0.1f, 0),
              "past the end: the minimum");
    s.decay = NN_LR_DECAY_NONE;
    cr_assert_float_eq(nn_lr_schedule_at(&s, 1.0f, 0, 6), 1.0 / 3, 1e-6);
    for (uint64_t t = 2; t < 6; t++)
        cr_assert(ieee_ulp_eq(flt, nn_lr_schedule_at(&s, 1.0f, t, 6), 1.0f, 0));
    nn_lr_schedule off = {0};
    cr_assert_not(nn_lr_schedule_active(&off));
    nn_optim_config c = nn_optim_defaults();
    c.learning_rate = 0.2f;
    c.lr_decay = 0.5f; /* without a schedule the per-epoch decay rules */
    cr_assert(ieee_ulp_eq(flt, nn_optim_step_lr(&c, &off, 3, 40, 100),
                          0.05f, 1));
}

/* Cosine alone (no warm-up) starts at η and reaches the minimum exactly
 * at the last step; a run of one step trains with the minimum. */
Test(train_options, cosine_ends_on_the_last_step)
{
    nn_lr_schedule s = {.decay = NN_LR_DECAY_COSINE, .min_learning_rate = 0};
    cr_assert(ieee_ulp_eq(flt, nn_lr_schedule_at(&s, 0.5f, 0, 11), 0.5f, 0));
    cr_assert_float_eq(nn_lr_schedule_at(&s, 0.5f, 5, 11), 0.25, 1e-7);
    cr_assert(ieee_ulp_eq(flt, nn_lr_schedule_at(&s, 0.5f, 10, 11), 0.0f, 0));
    cr_assert(ieee_ulp_eq(flt, nn_lr_schedule_at(&s, 0.5f, 0, 1), 0.0f, 0));
}

Test(train_options, checks_name_the_field)
{
    nn_optim_config c = nn_optim_defaults();
    nn_lr_schedule s = {.decay = NN_LR_DECAY_COSINE, .min_learning_rate = 1};
    nn_error err;
    cr_assert_eq(nn_lr_schedule_check(&s, &c, &err), NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/lr_schedule/min_learning_rate");
    s.min_learning_rate = -1e-3f;
    cr_assert_eq(nn_lr_schedule_check(&s, &c, &err), NN_ERR_INVALID);
    s.min_learning_rate = 0.001f;
    cr_assert_eq(nn_lr_schedule_check(&s, &c, &err), NN_OK, "%s", err.message);
    s.decay = (nn_lr_decay_kind)7;
    cr_assert_eq(nn_lr_schedule_check(&s, &c, &err), NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/lr_schedule/decay");
    s = (nn_lr_schedule){.warmup_steps = NN_MAX_STEPS + 1ull};
    cr_assert_eq(nn_lr_schedule_check(&s, &c, &err), NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/lr_schedule/warmup_steps");
    s.warmup_steps = 10;
    c.lr_decay = 0.9f;
    cr_assert_eq(nn_lr_schedule_check(&s, &c, &err), NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/optimizer/lr_decay");

    c = nn_optim_defaults();
    c.kind = NN_OPT_ADAMW;
    c.weight_decay = -0.1f;
    cr_assert_eq(nn_optim_check(&c, "/optimizer", &err), NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/optimizer/weight_decay");
    c.weight_decay = 200.0f; /* η λ = 2: weights would flip sign */
    cr_assert_eq(nn_optim_check(&c, "/optimizer", &err), NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/optimizer/weight_decay");

    nn_lr_decay_kind k;
    cr_assert_eq(nn_lr_decay_parse("cosine", &k, "/d", NULL), NN_OK);
    cr_assert_eq(k, NN_LR_DECAY_COSINE);
    cr_assert_eq(nn_lr_decay_parse("linear", &k, "/lr_schedule/decay", &err),
                 NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/lr_schedule/decay");
    cr_assert_str_eq(nn_lr_decay_name(NN_LR_DECAY_NONE), "none");
    nn_opt_kind o;
    cr_assert_eq(nn_optim_parse("adamw", &o, "/o", NULL), NN_OK);
    cr_assert_eq(o, NN_OPT_ADAMW);
    cr_assert_str_eq(nn_optim_name(NN_OPT_ADAMW), "adamw");
}

/* PyTorch's factor: max / (‖g‖ + 1e−6) when below 1. */
Test(train_options, clip_factor)
{
    cr_assert_float_eq(nn_clip_factor(25.0, 1.0f), 1.0 / (5.0 + 1e-6), 1e-7);
    cr_assert(ieee_ulp_eq(flt, nn_clip_factor(25.0, 10.0f), 1.0f, 0));
    cr_assert(ieee_ulp_eq(flt, nn_clip_factor(25.0, 0.0f), 1.0f, 0),
              "0 is off");
}

#define IN 4
#define ROWS 24
static float X[ROWS * IN], Y[ROWS * 3];
static const nn_data data = {.rows = ROWS, .in_dim = IN, .out_dim = 3,
                             .X = X, .Y = Y, .classification = true};

static void setup(void)
{
    make_teacher_data(X, Y, ROWS, IN, 3, 5);
}

static nn_network *net_of(uint64_t seed)
{
    nn_layer_spec L[2] = {layer(8, NN_ACT_TANH, 0),
                          layer(3, NN_ACT_SOFTMAX, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, IN, L, 2, NN_LOSS_CROSS_ENTROPY);
    init_net(net, seed, 0.1f);
    return net;
}

static nn_status train(nn_network *net, const nn_train_config *cfg,
                       nn_error *err)
{
    nn_trainer *tr = NULL;
    nn_status st = nn_trainer_create(&tr, net, &data, cfg, err);
    if (st == NN_OK)
        st = nn_trainer_run(tr, NULL, NULL, NULL, err);
    nn_trainer_free(tr);
    return st;
}

/* One sgd step (η 1) over the whole set with clipping at c moves the
 * parameters by exactly the gradient rescaled to norm c. */
Test(train_options, clipping_rescales_to_the_global_norm, .init = setup)
{
    nn_network *net = net_of(3);
    float *before = params_copy(net);
    nn_workspace *ws = NULL;
    nn_error err;
    cr_assert_eq(nn_workspace_create(&ws, net, ROWS, true, &err), NN_OK);
    float *g = malloc(net->n_params * sizeof *g);
    nn_forward_train(net, ws, X, ROWS, 1, 0);
    nn_backward(net, ws, X, Y, ROWS, 1.0f / ROWS, g, false);
    double norm = 0;
    for (size_t i = 0; i < net->n_params; i++)
        norm += (double)g[i] * g[i];
    norm = sqrt(norm);
    float c = (float)(norm / 4);
    nn_train_config cfg = plain_config(NN_OPT_SGD, 1.0f, ROWS, 1);
    cfg.clip_grad_norm = c;
    cfg.threads = 2;
    cr_assert_eq(train(net, &cfg, &err), NN_OK, "%s", err.message);
    double scale = c / (norm + 1e-6);
    for (size_t i = 0; i < net->n_params; i++)
        cr_assert_float_eq(before[i] - net->params[i], scale * g[i], 1e-6,
                           "parameter %zu", i);
    cfg.clip_grad_norm = -1;
    cr_assert_eq(train(net, &cfg, &err), NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/clip_grad_norm");
    cfg.clip_grad_norm = 0;
    cfg.schedule.min_learning_rate = 2; /* above η */
    cfg.schedule.decay = NN_LR_DECAY_COSINE;
    cr_assert_eq(train(net, &cfg, &err), NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/lr_schedule/min_learning_rate");
    nn_workspace_free(ws);
    free(g);
    free(before);
    nn_network_free(net);
}

static nn_status make_dense(nn_trainer **tr, nn_network *net,
                            const nn_train_config *cfg, const void *d,
                            nn_error *err)
{
    return nn_trainer_create(tr, net, d, cfg, err);
}

/* AdamW, warm-up + cosine and clipping over 6 epochs of 3 steps: stopped
 * after 2, checkpointed and restored into a fresh trainer, the run ends
 * with the uninterrupted run's weights bit for bit (the schedule resumes
 * from the checkpoint's step counter). */
Test(train_options, resume_with_every_option, .init = setup)
{
    nn_train_config cfg = plain_config(NN_OPT_ADAMW, 0.05f, 8, 6);
    cfg.optim.weight_decay = 0.1f;
    cfg.schedule = (nn_lr_schedule){.warmup_steps = 4,
                                    .decay = NN_LR_DECAY_COSINE,
                                    .min_learning_rate = 0.005f};
    cfg.clip_grad_norm = 0.5f;
    cfg.shuffle = true;
    nn_error err;
    nn_network *ref = net_of(8), *a = net_of(8), *b = net_of(99);
    cr_assert_eq(train(ref, &cfg, &err), NN_OK, "%s", err.message);
    nn_trainer *tr = NULL;
    cr_assert_eq(nn_trainer_create(&tr, a, &data, &cfg, &err), NN_OK);
    cr_assert_eq(nn_trainer_total_steps(tr), 18);
    nn_trainer_free(tr);
    assert_resume_matches(make_dense, &data, &cfg, ref, a, b, 2,
                          "adamw + schedule + clip");
    nn_network *plain = net_of(8); /* and the options did change the run */
    cfg.clip_grad_norm = 0;
    cr_assert_eq(train(plain, &cfg, &err), NN_OK);
    cr_assert(memcmp(plain->params, ref->params,
                     ref->n_params * sizeof(float)) != 0);
    nn_network_free(plain);
    nn_network_free(ref);
    nn_network_free(a);
    nn_network_free(b);
}

static bool record_lr(const nn_epoch_stats *st, void *user)
{
    ((double *)user)[st->epoch - 1] = st->lr;
    return true;
}

/* Each epoch reports the rate its last step trained with: what
 * nn_train_epoch_lr works out from the configuration and the steps per
 * epoch alone (nn_train_steps_per_epoch, without a trainer), rising
 * through the warm-up and ending on the minimum; a 25% split of 24 rows
 * in batches of 5 is ceil(18 / 5) = 4 steps an epoch. */
Test(train_options, epochs_report_the_rate_of_their_last_step, .init = setup)
{
    nn_train_config cfg = plain_config(NN_OPT_ADAM, 0.05f, 5, 6);
    cfg.validation_split = 0.25f;
    cfg.schedule = (nn_lr_schedule){.warmup_steps = 9,
                                    .decay = NN_LR_DECAY_COSINE,
                                    .min_learning_rate = 0.005f};
    nn_error err;
    nn_network *net = net_of(3);
    nn_trainer *tr = NULL;
    cr_assert_eq(nn_trainer_create(&tr, net, &data, &cfg, &err), NN_OK);
    size_t spe = nn_train_steps_per_epoch(&cfg, ROWS, 0);
    cr_assert_eq(spe, 4);
    cr_assert_eq(nn_trainer_steps_per_epoch(tr), spe);
    double lr[6];
    cr_assert_eq(nn_trainer_run(tr, record_lr, lr, NULL, &err), NN_OK);
    nn_trainer_free(tr);
    nn_network_free(net);
    for (size_t e = 1; e <= 6; e++)
        cr_assert(ieee_ulp_eq(flt, (float)lr[e - 1],
                              nn_train_epoch_lr(&cfg, spe, e), 0),
                  "epoch %zu: %g", e, lr[e - 1]);
    /* step 3 of warm-up 9: 0.05 · 4 / 10; step 7: 0.05 · 8 / 10 */
    cr_assert_float_eq(lr[0], 0.02, 1e-7);
    cr_assert_float_eq(lr[1], 0.04, 1e-7);
    cr_assert(lr[2] > lr[3] && lr[3] > lr[4] && lr[4] > lr[5]);
    cr_assert(ieee_ulp_eq(flt, (float)lr[5], 0.005f, 0));
    cfg.schedule = (nn_lr_schedule){0}; /* per-epoch decay without one */
    cfg.optim.lr_decay = 0.5f;
    cr_assert(ieee_ulp_eq(flt, nn_train_epoch_lr(&cfg, spe, 3), 0.0125f, 1));
}

/* A text's epoch: its windows before the held-out block, batch_size at a
 * time, or epoch_steps when set; none when no window fits. */
Test(train_options, steps_per_epoch_of_a_text)
{
    nn_train_config cfg = plain_config(NN_OPT_ADAM, 0.01f, 4, 2);
    cfg.validation_split = 0.1f;
    /* 100 tokens, 10 held out, context 8: 82 windows, 21 steps */
    cr_assert_eq(nn_train_steps_per_epoch(&cfg, 100, 8), 21);
    cfg.epoch_steps = 7;
    cr_assert_eq(nn_train_steps_per_epoch(&cfg, 100, 8), 7);
    cfg.epoch_steps = 0;
    cr_assert_eq(nn_train_steps_per_epoch(&cfg, 9, 8), 1); /* 9 tokens: one window */
    cr_assert_eq(nn_train_steps_per_epoch(&cfg, 8, 8), 0);
    cfg.validation_split = 0.9f; /* rows: one row is always kept */
    cr_assert_eq(nn_train_steps_per_epoch(&cfg, 10, 0), 1);
}
