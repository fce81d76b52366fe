/* models.c — placeholder until the models routes land. */
#include "models.h"

static void todo(nd_request *req) { nd_reply_problem(req, 404, "models are not implemented yet"); }
void models_create(nd_request *req) { todo(req); }
void models_list(nd_request *req) { todo(req); }
void models_get(nd_request *req) { todo(req); }
void models_delete(nd_request *req) { todo(req); }
void models_export(nd_request *req) { todo(req); }
void models_import(nd_request *req) { todo(req); }
void models_predict(nd_request *req) { todo(req); }
int nd_model_load(const char *id, nn_network **net, char *err, size_t errlen) { (void)id; (void)net; (void)err; (void)errlen; return 1; }
int nd_model_store(const char *id, const nn_network *net, char *err, size_t errlen) { (void)id; (void)net; (void)err; (void)errlen; return -1; }
