/* history_lr.h — the learning rate each history point of a job trained
 * with ("lr"), worked out by libnn's schedule (nn_train_epoch_lr) from
 * the job's params and its steps per epoch: nothing is stored for it. */
#ifndef ND_HISTORY_LR_H
#define ND_HISTORY_LR_H

#include <jansson.h>
#include <stdbool.h>

#include "nn_train.h"

/* What a job's points need for their rate. */
typedef struct {
    nn_train_config cfg;
    size_t steps_per_epoch;
    bool known; /* false: a perceptron (no rate), or a schedule without
                   steps_per_epoch in params (a job queued before them) */
} nd_lr_plan;

/* The plan of a job from its "params" object (borrowed; NULL or not an
 * object gives an unknown plan). */
void nd_lr_plan_of(json_t *params, nd_lr_plan *plan);

/* Sets point's "lr" from its "epoch": the rate the epoch's last step
 * trained with, or null when the plan does not know it. Returns point. */
json_t *nd_lr_plan_add(const nd_lr_plan *plan, json_t *point);

/* nd_lr_plan_add on every point of an array; returns items. */
json_t *nd_lr_plan_add_all(const nd_lr_plan *plan, json_t *items);

/* The "lr" a live epoch reports: what the trainer used (st->lr), null
 * for a perceptron's NAN. Sets it in point and returns point. */
json_t *nd_lr_add_measured(json_t *point, double lr);

#endif
