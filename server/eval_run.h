/* eval_run.h — a model scored on a whole dataset through libnn's predict
 * path (with the normalisation the model stores): the mean loss, and for
 * classifiers the confusion matrix, for regression the error per output.
 * No JSON or HTTP here; evaluate.c makes the reply. */
#ifndef ND_EVAL_RUN_H
#define ND_EVAL_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "datasets.h"
#include "nn_network.h"

typedef struct {
    size_t rows;
    double loss;       /* mean per row of the model's loss; for a
                          perceptron its mistakes (rows misclassified) */
    bool classify;     /* accuracy and confusion are meaningful */
    size_t n_classes;  /* outputs, or 2 for one output */
    size_t correct;
    size_t *confusion; /* n_classes², row = true class, column = predicted */
    size_t outputs;
    double *mse, *mae; /* per output: mean (y − o)² and mean |y − o| */
} nd_eval;

/* Whether ds is scored as a classification by net: a classification
 * dataset, a perceptron, or one output with every target 0/1 or −1/+1
 * (logic gates), as training counts accuracy. */
bool nd_eval_classifies(const nn_network *net, const nd_dataset *ds);

/* Runs net over every row of ds, whose input_dim and output_dim the
 * caller has checked against the model. Fills *out (release with
 * nd_eval_free). Returns NN_OK, or an error in err (out of memory, or a
 * non-finite input at "/inputs/R/C"). */
nn_status nd_eval_run(const nn_network *net, const nd_dataset *ds,
                      nd_eval *out, nn_error *err);

void nd_eval_free(nd_eval *e);

#endif
