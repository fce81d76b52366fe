/* dump_optim.c — `make crosscheck`'s libnn side for the training options:
 * trains a small dense classifier through the trainer for 12 steps with
 * AdamW (decay on weights only), a warm-up + cosine schedule and
 * global-norm clipping, and prints what
 * tests/crosscheck/torch_crosscheck_optim.py needs to repeat the run with
 * torch.optim.AdamW, clip_grad_norm_ and nanoGPT's get_lr:
 *   <name> <count> <values…>   one array per line, %.9g
 * (cfg: η, λ, warm-up steps, minimum η, clip norm, batch, epochs; X, Y;
 * the initial W<k>, b<k>; the final fW<k>, fb<k>). */
#include <stdio.h>
#include <stdlib.h>

#include "dump_io.h"
#include "nn.h"

#define ROWS 12
#define IN 5
#define HIDDEN 6
#define CLASSES 3

int main(void)
{
    nn_layer_spec L[2] = {{.units = HIDDEN, .act = {NN_ACT_TANH, 0}},
                          {.units = CLASSES, .act = {NN_ACT_SOFTMAX, 0}}};
    nn_network *net = NULL;
    nn_workspace *ws = NULL;
    nn_shape in = nn_shape_vector(IN);
    if (make_stack(&in, L, 2, ROWS, &net, &ws))
        return 1;
    nn_rng rng;
    nn_rng_seed(&rng, 515);
    fill(net->params, net->n_params, -0.8f, 0.8f, &rng);
    float X[ROWS * IN], Y[ROWS * CLASSES] = {0};
    fill(X, ROWS * IN, -1.0f, 1.0f, &rng);
    for (size_t r = 0; r < ROWS; r++)
        Y[r * CLASSES + nn_rng_below(&rng, CLASSES)] = 1.0f;
    nn_train_config cfg = nn_train_defaults();
    cfg.epochs = 4;
    cfg.batch_size = 4; /* 3 steps an epoch, 12 in all */
    cfg.normalize = NN_NORM_NONE;
    cfg.shuffle = false;
    cfg.threads = 1;
    cfg.optim.kind = NN_OPT_ADAMW;
    cfg.optim.learning_rate = 0.05f;
    cfg.optim.weight_decay = 0.1f;
    cfg.schedule = (nn_lr_schedule){.warmup_steps = 3,
                                    .decay = NN_LR_DECAY_COSINE,
                                    .min_learning_rate = 0.005f};
    cfg.clip_grad_norm = 0.3f;
    const float c[7] = {cfg.optim.learning_rate, cfg.optim.weight_decay,
                        (float)cfg.schedule.warmup_steps,
                        cfg.schedule.min_learning_rate, cfg.clip_grad_norm,
                        (float)cfg.batch_size, (float)cfg.epochs};
    put("cfg", c, 7);
    put("X", X, ROWS * IN);
    put("Y", Y, ROWS * CLASSES);
    put_params(net, net->params, "");
    nn_data data = {.rows = ROWS, .in_dim = IN, .out_dim = CLASSES, .X = X,
                    .Y = Y, .classification = true};
    nn_trainer *tr = NULL;
    nn_error err;
    if (nn_trainer_create(&tr, net, &data, &cfg, &err) != NN_OK ||
        nn_trainer_run(tr, NULL, NULL, NULL, &err) != NN_OK) {
        fprintf(stderr, "crosscheck: %s (%s)\n", err.message, err.field);
        return 1;
    }
    put_params(net, net->params, "f");
    nn_trainer_free(tr);
    nn_workspace_free(ws);
    nn_network_free(net);
    return 0;
}
