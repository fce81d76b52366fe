/* seed_demo.c — the classic path of neural networks in libnn, printed:
 * perceptrons learning logic gates (and failing on XOR), hand-given NOR
 * weights, and a 2-4-1 network learning XOR by backpropagation.
 * `make run` runs it until the HTTP server lands. */
#include <stdio.h>

#include "nn.h"

static const float X2[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};

/* Prints a 2-input truth table of net's outputs. */
static int print_table(const nn_network *net, const char *name)
{
    nn_workspace *ws = NULL;
    nn_error err;
    float out[4];
    if (nn_workspace_create(&ws, net, 4, false, &err) ||
        nn_predict(net, ws, &X2[0][0], 4, out, &err)) {
        fprintf(stderr, "%s: %s\n", name, err.message);
        nn_workspace_free(ws);
        return -1;
    }
    printf("  %-4s", name);
    for (int i = 0; i < 4; i++)
        printf("  %g%g→%.2f", X2[i][0], X2[i][1], out[i]);
    printf("\n");
    nn_workspace_free(ws);
    return 0;
}

static bool print_mistakes(const nn_epoch_stats *st, void *user)
{
    (void)user;
    if (st->epoch <= 8)
        printf("%s%zu", st->epoch == 1 ? "    mistakes per epoch: " : " ",
               st->mistakes);
    return true;
}

static int perceptron_gate(const char *name, const float y[4], size_t limit)
{
    nn_layer_spec layer = {.units = 1, .act = {NN_ACT_STEP, 0}};
    nn_network *net = NULL;
    nn_trainer *tr = NULL;
    nn_error err;
    nn_train_config cfg = nn_train_defaults();
    cfg.epochs = limit;
    cfg.normalize = NN_NORM_NONE;
    cfg.shuffle = false;
    nn_data data = {4, 2, 1, &X2[0][0], y, true};
    nn_train_result res;
    int rc = -1;
    if (nn_network_create(&net, NN_MODEL_PERCEPTRON, 2, &layer, 1,
                          NN_LOSS_MSE, &err) == NN_OK &&
        nn_trainer_create(&tr, net, &data, &cfg, &err) == NN_OK &&
        nn_trainer_run(tr, print_mistakes, NULL, &res, &err) == NN_OK) {
        printf("\n  %-4s %s after %zu epochs; w = (%g, %g), b = %g\n", name,
               res.converged ? "converged" : "did NOT converge",
               res.epochs_done, net->params[0], net->params[1],
               net->params[2]);
        rc = print_table(net, name);
    } else {
        fprintf(stderr, "%s: %s\n", name, err.message);
    }
    nn_trainer_free(tr);
    nn_network_free(net);
    return rc;
}

static int hand_nor(void)
{
    nn_layer_spec layer = {.units = 1, .act = {NN_ACT_STEP, 0}};
    nn_network *net = NULL;
    nn_error err;
    const float W[2] = {-1, -1}, b[1] = {0.5f};
    int rc = -1;
    if (nn_network_create(&net, NN_MODEL_PERCEPTRON, 2, &layer, 1,
                          NN_LOSS_MSE, &err) == NN_OK &&
        nn_network_set_layer(net, 0, W, b, &err) == NN_OK) {
        printf("hand-given NOR: w0 = 0.5, w1 = -1, w2 = -1, step\n");
        rc = print_table(net, "NOR");
    } else {
        fprintf(stderr, "NOR: %s\n", err.message);
    }
    nn_network_free(net);
    return rc;
}

static int mlp_xor(void)
{
    nn_layer_spec layers[2] = {{.units = 4, .act = {NN_ACT_TANH, 0}},
                               {.units = 1, .act = {NN_ACT_SIGMOID, 1}}};
    static const float y[4] = {0, 1, 1, 0};
    nn_network *net = NULL;
    nn_trainer *tr = NULL;
    nn_error err;
    nn_rng rng;
    nn_rng_seed(&rng, 7);
    nn_train_config cfg = nn_train_defaults();
    cfg.epochs = 2000;
    cfg.batch_size = 4;
    cfg.normalize = NN_NORM_NONE;
    cfg.optim.learning_rate = 0.5f;
    cfg.optim.momentum = 0.9f;
    nn_data data = {4, 2, 1, &X2[0][0], y, true};
    nn_train_result res;
    int rc = -1;
    if (nn_network_create(&net, NN_MODEL_MLP, 2, layers, 2, NN_LOSS_MSE,
                          &err) == NN_OK) {
        nn_network_init(net, NN_INIT_XAVIER, &rng);
        if (nn_trainer_create(&tr, net, &data, &cfg, &err) == NN_OK &&
            nn_trainer_run(tr, NULL, NULL, &res, &err) == NN_OK) {
            printf("2-4-1 network (tanh, sigmoid, mse, sgd momentum 0.9): "
                   "loss %.5f after %zu epochs\n",
                   res.last.loss, res.epochs_done);
            rc = print_table(net, "XOR");
        }
    }
    if (rc)
        fprintf(stderr, "XOR network: %s\n", err.message);
    nn_trainer_free(tr);
    nn_network_free(net);
    return rc;
}

int main(void)
{
    static const float AND[4] = {0, 0, 0, 1}, OR[4] = {0, 1, 1, 1},
                       NAND[4] = {1, 1, 1, 0}, NOR[4] = {1, 0, 0, 0},
                       XOR[4] = {0, 1, 1, 0};
    printf("Rosenblatt's perceptron (step output, w and b start at 0)\n");
    int rc = perceptron_gate("AND", AND, 100) | perceptron_gate("OR", OR, 100) |
             perceptron_gate("NAND", NAND, 100) |
             perceptron_gate("NOR", NOR, 100) |
             perceptron_gate("XOR", XOR, 100);
    printf("\n");
    rc |= hand_nor();
    printf("\n");
    rc |= mlp_xor();
    return rc ? 1 : 0;
}
