/* job_params.c — training parameters: request, storage, libnn. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "job_params.h"
#include "jsonv.h"

static const char *const job_fields[] = {
    "model_id", "dataset_id",       "epochs",  "batch_size",
    "optimizer", "normalize",       "validation_split", "shuffle",
    "seed",      "early_stopping",  "regularization", "clip_grad_norm",
    "lr_schedule", "epoch_steps", NULL};
static const char *const optimizer_fields[] = {
    "name",  "learning_rate", "momentum", "nesterov",     "beta1",
    "beta2", "epsilon",       "eps",      "weight_decay", "lr_decay", NULL};
static const char *const schedule_fields[] = {"warmup_steps", "decay",
                                              "min_learning_rate", NULL};
static const char *const stopping_fields[] = {"patience", "min_delta", NULL};
static const char *const reg_fields[] = {"l1", "l2", NULL};

static uint64_t random_seed(void)
{
    uint64_t s = 0;
    while (getrandom(&s, sizeof s, 0) != sizeof s)
        ;
    return s >> 11; /* 53 bits: exact as a JSON number in any client */
}

/* "epsilon", or "eps" as DESIGN.md spells adamw's (one of the two). */
static bool read_epsilon(nd_request *req, json_t *o, double *eps)
{
    bool both = json_object_get(o, "epsilon") && json_object_get(o, "eps");
    if (both) {
        nd_reply_invalid(req, 422, "/optimizer/eps",
                         "give eps or epsilon (the same value), not both");
        return false;
    }
    return nd_field_number(req, o, "/optimizer", "epsilon", false, 1e-30, 1,
                           eps) &&
           nd_field_number(req, o, "/optimizer", "eps", false, 1e-30, 1, eps);
}

/* The "optimizer" object; its learning rate and momentum are checked by
 * libnn's nn_optim_check afterwards. */
static bool read_optimizer(nd_request *req, json_t *o, nn_optim_config *c)
{
    if (!json_is_object(o)) {
        nd_reply_invalid(req, 400, "/optimizer", "must be an object");
        return false;
    }
    const char *name = "sgd";
    double lr = c->learning_rate, mu = c->momentum, b1 = c->beta1,
           b2 = c->beta2, eps = c->epsilon, decay = c->lr_decay,
           wd = c->weight_decay;
    bool nesterov = false;
    nn_error err;
    if (!nd_json_allow(req, o, "/optimizer", optimizer_fields) ||
        !nd_field_string(req, o, "/optimizer", "name", false, &name))
        return false;
    if (nn_optim_parse(name, &c->kind, "/optimizer/name", &err) != NN_OK) {
        nd_reply_invalid(req, 422, err.field, "%s", err.message);
        return false;
    }
    if (!nd_field_number(req, o, "/optimizer", "learning_rate", false, 1e-12,
                         1e6, &lr) ||
        !nd_field_number(req, o, "/optimizer", "momentum", false, 0, 0.999999,
                         &mu) ||
        !nd_field_bool(req, o, "/optimizer", "nesterov", false, &nesterov) ||
        !nd_field_number(req, o, "/optimizer", "beta1", false, 0, 0.999999,
                         &b1) ||
        !nd_field_number(req, o, "/optimizer", "beta2", false, 0, 0.999999999,
                         &b2) ||
        !read_epsilon(req, o, &eps) ||
        !nd_field_number(req, o, "/optimizer", "weight_decay", false, 0, 1e6,
                         &wd) ||
        !nd_field_number(req, o, "/optimizer", "lr_decay", false, 1e-6, 1,
                         &decay))
        return false;
    if (json_object_get(o, "weight_decay") && c->kind != NN_OPT_ADAMW) {
        nd_reply_invalid(req, 422, "/optimizer/weight_decay",
                         "only adamw takes weight_decay (for a penalty with "
                         "sgd or adam, see regularization)");
        return false;
    }
    c->weight_decay = (float)wd;
    c->learning_rate = (float)lr;
    c->momentum = (float)mu;
    c->nesterov = nesterov;
    c->beta1 = (float)b1;
    c->beta2 = (float)b2;
    c->epsilon = (float)eps;
    c->lr_decay = (float)decay;
    if (nn_optim_check(c, "/optimizer", &err) != NN_OK) {
        nd_reply_invalid(req, 422, err.field, "%s", err.message);
        return false;
    }
    return true;
}

