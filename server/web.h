/* web.h — the dashboard and the API docs: the files of web/, compiled
 * into the binary at build time (tools/embed.sh), served at / and
 * /web/{file}; those of web/docs/ (Swagger UI) at /docs and /docs/{file}. */
#ifndef ND_WEB_H
#define ND_WEB_H

#include "http.h"

/* GET /: web/index.html. */
void web_index(nd_request *req);

/* GET /web/{file}: a file of web/ with the Content-Type of its extension;
 * 404 for any other name. */
void web_file(nd_request *req);

/* GET /docs: web/docs/index.html, Swagger UI over /openapi.yaml. */
void web_docs_index(nd_request *req);

/* GET /docs/{file}: a file of web/docs/, as web_file. */
void web_docs_file(nd_request *req);

#endif
