/* history_lr.c — each history point's learning rate, from the job's
 * params through libnn's nn_train_epoch_lr. */
#include <math.h>

#include "history_lr.h"
#include "job_params.h"
#include "jsonv.h"

void nd_lr_plan_of(json_t *params, nd_lr_plan *plan)
{
    *plan = (nd_lr_plan){0};
    /* A perceptron's params carry no optimizer: it has no rate. */
    if (!json_object_get(params, "optimizer") ||
        !nd_job_params_of(params, &plan->cfg))
        return;
    json_t *spe = json_object_get(params, "steps_per_epoch");
    plan->steps_per_epoch = json_is_integer(spe)
                                ? (size_t)json_integer_value(spe) : 0;
    /* Without a schedule the step does not matter, only the epoch. */
    plan->known = plan->steps_per_epoch > 0 ||
                  !nn_lr_schedule_active(&plan->cfg.schedule);
}

json_t *nd_lr_plan_add(const nd_lr_plan *plan, json_t *point)
{
    json_int_t epoch = json_integer_value(json_object_get(point, "epoch"));
    if (!plan->known || epoch < 1)
        return nd_lr_add_measured(point, NAN);
    float lr = nn_train_epoch_lr(&plan->cfg, plan->steps_per_epoch,
                                 (size_t)epoch);
    return nd_lr_add_measured(point, lr);
}

json_t *nd_lr_plan_add_all(const nd_lr_plan *plan, json_t *items)
{
    size_t i;
    json_t *p;
    json_array_foreach(items, i, p)
        nd_lr_plan_add(plan, p);
    return items;
}

json_t *nd_lr_add_measured(json_t *point, double lr)
{
    if (point)
        json_object_set_new(point, "lr",
                            isfinite(lr) ? json_real(nd_float_shortest(
                                               (float)lr))
                                         : json_null());
    return point;
}