static bool read_stopping(nd_request *req, json_t *o, nn_train_config *cfg)
{
    if (!o || json_is_null(o))
        return true;
    if (!json_is_object(o)) {
        nd_reply_invalid(req, 400, "/early_stopping", "must be an object");
        return false;
    }
    uint64_t patience = 0;
    double min_delta = 0;
    if (!nd_json_allow(req, o, "/early_stopping", stopping_fields) ||
        !nd_field_uint(req, o, "/early_stopping", "patience", true, 1,
                       1000000, &patience) ||
        !nd_field_number(req, o, "/early_stopping", "min_delta", false, 0,
                         1e30, &min_delta))
        return false;
    cfg->patience = (size_t)patience;
    cfg->min_delta = (float)min_delta;
    return true;
}

/* "regularization": {"l1", "l2"}, each ≥ 0 (0 when left out). */
static bool read_regularization(nd_request *req, json_t *o,
                                nn_regularization *r)
{
    if (!o || json_is_null(o))
        return true;
    if (!json_is_object(o)) {
        nd_reply_invalid(req, 400, "/regularization", "must be an object");
        return false;
    }
    double l1 = 0, l2 = 0;
    if (!nd_json_allow(req, o, "/regularization", reg_fields) ||
        !nd_field_number(req, o, "/regularization", "l1", false, 0, 1e6,
                         &l1) ||
        !nd_field_number(req, o, "/regularization", "l2", false, 0, 1e6, &l2))
        return false;
    r->l1 = (float)l1;
    r->l2 = (float)l2;
    return true;
}

/* "lr_schedule": {"warmup_steps", "decay", "min_learning_rate"}, checked
 * against the optimizer by libnn's nn_lr_schedule_check. */
static bool read_schedule(nd_request *req, json_t *o, nn_train_config *cfg)
{
    if (!o || json_is_null(o))
        return true;
    if (!json_is_object(o)) {
        nd_reply_invalid(req, 400, "/lr_schedule", "must be an object");
        return false;
    }
    uint64_t warmup = 0;
    const char *decay = "none";
    double min_lr = 0;
    nn_error err;
    if (!nd_json_allow(req, o, "/lr_schedule", schedule_fields) ||
        !nd_field_uint(req, o, "/lr_schedule", "warmup_steps", false, 0,
                       NN_MAX_STEPS, &warmup) ||
        !nd_field_string(req, o, "/lr_schedule", "decay", false, &decay) ||
        !nd_field_number(req, o, "/lr_schedule", "min_learning_rate", false,
                         0, 1e6, &min_lr))
        return false;
    nn_lr_schedule *s = &cfg->schedule;
    s->warmup_steps = (size_t)warmup;
    s->min_learning_rate = (float)min_lr;
    if (nn_lr_decay_parse(decay, &s->decay, "/lr_schedule/decay", &err) !=
            NN_OK ||
        nn_lr_schedule_check(s, &cfg->optim, &err) != NN_OK) {
        nd_reply_invalid(req, 422, err.field, "%s", err.message);
        return false;
    }
    return true;
}

/* Refuses (400) the first of the gradient-training fields a perceptron
 * job carries: the rule has no optimizer, penalty, schedule or clipping. */
static bool perceptron_fields(nd_request *req, json_t *body)
{
    static const char *const fields[] = {"optimizer", "regularization",
                                         "lr_schedule", "clip_grad_norm",
                                         NULL};
    for (size_t i = 0; fields[i]; i++)
        if (json_object_get(body, fields[i])) {
            char ptr[ND_PTR_MAX];
            nd_ptr(ptr, "", fields[i]);
            nd_reply_invalid(req, 400, ptr,
                             "a perceptron learns by its own rule and takes "
                             "no %s", fields[i]);
            return false;
        }
    return true;
}

/* A text job's "epoch_steps" and its normalisation (none: token ids are
 * no measurements); other jobs take no epoch_steps. False after
 * replying. */
static bool read_text_fields(nd_request *req, json_t *body, nd_job_kind kind,
                             nn_train_config *cfg)
{
    uint64_t steps = 0;
    if (kind != ND_JOB_TEXT && json_object_get(body, "epoch_steps")) {
        nd_reply_invalid(req, 422, "/epoch_steps",
                         "only a job on a text takes epoch_steps");
        return false;
    }
    if (kind == ND_JOB_TEXT && cfg->normalize != NN_NORM_NONE) {
        nd_reply_invalid(req, 422, "/normalize",
                         "must be none for a text: its inputs are token ids");
        return false;
    }
    if (!nd_field_uint(req, body, "", "epoch_steps", false, 0,
                       ND_MAX_EPOCH_STEPS, &steps))
        return false;
    cfg->epoch_steps = (size_t)steps;
    return true;
}

