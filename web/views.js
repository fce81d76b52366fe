// views.js — the dashboard's pictures of data and results that are not
// charts: a grid of an image dataset's sample images with their labels,
// and a classifier's confusion matrix with per-class precision and recall
// (from POST /v1/models/{id}/evaluate). Plain DOM and canvas; app.js
// calls these with what the API returned.
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

  // One image row (C·H·W values, channels first) as a canvas: grey for one
  // channel, RGB from the first three otherwise.
  function imageCanvas(values, [c, h, w], range) {
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
    const big = Object.assign(document.createElement('canvas'), { width: w * SCALE, height: h * SCALE });
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

  return { drawSamples, renderEvaluation };
})();
