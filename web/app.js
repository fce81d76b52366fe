// app.js — the neurond dashboard: datasets, networks, training watched
// live over the job's event stream, the decision boundary, predictions,
// evaluation (the pictures of images, confusion matrices, the model
// summary and conv filters: views.js; the layer builder: builder.js;
// texts and the generate panel: text.js; event streams: sse.js).
// Plain browser JavaScript, no build step; charts by uPlot (vendored).
// Every call goes through api(): relative URLs unless an API base URL is
// set, and the bearer token (kept in sessionStorage) when there is one.
'use strict';

const $ = (id) => document.getElementById(id);
const state = {
  base: sessionStorage.getItem('neurond.base') || '',
  token: sessionStorage.getItem('neurond.token') || '',
  dataset: null, rows: [], model: null, layers: builder.defaults('vector'), stackKind: 'vector',
  output: { units: '?', activation: 'sigmoid' }, job: null, cancelled: false,
};
// Measures the browser test reads: end-event latency, events received.
const stats = { endLatencyMs: [], epochEvents: 0, boundaryDraws: 0, evaluations: 0, filterDraws: 0, generations: [] };
window.neurond = { state, stats, series: () => charts.series };

const COLORS = [[47, 111, 223], [230, 120, 40], [60, 170, 90], [200, 60, 160], [120, 120, 120]];

function showError(e) {
  const el = $('error');
  el.textContent = e ? String(e.message || e) : '';
  el.hidden = !e;
}

function askToken() {
  showError('This server needs a token (401): enter it above and press Use.');
  $('api-token').focus();
}

// One API call: JSON in and out (or a raw body with its type, or a
// FormData sent as multipart/form-data with the browser's boundary);
// throws an Error with the problem's detail on a non-2xx reply.
async function api(method, path, body, type) {
  const headers = {};
  if (state.token) headers.Authorization = 'Bearer ' + state.token;
  const opts = { method, headers };
  if (body instanceof FormData) {
    opts.body = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = type || 'application/json';
    opts.body = type ? body : JSON.stringify(body);
  }
  const r = await fetch(state.base.replace(/\/$/, '') + path, opts);
  if (r.status === 401) {
    askToken();
    throw new Error('401: the server wants a token');
  }
  const text = await r.text();
  const json = (r.headers.get('Content-Type') || '').includes('json') && text ? JSON.parse(text) : null;
  if (!r.ok) throw Object.assign(new Error((json && json.detail) || `${method} ${path}: ${r.status}`), { problem: json });
  return json;
}

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

// ---- lists ---------------------------------------------------------------

// Fills el with one item per entry, labelled label(it), and after the
// label the nodes extras(it) gives (marks, buttons) when it is given.
function renderList(el, items, label, selectedId, onPick, extras) {
  el.replaceChildren(...items.map((it) => {
    const li = document.createElement('li');
    li.textContent = label(it);
    li.dataset.id = it.id;
    if (it.id === selectedId) li.className = 'selected';
    li.onclick = () => onPick(it).catch(showError);
    if (extras) li.append(...extras(it));
    return li;
  }));
}

async function refresh() {
  const [ds, md, jb, me] = await Promise.all([
    api('GET', '/v1/datasets?limit=50'), api('GET', '/v1/models?limit=50'),
    api('GET', jobsQuery()), api('GET', '/v1/me')]);
  state.me = me;
  renderList($('datasets'), ds.items, (d) => (text.isText(d) ? text.listLabel(d)
    : `${d.name} — ${d.rows} rows, ${shapeText(d)}→${d.output_dim} ${d.task}`),
    state.dataset && state.dataset.id, pickDataset, (d) => sharing.extras('datasets', d));
  state.datasets = ds.items;
  fillEvalChoices();
  renderList($('models'), md.items, (m) => `${m.name} (${m.id.slice(0, 10)}…)`, state.model && state.model.id,
    pickModel, (m) => sharing.extras('models', m));
  state.jobs = jb.items;
  showJobs(jb.next_cursor);
  $('conn-state').textContent = whoText(me);
}

// Who is signed in: a user (by the token's owner), the administrator's
// --api-token, or nobody on an open server.
function whoText(me) {
  if (me.via === 'user') return `connected as ${me.user.name}${me.admin ? ' (administrator)' : ''}`;
  return me.via === 'open' ? 'connected (open server)' : 'connected (administrator token)';
}

