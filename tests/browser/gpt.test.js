// gpt.test.js — GPTs in the dashboard, in headless Chromium against a real
// neurond: the builder's tiny GPT preset for a text (embedding with
// learned positions → transformer blocks → layernorm → the softmax over
// the text's characters, the context from the text), the server's 422
// for heads that do not divide the width shown with the field marked, the
// parameter count the server reports; a tiny GPT trained with a warm-up +
// cosine schedule, its learning-rate chart beside the loss plotting the
// lr of every history point (screenshot into build/); and the generate
// panel streaming a trained GPT's text, the same text again for the same
// seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { root, serverSuite, trainInPage } from './support.js';

const suite = serverSuite('gpt');
const shot = resolve(root, process.env.SCREENSHOT || 'build/dashboard.png').replace(/\.png$/, '-gpt.png');
const row = (i) => `#layers tbody tr:nth-child(${i + 1})`;

// The start of tiny Shakespeare as a text file in the suite's folder.
function textFile() {
  const file = join(suite.dir, 'citizens.txt');
  const all = readFileSync(resolve(root, '../shared/data/tinyshakespeare.txt'), 'utf8');
  writeFileSync(file, all.slice(0, 6000));
  return file;
}

// Opens the dashboard, uploads the text and presses tiny GPT; resolves
// with { page, errors, d } (d: the dataset as the page holds it).
async function presetPage() {
  const { page, errors } = await suite.open('/');
  await page.waitForSelector('#conn-state:has-text("connected")');
  assert.ok(await page.isHidden('#tiny-gpt'), 'the preset is for texts');
  await page.setInputFiles('#text-file', textFile());
  await page.click('#text-form button');
  await page.waitForSelector('#datasets li.selected:has-text("citizens")');
  await page.click('#tiny-gpt');
  const d = await page.evaluate(() => window.neurond.state.dataset);
  return { page, errors, d };
}

async function getJson(path) {
  const r = await fetch(suite.base + path);
  assert.equal(r.status, 200, path);
  return r.json();
}

const modelCount = async () => (await getJson('/v1/models?limit=50')).items.length;

test('tiny GPT: the preset, the server refusing bad heads, its parameter count', async () => {
  const { page, errors, d } = await presetPage();
  const kinds = await page.$$eval('#layers tbody tr', (rows) => rows.map((r) => (r.cells[0].textContent === 'output'
    ? 'dense' : r.querySelector('[data-field=type]').value)));
  assert.deepEqual(kinds, ['embedding', 'transformer_block', 'transformer_block', 'layernorm', 'dense']);
  assert.equal(await page.inputValue(`${row(0)} [data-field=positions]`), 'learned');
  assert.equal(await page.inputValue(`${row(0)} [data-field=dim]`), '64');
  assert.equal(await page.inputValue(`${row(1)} [data-field=heads]`), '4');
  assert.equal(await page.inputValue(`${row(1)} [data-field=mlp_ratio]`), '4');
  assert.equal(await page.inputValue('#context'), '64', 'a 6000-token text takes the full context');
  assert.equal(await page.textContent(`${row(4)} td:nth-child(3)`), `units ${d.vocab_size}`);
  assert.equal(await page.inputValue(`${row(4)} [data-field=activation]`), 'softmax');
  assert.equal(await page.inputValue('#loss'), 'cross_entropy');
  assert.equal(await page.inputValue('#optimizer'), 'adamw');
  assert.equal(await page.inputValue('#decay'), 'cosine');

  // 3 heads do not divide 64: the server's 422, its field marked
  await page.fill(`${row(2)} [data-field=heads]`, '3');
  await page.dispatchEvent(`${row(2)} [data-field=heads]`, 'change');
  const before = await modelCount();
  await page.click('#create-model');
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await page.textContent('#error'), /^\/layers\/2\/heads: heads \(3\) must divide the width 64/);
  assert.ok(await page.$eval(`${row(2)} [data-field=heads]`, (el) => el.classList.contains('invalid')),
    'the field the server names is marked');
  assert.equal(await page.$$eval('#layers .invalid', (els) => els.length), 1, 'and only it');
  assert.equal(await modelCount(), before, 'no model was made');

  await page.fill(`${row(2)} [data-field=heads]`, '8'); // 8 heads of 8
  await page.dispatchEvent(`${row(2)} [data-field=heads]`, 'change');
  await page.click('#create-model');
  await page.waitForSelector('#models li.selected');
  assert.equal(await page.textContent('#error'), '');
  assert.equal(await page.$$eval('#layers .invalid', (els) => els.length), 0, 'the mark goes once it is taken');
  const m = await page.evaluate(() => window.neurond.state.model);
  const stored = await getJson(`/v1/models/${m.id}`);
  const V = d.vocab_size, D = 64, T = 64;
  const block = 12 * D * D + 13 * D; // mlp_ratio 4, whatever the heads
  assert.equal(stored.parameters, V * D + T * D + 2 * block + 2 * D + D * V + V);
  assert.equal(await page.textContent('#model-params'), `${stored.parameters.toLocaleString('en-US')} parameters`);
  const summary = await page.$$eval('#summary table tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
  assert.deepEqual(summary.slice(2, 6).map((r) => r.slice(1)), [
    ['embedding', 'dim 64, positions learned', '64×64', String(V * D + T * D)],
    ['transformer_block', '4 heads, mlp ×4', '64×64', String(block)],
    ['transformer_block', '8 heads, mlp ×4', '64×64', String(block)],
    ['layernorm', '', '64×64', String(2 * D)],
  ]);
  assert.deepEqual(errors, [], 'no page errors');
  await page.close();
});

