/* web.h — the dashboard: the files of web/, compiled into the binary at
 * build time (tools/embed.sh), served at / and /web/{file}. */
#ifndef ND_WEB_H
#define ND_WEB_H

#include "http.h"

/* GET /: web/index.html. */
void web_index(nd_request *req);

/* GET /web/{file}: a file of web/ with the Content-Type of its extension;
 * 404 for any other name. */
void web_file(nd_request *req);

#endif