const jobsQuery = () => '/v1/jobs?limit=50' + (state.model ? '&model_id=' + state.model.id : '');

// The job list, state.jobs, with an "Older jobs" button while the server
// has a next page (next_cursor): every job of the model stays reachable.
function showJobs(cursor) {
  renderList($('jobs'), state.jobs, (j) => `${j.status} ${j.epoch}/${j.epochs} loss ${fmt(j.loss)} — ${j.id.slice(0, 10)}…`,
    state.job, (j) => watchJob(j.id, 0, true));
  $('more-jobs').hidden = !cursor;
  $('more-jobs').onclick = () => olderJobs(cursor).catch(showError);
}

async function olderJobs(cursor) {
  const jb = await api('GET', jobsQuery() + '&cursor=' + encodeURIComponent(cursor));
  state.jobs = [...state.jobs, ...jb.items];
  showJobs(jb.next_cursor);
}

const fmt = (v) => (v === null || v === undefined ? '—' : Number(v).toPrecision(4));

// ---- data ----------------------------------------------------------------

const isImage = (d) => d.input_shape && d.input_shape.length === 3;
const shapeText = (d) => (isImage(d) ? d.input_shape.join('×') : String(d.input_dim));
const SAMPLES = 32; // images in an image dataset's grid

const stackKind = (d) => (isImage(d) ? 'image' : text.isText(d) ? 'text' : 'vector');

async function pickDataset(d) {
  state.dataset = d;
  $('boundary').getContext('2d').clearRect(0, 0, $('boundary').width, $('boundary').height);
  const page = text.isText(d) ? { items: [] }
    : await api('GET', `/v1/datasets/${d.id}/rows?limit=${isImage(d) ? SAMPLES : 1000}`);
  state.rows = page.items;
  $('scatter').hidden = isImage(d) || text.isText(d);
  $('samples').hidden = true;
  if (isImage(d)) views.drawSamples($('samples'), d, state.rows);
  else if (!text.isText(d)) drawScatter($('scatter'), d, state.rows);
  const classes = (d.task === 'classification' && d.output_dim >= 2) || text.isText(d);
  state.output = { units: text.isText(d) ? d.vocab_size : d.output_dim, activation: classes ? 'softmax' : 'sigmoid' };
  $('loss').value = classes ? 'cross_entropy' : 'mse';
  text.showFields(text.isText(d));
  if (stackKind(d) !== state.stackKind) { // a CNN for images, a char model for texts, dense layers otherwise
    state.stackKind = stackKind(d);
    state.layers = builder.defaults(state.stackKind);
  }
  $('input-shape').value = isImage(d) ? d.input_shape.join(',') : '';
  renderLayers();
  await refresh();
}

// A row's class index (classification) or target value in [0, 1].
function rowValue(d, row) {
  if (row.label !== undefined) return { cls: Math.max(0, d.classes.indexOf(row.label)) };
  return { v: row.targets ? row.targets[0] : 0 };
}

function plane(d) {
  const [a, b] = d.stats;
  const pad = (s) => (s.max - s.min || 1) * 0.15;
  return { x0: a.min - pad(a), x1: a.max + pad(a), y0: b.min - pad(b), y1: b.max + pad(b) };
}

