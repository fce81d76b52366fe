// playground.js — the teaching playground: a network trained live (play,
// pause, step, reset over one job: /pause, /resume, /models/{id}/reset),
// its boundary, diagram and neuron maps redrawn from every epoch's weights
// (events?weights=true); Rosenblatt's perceptron on the gates; a neuron
// explorer whose truth table comes from predict with "trace"; real data
// (a CSV the page uploads, or a dataset on the server) with any number of
// classes; lessons as presets, the whole setup and lesson in the URL.
// Pictures are playground-draw.js's.
'use strict';

const $ = (id) => document.getElementById(id);
const D = window.pgDraw;
const token = sessionStorage.getItem('neurond.token') || '';
const base = (sessionStorage.getItem('neurond.base') || '').replace(/\/$/, '');

// The setup, as the URL carries it (location.hash, URLSearchParams).
const DEFAULTS = {
  mode: 'network', data: 'xor', noise: '0', features: 'x,y', layers: '4', act: 'tanh',
  lr: '0.1', batch: '4', epochs: '500', opt: 'sgd', l1: '0', l2: '0', seed: '1',
  gate: 'and', pact: 'step', pepochs: '20', pw1: '', pw2: '', pb: '',
  w1: '-1', w2: '-1', b: '0.5', nact: 'step', k: '1', lesson: '',
};
const setup = { ...DEFAULTS };
// What the page is doing; tests read it through window.playground.
const run = {
  dataset: null, model: null, points: [], inputs: [], job: null, status: '', epoch: 0, weights: null, norm: null,
  runs: [], current: null, links: [], mistakes: [], converged: null, stream: null, errors: 0,
  liveDraws: 0, // pictures redrawn from an epoch event's weights
  firstLive: null, // {epoch, w}: the first of those pictures' link weights
};
window.playground = { setup, run };

function showError(e) {
  $('pg-error').textContent = e ? String(e.message || e) : '';
  $('pg-error').hidden = !e;
  if (e) run.errors++;
}

async function api(method, path, body) {
  const headers = token ? { Authorization: 'Bearer ' + token } : {};
  const opts = { method, headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(base + path, opts);
  const text = await r.text();
  const json = text && (r.headers.get('Content-Type') || '').includes('json') ? JSON.parse(text) : null;
  if (!r.ok) throw new Error((json && json.detail) || `${method} ${path}: ${r.status}`);
  return json;
}

// ---- the URL --------------------------------------------------------------

function readUrl() {
  const q = new URLSearchParams(location.hash.slice(1));
  for (const k of Object.keys(DEFAULTS)) setup[k] = q.get(k) ?? DEFAULTS[k];
  for (const el of document.querySelectorAll('[data-key]')) el.value = setup[el.dataset.key];
  const menu = document.querySelector('[data-key="data"]');
  if (!menu.value) { // a link's "ds:" dataset this server does not have
    showError(`the dataset ${setup.data.slice(3)} of this link is not on this server: upload it, or pick another`);
    menu.value = setup.data = DEFAULTS.data;
  }
  showLesson();
}

// The lesson named in the setup: its title and text, and the menu on it.
function showLesson() {
  const l = LESSONS[setup.lesson];
  $('lesson').value = l ? setup.lesson : '';
  $('lesson-text').textContent = l ? `${l.title}: ${l.text}` : '';
}

function writeUrl() {
  for (const el of document.querySelectorAll('[data-key]')) setup[el.dataset.key] = el.value;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(setup)) if (v !== DEFAULTS[k]) q.set(k, v);
  history.replaceState(null, '', '#' + q.toString());
  $('pg-link').value = location.href;
}

function showMode() {
  for (const m of ['network', 'perceptron', 'neuron']) $('mode-' + m).hidden = setup.mode !== m;
  for (const b of document.querySelectorAll('[data-mode]')) b.classList.toggle('selected', b.dataset.mode === setup.mode);
  $('controls').hidden = setup.mode === 'neuron';
  document.body.dataset.mode = setup.mode;
}

// ---- datasets and models --------------------------------------------------

const GATES = ['and', 'or', 'nand', 'nor', 'not', 'xor'];