bool nd_job_params_read(nd_request *req, json_t *body, nd_job_kind kind,
                        unsigned max_epochs, unsigned max_batch,
                        nn_train_config *cfg)
{
    bool perceptron = kind == ND_JOB_PERCEPTRON;
    *cfg = nn_train_defaults();
    cfg->normalize = kind == ND_JOB_NETWORK ? NN_NORM_STANDARD : NN_NORM_NONE;
    cfg->seed = random_seed();
    uint64_t epochs = cfg->epochs, batch = cfg->batch_size, seed = cfg->seed;
    double split = 0;
    const char *normalize = nn_norm_name(cfg->normalize);
    nn_error err;
    if (!nd_json_allow(req, body, "", job_fields) ||
        !nd_field_uint(req, body, "", "epochs", false, 1, max_epochs,
                       &epochs) ||
        !nd_field_uint(req, body, "", "batch_size", false, 1, max_batch,
                       &batch) ||
        !nd_field_string(req, body, "", "normalize", false, &normalize) ||
        !nd_field_number(req, body, "", "validation_split", false, 0, 0.99,
                         &split) ||
        !nd_field_bool(req, body, "", "shuffle", false, &cfg->shuffle) ||
        !nd_field_uint(req, body, "", "seed", false, 0, (1ull << 53) - 1,
                       &seed))
        return false;
    if (nn_norm_parse(normalize, &cfg->normalize, "/normalize", &err)) {
        nd_reply_invalid(req, 422, err.field, "%s", err.message);
        return false;
    }
    json_t *opt = json_object_get(body, "optimizer");
    double clip = 0;
    if (perceptron && !perceptron_fields(req, body))
        return false;
    if ((opt && !read_optimizer(req, opt, &cfg->optim)) ||
        !read_regularization(req, json_object_get(body, "regularization"),
                             &cfg->reg) ||
        !read_schedule(req, json_object_get(body, "lr_schedule"), cfg) ||
        !nd_field_number(req, body, "", "clip_grad_norm", false, 0, 1e6,
                         &clip) ||
        !read_stopping(req, json_object_get(body, "early_stopping"), cfg) ||
        !read_text_fields(req, body, kind, cfg))
        return false;
    cfg->clip_grad_norm = (float)clip;
    cfg->epochs = (size_t)epochs;
    cfg->batch_size = (size_t)batch;
    cfg->validation_split = (float)split;
    cfg->seed = seed;
    return true;
}

/* The optimizer as a job reports it: its kind's fields only. */
static json_t *optimizer_json(const nn_optim_config *o)
{
    if (o->kind == NN_OPT_SGD)
        return json_pack("{s:s, s:f, s:f, s:b, s:f}", "name", "sgd",
                         "learning_rate", nd_float_shortest(o->learning_rate),
                         "momentum", nd_float_shortest(o->momentum),
                         "nesterov", o->nesterov, "lr_decay",
                         nd_float_shortest(o->lr_decay));
    json_t *j = json_pack(
        "{s:s, s:f, s:f, s:f, s:f, s:f}", "name", nn_optim_name(o->kind),
        "learning_rate", nd_float_shortest(o->learning_rate), "beta1",
        nd_float_shortest(o->beta1), "beta2", nd_float_shortest(o->beta2),
        "epsilon", nd_float_shortest(o->epsilon), "lr_decay",
        nd_float_shortest(o->lr_decay));
    if (j && o->kind == NN_OPT_ADAMW)
        json_object_set_new(j, "weight_decay",
                            json_real(nd_float_shortest(o->weight_decay)));
    return j;
}

