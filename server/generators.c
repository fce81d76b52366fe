/* generators.c — truth tables and 2-D two-class shapes (see
 * generators.h). The shapes keep to the unit scale of scikit-learn's
 * make_circles / make_moons; the spiral is the TensorFlow Playground's. */
#include <math.h>
#include <string.h>

#include "generators.h"

/* Places a point of class cls (0 or 1) before noise. */
typedef void (*shape_fn)(size_t cls, nn_rng *rng, double *px, double *py);

struct nd_generator {
    const char *name;
    size_t inputs;
    unsigned truth; /* gates: bit k is the output for input row k */
    shape_fn shape; /* NULL for gates */
};

/* Class 1 a disk of radius 0.5, class 0 a ring from 0.7 to 1. */
static void circle(size_t cls, nn_rng *rng, double *px, double *py)
{
    double u = nn_rng_uniform(rng), angle = 2 * M_PI * nn_rng_uniform(rng);
    double r = cls ? 0.5 * u : 0.7 + 0.3 * u;
    *px = r * cos(angle);
    *py = r * sin(angle);
}

/* Two round blobs of standard deviation 0.4: class 1 around (1, 1),
 * class 0 around (−1, −1). */
static void gauss(size_t cls, nn_rng *rng, double *px, double *py)
{
    double c = cls ? 1.0 : -1.0;
    *px = c + 0.4 * nn_rng_normal(rng);
    *py = c + 0.4 * nn_rng_normal(rng);
}

/* Two arms turning 1.75 times out to radius 1, half a turn apart. */
static void spiral(size_t cls, nn_rng *rng, double *px, double *py)
{
    double r = nn_rng_uniform(rng);
    double t = 1.75 * 2 * M_PI * r + (cls ? 0 : M_PI);
    *px = r * sin(t);
    *py = r * cos(t);
}

/* Class 0 the upper unit half circle, class 1 the lower one shifted to
 * (1, 0.5), interlocking. */
static void moons(size_t cls, nn_rng *rng, double *px, double *py)
{
    double t = M_PI * nn_rng_uniform(rng);
    *px = cls ? 1 - cos(t) : cos(t);
    *py = cls ? 0.5 - sin(t) : sin(t);
}

static const nd_generator generators[] = {
    {"and", 2, 0x8, NULL},  {"or", 2, 0xe, NULL},    {"nand", 2, 0x7, NULL},
    {"nor", 2, 0x1, NULL},  {"not", 1, 0x1, NULL},   {"xor", 2, 0x6, NULL},
    {"circle", 2, 0, circle}, {"spiral", 2, 0, spiral},
    {"gauss", 2, 0, gauss}, {"moons", 2, 0, moons},
};
#define N_GENERATORS (sizeof generators / sizeof *generators)

const nd_generator *nd_generator_find(const char *name)
{
    for (size_t i = 0; i < N_GENERATORS; i++)
        if (strcmp(generators[i].name, name) == 0)
            return &generators[i];
    return NULL;
}

const char *nd_generator_names(void)
{
    return "and, or, nand, nor, not, xor, circle, spiral, gauss, moons";
}

bool nd_generator_is_gate(const nd_generator *g)
{
    return g->shape == NULL;
}

size_t nd_generator_inputs(const nd_generator *g)
{
    return g->inputs;
}

size_t nd_generator_rows(const nd_generator *g, size_t n)
{
    return g->shape ? n : (size_t)1 << g->inputs;
}

const char *nd_generator_feature(const nd_generator *g, size_t j)
{
    static const char *const gate[] = {"x1", "x2"};
    static const char *const shape[] = {"x", "y"};
    return g->shape ? shape[j] : gate[j];
}

const char *nd_generator_target(const nd_generator *g)
{
    return g->shape ? "label" : "y";
}

void nd_generator_row(const nd_generator *g, size_t i, double noise,
                      nn_rng *rng, float *x, float *y)
{
    if (!g->shape) { /* row i of the table: the inputs are i's bits */
        for (size_t j = 0; j < g->inputs; j++)
            x[j] = (float)((i >> (g->inputs - 1 - j)) & 1);
        *y = (float)((g->truth >> i) & 1);
        return;
    }
    size_t cls = i % 2;
    double px, py;
    g->shape(cls, rng, &px, &py);
    /* drawn even when noise is 0, so noise never moves the points'
     * places along the shape for a seed */
    double nx = nn_rng_normal(rng), ny = nn_rng_normal(rng);
    x[0] = (float)(px + noise * nx);
    x[1] = (float)(py + noise * ny);
    *y = (float)cls;
}

static const char *const feature_names[ND_FEATURES] = {
    "x", "y", "x^2", "y^2", "x*y", "sin(x)", "sin(y)"};

int nd_feature_find(const char *name)
{
    for (int k = 0; name && k < ND_FEATURES; k++)
        if (strcmp(feature_names[k], name) == 0)
            return k;
    return -1;
}

const char *nd_feature_name(int k)
{
    return feature_names[k];
}

float nd_feature_value(int k, float x, float y)
{
    switch (k) {
    case 0: return x;
    case 1: return y;
    case 2: return x * x;
    case 3: return y * y;
    case 4: return x * y;
    case 5: return sinf(x);
    default: return sinf(y);
    }
}
