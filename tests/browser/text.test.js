// text.test.js — a character model in the dashboard: the start of tiny
// Shakespeare uploaded as a text file; the builder's text stack
// (embedding → lstm → the dense softmax over the characters) with a
// context of 16; the summary's sequence shapes; trained with the live
// loss chart; then the generate panel streams text from the trained
// model, token by token, the same text again for the same seed;
// screenshot into build/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { root, startServer, stopServer, launchChromium, trainInPage } from './support.js';

const shot = resolve(root, process.env.SCREENSHOT || 'build/dashboard.png').replace(/\.png$/, '-text.png');
const dir = mkdtempSync(join(tmpdir(), 'neurond-browser-'));
const textFile = join(dir, 'verses.txt');
let server, base, context;

before(async () => {
  ({ process: server, url: base } = await startServer(dir, 'text'));
  context = await launchChromium(dir);
  const all = readFileSync(resolve(root, '../shared/data/tinyshakespeare.txt'), 'utf8');
  writeFileSync(textFile, all.slice(0, 6000));
});

after(async () => {
  await context?.close();
  await stopServer(server);
  rmSync(dir, { recursive: true, force: true });
});

const row = (i) => `#layers tbody tr:nth-child(${i + 1})`;

async function setField(page, i, field, value) {
  const sel = `${row(i)} [data-field=${field}]`;
  await page.fill(sel, value);
  await page.dispatchEvent(sel, 'change');
}

test('a character LSTM is built, trained and writes, streamed', async () => {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(base + '/');
  await page.waitForSelector('#conn-state:has-text("connected")');
  assert.ok(await page.isDisabled('#generate'), 'nothing to write with yet');

  await page.setInputFiles('#text-file', textFile);
  await page.click('#text-form button');
  await page.waitForSelector('#datasets li.selected:has-text("verses")');
  const d = await page.evaluate(() => window.neurond.state.dataset);
  assert.equal(d.task, 'language_modeling');
  assert.equal(d.tokens, 6000);
  assert.match(await page.textContent('#datasets li.selected'), new RegExp(`6000 tokens, ${d.vocab_size} characters`));

  // the text's stack: embedding → lstm, then the dense softmax output
  assert.ok(await page.isVisible('#context'), 'a text asks for a context');
  const kinds = await page.$$eval('#layers tbody tr', (rows) => rows.map((r) => (r.cells[0].textContent === 'output'
    ? 'dense' : r.querySelector('[data-field=type]').value)));
  assert.deepEqual(kinds, ['embedding', 'lstm', 'dense']);
  await page.fill('#context', '16');
  await page.waitForSelector(`#model-inputs:has-text("16 token ids (of ${d.vocab_size})")`);
  await setField(page, 0, 'dim', '16');
  await setField(page, 1, 'units', '48');
  assert.equal(await page.inputValue('#loss'), 'cross_entropy');
  await page.click('#create-model');
  await page.waitForSelector('#models li.selected, #error:not([hidden])');
  assert.equal(await page.textContent('#error'), '', 'the server took the definition');
  const V = d.vocab_size;
  const summary = await page.$$eval('#summary table tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
  assert.deepEqual(summary.slice(1, 5), [
    ['', 'input', `token ids of ${V}`, '16', '0'],
    ['0', 'embedding', 'dim 16, positions none', '16×16', String(V * 16)],
    ['1', 'lstm', '48 units, every step', '16×48', String(4 * 48 * (16 + 48) + 8 * 48)],
    ['2', 'dense', `${V} units, softmax`, `16×${V}`, String(48 * V + V)],
  ]);
  assert.ok(await page.isDisabled('#generate'), 'an untrained model has no vocabulary');

  assert.equal(await page.inputValue('#normalize'), 'none', 'token ids are not normalised');
  await page.fill('#epoch-steps', '30');
  await page.fill('#val-split', '0.1');
  await trainInPage(page, { optimizer: 'adam', lr: 0.01, batch: 16, epochs: 6, rounds: 1, normalize: 'none',
    timeout: 240000 });
  const curve = await page.evaluate(() => window.neurond.series());
  assert.equal(curve.x.length, 6, 'a loss point per epoch of 30 steps');
  assert.ok(curve.loss[5] < curve.loss[0], `the loss falls (${curve.loss[0]} → ${curve.loss[5]})`);
  assert.ok(curve.vloss[5] > 0, 'val_loss over the held-out block is charted');

  // the generate panel: streamed, then the same text for the same seed
  await page.waitForSelector('#generate:not([disabled])');
  assert.match(await page.textContent('#gen-note'), new RegExp(`${V} characters, context 16`));
  await page.fill('#gen-prompt', 'First Citizen:');
  await page.fill('#gen-length', '120');
  await page.fill('#gen-temp', '0.8');
  await page.fill('#gen-topk', '5');
  await page.fill('#gen-seed', '7');
  await page.click('#generate');
  await page.waitForFunction(() => window.neurond.stats.generations.length === 1, null, { timeout: 60000 });
  await page.click('#generate');
  await page.waitForFunction(() => window.neurond.stats.generations.length === 2, null, { timeout: 60000 });
  const [a, b] = await page.evaluate(() => window.neurond.stats.generations);
  assert.equal(a.tokens, 120, 'one event per token');
  assert.equal([...a.text].length, 120, 'a character per token');
  assert.equal(b.text, a.text, 'the same seed writes the same text');
  assert.equal(a.seed, 7);
  assert.ok(a.firstMs < a.ms, `the first token came before the end (${a.firstMs.toFixed(1)} of ${a.ms.toFixed(1)} ms)`);
  assert.equal(await page.textContent('#gen-out'), 'First Citizen:' + a.text);
  assert.deepEqual(errors, [], 'no page errors');
  console.log(`text: loss ${curve.loss[0].toFixed(3)} → ${curve.loss[5].toFixed(3)}, val ${curve.vloss[5].toFixed(3)};`
    + ` 120 tokens streamed, first after ${a.firstMs.toFixed(1)} ms, all in ${a.ms.toFixed(1)} ms:`
    + ` ${JSON.stringify(a.text.slice(0, 60))}`);
  await page.screenshot({ path: shot, fullPage: true });
  await page.close();
});