json_t *nd_job_params_json(const nn_train_config *cfg, nd_job_kind kind)
{
    bool perceptron = kind == ND_JOB_PERCEPTRON;
    json_t *p = json_pack(
        "{s:I, s:I, s:s, s:f, s:b, s:I}", "epochs", (json_int_t)cfg->epochs,
        "batch_size", (json_int_t)cfg->batch_size, "normalize",
        nn_norm_name(cfg->normalize), "validation_split",
        (double)cfg->validation_split, "shuffle", cfg->shuffle, "seed",
        (json_int_t)cfg->seed);
    if (!p)
        return NULL;
    if (!perceptron) {
        json_object_set_new(p, "optimizer", optimizer_json(&cfg->optim));
        json_object_set_new(p, "regularization",
                            json_pack("{s:f, s:f}", "l1",
                                      nd_float_shortest(cfg->reg.l1), "l2",
                                      nd_float_shortest(cfg->reg.l2)));
        const nn_lr_schedule *s = &cfg->schedule;
        json_object_set_new(
            p, "lr_schedule",
            json_pack("{s:I, s:s, s:f}", "warmup_steps",
                      (json_int_t)s->warmup_steps, "decay",
                      nn_lr_decay_name(s->decay), "min_learning_rate",
                      nd_float_shortest(s->min_learning_rate)));
        json_object_set_new(p, "clip_grad_norm",
                            json_real(nd_float_shortest(cfg->clip_grad_norm)));
    }
    if (kind == ND_JOB_TEXT)
        json_object_set_new(p, "epoch_steps",
                            json_integer((json_int_t)cfg->epoch_steps));
    json_object_set_new(p, "early_stopping",
                        cfg->patience
                            ? json_pack("{s:I, s:f}", "patience",
                                        (json_int_t)cfg->patience, "min_delta",
                                        nd_float_shortest(cfg->min_delta))
                            : json_null());
    return p;
}

static double num(json_t *o, const char *key, double dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

bool nd_job_params_parse(const char *text, nn_train_config *cfg)
{
    json_t *p = json_loads(text, 0, NULL);
    bool ok = nd_job_params_of(p, cfg);
    json_decref(p);
    return ok;
}

bool nd_job_params_of(json_t *p, nn_train_config *cfg)
{
    if (!json_is_object(p))
        return false;
    *cfg = nn_train_defaults();
    cfg->epochs = (size_t)num(p, "epochs", 1);
    cfg->batch_size = (size_t)num(p, "batch_size", 32);
    cfg->validation_split = (float)num(p, "validation_split", 0);
    cfg->shuffle = json_is_true(json_object_get(p, "shuffle"));
    cfg->seed = (uint64_t)num(p, "seed", 1);
    bool ok = nn_norm_parse(json_string_value(json_object_get(p, "normalize")),
                            &cfg->normalize, NULL, NULL) == NN_OK;
    json_t *o = json_object_get(p, "optimizer");
    if (o) {
        nn_optim_config *c = &cfg->optim;
        ok = ok && nn_optim_parse(json_string_value(json_object_get(o, "name")),
                                  &c->kind, NULL, NULL) == NN_OK;
        c->learning_rate = (float)num(o, "learning_rate", c->learning_rate);
        c->momentum = (float)num(o, "momentum", 0);
        c->nesterov = json_is_true(json_object_get(o, "nesterov"));
        c->beta1 = (float)num(o, "beta1", c->beta1);
        c->beta2 = (float)num(o, "beta2", c->beta2);
        c->epsilon = (float)num(o, "epsilon", c->epsilon);
        c->lr_decay = (float)num(o, "lr_decay", 1);
        c->weight_decay = (float)num(o, "weight_decay", c->weight_decay);
    }
    json_t *ls = json_object_get(p, "lr_schedule");
    cfg->schedule.warmup_steps = (size_t)num(ls, "warmup_steps", 0);
    cfg->schedule.min_learning_rate = (float)num(ls, "min_learning_rate", 0);
    const char *decay = json_string_value(json_object_get(ls, "decay"));
    ok = ok && (!decay || nn_lr_decay_parse(decay, &cfg->schedule.decay, NULL,
                                            NULL) == NN_OK);
    cfg->clip_grad_norm = (float)num(p, "clip_grad_norm", 0);
    cfg->epoch_steps = (size_t)num(p, "epoch_steps", 0);
    json_t *reg = json_object_get(p, "regularization");
    cfg->reg.l1 = (float)num(reg, "l1", 0);
    cfg->reg.l2 = (float)num(reg, "l2", 0);
    json_t *es = json_object_get(p, "early_stopping");
    cfg->patience = (size_t)num(es, "patience", 0);
    cfg->min_delta = (float)num(es, "min_delta", 0);
    return ok;
}