// Pixels of a chart's canvas near the colour of its first series.
const strokePixels = (page, chart) => page.$eval(`${chart} canvas`, (c) => {
  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < px.length; i += 4) {
    n += Math.abs(px[i] - 47) < 30 && Math.abs(px[i + 1] - 111) < 30 && Math.abs(px[i + 2] - 223) < 30 && px[i + 3] > 0;
  }
  return n;
});

test('a tiny GPT trains on its schedule, its lr charted beside the loss', async () => {
  const { page, errors } = await presetPage();
  await page.click('#create-model');
  await page.waitForSelector('#models li.selected');
  await page.fill('#epoch-steps', '10');
  assert.equal(await page.inputValue('#warmup-steps'), '20');
  await trainInPage(page, { optimizer: 'adamw', lr: 0.001, batch: 12, epochs: 4, rounds: 10, normalize: 'none',
    timeout: 240000 });
  const jobId = await page.textContent('#job-id');
  const job = await getJson(`/v1/jobs/${jobId}`);
  assert.equal(job.epochs, 4, 'a schedule trains in one job, not rounds');
  assert.deepEqual(job.params.lr_schedule, { warmup_steps: 20, decay: 'cosine', min_learning_rate: 0.0001 });
  assert.equal(job.params.steps_per_epoch, 10);
  const h = (await getJson(`/v1/jobs/${jobId}/history`)).items;
  const lr = h.map((p) => p.lr);
  // steps 9 and 19 warm up (η·10/21, η·20/21), 29 is on the cosine, 39 the last
  assert.ok(Math.abs(lr[0] - 0.001 * 10 / 21) < 1e-9 && lr[0] < lr[1], `warm-up rises: ${lr}`);
  assert.ok(lr[2] < lr[1] && lr[3] === 0.0001, `cosine falls to min_lr: ${lr}`);
  const [x, drawn] = await page.evaluate(() => charts.plotted('lr'));
  assert.deepEqual(x, [1, 2, 3, 4]);
  assert.deepEqual(drawn, lr, 'the chart draws the lr the server reports');
  assert.ok(await page.isVisible('#lr-chart canvas'));
  assert.ok(await strokePixels(page, '#lr-chart') > 20, 'the lr line is drawn');
  const loss = await page.evaluate(() => charts.plotted('loss'));
  assert.deepEqual(loss[1], h.map((p) => p.loss), 'beside the loss of the same epochs');

  assert.deepEqual(errors, [], 'no page errors');
  console.log(`gpt: loss ${h[0].loss.toFixed(3)} → ${h[3].loss.toFixed(3)}, lr ${lr.map((v) => v.toPrecision(3)).join(' ')}`);
  await page.screenshot({ path: shot, fullPage: true });
  await page.close();
});

