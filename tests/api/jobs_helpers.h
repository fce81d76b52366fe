/* jobs_helpers.h — creating the datasets, models and jobs that job tests
 * train, through the API, asserting each step. */
#ifndef API_JOBS_HELPERS_H
#define API_JOBS_HELPERS_H

#include "harness.h"

/* A generated dataset ("xor", "and", "circle", …); its id into id. */
void make_generated(api_server *s, const char *generator, char id[64]);

/* A CSV dataset uploaded from a file; its id into id. */
void make_csv(api_server *s, const char *path, const char *name,
              const char *target, char id[64]);

/* A dataset from a JSON body (POST /v1/datasets); its id into id. */
void make_dataset(api_server *s, const char *body, char id[64]);

/* A model from a JSON definition; its id into id. */
void make_model(api_server *s, const char *definition, char id[64]);

/* A 2-4-1 network (tanh, sigmoid output, seed 1) for the XOR dataset. */
void make_xor_net(api_server *s, char id[64]);

/* POST /v1/jobs with model and dataset plus the extra fields (a printf
 * format of JSON members, with one unsigned argument); asserts 202. */
void start_job(api_server *s, const char *model, const char *dataset,
               const char *extra_fmt, char id[64], unsigned arg);

/* A job that diverges (a linear model fitting targets near 1e30 with a
 * learning rate of 1000): it fails with "diverged". Its id into id. */
void start_diverging_job(api_server *s, char id[64]);

/* POST /v1/jobs/{job}/cancel; asserts 202. */
void cancel_job(api_server *s, const char *job);

/* Predictions of a 2-input, 1-output model on the four XOR inputs. */
void predict4(api_server *s, const char *model, float out[4]);

/* The cross-entropy (nats per token) of text[from, to) under the byte
 * frequencies of text[0, from) — what a model that ignores the context
 * does at best, knowing the training text: the unigram baseline. */
/* SIGKILLs s while job trains: once it is past epoch `past`, plus 200 ms
 * for a few checkpoints. Asserts the job had not reached its `epochs`,
 * restarts s with extra and returns the epoch the job was killed at. */
long kill_mid_job(api_server *s, const char *job, long past, long epochs,
                  const char *const *extra);

/* Asserts s's log says job resumed from its checkpoint at an epoch in
 * (0, at]: at most where kill_mid_job stopped it, and not from scratch. */
void assert_resumed_from_checkpoint(api_server *s, const char *job, long at);

double text_unigram_nats(const char *text, size_t from, size_t to);

/* A job that trains far longer than any test waits (2000 spiral rows,
 * batch 1, a million epochs): the test cancels it. Its id into job. */
void start_long_job(api_server *s, char job[64]);

/* GET /v1/jobs/{id} (asserted 200): the job, the caller's to decref. */
json_t *job_get(api_server *s, const char *id);

/* The epoch job has reached, as GET /v1/jobs/{id} says (asserted 200). */
long job_epoch(api_server *s, const char *job);

/* Waits (up to 30 s) until job has recorded at least epochs epochs. */
void wait_epochs(api_server *s, const char *job, long epochs);

/* Asserts that the job's history holds every epoch 1..n exactly once, in
 * order (read page by page). */
void assert_history_complete(api_server *s, const char *id, long n);

#endif
