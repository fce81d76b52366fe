/* test_xor.c — XOR, which no perceptron can represent, learned by a
 * 2-4-1 network (tanh hidden, sigmoid output) by backpropagation, for
 * several seeds and both optimizers. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>

#include "helpers.h"

static const float X[4 * 2] = {0, 0, 0, 1, 1, 0, 1, 1};
static const float Y[4] = {0, 1, 1, 0};

/* Trains 2-4-1 from xavier weights drawn from seed; asserts that every
 * output lies on the right side of 0.5 with room to spare (0.1), and that
 * the trainer's accuracy says the same. */
static void learns_xor(nn_loss_kind loss, nn_optim_config opt, size_t epochs,
                       uint64_t seed)
{
    nn_layer_spec L[2] = {layer(4, NN_ACT_TANH, 0),
                          layer(1, NN_ACT_SIGMOID, 1.0f)};
    nn_network *net = make_net(NN_MODEL_MLP, 2, L, 2, loss);
    nn_rng rng;
    nn_rng_seed(&rng, seed);
    nn_network_init(net, NN_INIT_XAVIER, &rng);
    nn_data d = {.rows = 4, .in_dim = 2, .out_dim = 1, .X = X, .Y = Y,
                 .classification = true};
    nn_train_config cfg = plain_config(opt.kind, opt.learning_rate, 4, epochs);
    cfg.optim = opt;
    cfg.seed = seed;
    nn_trainer *tr = NULL;
    nn_error err;
    cr_assert_eq(nn_trainer_create(&tr, net, &d, &cfg, &err), NN_OK, "%s",
                 err.message);
    nn_train_result res;
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, &res, &err), NN_OK, "%s",
                 err.message);
    cr_assert_eq(res.epochs_done, epochs);
    nn_trainer_free(tr);

    nn_workspace *ws = NULL;
    cr_assert_eq(nn_workspace_create(&ws, net, 4, false, NULL), NN_OK);
    float out[4];
    cr_assert_eq(nn_predict(net, ws, X, 4, out, NULL), NN_OK);
    for (int r = 0; r < 4; r++) {
        bool ok = Y[r] > 0.5f ? out[r] > 0.6f : out[r] < 0.4f;
        cr_assert(ok, "%s/%s seed %llu: XOR(%g, %g) → %g", nn_loss_name(loss),
                  nn_optim_name(opt.kind), (unsigned long long)seed,
                  (double)X[2 * r], (double)X[2 * r + 1], (double)out[r]);
        cr_assert_eq(nn_output_class(net, &out[r]), (size_t)Y[r]);
    }
    cr_assert(ieee_ulp_eq(dbl, res.last.accuracy, 1.0, 0));
    nn_workspace_free(ws);
    nn_network_free(net);
}

static nn_optim_config adam(float lr)
{
    nn_optim_config o = nn_optim_defaults();
    o.kind = NN_OPT_ADAM;
    o.learning_rate = lr;
    return o;
}

static nn_optim_config momentum(float lr, float mu, bool nesterov)
{
    nn_optim_config o = nn_optim_defaults();
    o.learning_rate = lr;
    o.momentum = mu;
    o.nesterov = nesterov;
    return o;
}

/* The first five seeds for each set-up, not hand-picked ones. (2-4-1 has
 * local minima: about 2 seeds in 100 leave one XOR row unlearned with
 * adam, whatever the epoch count; the seeds here are fixed, so the tests
 * are deterministic.) */
Test(xor, adam_bce_five_seeds)
{
    for (uint64_t seed = 1; seed <= 5; seed++)
        learns_xor(NN_LOSS_BCE, adam(0.05f), 1000, seed);
}

Test(xor, sgd_momentum_mse_five_seeds)
{
    for (uint64_t seed = 1; seed <= 5; seed++)
        learns_xor(NN_LOSS_MSE, momentum(0.5f, 0.9f, false), 2000, seed);
}

Test(xor, sgd_nesterov_bce_five_seeds)
{
    for (uint64_t seed = 1; seed <= 5; seed++)
        learns_xor(NN_LOSS_BCE, momentum(0.2f, 0.9f, true), 1000, seed);
}