// The dataset of the setup: a server dataset ("ds:<id>") or a generator's.
async function makeDataset(generator) {
  if (generator.startsWith('ds:')) return serverDataset(generator.slice(3));
  const gate = GATES.includes(generator);
  const body = { name: `pg-${generator}`, generator, seed: Number(setup.seed) };
  if (!gate) Object.assign(body, { noise: Number(setup.noise), features: setup.features.split(',') });
  const d = await api('POST', '/v1/datasets', body);
  // The plane is always (x, y): with other features the same points (same
  // seed) are fetched plain once more.
  const plainId = gate || setup.features === 'x,y' ? d.id
    : (await api('POST', '/v1/datasets', { ...body, features: ['x', 'y'] })).id;
  const plain = (await api('GET', `/v1/datasets/${plainId}/rows?limit=1000`)).items;
  run.points = plain.map((r) => ({ x: r.inputs[0], y: r.inputs[1] ?? 0, cls: classOf(d, r) }));
  run.inputs = gate ? ['x', 'y'] : setup.features.split(',');
  return d;
}

// A row's class as an index: its label's place in the dataset's classes,
// or for numeric targets whether the first is above one half.
const classOf = (d, r) => (r.label !== undefined ? d.classes.indexOf(r.label) : Number(r.targets[0] > 0.5));

// A dataset already on the server (uploaded or listed): its points are
// drawn only when it has two inputs, which span the plane.
async function serverDataset(id) {
  const d = await api('GET', `/v1/datasets/${id}`);
  run.inputs = d.feature_names;
  run.points = d.input_dim !== 2 ? []
    : (await api('GET', `/v1/datasets/${id}/rows?limit=1000`)).items.map((r) => ({ x: r.inputs[0], y: r.inputs[1], cls: classOf(d, r) }));
  return d;
}

const isServerData = () => setup.data.startsWith('ds:');

