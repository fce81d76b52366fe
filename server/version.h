/* version.h — the release of neurond and of its HTTP API. */
#ifndef ND_VERSION_H
#define ND_VERSION_H

#define ND_VERSION "0.1.0"
#define ND_API_VERSION "v1"

#endif
