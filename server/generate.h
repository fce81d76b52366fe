/* generate.h — POST /v1/models/{id}/generate: text from a language model
 * trained on a text (one whose vocabulary a job stored). The body
 * {"prompt", "max_tokens", "temperature", "top_k", "seed"} is checked
 * whole before anything is sampled; the reply is produced one token (or
 * one piece of prompt) per call of the connection's content reader, so
 * one HTTP thread never works longer than one token's pass at a time,
 * and the first token goes out as soon as it is sampled:
 *   - JSON (the default): {"text": "…", "tokens": N, "seed": S}, sent
 *     chunked as the tokens come;
 *   - with Accept: text/event-stream: `event: token` {"text": "a"} per
 *     token, then `event: end` {"tokens": N, "seed": S}.
 * Errors: 422 at /prompt (empty, longer than ND_GEN_MAX_PROMPT tokens, or
 * a character outside the vocabulary), at /max_tokens (above
 * ND_GEN_MAX_TOKENS), /temperature, /top_k; 409 for a model with no
 * vocabulary or that is not a language model (no output per position). */
#ifndef ND_GENERATE_H
#define ND_GENERATE_H

#include "http.h"

#define ND_GEN_MAX_TOKENS 4096u  /* tokens one request may generate */
#define ND_GEN_MAX_PROMPT 4096u  /* tokens a prompt may have */
#define ND_GEN_MAX_TEMPERATURE 10.0

void models_generate(nd_request *req);

#endif
