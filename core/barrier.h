/* barrier.h — internal: a barrier for the trainer's lock-step threads that
 * spins briefly before sleeping. A mini-batch step is a few hundred µs with
 * several barriers, so a sleeping barrier's wake-up latency would cost a
 * visible share of it; the spin is bounded, so a preempted partner costs no
 * CPU for long. */
#ifndef NN_BARRIER_H
#define NN_BARRIER_H

#include <pthread.h>
#include <stdatomic.h>

typedef struct {
    _Alignas(64) atomic_uint arrived;  /* written by each arriving thread */
    _Alignas(64) atomic_uint generation; /* polled by the waiting ones */
    atomic_uint sleepers;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned count;
} nn_barrier;

/* Returns 0, or an errno value if the mutex or condition cannot be made. */
int nn_barrier_init(nn_barrier *b, unsigned count);
void nn_barrier_destroy(nn_barrier *b);

/* Blocks until `count` threads have called it; then all return. */
void nn_barrier_wait(nn_barrier *b);

#endif
