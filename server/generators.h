/* generators.h — the built-in datasets: the truth tables of the logic
 * gates (and, or, nand, nor, not, xor) with one numeric 0/1 target "y",
 * and the 2-D classification shapes of the TensorFlow Playground and
 * scikit-learn (circle, gauss, spiral, moons) with inputs "x", "y" and
 * classes "0" and "1". A shape's rows alternate between the classes, its
 * points are placed at random and jittered by Gaussian noise of standard
 * deviation `noise`, all drawn from one nn_rng: a seed fixes the data. */
#ifndef ND_GENERATORS_H
#define ND_GENERATORS_H

#include <stdbool.h>
#include <stddef.h>

#include "nn_rng.h"

typedef struct nd_generator nd_generator;

/* The generator called name, or NULL. */
const nd_generator *nd_generator_find(const char *name);

/* The names of every generator, comma-separated, for error messages. */
const char *nd_generator_names(void);

/* Whether it makes a truth table (regression, n ignored) rather than a
 * two-class shape. */
bool nd_generator_is_gate(const nd_generator *g);

/* Its number of input columns (1 or 2). */
size_t nd_generator_inputs(const nd_generator *g);

/* The rows it makes when asked for n (a gate's table ignores n). */
size_t nd_generator_rows(const nd_generator *g, size_t n);

/* The name of input column j and of the target column. */
const char *nd_generator_feature(const nd_generator *g, size_t j);
const char *nd_generator_target(const nd_generator *g);

/* Makes row i (0-based, in order) of the dataset: inputs into x, the
 * target (a gate's 0/1) or class index (a shape's 0/1) into *y, drawing
 * from rng. */
void nd_generator_row(const nd_generator *g, size_t i, double noise,
                      nn_rng *rng, float *x, float *y);

/* Features a 2-D shape's rows may be given instead of its plain (x, y):
 * "x", "y", "x^2", "y^2", "x*y", "sin(x)", "sin(y)" (TensorFlow
 * Playground's), chosen when the dataset is generated. */
#define ND_FEATURES 7

/* The index of the feature called name, or −1. */
int nd_feature_find(const char *name);

/* The name of feature k (0 ≤ k < ND_FEATURES). */
const char *nd_feature_name(int k);

/* The value of feature k at the point (x, y). */
float nd_feature_value(int k, float x, float y);

#endif