// Fills the Data menu's "on the server" group with the server's tabular
// datasets (images and texts have no place here).
async function listServerData() {
  const items = [];
  for (let cursor = null, first = true; first || cursor; first = false) {
    const page = await api('GET', '/v1/datasets?limit=200' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    items.push(...page.items);
    cursor = page.next_cursor;
  }
  const image = (d) => d.input_shape && d.input_shape.length === 3;
  const usable = items.filter((d) => !image(d) && d.task !== 'language_modeling' && !d.name.startsWith('pg-'));
  $('pg-server-data').replaceChildren(...usable.map((d) => new Option(
    `${d.name} — ${d.rows} rows, ${d.input_dim} inputs${d.classes ? ', ' + d.classes.length + ' classes' : ''}`, 'ds:' + d.id)));
  return usable;
}

// Uploads the CSV file the user picked (streamed by the browser as the
// request body), its target the typed column or the header's last, then
// selects the new dataset.
async function uploadCsv(file) {
  const header = (await file.slice(0, 65536).text()).split(/\r?\n/)[0].split(',');
  const target = $('pg-target').value.trim() || header[header.length - 1].trim().replace(/^"|"$/g, '');
  const name = file.name.replace(/\.csv$/i, '') || 'upload';
  const headers = { 'Content-Type': 'text/csv', ...(token ? { Authorization: 'Bearer ' + token } : {}) };
  const r = await fetch(`${base}/v1/datasets?name=${encodeURIComponent(name)}&target=${encodeURIComponent(target)}`,
    { method: 'POST', headers, body: file });
  const d = await r.json();
  if (!r.ok) throw new Error(d.detail || `upload: ${r.status}`);
  await listServerData();
  $('pg-csv').value = '';
  document.querySelector('[data-key="data"]').value = 'ds:' + d.id;
  writeUrl();
  await applySetup();
}

async function makeNetwork(d) {
  const hidden = setup.layers.split(',').filter(Boolean).map((u) => ({ units: Number(u), activation: setup.act }));
  const classes = d.task === 'classification';
  // Generated 0/1 targets get a sigmoid; real numeric targets a linear output each.
  const out = classes ? { units: d.output_dim, activation: 'softmax' }
    : isServerData() ? { units: d.output_dim, activation: 'linear' } : { units: 1, activation: 'sigmoid' };
  return api('POST', '/v1/models', {
    name: 'pg-net', inputs: d.input_dim, seed: Number(setup.seed),
    layers: [...hidden, out], loss: classes ? 'cross_entropy' : 'mse',
  });
}

// A perceptron on two inputs, with the hand-set weights when any is typed
// (an empty field is 0), else the rule's zeros.
function perceptronModel() {
  const body = { name: 'pg-perceptron', type: 'perceptron', inputs: 2, activation: setup.pact };
  if (setup.pw1 || setup.pw2 || setup.pb)
    body.weights = [{ W: [[Number(setup.pw1)], [Number(setup.pw2)]], b: [Number(setup.pb)] }];
  return api('POST', '/v1/models', body);
}

// Makes the dataset and model of the setup (dropping any job of the last).
async function prepare() {
  await stopJob();
  run.job = null;
  run.epoch = 0;
  run.mistakes = [];
  run.converged = null;
  const perceptron = setup.mode === 'perceptron';
  run.dataset = await makeDataset(perceptron ? setup.gate : setup.data);
  run.model = perceptron
    ? await perceptronModel()
    : await makeNetwork(run.dataset);
  await showModelWeights();
  setStatus('ready');
}

async function showModelWeights() {
  const m = await api('GET', `/v1/models/${run.model.id}?weights=true`);
  run.weights = m.weights;
  run.norm = m.normalization;
  draw();
}

// ---- one job, watched -------------------------------------------------------

function jobBody() {
  const body = { model_id: run.model.id, dataset_id: run.dataset.id, seed: Number(setup.seed) };
  if (setup.mode === 'perceptron') return { ...body, epochs: Number(setup.pepochs), shuffle: false };
  const reg = { l1: Number(setup.l1), l2: Number(setup.l2) };
  // Real data comes in its own units (iris in cm): standardised for training.
  return { ...body, epochs: Number(setup.epochs), batch_size: Number(setup.batch), normalize: isServerData() ? 'standard' : 'none',
    optimizer: { name: setup.opt, learning_rate: Number(setup.lr) }, regularization: reg };
}

function setStatus(s) {
  run.status = s;
  $('pg-status').textContent = s;
  $('pg-epoch').textContent = String(run.epoch);
  document.body.dataset.status = s;
  $('btn-pause').disabled = !['running', 'queued', 'paused'].includes(s);
}

// Starts a job held paused until its stream is connected, so that every
// epoch's weights reach the page even when a small job trains in
// milliseconds; resumes it unless `hold` (then it stays paused).
async function startJob(hold) {
  const j = await api('POST', '/v1/jobs', jobBody());
  run.job = j.id;
  run.status = j.status;
  run.current = { label: runLabel(), points: [], acc: [] };
  document.body.dataset.history = 'live'; // 'complete' once ended() has read it all
  run.runs = [...run.runs.slice(-4), run.current];
  const held = await api('POST', `/v1/jobs/${j.id}/pause`).then(() => true, () => false);
  await new Promise((connected) => watch(j.id, connected));
  if (!held) return;
  await until(() => run.status !== 'queued' && run.status !== 'running');
  if (!hold && run.status === 'paused') await api('POST', `/v1/jobs/${j.id}/resume`, {});
}

// Waits (up to 30 s) until cond() holds.
async function until(cond) {
  for (let i = 0; i < 600 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
}

function runLabel() {
  return setup.mode === 'perceptron' ? `${setup.gate} ${setup.pact}`
    : `${setup.act} η=${setup.lr} b=${setup.batch}${Number(setup.l2) ? ' l2=' + setup.l2 : ''}`;
}

// Reads the job's event stream (fetch, so the token can be sent) until
// its end event; every epoch event carries the weights.
async function watch(id, connected) {
  const ctrl = new AbortController();
  run.stream = ctrl;
  const headers = token ? { Authorization: 'Bearer ' + token } : {};
  try {
    const r = await fetch(`${base}/v1/jobs/${id}/events?weights=true`, { headers, signal: ctrl.signal });
    const reader = r.body.getReader(), dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      connected(); // registered with the hub before its first bytes
      buf += dec.decode(value, { stream: true });
      let cut;
      while ((cut = buf.indexOf('\n\n')) >= 0) {
        onEvent(buf.slice(0, cut));
        buf = buf.slice(cut + 2);
      }
    }
  } catch (e) {
    if (e.name !== 'AbortError') showError(e);
  }
  connected();
}

function onEvent(block) {
  const name = (block.match(/^event: (.*)$/m) || [])[1];
  const data = (block.match(/^data: (.*)$/m) || [])[1];
  if (!name || !data || run.job === null) return;
  const d = JSON.parse(data);
  if (name === 'status') setStatus(d.status);
  if (name === 'epoch') {
    run.epoch = d.epoch;
    run.current.points.push([d.epoch, d.loss]);
    if (d.accuracy !== undefined && d.accuracy !== null) run.current.acc.push([d.epoch, d.accuracy]);
    if (d.mistakes !== undefined) run.mistakes.push([d.epoch, d.mistakes]);
    if (d.weights) {
      run.weights = d.weights;
      run.norm = d.normalization;
      run.liveDraws++;
      draw();
      // The first live picture, kept for tests: a job can end before a
      // test samples the diagram, and then it shows the final weights.
      if (run.liveDraws === 1) run.firstLive = { epoch: d.epoch, w: run.links.map((l) => l.w) };
    }
    $('pg-epoch').textContent = String(d.epoch);
    $('pg-loss').textContent = Number(d.loss).toPrecision(4);
  }
  if (name === 'end') {
    run.converged = d.converged ?? null;
    setStatus(d.status);
    ended(d);
  }
}

// The live stream coalesces epochs: once the job has ended the chart is
// completed from the stored history (every epoch, a page at a time), and
// a succeeded job's weights are the model's.
async function ended(job) {
  const items = [];
  for (let after = 0; after !== null;) {
    const h = await api('GET', `/v1/jobs/${job.id}/history?limit=1000&after_epoch=${after}`);
    items.push(...h.items);
    after = h.next_after_epoch;
  }
  if (run.current) {
    run.current.points = items.map((p) => [p.epoch, p.loss]);
    run.current.acc = items.filter((p) => p.accuracy !== null && p.accuracy !== undefined).map((p) => [p.epoch, p.accuracy]);
  }
  if (setup.mode === 'perceptron') run.mistakes = items.map((p) => [p.epoch, p.mistakes]);
  if (job.status === 'succeeded') await showModelWeights();
  draw();
  document.body.dataset.history = 'complete';
}

async function stopJob() {
  if (run.job && ['queued', 'running', 'paused'].includes(run.status)) {
    await api('POST', `/v1/jobs/${run.job}/cancel`).catch(() => {});
  }
  if (run.stream) run.stream.abort();
  run.stream = null;
}

// ---- play, pause, step, reset ---------------------------------------------

async function play() {
  writeUrl();
  if (!run.model) await prepare();
  const perceptron = setup.mode === 'perceptron';
  if (!['queued', 'running', 'paused'].includes(run.status)) {
    if (run.job) await resetWeights(false); // a finished run starts over
    await startJob(perceptron);
  } else if (run.status === 'paused' && !perceptron) {
    await api('POST', `/v1/jobs/${run.job}/resume`, {});
  }
  if (perceptron) await animate();
}

// The perceptron plays epoch by epoch, slowly enough to watch its line
// move: a step, a pause of 300 ms, until it ends or Pause is pressed.
async function animate() {
  run.animating = true;
  document.body.dataset.animating = 'yes';
  while (run.animating && run.status === 'paused') {
    const e = run.epoch;
    await api('POST', `/v1/jobs/${run.job}/resume`, { pause_after: 1 });
    await until(() => run.status !== 'queued' && run.status !== 'running' && (run.epoch > e || run.status !== 'paused'));
    await new Promise((r) => setTimeout(r, 300));
  }
  run.animating = false;
  document.body.dataset.animating = 'no';
}

async function pause() {
  run.animating = false;
  if (run.job && run.status !== 'paused') await api('POST', `/v1/jobs/${run.job}/pause`);
}

// One epoch: a new job is started and paused while queued (or after its
// first epoch, if a worker was faster), then stepped once.
async function step() {
  writeUrl();
  if (!run.model) await prepare();
  run.animating = false;
  if (['queued', 'running'].includes(run.status)) return pause();
  if (run.status !== 'paused') {
    if (run.job) await resetWeights(false);
    await startJob(true);
    if (run.epoch > 0 || run.status !== 'paused') return; // a worker was faster
  }
  await api('POST', `/v1/jobs/${run.job}/resume`, { pause_after: 1 });
}

async function waitEnded() {
  for (let i = 0; i < 200 && ['queued', 'running', 'paused'].includes(run.status); i++)
    await new Promise((r) => setTimeout(r, 50));
}

async function resetWeights(clear = true) {
  await stopJob();
  await waitEnded();
  run.job = null;
  run.epoch = 0;
  run.mistakes = [];
  run.converged = null;
  if (clear) run.current = null;
  if (setup.mode !== 'perceptron') await api('POST', `/v1/models/${run.model.id}/reset`, { seed: Number(setup.seed) });
  else if (setup.pw1 || setup.pw2 || setup.pb) run.model = await perceptronModel(); // back to the hand-set weights
  else await api('POST', `/v1/models/${run.model.id}/reset`, {});
  await showModelWeights();
  setStatus('ready');
}

// ---- pictures -------------------------------------------------------------

function draw() {
  if (!run.weights || !run.model) return;
  if (setup.mode === 'perceptron') return drawPerceptron();
  const net = { model: run.model, weights: run.weights, norm: run.norm, points: run.points, features: run.inputs,
    plain: isServerData() };
  // Only two inputs span a plane to paint; with more, the charts and the
  // diagram (without its neuron maps) show the training.
  const planar = run.model.inputs === 2;
  $('pg-plane').hidden = !planar;
  $('pg-diagram-caption').textContent = 'links: orange +, blue −, width |w|; '
    + (planar ? 'each neuron\'s output over the plane' : `no plane to map with ${run.model.inputs} inputs`);
  const g = planar ? D.boundary($('pg-boundary'), net) : null;
  run.planeClasses = g ? g.classes : null;
  run.links = D.diagram($('pg-diagram'), net, g);
  const shown = run.runs.filter((r) => r.points.length);
  D.chart($('pg-chart'), shown, 'loss per epoch (runs overlaid)');
  D.chart($('pg-acc'), shown.map((r) => ({ label: r.label, points: r.acc || [] })), 'accuracy per epoch (runs overlaid)');
}

function drawPerceptron() {
  const l = run.weights[0];
  D.perceptronLine($('pp-plane'), run.points, l.W, l.b);
  const [w1, w2, b] = [l.W[0][0], l.W[1][0], l.b[0]];
  $('pp-rule').textContent = `w = (${w1}, ${w2}), b = ${b}: the line ${w1}·x1 ${w2 < 0 ? '−' : '+'} ${Math.abs(w2)}·x2 ${b < 0 ? '−' : '+'} ${Math.abs(b)} = 0`;
  D.chart($('pp-chart'), [{ label: 'mistakes', points: run.mistakes }], 'mistakes per epoch (counted by the rule during the pass)');
  const badge = $('pp-badge');
  badge.textContent = run.converged === true ? 'converged' : run.converged === false ? 'not converged' : '';
  badge.className = run.converged === true ? 'badge ok' : run.converged === false ? 'badge no' : 'badge';
}

// The perceptron as it stands (hand-set or trained) scored on its gate:
// its line drawn and the rows it gets wrong counted, nothing trained.
async function evaluatePerceptron() {
  writeUrl();
  if (!['queued', 'running', 'paused'].includes(run.status)) await prepare();
  const e = await api('POST', `/v1/models/${run.model.id}/evaluate`, { dataset_id: run.dataset.id });
  run.evaluation = e;
  $('pp-eval-out').textContent = `${e.mistakes} of ${e.rows} rows wrong (accuracy ${e.accuracy}) with w = (${setup.pw1 || 0}, ${setup.pw2 || 0}), b = ${setup.pb || 0}${e.trained ? '' : ', not trained'}`;
}

// ---- the neuron explorer ----------------------------------------------------

// A one-neuron model with the explorer's weights; its truth table from
// predict with trace (in = z, out = a), then the model is deleted.
async function explore() {
  writeUrl();
  const layer = { units: 1, activation: setup.nact };
  if (setup.nact === 'sigmoid') layer.k = Number(setup.k);
  D.plotActivation($('nx-plot'), setup.nact, Number(setup.k));
  const m = await api('POST', '/v1/models', { name: 'pg-neuron', inputs: 2, layers: [layer],
    weights: [{ W: [[Number(setup.w1)], [Number(setup.w2)]], b: [Number(setup.b)] }] });
  const inputs = [[0, 0], [0, 1], [1, 0], [1, 1]];
  const p = await api('POST', `/v1/models/${m.id}/predict`, { inputs, trace: true });
  await api('DELETE', `/v1/models/${m.id}`);
  $('nx-table').querySelector('tbody').replaceChildren(...inputs.map((x, r) => {
    const tr = document.createElement('tr');
    for (const v of [x[0], x[1], p.trace[0].z[r][0], p.trace[0].a[r][0]]) {
      const td = document.createElement('td');
      td.textContent = String(Number(v.toPrecision(4)));
      tr.append(td);
    }
    return tr;
  }));
}

// XOR from three gates, by hand: h1 = OR, h2 = NAND, out = AND(h1, h2).
async function exploreXor() {
  const m = await api('POST', '/v1/models', { name: 'pg-xor-by-hand', inputs: 2,
    layers: [{ units: 2, activation: 'step' }, { units: 1, activation: 'step' }],
    weights: [{ W: [[1, -1], [1, -1]], b: [-0.5, 1.5] }, { W: [[1], [1]], b: [-1.5] }] });
  const inputs = [[0, 0], [0, 1], [1, 0], [1, 1]];
  const p = await api('POST', `/v1/models/${m.id}/predict`, { inputs, trace: true });
  await api('DELETE', `/v1/models/${m.id}`);
  $('nx-xor').querySelector('tbody').replaceChildren(...inputs.map((x, r) => {
    const tr = document.createElement('tr');
    const cells = [x[0], x[1], p.trace[0].a[r][0], p.trace[0].a[r][1], p.trace[1].z[r][0], p.trace[1].a[r][0]];
    for (const v of cells) {
      const td = document.createElement('td');
      td.textContent = String(v);
      tr.append(td);
    }
    return tr;
  }));
}

// ---- lessons ----------------------------------------------------------------

const LESSONS = {
  bias: { title: 'A neuron with a bias', text: 'in = w1·x1 + w2·x2 + b; the step fires when in > 0. With w = (1, 1) and b = −1.5 only (1, 1) fires: AND. Change b to −0.5: OR.',
    set: { mode: 'neuron', w1: '1', w2: '1', b: '-1.5', nact: 'step' } },
  activations: { title: 'Activation functions and steepness', text: 'The sigmoid 1/(1+e^(−k·in)) becomes the step as k grows: try k = 1, 5, 50.',
    set: { mode: 'neuron', w1: '1', w2: '1', b: '-1.5', nact: 'sigmoid', k: '5' } },
  gates: { title: 'Perceptron gates', text: 'Rosenblatt\'s rule: for every mistake (y·s ≤ 0) w ← w + y·x, b ← b + y. AND converges in a few epochs; the line moves each epoch.',
    set: { mode: 'perceptron', gate: 'and', pact: 'step', pepochs: '20' } },
  xorfails: { title: 'XOR fails', text: 'No line separates XOR: the perceptron never has an epoch without mistakes, and stops at the epoch limit, not converged.',
    set: { mode: 'perceptron', gate: 'xor', pact: 'step', pepochs: '20' } },
  xor221: { title: 'XOR solved by 2-2-1', text: 'Two hidden tanh neurons each draw a line; the output combines them. Watch the two hidden maps.',
    set: { mode: 'network', data: 'xor', layers: '2', act: 'tanh', lr: '0.5', batch: '4', epochs: '1000', opt: 'sgd', seed: '3' } },
  backprop: { title: 'Backprop lowers the loss', text: 'Gradient descent on the circle: the loss falls epoch by epoch as the boundary closes around the inner class.',
    set: { mode: 'network', data: 'circle', noise: '0.05', layers: '4', act: 'tanh', lr: '0.03', batch: '10', epochs: '300', opt: 'adam' } },
  batch: { title: 'Batch size', text: 'Train the moons with batch 1, then batch 64 (press Play again after changing it): the runs overlay on the chart.',
    set: { mode: 'network', data: 'moons', noise: '0.1', layers: '6', act: 'tanh', lr: '0.03', batch: '1', epochs: '100', opt: 'sgd' } },
  realdata: { title: 'Real data: iris', text: 'Fisher\'s iris: 4 measurements of 150 flowers, 3 species. Pick iris.csv (the course\'s data) with "CSV file", or choose iris from the datasets on the server. A softmax output per species; with four inputs there is no plane to paint: watch the loss and the accuracy climb, and the diagram\'s links.',
    set: { mode: 'network', data: 'ds:iris', layers: '8', act: 'tanh', lr: '0.01', batch: '16', epochs: '200', opt: 'adam' } },
  features: { title: 'Features instead of depth', text: 'With x² and y² as inputs one layer draws the circle: no hidden layer needed.',
    set: { mode: 'network', data: 'circle', features: 'x^2,y^2', layers: '', lr: '0.05', batch: '10', epochs: '200', opt: 'adam' } },
};

// A lesson's setup; a lesson's "ds:NAME" is the newest server dataset of
// that name (none: the data menu stays, and the text says what to upload).
async function loadLesson(id) {
  const l = LESSONS[id];
  if (!l) {
    setup.lesson = '';
    showLesson();
    return writeUrl();
  }
  Object.assign(setup, DEFAULTS, l.set, { lesson: id });
  if (setup.data.startsWith('ds:') && !setup.data.startsWith('ds:ds_')) {
    const found = (await listServerData()).find((d) => d.name === setup.data.slice(3));
    setup.data = found ? 'ds:' + found.id : DEFAULTS.data;
  }
  for (const el of document.querySelectorAll('[data-key]')) el.value = setup[el.dataset.key];
  showLesson();
  writeUrl();
  await applySetup();
}

async function applySetup() {
  showMode();
  run.runs = [];
  if (setup.mode === 'neuron') return Promise.all([explore(), exploreXor()]);
  await prepare();
}

// ---- start ----------------------------------------------------------------

function wire() {
  const guard = (f) => () => f().catch(showError);
  $('btn-play').onclick = guard(play);
  $('btn-pause').onclick = guard(pause);
  $('btn-step').onclick = guard(step);
  $('btn-reset').onclick = guard(() => resetWeights(true));
  $('btn-apply').onclick = guard(async () => { writeUrl(); await applySetup(); });
  $('nx-eval').onclick = guard(explore);
  $('pp-eval').onclick = guard(evaluatePerceptron);
  $('pg-csv').onchange = guard(() => uploadCsv($('pg-csv').files[0]));
  // The perceptron has no Apply: a changed gate, unit or weight is applied at once.
  $('mode-perceptron').querySelector('form').onchange = guard(async () => { writeUrl(); await applySetup(); });
  for (const b of document.querySelectorAll('[data-mode]'))
    b.onclick = guard(async () => { setup.mode = b.dataset.mode; writeUrl(); await applySetup(); });
  const sel = $('lesson');
  for (const [id, l] of Object.entries(LESSONS)) sel.append(new Option(l.title, id));
  sel.onchange = guard(() => loadLesson(sel.value));
}

window.addEventListener('DOMContentLoaded', async () => {
  wire();
  await listServerData().catch(showError); // before readUrl: the menu must hold a "ds:" setup
  readUrl();
  writeUrl();
  try {
    await applySetup();
    document.body.dataset.ready = 'yes';
  } catch (e) {
    showError(e);
  }
});
