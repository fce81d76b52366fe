/* test_export_c.c — libnn's C-header export (nn_export.h) without a
 * compiler: identifiers made from model names, the header's defines and
 * float literals, the window geometry of "same" padding, and a layer kind
 * the export has no row for refused by name. (The API tests compile the
 * headers and compare their outputs with /predict.) */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "nn.h"
#include "nn_export.h"

Test(export_c, identifiers_from_names)
{
    static const char *const cases[][2] = {
        {"xor-net", "xor_net"}, {"iris", "iris"}, {"9lives", "m_9lives"},
        {"", "model"},          {"a b.c", "a_b_c"}, {"Énum", "__num"},
    };
    char buf[64];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        nn_export_c_ident(cases[i][0], buf, sizeof buf);
        cr_assert_str_eq(buf, cases[i][1], "%s", cases[i][0]);
    }
    nn_export_c_ident("abcdefgh", buf, 4);
    cr_assert_str_eq(buf, "abc");
}

static nn_network *xor_net(void)
{
    nn_layer_spec layers[] = {
        {.units = 2, .act = {NN_ACT_STEP, 0}},
        {.units = 1, .act = {NN_ACT_SIGMOID, 2.5f}},
    };
    nn_network *net = NULL;
    cr_assert_eq(nn_network_create(&net, NN_MODEL_MLP, 2, layers, 2,
                                   NN_LOSS_MSE, NULL),
                 NN_OK);
    const float W0[] = {1, 1, 1, 1}, b0[] = {-0.5f, -1.5f};
    const float W1[] = {1, -2}, b1[] = {3e-7f};
    cr_assert_eq(nn_network_set_layer(net, 0, W0, b0, NULL), NN_OK);
    cr_assert_eq(nn_network_set_layer(net, 1, W1, b1, NULL), NN_OK);
    const char *classes[] = {"no", "say \"yes\""};
    cr_assert_eq(nn_network_set_classes(net, classes, 2, NULL), NN_OK);
    return net;
}

Test(export_c, header_defines_sizes_classes_and_exact_floats)
{
    nn_network *net = xor_net();
    char *text = NULL;
    size_t len = 0;
    cr_assert_eq(nn_export_c(net, "xor_net", true, &text, &len, NULL), NN_OK);
    cr_assert_eq(strlen(text), len);
    cr_assert_not_null(strstr(text, "#define XOR_NET_INPUTS 2\n"));
    cr_assert_not_null(strstr(text, "#define XOR_NET_OUTPUTS 1\n"));
    cr_assert_not_null(strstr(text, "#define XOR_NET_TRAINED 1\n"));
    cr_assert_not_null(
        strstr(text, "#define XOR_NET_CLASSES { \"no\", \"say \\\"yes\\\"\" }"));
    cr_assert_not_null(strstr(text, "int xor_net_predict(const float *in, "
                                    "float *out)\n{"));
    /* Whole numbers get a point (3f would not compile), others 9 digits. */
    cr_assert_not_null(strstr(text, "-1.5f"));
    cr_assert_not_null(strstr(text, "-2.0f"));
    cr_assert_not_null(strstr(text, "3.00000011e-07f"));
    cr_assert_not_null(strstr(text, "xor_net_activate(y, 1, 2, 2.5f)"));
    cr_assert_null(strstr(text, "malloc"));
    cr_assert_null(strstr(text, "#include <std"));
    free(text);
    nn_network_free(net);
}

Test(export_c, a_kind_without_a_c_form_is_refused_by_name)
{
    nn_network *net = xor_net();
    net->layers[1].kind = NN_LAYER_KIND_COUNT; /* a kind added later */
    char *text = NULL;
    size_t len = 0;
    nn_error err;
    cr_assert_eq(nn_export_c(net, "x", false, &text, &len, &err),
                 NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/layers/1/type");
    cr_assert_not_null(strstr(err.message, "cannot be exported as C"));
    cr_assert_null(text);
    net->layers[1].kind = NN_LAYER_DENSE;
    nn_network_free(net);
}

Test(export_c, same_padding_puts_the_odd_pixel_after)
{
    nn_layer_spec layers[] = {
        {.kind = NN_LAYER_CONV2D, .filters = 1, .kernel_h = 4, .kernel_w = 3,
         .stride = 2, .padding = NN_PAD_SAME, .act = {NN_ACT_LINEAR, 0}},
        {.kind = NN_LAYER_MAXPOOL2D, .size = 2, .stride = 1},
        {.kind = NN_LAYER_FLATTEN},
        {.units = 1, .act = {NN_ACT_LINEAR, 0}},
    };
    nn_shape in = {.rank = 3, .dim = {1, 5, 5}};
    nn_network *net = NULL;
    cr_assert_eq(nn_network_create_shaped(&net, NN_MODEL_MLP, &in, layers, 4,
                                          NN_LOSS_MSE, NULL),
                 NN_OK);
    nn_export_window w;
    cr_assert(nn_export_window_of(net, 0, &w));
    /* out 3×3 from 5×5 at stride 2: needs 8 rows (7 columns) of 5. */
    cr_assert_eq(w.pad_top, 1);
    cr_assert_eq(w.pad_bottom, 2);
    cr_assert_eq(w.pad_left, 1);
    cr_assert_eq(w.pad_right, 1);
    cr_assert(nn_export_window_of(net, 1, &w));
    cr_assert_eq(w.kh * 10 + w.stride, 21);
    cr_assert_eq(w.pad_top + w.pad_bottom + w.pad_left + w.pad_right, 0);
    cr_assert_not(nn_export_window_of(net, 2, &w));
    nn_network_free(net);
}
