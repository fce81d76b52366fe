// playground_more.test.js — the playground's real data and the rest of
// issue 14, in headless Chromium against a real neurond: iris uploaded as a
// CSV the user picks (4 inputs, 3 classes: no plane, the loss and accuracy
// charts and the diagram), the "real data" lesson finding it on the server,
// a 2-D three-class dataset painted one colour per class, the perceptron
// from hand-set weights (evaluated, trained from there, reset back to
// them), several runs overlaid on one chart, and a lesson restored from
// the URL with its text. Screenshots into build/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { root } from './support.js';
import { playgroundSuite } from './playground_support.js';

const { dir, shot, open, run } = playgroundSuite('q');
const data = resolve(root, process.env.NEUROND_SHARED_DATA || '../shared/data');
const lastUnits = (r) => r.model.layers.at(-1).units;

// Clicks Play and waits until `count` runs are charted and the last has
// ended with its whole history.
async function playRun(page, count) {
  await page.click('#btn-play');
  await page.waitForFunction((n) => {
    const r = window.playground.run;
    return r.runs.length === n && r.status === 'succeeded' && document.body.dataset.history === 'complete';
  }, count, { timeout: 90000 });
  return run(page);
}

// How many pixels of canvas `id` are within 40 of colour rgb per channel.
const pixels = (page, id, rgb) => page.evaluate(([id, rgb]) => {
  const c = document.getElementById(id), px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < px.length; i += 4)
    n += px[i + 3] > 0 && [0, 1, 2].every((k) => Math.abs(px[i + k] - rgb[k]) < 40);
  return n;
}, [id, rgb]);

test('iris from a CSV file the user picks: 3 classes, no plane, loss and accuracy charted', async () => {
  const page = await open('layers=8&lr=0.01&batch=16&epochs=150&opt=adam');
  await page.setInputFiles('#pg-csv', join(data, 'iris.csv'));
  await page.waitForFunction(() => window.playground.run.model?.inputs === 4);
  const r0 = await run(page);
  assert.equal(r0.dataset.name, 'iris');
  assert.equal(lastUnits(r0), 3, 'a softmax output per species');
  assert.match(await page.inputValue('[data-key="data"]'), /^ds:/, 'the menu holds the uploaded dataset');
  assert.match(await page.inputValue('#pg-link'), new RegExp(`data=ds%3A${r0.dataset.id}`), 'and the link names it');
  assert.equal(await page.isHidden('#pg-plane'), true, 'four inputs span no plane');
  const inputs = await page.$$eval('#pg-diagram text', (ts) => ts.map((t) => t.textContent).filter(Boolean));
  assert.deepEqual(inputs, ['seplen', 'sepwid', 'petlen', 'petwid']);
  assert.equal(await page.locator('#pg-diagram image.neuron').count(), 0, 'no neuron maps without a plane');
  const r = await playRun(page, 1);
  assert.equal(r.current.points.length, 150);
  assert.equal(r.current.acc.length, 150, 'accuracy of every epoch');
  assert.ok(r.current.acc.at(-1)[1] > 0.9, `iris learned: accuracy ${r.current.acc.at(-1)[1]}`);
  assert.ok(await pixels(page, 'pg-acc', [47, 111, 223]) > 100, 'the accuracy chart is drawn');
  await page.screenshot({ path: shot('iris') });
  await page.close();
});

test('the real-data lesson finds iris on the server', async () => {
  const page = await open('');
  await page.selectOption('#lesson', 'realdata');
  await page.waitForFunction(() => window.playground.run.model?.inputs === 4);
  const r = await run(page);
  assert.equal(r.dataset.name, 'iris');
  assert.match(await page.textContent('#lesson-text'), /iris/);
  await page.close();
});

test('a 2-D dataset of three classes: the plane painted one colour per class', async () => {
  // iris's petal length and width: three species in two inputs.
  const rows = readFileSync(join(data, 'iris.csv'), 'utf8').trim().split(/\r?\n/);
  const head = rows[0].split(',');
  const cols = ['petal_length_cm', 'petal_width_cm', 'species'].map((c) => head.indexOf(c));
  assert.ok(cols.every((c) => c >= 0), `iris columns: ${head}`);
  const file = join(dir, 'petals.csv');
  writeFileSync(file, rows.map((l) => cols.map((c) => l.split(',')[c]).join(',')).join('\n') + '\n');
  const page = await open('layers=6&lr=0.03&batch=16&epochs=150&opt=adam');
  await page.setInputFiles('#pg-csv', file);
  // (the page's first setup, xor, has two inputs too: wait for the petals' model)
  await page.waitForFunction(() => window.playground.run.dataset?.name === 'petals' && window.playground.run.status === 'ready');
  const r = await playRun(page, 1);
  assert.equal(lastUnits(r), 3);
  assert.equal(r.points.length, 150);
  assert.deepEqual([...new Set(r.points.map((p) => p.cls))].sort(), [0, 1, 2], 'points of the three classes');
  assert.deepEqual([...new Set(r.planeClasses)].sort(), [0, 1, 2], 'each class has its region');
  const green = await page.evaluate(() => window.pgDraw.classColour(2));
  assert.ok(await pixels(page, 'pg-boundary', green) > 500, 'the third class painted in its colour');
  await page.screenshot({ path: shot('petals-3-classes') });
  await page.close();
});