function drawPoints(ctx, d, rows, w, h) {
  const p = plane(d);
  for (const row of rows) {
    const x = ((row.inputs[0] - p.x0) / (p.x1 - p.x0)) * w;
    const y = h - ((row.inputs[1] - p.y0) / (p.y1 - p.y0)) * h;
    const val = rowValue(d, row);
    const c = val.cls !== undefined ? COLORS[val.cls % COLORS.length] : mix(val.v);
    ctx.fillStyle = `rgb(${c.join(',')})`;
    ctx.strokeStyle = '#fff';
    ctx.beginPath();
    ctx.arc(x, y, rows.length > 50 ? 3 : 6, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  }
}

function drawScatter(canvas, d, rows) {
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (d.input_dim !== 2) {
    ctx.fillText(`${d.input_dim} inputs: no 2-D preview`, 10, 20);
    return;
  }
  drawPoints(ctx, d, rows, canvas.width, canvas.height);
}

// A colour between the first two class colours for a value in [0, 1].
function mix(v) {
  const t = Math.min(1, Math.max(0, v));
  return COLORS[0].map((c, i) => Math.round(c + (COLORS[1][i] - c) * t));
}

async function createGenerated(ev) {
  ev.preventDefault();
  const gen = $('gen').value;
  // A gate is its truth table: the server refuses n and noise for it.
  const gate = ['and', 'or', 'nand', 'nor', 'not', 'xor'].includes(gen);
  const d = await api('POST', '/v1/datasets', {
    name: `${gen}-${Date.now() % 100000}`, generator: gen,
    ...(gate ? {} : { n: Number($('gen-n').value),
                      noise: Number($('gen-noise').value) }),
  });
  await pickDataset(d);
}

async function uploadCsv(ev) {
  ev.preventDefault();
  const file = $('csv-file').files[0];
  if (!file) throw new Error('choose a CSV file first');
  const q = new URLSearchParams({ name: file.name.replace(/\.csv$/i, '') });
  if ($('csv-target').value) q.set('target', $('csv-target').value);
  if ($('csv-shape').value) q.set('shape', $('csv-shape').value.replace(/\s/g, ''));
  const d = await api('POST', `/v1/datasets?${q}`, await file.text(), 'text/csv');
  await pickDataset(d);
}

// IDX images and labels (MNIST's format, gzipped or not) as one
// multipart upload, the files streamed by the browser as they are.
async function uploadIdx(ev) {
  ev.preventDefault();
  const images = $('idx-images').files[0], labels = $('idx-labels').files[0];
  if (!images || !labels) throw new Error('choose an images file and a labels file');
  const q = new URLSearchParams({ name: images.name.replace(/(-images)?[-.]idx.*$/i, '') });
  if ($('idx-classes').value) q.set('classes', $('idx-classes').value);
  const form = new FormData();
  form.append('labels', labels); // first: the server labels each image as it arrives
  form.append('images', images);
  const d = await api('POST', `/v1/datasets?${q}`, form);
  await pickDataset(d);
}

// ---- network -------------------------------------------------------------

// The builder's rows for the current stack, and what the input is.
function renderLayers() {
  renderInputs();
  $('layers').tBodies[0].replaceChildren(...builder.rows(state.layers, state.output, renderLayers));
}

// What the network maps from and to, for the picked dataset.
function renderInputs() {
  const d = state.dataset;
  $('model-inputs').textContent = !d ? 'Pick a dataset first.'
    : text.isText(d) ? text.inputsLabel(d, Number($('context').value))
      : `${isImage(d) ? shapeText(d) + ' image' : d.input_dim + ' inputs'} → … → ${d.output_dim} outputs`;
}

// A model name that says what the stack is: net-784-c8-mp2-f-10.
function modelName(inputs, layers) {
  const short = { conv2d: (l) => `c${l.filters}`, maxpool2d: (l) => `mp${l.size}`, avgpool2d: (l) => `ap${l.size}`,
    flatten: () => 'f', dropout: () => 'do', batchnorm: () => 'bn', dense: (l) => String(l.units),
    embedding: (l) => `e${l.dim}`, rnn: (l) => `rnn${l.units}`, lstm: (l) => `lstm${l.units}`, gru: (l) => `gru${l.units}`,
    transformer_block: (l) => `tb${l.heads}`, layernorm: () => 'ln' };
  return `net-${[inputs, ...layers.map((l) => short[l.type](l))].join('-')}`;
}

async function createModel() {
  const d = state.dataset;
  if (!d) throw new Error('pick or create a dataset first');
  const shape = text.isText(d) ? null : builder.parseShape($('input-shape').value);
  const layers = builder.definition(state.layers, state.output);
  const context = Number($('context').value);
  const input = text.isText(d) ? text.modelInput(d, context) : shape ? { input_shape: shape } : { inputs: d.input_dim };
  const m = await api('POST', '/v1/models', {
    name: modelName(text.isText(d) ? `t${context}` : shape ? shape.join('x') : d.input_dim, layers), ...input,
    layers, loss: $('loss').value, seed: Number($('model-seed').value),
  }).catch((e) => { markRefusal(e); throw e; });
  builder.markInvalid($('layers').tBodies[0], null); // taken: no mark left
  await pickModel(m);
}

// A refused definition: the field the server's 422 names, marked in the
// builder with its message.
function markRefusal(e) {
  const first = e.problem && e.problem.errors && e.problem.errors[0];
  if (first) builder.markInvalid($('layers').tBodies[0], first.pointer, first.message);
}

// The tiny GPT preset for the picked text: its stack and context, and
// nanoGPT's way to train it (AdamW 1e-3, batch 12, a warm-up then cosine
// to 1e-4, one round so that the schedule spans the run).
function tinyGpt() {
  const d = state.dataset;
  if (!text.isText(d)) throw new Error('pick a text first');
  const p = builder.tinyGpt(d.tokens);
  state.layers = p.layers;
  const set = { context: p.context, loss: 'cross_entropy', optimizer: 'adamw', lr: 0.001, batch: 12,
    'warmup-steps': 20, decay: 'cosine', 'min-lr': 0.0001, rounds: 1,
    'val-split': d.tokens * 0.1 >= p.context + 1 ? 0.1 : 0 };
  for (const [id, v] of Object.entries(set)) $(id).value = v;
  renderLayers();
}

async function pickModel(m) {
  state.model = m;
  $('model-params').textContent = m.parameters != null ? `${m.parameters.toLocaleString('en-US')} parameters` : '';
  $('evaluation').replaceChildren();
  const idle = { 'job-id': '—', 'job-status': 'idle', 'job-epoch': '0', 'job-loss': '—' };
  for (const [id, text] of Object.entries(idle)) $(id).textContent = text;
  await refresh();
  await showModel(m);
  text.showPanel(m);
  await drawBoundary();
  if (m.trained) await evaluate();
}

// The model's summary, and for a trained conv net its first layer's
// filters (the weights fetched only then: a CNN's reply is large).
async function showModel(m) {
  views.renderSummary($('summary'), m);
  const conv = m.layers.some((l) => l.type === 'conv2d');
  if (!conv || !m.trained) {
    $('filters').hidden = true;
    return;
  }
  const full = await api('GET', `/v1/models/${m.id}?weights=true`);
  if (state.model && state.model.id === m.id && views.drawFilters($('filters'), full)) stats.filterDraws++;
}

// ---- evaluation ----------------------------------------------------------

// The datasets the selected model can be scored on (its inputs and
// outputs), a held-out one first when there is one.
function fillEvalChoices() {
  const m = state.model, sel = $('eval-dataset'), keep = sel.value;
  const fits = (state.datasets || []).filter((d) => m && !text.isText(d) && d.input_dim === m.inputs
    && d.output_dim === m.outputs);
  const training = state.dataset && state.dataset.id;
  fits.sort((a, b) => (a.id === training) - (b.id === training));
  sel.replaceChildren(...fits.map((d) => new Option(`${d.name} (${d.rows} rows)${d.id === training ? ' — training set' : ''}`,
    d.id, false, d.id === keep)));
  $('evaluate').disabled = !fits.length;
}

async function evaluate() {
  const m = state.model, id = $('eval-dataset').value;
  if (!m || !id) return;
  const e = await api('POST', `/v1/models/${m.id}/evaluate`, { dataset_id: id });
  const d = (state.datasets || []).find((x) => x.id === id);
  views.renderEvaluation($('evaluation'), e, d ? d.name : id);
  stats.evaluations++;
}

// ---- charts (charts.js) -------------------------------------------------

// Charts a history point or epoch event (epoch shifted by offset, for
// rounds) and shows it as the job's latest.
function addPoint(p, offset) {
  if (!charts.add(p, offset)) return;
  $('job-epoch').textContent = p.epoch + offset;
  $('job-loss').textContent = fmt(p.loss);
}

// ---- events --------------------------------------------------------------

// Reads the job's event stream once, from after epoch `after`; calls
// onEvent(name, data, id) per event. Resolves with the end event's job,
// or null when the connection dropped. fetch (not EventSource) so that
// the Authorization header can be sent.
async function readEvents(jobId, after, onEvent) {
  const headers = { Accept: 'text/event-stream' };
  if (state.token) headers.Authorization = 'Bearer ' + state.token;
  if (after > 0) headers['Last-Event-ID'] = String(after);
  const r = await fetch(`${state.base.replace(/\/$/, '')}/v1/jobs/${jobId}/events`, { headers });
  if (r.status === 401) { askToken(); throw new Error('401: the server wants a token'); }
  if (!r.ok) throw new Error(`events: ${r.status}`);
  return readSse(r, onEvent);
}

// Charts a job: its stored history downsampled, then live events after it,
// reconnecting after a drop. Resolves with the final job.
async function watchJob(jobId, offset, fresh) {
  state.job = jobId;
  if (fresh) charts.reset();
  $('job-id').textContent = jobId;
  const h = await api('GET', `/v1/jobs/${jobId}/history?max_points=1000`);
  h.items.forEach((p) => addPoint(p, offset));
  let last = h.items.length ? h.items[h.items.length - 1].epoch : 0;
  for (;;) {
    const job = await readEvents(jobId, last, (name, data, id) => {
      if (name === 'epoch') { stats.epochEvents++; last = id; addPoint(data, offset); }
      if (name === 'status') $('job-status').textContent = data.status;
      if (name === 'end') {
        stats.endLatencyMs.push(Date.now() - Date.parse(data.finished_at));
        $('job-status').textContent = data.status;
      }
    }).catch((e) => { showError(e); return null; });
    if (job) return completeChart(jobId, offset, job);
    await sleep(1000);
  }
}

// Live epochs are coalesced (20 a second): once the job has ended, its
// points are replaced by every epoch of its stored history.
async function completeChart(jobId, offset, job) {
  charts.dropAfter(offset);
  for (let after = 0; after !== null;) {
    const h = await api('GET', `/v1/jobs/${jobId}/history?limit=1000&after_epoch=${after}`);
    h.items.forEach((p) => addPoint(p, offset));
    after = h.next_after_epoch;
  }
  return job;
}

// ---- training ------------------------------------------------------------

function jobBody(epochs) {
  const optimizer = { name: $('optimizer').value, learning_rate: Number($('lr').value) };
  if (optimizer.name === 'sgd') optimizer.momentum = Number($('momentum').value);
  const steps = text.isText(state.dataset) && Number($('epoch-steps').value);
  return {
    model_id: state.model.id, dataset_id: state.dataset.id, epochs,
    batch_size: Number($('batch').value), optimizer, normalize: $('normalize').value,
    validation_split: Number($('val-split').value), seed: state.seed, ...(steps ? { epoch_steps: steps } : {}),
    ...(schedule() ? { lr_schedule: schedule() } : {}),
  };
}

// The form's lr_schedule, or null when it sets none.
function schedule() {
  const warmup = Number($('warmup-steps').value), decay = $('decay').value;
  return warmup > 0 || decay !== 'none'
    ? { warmup_steps: warmup, decay, min_learning_rate: Number($('min-lr').value) } : null;
}

// Trains in rounds: each a job from the weights the last one stored, so
// the boundary (drawn from the stored model) moves as it learns.
async function train(ev) {
  ev.preventDefault();
  if (document.body.dataset.training === 'running') return; // a double click
  if (!state.model || !state.dataset) throw new Error('create or pick a dataset and a network first');
  // One seed for every round: the same validation rows throughout.
  state.seed = Math.floor(Math.random() * 2 ** 31);
  const total = Number($('epochs').value);
  const rounds = schedule() ? 1 : Math.min(total, Number($('rounds').value) || 1); // a schedule spans one job
  const per = Math.ceil(total / rounds);
  document.body.dataset.training = 'running';
  state.cancelled = false;
  $('cancel-job').disabled = false;
  charts.reset();
  try {
    for (let done = 0; done < total && !state.cancelled; done += per) {
      const job = await api('POST', '/v1/jobs', jobBody(Math.min(per, total - done)));
      const end = await watchJob(job.id, done, false);
      await drawBoundary();
      if (end.status !== 'succeeded') break;
    }
  } finally {
    $('cancel-job').disabled = true;
    state.model = await api('GET', `/v1/models/${state.model.id}`);
    await refresh();
    await showModel(state.model).catch(showError);
    text.showPanel(state.model);
    await evaluate().catch(showError);
    document.body.dataset.training = 'done';
  }
}

async function cancelJob() {
  state.cancelled = true;
  if (state.job) await api('POST', `/v1/jobs/${state.job}/cancel`).catch(() => {});
}

// ---- boundary and predict ------------------------------------------------

const GRID = 48;

// Predicts the model over a GRID×GRID lattice of the dataset's input plane
// and paints it (one output: blue→orange; classes: the likeliest class's
// colour), with the data on top.
async function drawBoundary() {
  const m = state.model, d = state.dataset, canvas = $('boundary');
  if (!m || !d || d.input_dim !== 2 || m.inputs !== 2) {
    $('boundary-note').textContent = 'Train a 2-input model on a 2-D dataset to see its boundary.';
    return;
  }
  const p = plane(d), inputs = [];
  for (let j = 0; j < GRID; j++) {
    for (let i = 0; i < GRID; i++) {
      inputs.push([p.x0 + ((i + 0.5) / GRID) * (p.x1 - p.x0), p.y1 - ((j + 0.5) / GRID) * (p.y1 - p.y0)]);
    }
  }
  const out = await api('POST', `/v1/models/${m.id}/predict`, { inputs });
  const img = new ImageData(GRID, GRID);
  out.outputs.forEach((o, k) => {
    let c;
    if (o.length === 1) c = mix(o[0]);
    else {
      const best = o.indexOf(Math.max(...o));
      c = COLORS[best % COLORS.length].map((v) => Math.round(255 - (255 - v) * o[best]));
    }
    img.data.set([...c.map((v) => Math.round(v * 0.55 + 255 * 0.45)), 255], k * 4);
  });
  const small = Object.assign(document.createElement('canvas'), { width: GRID, height: GRID });
  small.getContext('2d').putImageData(img, 0, 0);
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
  drawPoints(ctx, d, state.rows, canvas.width, canvas.height);
  stats.boundaryDraws++;
  $('boundary-note').textContent = `${m.name}: the model's output over the input plane, data on top.`;
}

async function predict(ev) {
  ev.preventDefault();
  if (!state.model) throw new Error('pick a network first');
  const row = $('predict-in').value.split(/[\s,]+/).filter(Boolean).map(Number);
  const r = await api('POST', `/v1/models/${state.model.id}/predict`, { inputs: [row] });
  $('predict-out').textContent = r.labels ? `${r.labels[0]} (${r.outputs[0].map(fmt).join(', ')})`
    : r.outputs[0].map(fmt).join(', ');
}

// Saves the selected model's export (format onnx, c or json) as a file:
// fetched, so that the token goes along, then handed over as a blob URL
// under the name the server's Content-Disposition gives.
async function download(ev) {
  const format = ev.target.dataset.format;
  if (!format) return;
  if (!state.model) throw new Error('pick a network first');
  const headers = state.token ? { Authorization: 'Bearer ' + state.token } : {};
  const url = `${state.base.replace(/\/$/, '')}/v1/models/${state.model.id}/export?format=${format}`;
  const r = await fetch(url, { headers });
  if (!r.ok) throw new Error(`export as ${format}: ${r.status}`);
  const named = /filename="([^"]+)"/.exec(r.headers.get('Content-Disposition') || '');
  const a = document.createElement('a');
  a.href = URL.createObjectURL(await r.blob());
  a.download = named ? named[1] : `${state.model.name}.json`;
  a.click();
  stats.downloads = (stats.downloads || 0) + 1;
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

