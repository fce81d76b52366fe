// text.js — the dashboard's texts: a text/plain file uploaded as a
// dataset (task language_modeling: tokens, vocab_size, vocabulary), what
// the builder and the training form take for one (vocab_size and context
// instead of inputs, no normalisation, steps per epoch), and the generate
// panel, which streams a model's text token by token as the server
// samples it (POST /v1/models/{id}/generate, Accept: text/event-stream).
// app.js owns the state and calls these.
'use strict';

const text = (() => {
  const isText = (d) => !!d && d.task === 'language_modeling';
  // A model that can write: a language model that knows its vocabulary.
  const canGenerate = (m) => !!m && !!m.vocab_size && Array.isArray(m.vocabulary) && m.vocabulary.length > 0;

  // Uploads a File as a text dataset (one token per character).
  async function upload(api, file) {
    const q = new URLSearchParams({ name: file.name.replace(/\.txt$/i, '') });
    return api('POST', `/v1/datasets?${q}`, await file.text(), 'text/plain; charset=utf-8');
  }

  // What a text dataset is in the dataset list and above the builder.
  const listLabel = (d) => `${d.name} — ${d.tokens} tokens, ${d.vocab_size} characters, language_modeling`;
  const inputsLabel = (d, context) => `${context} token ids (of ${d.vocab_size}) → … → ${d.vocab_size} `
    + 'next-character probabilities at each position';

  // The input part of a model definition for a text.
  const modelInput = (d, context) => ({ vocab_size: d.vocab_size, context });

  // Shows what only a text uses (the context and steps-per-epoch fields,
  // the tiny GPT preset) instead of the input shape, and sets the training form's
  // normalisation to none.
  function showFields(isTextData) {
    for (const id of ['context-field', 'epoch-steps-field', 'tiny-gpt']) document.getElementById(id).hidden = !isTextData;
    document.getElementById('input-shape-field').hidden = isTextData;
    if (isTextData) document.getElementById('normalize').value = 'none';
  }

  // The panel's note and button for the selected model.
  function showPanel(m) {
    const ok = canGenerate(m);
    document.getElementById('generate').disabled = !ok;
    document.getElementById('gen-note').textContent = ok
      ? `${m.name}: ${m.vocab_size} characters, context ${m.context}.`
      : 'Train a language model on a text to let it write.';
  }

  // Streams a generation from model m into the panel's output: each
  // token shown as soon as its event arrives. conn is {base, token};
  // resolves with {text, tokens, firstMs, ms, seed}.
  async function generate(conn, m, opts) {
    const out = document.getElementById('gen-out');
    const headers = { Accept: 'text/event-stream', 'Content-Type': 'application/json' };
    if (conn.token) headers.Authorization = 'Bearer ' + conn.token;
    const t0 = performance.now();
    const r = await fetch(`${conn.base.replace(/\/$/, '')}/v1/models/${m.id}/generate`,
      { method: 'POST', headers, body: JSON.stringify(opts) });
    if (!r.ok) {
      const p = await r.json().catch(() => null);
      throw new Error((p && p.detail) || `generate: ${r.status}`);
    }
    out.textContent = opts.prompt;
    const run = { text: '', tokens: 0, firstMs: null, ms: 0, seed: null };
    const end = await readSse(r, (name, data) => {
      if (name !== 'token') return;
      if (run.firstMs === null) run.firstMs = performance.now() - t0;
      run.text += data.text;
      run.tokens++;
      out.textContent += data.text;
    });
    run.ms = performance.now() - t0;
    run.seed = end && end.seed;
    return run;
  }

  // The panel's fields as a generate body.
  function panelOptions() {
    const v = (id) => document.getElementById(id).value;
    const o = { prompt: v('gen-prompt'), max_tokens: Number(v('gen-length')), temperature: Number(v('gen-temp')),
      top_k: Number(v('gen-topk')) };
    if (v('gen-seed') !== '') o.seed = Number(v('gen-seed'));
    return o;
  }

  return { isText, canGenerate, upload, listLabel, inputsLabel, modelInput, showFields, showPanel, generate,
    panelOptions };
})();
