// playground-draw.js — the playground's pictures, computed in the page from
// the weights the server streams (events?weights=true): a forward pass in
// JavaScript over a grid of the input plane, the decision boundary (one
// colour per class, as many classes as the output has) and each neuron's
// output as heat maps, the network diagram with links coloured and
// sized by weight, g(x) of one activation, and line charts of the runs.
// Plain browser JavaScript; it defines window.pgDraw and touches no API.
'use strict';

(() => {
  // The activations of DESIGN.md, as the server computes them.
  function act(name, z, k = 1, alpha = 0.01) {
    switch (name) {
      case 'step': return z > 0 ? 1 : 0;
      case 'sign': return z > 0 ? 1 : -1;
      case 'sigmoid': return 1 / (1 + Math.exp(-k * z));
      case 'tanh': return Math.tanh(z);
      case 'relu': return Math.max(0, z);
      case 'leaky_relu': return Math.max(alpha * z, z);
      default: return z; // linear (softmax is applied per row below)
    }
  }

  // The inputs a point (x, y) of the plane gives for the chosen features.
  const FEATURES = {
    x: (x) => x, y: (x, y) => y, 'x^2': (x) => x * x, 'y^2': (x, y) => y * y,
    'x*y': (x, y) => x * y, 'sin(x)': (x) => Math.sin(x), 'sin(y)': (x, y) => Math.sin(y),
  };
  const features = (names, x, y) => names.map((f) => FEATURES[f](x, y));

  // Every layer's activations for one raw input row: the model's
  // normalisation first, then a = g(a W + b) layer by layer.
  function forward(model, weights, norm, input) {
    let a = input.map((v, j) => (norm && norm.kind !== 'none' ? (v - norm.shift[j]) * norm.scale[j] : v));
    const out = [];
    weights.forEach((l, k) => {
      const spec = model.layers[k];
      const z = l.b.map((b, j) => a.reduce((s, ai, i) => s + ai * l.W[i][j], b));
      if (spec.activation === 'softmax') {
        const m = Math.max(...z), e = z.map((v) => Math.exp(v - m)), s = e.reduce((p, q) => p + q, 0);
        a = e.map((v) => v / s);
      } else {
        a = z.map((v) => act(spec.activation, v, spec.k, spec.alpha));
      }
      out.push(a);
    });
    return out;
  }

  // A value in [lo, hi] as a colour: blue (low) through white to orange.
  function shade(v, lo, hi) {
    const t = Math.min(1, Math.max(0, (v - lo) / (hi - lo || 1))) * 2 - 1;
    const blue = [47, 111, 223], orange = [230, 120, 40];
    const c = t < 0 ? blue : orange, f = Math.abs(t);
    return c.map((ch) => Math.round(255 + (ch - 255) * f));
  }

  // The plane's bounds around the points, padded.
  function plane(points) {
    const xs = points.map((p) => p.x), ys = points.map((p) => p.y);
    const pad = (lo, hi) => (hi - lo || 1) * 0.15;
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    return { x0: x0 - pad(x0, x1), x1: x1 + pad(x0, x1), y0: y0 - pad(y0, y1), y1: y1 + pad(y0, y1) };
  }

  // The output (class 1's probability, or the one output) and each hidden
  // neuron's activation at every cell of an n×n grid of the plane.
  function grid(net, n) {
    const p = plane(net.points), cells = [];
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        const x = p.x0 + ((c + 0.5) / n) * (p.x1 - p.x0), y = p.y1 - ((r + 0.5) / n) * (p.y1 - p.y0);
        // A real dataset's two columns are the plane; a generator's through its features.
        cells.push(forward(net.model, net.weights, net.norm, net.plain ? [x, y] : features(net.features, x, y)));
      }
    }
    return { n, p, cells };
  }

  const outValue = (acts) => { const o = acts[acts.length - 1]; return o.length > 1 ? o[1] : o[0]; };

  // The class colours (blue and orange first, as the two-class shades).
  const CLASS = [[47, 111, 223], [230, 120, 40], [60, 170, 90], [200, 60, 160], [150, 110, 40],
    [90, 90, 90], [40, 170, 190], [190, 190, 40], [120, 70, 200], [200, 60, 60]];
  const classColour = (k) => CLASS[k % CLASS.length];

  // Paints values[i] (row-major n×n) into canvas, scaled over [lo, hi].
  function paint(canvas, n, values, lo, hi) {
    paintRgb(canvas, n, values.map((v) => shade(v, lo, hi)));
  }

  // Paints colours[i] ([r, g, b], row-major n×n) into canvas, smoothed.
  function paintRgb(canvas, n, colours) {
    const ctx = canvas.getContext('2d'), img = ctx.createImageData(n, n);
    colours.forEach((c, i) => img.data.set([c[0], c[1], c[2], 255], i * 4));
    const off = document.createElement('canvas');
    off.width = off.height = n;
    off.getContext('2d').putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
  }

  function drawPoints(canvas, points, p) {
    const ctx = canvas.getContext('2d'), w = canvas.width, h = canvas.height;
    for (const pt of points) {
      const c = classColour(Number(pt.cls)).map((v) => Math.round(v * 0.75)); // darker than its area
      ctx.fillStyle = `rgb(${c})`;
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.arc(((pt.x - p.x0) / (p.x1 - p.x0)) * w, h - ((pt.y - p.y0) / (p.y1 - p.y0)) * h,
        points.length > 50 ? 3 : 7, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
  }

  // The decision boundary of net over its points; returns the grid, with
  // g.classes the predicted class of each cell when the output has more
  // than two units (each cell in its class's colour, paler where the
  // probability is lower), else null (one value, blue to orange).
  function boundary(canvas, net) {
    const g = grid(net, 40);
    const last = net.model.layers[net.model.layers.length - 1];
    if (last.units > 2) {
      g.classes = g.cells.map((acts) => { const o = acts[acts.length - 1]; return o.indexOf(Math.max(...o)); });
      paintRgb(canvas, g.n, g.cells.map((acts, i) => {
        const p = Math.max(...acts[acts.length - 1]), f = Math.min(1, 0.25 + 0.75 * p);
        return classColour(g.classes[i]).map((ch) => Math.round(255 + (ch - 255) * f));
      }));
    } else {
      g.classes = null;
      paint(canvas, g.n, g.cells.map(outValue), last.activation === 'sign' ? -1 : 0, 1);
    }
    drawPoints(canvas, net.points, g.p);
    return g;
  }

  // A perceptron's line w1 x + w2 y + b = 0 over its points (gates: the
  // unit square), the positive side tinted orange.
  function perceptronLine(canvas, points, W, b) {
    const ctx = canvas.getContext('2d'), w = canvas.width, h = canvas.height;
    const p = { x0: -0.5, x1: 1.5, y0: -0.5, y1: 1.5 };
    const n = 40, vals = [];
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        const x = p.x0 + ((c + 0.5) / n) * 2, y = p.y1 - ((r + 0.5) / n) * 2;
        vals.push(W[0][0] * x + W[1][0] * y + b[0] > 0 ? 0.75 : 0.25);
      }
    }
    paint(canvas, n, vals, 0, 1);
    if (W[1][0] !== 0 || W[0][0] !== 0) {
      const at = (x) => (-b[0] - W[0][0] * x) / W[1][0];
      ctx.strokeStyle = '#222';
      ctx.lineWidth = 2;
      ctx.beginPath();
      if (W[1][0] !== 0) {
        ctx.moveTo(0, h - ((at(p.x0) - p.y0) / 2) * h);
        ctx.lineTo(w, h - ((at(p.x1) - p.y0) / 2) * h);
      } else {
        const x = -b[0] / W[0][0];
        ctx.moveTo(((x - p.x0) / 2) * w, 0);
        ctx.lineTo(((x - p.x0) / 2) * w, h);
      }
      ctx.stroke();
    }
    drawPoints(canvas, points, p);
  }

  // The network as nodes and links: a link's colour is its weight's sign
  // (orange +, blue −), its width the magnitude; each hidden and output
  // neuron shows its output over the plane as a small heat map. Returns the
  // links drawn, as [{from, to, w, color}], for tests.
  function diagram(svg, net, g) {
    const sizes = [net.features.length, ...net.model.layers.map((l) => l.units)];
    const most = Math.max(...sizes), W = 560, H = 260, box = Math.max(10, Math.min(34, (H - 20) / most - 4)), col = (k) => 30 + (k * (W - 80)) / (sizes.length - 1);
    const row = (k, i) => H / 2 + (i - (sizes[k] - 1) / 2) * Math.min(48, (H - 20) / sizes[k]);
    const ns = 'http://www.w3.org/2000/svg', el = (t, a) => {
      const e = document.createElementNS(ns, t);
      for (const [k, v] of Object.entries(a)) e.setAttribute(k, v);
      return e;
    };
    svg.replaceChildren();
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    const links = [];
    const max = Math.max(1e-9, ...net.weights.flatMap((l) => l.W.flat().map(Math.abs)));
    net.weights.forEach((l, k) => l.W.forEach((wrow, i) => wrow.forEach((w, j) => {
      const color = w >= 0 ? 'rgb(230,120,40)' : 'rgb(47,111,223)';
      links.push({ from: `${k}:${i}`, to: `${k + 1}:${j}`, w, color });
      svg.append(el('line', { x1: col(k) + box / 2, y1: row(k, i), x2: col(k + 1) - box / 2, y2: row(k + 1, j),
        stroke: color, 'stroke-width': 0.5 + 5 * Math.abs(w) / max, 'stroke-opacity': 0.8,
        'data-w': w.toFixed(4) }));
    })));
    sizes.forEach((n, k) => {
      for (let i = 0; i < n; i++) {
        const x = col(k) - box / 2, y = row(k, i) - box / 2;
        if (k === 0 || !g) {
          svg.append(el('rect', { x, y, width: box, height: box, fill: '#eee', stroke: '#999' }));
          const t = el('text', { x: col(k), y: row(k, i) + 4, 'text-anchor': 'middle', 'font-size': 10 });
          t.textContent = k === 0 ? shortName(String(net.features[i])) : '';
          svg.append(t);
          continue;
        }
        const c = document.createElement('canvas');
        c.width = c.height = box;
        const lo = ['tanh', 'sign'].includes(net.model.layers[k - 1].activation) ? -1 : 0;
        paint(c, g.n, g.cells.map((a) => a[k - 1][i]), lo, 1);
        svg.append(el('image', { x, y, width: box, height: box, href: c.toDataURL(), class: 'neuron',
          'data-neuron': `${k}:${i}` }));
        svg.append(el('rect', { x, y, width: box, height: box, fill: 'none', stroke: '#555' }));
      }
    });
    return links;
  }

  // A column name that fits a node: sepal_length → seplen.
  function shortName(name) {
    const words = name.split(/[_\s]+/).filter(Boolean);
    return name.length <= 6 || words.length < 2 ? name.slice(0, 6) : words.map((w) => w.slice(0, 3)).join('').slice(0, 6);
  }

  // g(x) over [−5, 5] for activation name with steepness k.
  function plotActivation(canvas, name, k) {
    const ctx = canvas.getContext('2d'), w = canvas.width, h = canvas.height;
    ctx.clearRect(0, 0, w, h);
    const ys = [];
    for (let i = 0; i <= 100; i++) ys.push(act(name, -5 + i / 10, k));
    const lo = Math.min(-1, ...ys), hi = Math.max(1, ...ys);
    const Y = (v) => h - ((v - lo) / (hi - lo)) * (h - 10) - 5;
    ctx.strokeStyle = '#bbb';
    ctx.beginPath();
    ctx.moveTo(0, Y(0)); ctx.lineTo(w, Y(0)); ctx.moveTo(w / 2, 0); ctx.lineTo(w / 2, h);
    ctx.stroke();
    ctx.strokeStyle = 'rgb(47,111,223)';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ys.forEach((v, i) => (i ? ctx.lineTo((i / 100) * w, Y(v)) : ctx.moveTo(0, Y(v))));
    ctx.stroke();
  }

  // Line charts of several runs: runs = [{label, points: [[epoch, v]]}].
  function chart(canvas, runs, title) {
    const ctx = canvas.getContext('2d'), w = canvas.width, h = canvas.height;
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = '#333';
    ctx.font = '11px sans-serif';
    ctx.fillText(title, 6, 12);
    const all = runs.flatMap((r) => r.points);
    if (!all.length) return;
    const X = Math.max(...all.map((p) => p[0])), Ymax = Math.max(...all.map((p) => p[1])), Ymin = Math.min(0, ...all.map((p) => p[1]));
    const colors = ['rgb(47,111,223)', 'rgb(230,120,40)', 'rgb(60,170,90)', 'rgb(200,60,160)', 'rgb(120,120,120)'];
    runs.forEach((r, i) => {
      ctx.strokeStyle = colors[i % colors.length];
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      r.points.forEach(([e, v], j) => {
        const px = 30 + ((e - 1) / Math.max(1, X - 1)) * (w - 40), py = h - 15 - ((v - Ymin) / (Ymax - Ymin || 1)) * (h - 35);
        j ? ctx.lineTo(px, py) : ctx.moveTo(px, py);
      });
      ctx.stroke();
      ctx.fillStyle = colors[i % colors.length];
      ctx.fillText(r.label, 30 + 150 * (i % 3), 26 + 12 * Math.floor(i / 3));
    });
    ctx.fillStyle = '#333';
    ctx.fillText(`${Ymax.toPrecision(3)}`, 2, 40);
    ctx.fillText(`epoch ${X}`, w - 70, h - 2);
  }

  window.pgDraw = { classColour, act, forward, features, boundary, perceptronLine, diagram, plotActivation, chart, grid };
})();
