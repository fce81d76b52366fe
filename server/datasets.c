/* datasets.c — placeholder until the datasets routes land. */
#include "datasets.h"

static void todo(nd_request *req) { nd_reply_problem(req, 404, "datasets are not implemented yet"); }
static void todo_begin(nd_request *req) { todo(req); }
static bool todo_data(nd_request *req, const char *d, size_t n) { (void)d; (void)n; todo(req); return false; }
const nd_stream datasets_csv = {"text/csv", todo_begin, todo_data, todo, NULL};
void datasets_create(nd_request *req) { todo(req); }
void datasets_list(nd_request *req) { todo(req); }
void datasets_get(nd_request *req) { todo(req); }
void datasets_rows(nd_request *req) { todo(req); }
void datasets_delete(nd_request *req) { todo(req); }
int nd_dataset_load(const char *id, nd_dataset *out, char *err, size_t errlen) { (void)id; (void)out; (void)err; (void)errlen; return 1; }
void nd_dataset_release(nd_dataset *d) { (void)d; }
int nd_dataset_shape(const char *id, size_t *rows, size_t *input_dim, size_t *output_dim, bool *classification) { (void)id; (void)rows; (void)input_dim; (void)output_dim; (void)classification; return 1; }
