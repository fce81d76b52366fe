/* nn.h — libnn, neurond's numerics core: everything in one include. */
#ifndef NN_H
#define NN_H

#include "nn_activation.h"
#include "nn_blas.h"
#include "nn_error.h"
#include "nn_limits.h"
#include "nn_loss.h"
#include "nn_model_io.h"
#include "nn_network.h"
#include "nn_optim.h"
#include "nn_perceptron.h"
#include "nn_regularize.h"
#include "nn_rng.h"
#include "nn_sample.h"
#include "nn_trace.h"
#include "nn_train.h"

#endif
