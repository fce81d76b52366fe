/* web.c — serving the embedded dashboard and docs files (see web.h). Embedding
 * means the binary never depends on where it is started from, and the
 * files match the build that serves the API they call. */
#include <string.h>

#include "web.h"

/* Generated from web/ by tools/embed.sh into build/gen/web_data.c. */
extern const struct nd_asset {
    const char *path;
    const unsigned char *data;
    size_t len;
} nd_assets[];
extern const size_t nd_assets_count;

static const char *type_of(const char *path)
{
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof *types; i++)
        if (strcmp(dot, types[i][0]) == 0)
            return types[i][1];
    return "text/plain; charset=utf-8";
}

/* Replies with the asset at path ("/app.js"), or 404. */
static void serve(nd_request *req, const char *path)
{
    for (size_t i = 0; i < nd_assets_count; i++) {
        if (strcmp(nd_assets[i].path, path) == 0) {
            nd_reply_raw(req, 200, type_of(path),
                         (const char *)nd_assets[i].data, nd_assets[i].len);
            return;
        }
    }
    nd_reply_problem(req, 404, "no file %s in the dashboard", path);
}

void web_index(nd_request *req)
{
    serve(req, "/index.html");
}

/* Replies with the asset named by the route's {file} under folder ("" for
 * web/, "/docs" for web/docs/), or 404. The segment holds no '/', so a
 * file of another folder is never reached. */
static void serve_in(nd_request *req, const char *folder)
{
    char path[200];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", folder,
                         req->params[0]) >= sizeof path) {
        nd_reply_problem(req, 404, "no such file in the dashboard");
        return;
    }
    serve(req, path);
}

void web_file(nd_request *req)
{
    serve_in(req, "");
}

void web_docs_index(nd_request *req)
{
    serve(req, "/docs/index.html");
}

void web_docs_file(nd_request *req)
{
    serve_in(req, "/docs");
}