test('the perceptron from hand-set weights: evaluated, trained from there, reset back', async () => {
  const page = await open('mode=perceptron&gate=and&pw1=1&pw2=1&pb=-0.5');
  await page.click('#pp-eval');
  await page.waitForSelector('#pp-eval-out:has-text("rows wrong")');
  assert.match(await page.textContent('#pp-eval-out'), /^2 of 4 rows wrong/, 'OR\'s line on AND: (0,1) and (1,0)');
  const hand = [{ W: [[1], [1]], b: [-0.5] }];
  assert.deepEqual((await run(page)).weights, hand);
  await page.click('#btn-play');
  await page.waitForSelector('body[data-history="complete"]', { timeout: 30000 });
  const t = await run(page);
  assert.equal(t.converged, true);
  assert.ok(t.mistakes[0][1] > 0, 'the first pass corrects the hand-set line');
  assert.notDeepEqual(t.weights, hand);
  await page.click('#btn-reset');
  await page.waitForFunction(() => window.playground.run.status === 'ready' && window.playground.run.epoch === 0);
  assert.deepEqual((await run(page)).weights, hand, 'Reset goes back to the hand-set weights');

  // AND's own line typed in: no mistake, converged after one pass, unchanged.
  await page.fill('[data-key="pb"]', '-1.5');
  await page.press('[data-key="pb"]', 'Tab');
  await page.waitForFunction(() => window.playground.run.weights?.[0].b[0] === -1.5);
  await page.click('#pp-eval');
  await page.waitForSelector('#pp-eval-out:has-text("0 of 4 rows wrong")');
  await page.click('#btn-play');
  await page.waitForSelector('body[data-history="complete"]', { timeout: 30000 });
  const u = await run(page);
  assert.equal(u.converged, true);
  assert.deepEqual(u.mistakes, [[1, 0]], 'one pass, no mistake');
  assert.deepEqual(u.weights, [{ W: [[1], [1]], b: [-1.5] }]);
  assert.match(await page.inputValue('#pg-link'), /pb=-1.5/);
  await page.screenshot({ path: shot('perceptron-hand') });
  await page.close();
});

test('several runs overlaid on one chart: batch 1 against batch 4', async () => {
  const page = await open('mode=network&data=xor&layers=4&lr=0.1&batch=1&epochs=200&seed=2');
  const first = await playRun(page, 1);
  await page.fill('[data-key="batch"]', '4');
  const second = await playRun(page, 2);
  assert.equal(second.runs[0].label, first.current.label, 'the first run stays charted');
  assert.match(second.runs[0].label, /b=1$/);
  assert.match(second.runs[1].label, /b=4$/);
  assert.equal(second.runs[0].points.length, 200);
  assert.equal(second.runs[1].points.length, 200);
  assert.notDeepEqual(second.runs[0].points, second.runs[1].points, 'two different curves');
  assert.ok(await pixels(page, 'pg-chart', [47, 111, 223]) > 50, 'the first run in blue');
  assert.ok(await pixels(page, 'pg-chart', [230, 120, 40]) > 50, 'the second in orange');
  await page.screenshot({ path: shot('runs-overlaid') });
  await page.close();
});

test('a lesson link restores the lesson itself: its name and text', async () => {
  const page = await open('');
  await page.selectOption('#lesson', 'xorfails');
  await page.waitForFunction(() => window.playground.run.model?.type === 'perceptron');
  const link = await page.inputValue('#pg-link');
  assert.match(link, /lesson=xorfails/);
  await page.close();
  const fresh = await open(new URL(link).hash.slice(1));
  assert.equal(await fresh.inputValue('#lesson'), 'xorfails');
  assert.match(await fresh.textContent('#lesson-text'), /^XOR fails: No line separates XOR/);
  assert.equal(await fresh.inputValue('[data-key="gate"]'), 'xor');
  await fresh.close();
});