async function postJson(path, body, type = 'application/json') {
  const r = await fetch(suite.base + path, { method: 'POST', headers: { 'Content-Type': type },
    body: type === 'application/json' ? JSON.stringify(body) : body });
  assert.ok(r.ok, `${path}: ${r.status} ${await r.clone().text()}`);
  return r.json();
}

// A GPT of two blocks trained through the API on the text (the job polled
// to its end, however fast it is); resolves with the model.
async function trainedGpt() {
  const d = await postJson('/v1/datasets?name=verse', readFileSync(textFile(), 'utf8'), 'text/plain; charset=utf-8');
  const V = d.vocab_size;
  const m = await postJson('/v1/models', { name: 'gpt-panel', vocab_size: V, context: 32, seed: 2, layers: [
    { type: 'embedding', dim: 32, positions: 'learned' }, { type: 'transformer_block', heads: 4 },
    { type: 'transformer_block', heads: 2, mlp_ratio: 2 }, { type: 'layernorm' }, { units: V, activation: 'softmax' }] });
  const job = await postJson('/v1/jobs', { model_id: m.id, dataset_id: d.id, epochs: 3, epoch_steps: 10,
    batch_size: 8, optimizer: { name: 'adamw', learning_rate: 0.003 } });
  for (let j = job; j.status !== 'succeeded'; j = await getJson(`/v1/jobs/${job.id}`)) {
    assert.ok(['queued', 'running'].includes(j.status), `job ${j.status}: ${j.error}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return getJson(`/v1/models/${m.id}`);
}

test('the generate panel streams a trained GPT\'s text, the same again for the same seed', async () => {
  const m = await trainedGpt();
  assert.equal(m.layers[1].type, 'transformer_block');
  const { page, errors } = await suite.open('/');
  await page.waitForSelector(`#models li[data-id="${m.id}"]`);
  assert.ok(await page.isDisabled('#generate'), 'no model picked yet');
  await page.click(`#models li[data-id="${m.id}"]`);
  await page.waitForSelector('#generate:not([disabled])');
  assert.match(await page.textContent('#gen-note'), new RegExp(`${m.vocab_size} characters, context 32`));
  await page.fill('#gen-prompt', 'First Citizen:');
  await page.fill('#gen-length', '80');
  await page.fill('#gen-temp', '0.9');
  await page.fill('#gen-topk', '10');
  await page.fill('#gen-seed', '11');
  for (const n of [1, 2]) {
    await page.click('#generate');
    await page.waitForFunction((k) => window.neurond.stats.generations.length === k, n, { timeout: 60000 });
  }
  const [a, b] = await page.evaluate(() => window.neurond.stats.generations);
  const vocabulary = new Set(m.vocabulary);
  assert.equal(a.tokens, 80, 'one event per token');
  assert.equal([...a.text].length, 80, 'a character per token');
  assert.ok([...a.text].every((c) => vocabulary.has(c)), 'characters of the text');
  assert.equal(b.text, a.text, 'the same seed writes the same text');
  assert.equal(a.seed, 11);
  assert.ok(a.firstMs < a.ms, `the first token came before the end (${a.firstMs.toFixed(1)} of ${a.ms.toFixed(1)} ms)`);
  assert.equal(await page.textContent('#gen-out'), 'First Citizen:' + a.text);
  const api = await postJson(`/v1/models/${m.id}/generate`, { prompt: 'First Citizen:', max_tokens: 80,
    temperature: 0.9, top_k: 10, seed: 11 });
  assert.equal(api.text, a.text, 'the stream wrote what the JSON reply writes');
  assert.deepEqual(errors, [], 'no page errors');
  console.log(`gpt generate: 80 tokens streamed, first after ${a.firstMs.toFixed(1)} ms, all in ${a.ms.toFixed(1)} ms:`
    + ` ${JSON.stringify(a.text.slice(0, 50))}`);
  await page.close();
});