// Writes with the selected model in the generate panel, streamed.
async function write(ev) {
  ev.preventDefault();
  if (!text.canGenerate(state.model)) throw new Error('pick a language model trained on a text first');
  $('generate').disabled = true;
  try {
    stats.generations.push(await text.generate(state, state.model, text.panelOptions()));
  } finally {
    $('generate').disabled = false;
  }
}

// ---- start ---------------------------------------------------------------

function on(id, event, fn) {
  $(id).addEventListener(event, (ev) => { showError(null); fn(ev).catch(showError); });
}

function start() {
  $('api-base').value = state.base;
  $('api-token').value = state.token;
  on('conn', 'submit', async (ev) => {
    ev.preventDefault();
    state.base = $('api-base').value.trim();
    state.token = $('api-token').value.trim();
    sessionStorage.setItem('neurond.base', state.base);
    sessionStorage.setItem('neurond.token', state.token);
    await refresh();
  });
  on('gen-form', 'submit', createGenerated);
  on('csv-form', 'submit', uploadCsv);
  on('idx-form', 'submit', uploadIdx);
  on('text-form', 'submit', async (ev) => {
    ev.preventDefault();
    const file = $('text-file').files[0];
    if (!file) throw new Error('choose a text file first');
    await pickDataset(await text.upload(api, file));
  });
  on('write-form', 'submit', write);
  on('context', 'input', async () => renderInputs());
  on('evaluate', 'click', evaluate);
  on('add-layer', 'click', async () => { state.layers.push(builder.layer('dense')); renderLayers(); });
  on('tiny-gpt', 'click', async () => tinyGpt());
  on('create-model', 'click', createModel);
  on('job-form', 'submit', train);
  on('cancel-job', 'click', cancelJob);
  on('predict-form', 'submit', predict);
  on('downloads', 'click', download);
  renderLayers();
  charts.reset();
  refresh().catch(showError);
}

start();
