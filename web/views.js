// views.js — the dashboard's pictures of data and results that are not
// charts: a grid of an image dataset's sample images with their labels,
// a classifier's confusion matrix with per-class precision and recall
// (from POST /v1/models/{id}/evaluate), a model's layer summary (output
// shapes, parameters) and a conv net's first-layer filters as images.
// Plain DOM and canvas; app.js calls these with what the API returned.
'use strict';

const views = (() => {
  const SCALE = 2; // screen pixels per image pixel

  // The grey level range of an image dataset, from its column stats, so
  // that 0–255 pixels and 0–1 pixels both show with full contrast.
  function pixelRange(d) {
    let lo = Infinity, hi = -Infinity;
    for (const s of d.stats) { lo = Math.min(lo, s.min); hi = Math.max(hi, s.max); }
    return hi > lo ? { lo, hi } : { lo, hi: lo + 1 };
  }

  // One image row (C·H·W values, channels first) as a canvas, each pixel
  // drawn `scale` screen pixels wide: grey for one channel, RGB from the
  // first three otherwise.
  function imageCanvas(values, [c, h, w], range, scale = SCALE) {
    const img = new ImageData(w, h);
    const level = (v) => Math.round((255 * (v - range.lo)) / (range.hi - range.lo));
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const at = y * w + x, px = [0, 1, 2].map((k) => level(values[Math.min(k, c - 1) * h * w + at]));
        img.data.set([...px, 255], at * 4);
      }
    }
    const small = Object.assign(document.createElement('canvas'), { width: w, height: h });
    small.getContext('2d').putImageData(img, 0, 0);
    const big = Object.assign(document.createElement('canvas'), { width: w * scale, height: h * scale });
    const ctx = big.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(small, 0, 0, big.width, big.height);
    return big;
  }

  // Fills el with one figure per row: the image and its label (or target).
  function drawSamples(el, d, rows) {
    const range = pixelRange(d);
    el.replaceChildren(...rows.map((row) => {
      const fig = document.createElement('figure');
      const cap = document.createElement('figcaption');
      cap.textContent = row.label !== undefined ? row.label : row.targets.map((v) => v.toPrecision(3)).join(', ');
      fig.append(imageCanvas(row.inputs, d.input_shape, range), cap);
      return fig;
    }));
    el.hidden = false;
  }

  const pct = (v) => (v === null || v === undefined ? '—' : `${(100 * v).toFixed(1)}%`);

  function cell(tag, text, cls) {
    const c = document.createElement(tag);
    c.textContent = text;
    if (cls) c.className = cls;
    return c;
  }

  // A confusion matrix as a table (rows: true class, columns: predicted),
  // each cell shaded by its share of the true class, with recall per row
  // and precision per column.
  function confusionTable(e) {
    const t = document.createElement('table');
    t.className = 'confusion';
    const head = t.createTHead().insertRow();
    head.append(cell('th', 'true \\ predicted'), ...e.classes.map((c) => cell('th', c)), cell('th', 'recall'));
    const body = t.createTBody();
    e.confusion.forEach((counts, i) => {
      const row = body.insertRow();
      const total = counts.reduce((a, b) => a + b, 0) || 1;
      row.append(cell('th', e.classes[i]));
      counts.forEach((n, j) => {
        const td = cell('td', String(n), i === j ? 'hit' : n ? 'miss' : '');
        const share = n / total;
        td.style.background = i === j ? `rgba(60, 170, 90, ${share})` : `rgba(230, 120, 40, ${Math.min(1, 2 * share)})`;
        row.append(td);
      });
      row.append(cell('td', pct(e.recall[i]), 'rate'));
    });
    const foot = t.createTFoot().insertRow();
    foot.append(cell('th', 'precision'), ...e.precision.map((p) => cell('td', pct(p), 'rate')), cell('td', ''));
    return t;
  }

  // Fills el with an evaluation: its summary line, then the confusion
  // matrix of a classifier or the error per output of a regression.
  function renderEvaluation(el, e, datasetName) {
    const p = document.createElement('p');
    const trained = e.trained ? '' : ' (untrained: its initial weights)';
    p.textContent = e.accuracy !== undefined
      ? `On ${datasetName} (${e.rows} rows)${trained}: accuracy ${pct(e.accuracy)}, loss ${e.loss.toPrecision(4)}.`
      : `On ${datasetName} (${e.rows} rows)${trained}: loss ${e.loss.toPrecision(4)}; ` +
        e.per_output.map((o) => `${o.name}: mse ${o.mse.toPrecision(4)}, mae ${o.mae.toPrecision(4)}`).join('; ');
    el.replaceChildren(p);
    if (e.confusion) el.append(confusionTable(e));
  }

  const dims = (shape) => shape.join('×');

  // What a layer of the model reply is set to, in words.
  function settingsText(l) {
    const k = Array.isArray(l.kernel) ? l.kernel.join('×') : `${l.kernel}×${l.kernel}`;
    switch (l.type) {
      case 'dense': return `${l.units} units, ${l.activation}`;
      case 'conv2d': return `${l.filters} filters ${k}, stride ${l.stride}, ${l.padding}, ${l.activation}`;
      case 'maxpool2d': case 'avgpool2d': return `size ${l.size}, stride ${l.stride}`;
      case 'dropout': return `rate ${l.rate}`;
      case 'embedding': return `dim ${l.dim}, positions ${l.positions}`;
      case 'rnn': case 'lstm': case 'gru': return `${l.units} units${l.return_sequences ? ', every step' : ', last step'}`;
      case 'transformer_block': return `${l.heads} heads, mlp ×${l.mlp_ratio}`;
      default: return '';
    }
  }

  // Fills el with the model's summary: the input, each layer's kind,
  // settings, output shape and parameter count, and the total.
  function renderSummary(el, m) {
    const t = document.createElement('table');
    t.className = 'summary';
    t.createTHead().insertRow().append(...['#', 'layer', 'settings', 'output shape', 'parameters']
      .map((h) => cell('th', h)));
    const body = t.createTBody();
    body.insertRow().append(cell('td', ''), cell('td', 'input'),
      cell('td', m.vocab_size ? `token ids of ${m.vocab_size}` : ''),
      cell('td', dims(m.input_shape || [m.inputs])), cell('td', '0'));
    m.layers.forEach((l, i) => {
      body.insertRow().append(cell('td', String(i)), cell('td', l.type || 'dense'), cell('td', settingsText(l)),
        cell('td', l.output_shape ? dims(l.output_shape) : String(l.units)), cell('td', String(l.parameters)));
    });
    const foot = t.createTFoot().insertRow();
    foot.append(cell('th', ''), cell('th', 'total'), cell('th', ''), cell('th', ''),
      cell('th', m.parameters.toLocaleString('en-US')));
    el.replaceChildren(t);
    el.hidden = false;
  }

  // The first conv2d layer of a model reply with weights, as { k, filters,
  // C, kh, kw }: W is filters × C·kh·kw (PyTorch's (F, C, kh, kw)
  // flattened), C the channels of the layer's input. null without one.
  function firstConv(m) {
    const k = m.layers.findIndex((l) => l.type === 'conv2d');
    if (k < 0 || !m.weights || !m.weights[k] || !m.weights[k].W) return null;
    const l = m.layers[k];
    const [kh, kw] = Array.isArray(l.kernel) ? l.kernel : [l.kernel, l.kernel];
    const W = m.weights[k].W;
    return { k, filters: W, C: W[0].length / (kh * kw), kh, kw };
  }

  // Fills el with the first conv layer's filters as small images, all on
  // one grey scale (mid-grey 0, white the largest positive weight, black
  // its negative): RGB for 3 input channels, the first channel otherwise.
  // Returns how many it drew (0: the model has no conv layer).
  function drawFilters(el, m) {
    const f = firstConv(m);
    if (!f) { el.hidden = true; return 0; }
    let big = 0;
    for (const row of f.filters) for (const v of row) big = Math.max(big, Math.abs(v));
    const range = { lo: -(big || 1), hi: big || 1 };
    const channels = f.C === 3 ? 3 : 1, scale = Math.max(4, Math.floor(40 / Math.max(f.kh, f.kw)));
    const note = document.createElement('p');
    note.textContent = `Layer ${f.k}'s ${f.filters.length} filters (${f.kh}×${f.kw}` +
      (f.C > 1 && f.C !== 3 ? `, channel 1 of ${f.C}` : '') + '): white positive, black negative weights.';
    const grid = document.createElement('div');
    grid.className = 'filters';
    grid.append(...f.filters.map((w, i) => {
      const fig = document.createElement('figure');
      fig.append(imageCanvas(w.slice(0, channels * f.kh * f.kw), [channels, f.kh, f.kw], range, scale),
        cell('figcaption', String(i + 1)));
      return fig;
    }));
    el.replaceChildren(note, grid);
    el.hidden = false;
    return f.filters.length;
  }

  return { drawSamples, renderEvaluation, renderSummary, drawFilters };
})();
