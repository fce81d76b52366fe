// builder.js — the dashboard's network builder: the layer kinds a student
// can stack (dense, conv2d, maxpool2d, avgpool2d, flatten, dropout,
// batchnorm; embedding, rnn, lstm, gru, transformer_block and layernorm
// over a text's token ids), each row's settings as inputs, the model
// definition POST /v1/models takes (DESIGN.md, "Architectures beyond dense
// layers"), the tiny GPT preset, and the field a refusal names marked.
// The server checks every definition (heads dividing the width, …):
// nothing is validated twice here. app.js owns the state and calls these.
'use strict';

const builder = (() => {
  const ACTIVATIONS = ['tanh', 'sigmoid', 'relu', 'leaky_relu', 'gelu', 'linear', 'softmax', 'step', 'sign'];
  // Each kind's settings (the definition's fields, with their defaults)
  // and whether it has an activation.
  const KINDS = {
    dense: { fields: { units: 4 }, activation: 'tanh' },
    conv2d: { fields: { filters: 8, kernel: 3, stride: 1, padding: 'valid' }, activation: 'relu' },
    maxpool2d: { fields: { size: 2, stride: 2 } },
    avgpool2d: { fields: { size: 2, stride: 2 } },
    flatten: { fields: {} },
    dropout: { fields: { rate: 0.25 } },
    batchnorm: { fields: {} },
    embedding: { fields: { dim: 32, positions: 'none' } },
    rnn: { fields: { units: 64, return_sequences: true } },
    lstm: { fields: { units: 64, return_sequences: true } },
    gru: { fields: { units: 64, return_sequences: true } },
    transformer_block: { fields: { heads: 4, mlp_ratio: 4 } },
    layernorm: { fields: {} },
  };
  // The settings chosen from a list, and their choices.
  const CHOICES = { padding: ['valid', 'same'], positions: ['none', 'learned'], return_sequences: [true, false] };

  // A new layer of a kind, with that kind's defaults.
  function layer(type) {
    const k = KINDS[type];
    return { type, ...k.fields, ...(k.activation ? { activation: k.activation } : {}) };
  }

  // The stack a picked dataset starts with (kind 'image', 'text' or
  // anything else): a small CNN for images (conv 3×3 → pool → flatten
  // before the output), a character model for a text (embedding → lstm,
  // then the dense softmax over the vocabulary at every position), one
  // tanh layer otherwise.
  function defaults(kind) {
    if (kind === 'image') return [layer('conv2d'), layer('maxpool2d'), layer('flatten')];
    if (kind === 'text') return [layer('embedding'), layer('lstm')];
    return [layer('dense')];
  }

  function select(options, value, onChange) {
    const s = document.createElement('select');
    for (const o of options) s.add(new Option(o, o, false, o === value));
    s.onchange = () => onChange(s.value);
    return s;
  }

  // One labelled input for field `name` of layer l (numbers, or a select
  // for padding).
  function field(l, name) {
    const label = document.createElement('label');
    label.className = 'setting';
    label.append(name + ' ');
    let input;
    if (CHOICES[name]) {
      const choices = CHOICES[name];
      input = select(choices.map(String), String(l[name]), (v) => { l[name] = choices.find((c) => String(c) === v); });
    } else {
      const step = name === 'rate' ? '0.05' : '1';
      input = Object.assign(document.createElement('input'), { type: 'number', step, min: name === 'rate' ? 0 : 1,
        value: l[name] });
      input.onchange = () => { l[name] = Number(input.value); };
    }
    input.dataset.field = name;
    label.append(input);
    return label;
  }

  // The table rows for layers (each: kind, settings, activation, delete)
  // and the output row; onChange re-renders after a kind changes or a row
  // goes.
  function rows(layers, output, onChange) {
    const out = layers.map((l, i) => {
      const kind = select(Object.keys(KINDS), l.type, (v) => { layers[i] = layer(v); onChange(); });
      kind.dataset.field = 'type';
      const settings = document.createElement('span');
      settings.append(...Object.keys(KINDS[l.type].fields).map((f) => field(l, f)));
      const act = KINDS[l.type].activation
        ? select(ACTIVATIONS, l.activation, (v) => { l.activation = v; }) : '';
      if (act) act.dataset.field = 'activation';
      const del = Object.assign(document.createElement('button'), { type: 'button', textContent: '×',
        title: 'remove this layer' });
      del.onclick = () => { layers.splice(i, 1); onChange(); };
      return tr(String(i), kind, settings, act, del); // i: the index API errors point at (/layers/i)
    });
    const units = document.createElement('span');
    units.textContent = `units ${output.units}`;
    const act = select(ACTIVATIONS, output.activation, (v) => { output.activation = v; });
    act.dataset.field = 'activation';
    out.push(tr('output', 'dense', units, act, ''));
    return out;
  }

  function tr(...cells) {
    const row = document.createElement('tr');
    for (const c of cells) {
      const td = document.createElement('td');
      td.append(c);
      row.append(td);
    }
    return row;
  }

  // The layers as the API takes them: only each kind's own fields.
  function definition(layers, output) {
    const defs = layers.map((l) => {
      const d = { type: l.type };
      for (const f of Object.keys(KINDS[l.type].fields)) d[f] = l[f];
      if (KINDS[l.type].activation) d.activation = l.activation;
      return d;
    });
    defs.push({ type: 'dense', units: output.units, activation: output.activation });
    return defs;
  }

  // "1,28,28" → [1, 28, 28]; null for an empty field; throws on anything
  // but positive integers.
  function parseShape(text) {
    const t = text.trim();
    if (!t) return null;
    const dims = t.split(/[\s,×x]+/).map(Number);
    if (dims.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`input shape "${t}": give C,H,W`);
    return dims;
  }

  // nanoGPT's baby GPT made small, for a text of vocabulary V and
  // `tokens` tokens: embedding 64 wide with learned positions, two
  // transformer blocks of 4 heads, layernorm (the dense softmax over V is
  // the builder's output row); a context of 64, or a quarter of a shorter
  // text so that its windows fit.
  function tinyGpt(tokens) {
    const emb = { ...layer('embedding'), dim: 64, positions: 'learned' };
    return { layers: [emb, layer('transformer_block'), layer('transformer_block'), layer('layernorm')],
      context: Math.max(1, Math.min(64, Math.floor(tokens / 4))) };
  }

  // Marks the input a refusal's pointer names in the builder's rows
  // (tbody), e.g. "/layers/1/heads", with the server's message as its
  // title; clears earlier marks. Returns the input, or null when the
  // pointer names no row's field.
  function markInvalid(tbody, pointer, message) {
    for (const el of tbody.querySelectorAll('.invalid')) { el.classList.remove('invalid'); el.title = ''; }
    const m = /^\/layers\/(\d+)(?:\/(\w+))?/.exec(pointer || '');
    const row = m && tbody.rows[Number(m[1])];
    const input = row && (row.querySelector(`[data-field="${m[2] || 'type'}"]`) || row.querySelector('[data-field=type]'));
    if (!input) return null;
    input.classList.add('invalid');
    input.title = message;
    return input;
  }

  return { ACTIVATIONS, layer, defaults, rows, definition, parseShape, tinyGpt, markInvalid };
})();
