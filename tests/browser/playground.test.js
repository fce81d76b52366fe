// playground.test.js — the teaching playground (web/playground.html) in
// headless Chromium against a real neurond: the perceptron converges on
// AND with a separating line and does not on XOR; the neuron explorer's
// NOR truth table and XOR from three gates; the diagram redrawn from live
// weights while training; pause keeps the epoch and weights, step trains
// exactly one epoch, resume finishes with the whole history; a URL gives a
// fresh page the same setup; no page errors. Screenshots into build/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { playgroundSuite } from './playground_support.js';

const { shot, open, run } = playgroundSuite('p');

test('the perceptron learns AND: converged, and its line separates the points', async () => {
  const page = await open('mode=perceptron&gate=and');
  await page.click('#btn-play');
  await page.waitForSelector('body[data-history="complete"]', { timeout: 30000 });
  const r = await run(page);
  assert.equal(r.converged, true);
  assert.equal(await page.textContent('#pp-badge'), 'converged');
  const [{ W, b }] = r.weights;
  for (const p of r.points) {
    const s = W[0][0] * p.x + W[1][0] * p.y + b[0];
    assert.equal(s > 0, Boolean(p.cls), `point (${p.x}, ${p.y}) on its side: ${s}`);
  }
  assert.equal(r.mistakes.at(-1)[1], 0, 'the last epoch had no mistakes');
  assert.ok(r.mistakes.length >= 2, 'mistakes per epoch charted');
  await page.screenshot({ path: shot('perceptron-and') });
  await page.close();
});

test('the perceptron on XOR does not converge', async () => {
  const page = await open('mode=perceptron&gate=xor&pepochs=15');
  await page.click('#btn-play');
  await page.waitForSelector('body[data-history="complete"]', { timeout: 30000 });
  const r = await run(page);
  assert.equal(r.converged, false);
  assert.equal(r.mistakes.length, 15, 'every epoch, up to the limit');
  assert.ok(r.mistakes.every(([, m]) => m > 0), 'a mistake in every epoch');
  assert.equal(await page.textContent('#pp-badge'), 'not converged');
  await page.screenshot({ path: shot('perceptron-xor') });
  await page.close();
});

test('the neuron explorer shows NOR by hand, and XOR from three gates', async () => {
  const page = await open('mode=neuron&w1=-1&w2=-1&b=0.5&nact=step');
  await page.waitForSelector('#nx-table tbody tr');
  await page.waitForSelector('#nx-xor tbody tr');
  const rows = await page.$$eval('#nx-table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.deepEqual(rows, [['0', '0', '0.5', '1'], ['0', '1', '-0.5', '0'], ['1', '0', '-0.5', '0'], ['1', '1', '-1.5', '0']]);
  const xor = await page.$$eval('#nx-xor tbody tr', (trs) => trs.map((tr) => tr.lastChild.textContent));
  assert.deepEqual(xor, ['0', '1', '1', '0']);
  await page.screenshot({ path: shot('neuron-nor') });
  await page.close();
});

test('the diagram follows the live weights while a 2-2-1 network learns XOR', async () => {
  const page = await open('mode=network&data=xor&layers=2&lr=0.5&batch=4&epochs=40000&seed=3');
  const before = await run(page);
  assert.equal(before.links.length, 2 * 2 + 2 * 1, 'one link per weight');
  assert.equal(await page.locator('#pg-diagram image.neuron').count(), 3, 'a map per neuron');
  await page.click('#btn-play');
  await page.waitForSelector('body[data-history="complete"]', { timeout: 60000 });
  const after = await run(page);
  assert.ok(after.liveDraws >= 3, `redrawn from live weights ${after.liveDraws} times`);
  // The first live picture (kept by the page: the job may end before a
  // test could sample it) came from an epoch before the last, and the
  // links moved from there.
  assert.ok(after.firstLive.epoch < 40000, `first live draw at epoch ${after.firstLive.epoch}`);
  assert.notDeepEqual(after.firstLive.w, after.links.map((l) => l.w), 'the links moved while training');
  const colours = (r) => r.links.map((l) => l.color).join();
  assert.notEqual(colours(after), colours(before), 'some link changed colour (its weight changed sign)');
  assert.equal(after.current.points.length, 40000, 'the chart is complete: every epoch');
  await page.screenshot({ path: shot('network-xor') });
  await page.close();
});

test('pause keeps the epoch and weights, step trains one epoch, resume finishes', async () => {
  // Long enough that a loaded machine cannot finish it before the pause
  // lands (2000 epochs sometimes ended first).
  const page = await open('mode=network&data=circle&noise=0.05&layers=4&batch=1&lr=0.01&epochs=6000');
  await page.click('#btn-play');
  await page.waitForFunction(() => window.playground.run.epoch >= 5, null, { timeout: 30000 });
  await page.click('#btn-pause');
  await page.waitForSelector('body[data-status="paused"]', { timeout: 30000 });
  await page.waitForTimeout(300); // the last live epoch comes before `paused`
  const p = await run(page);
  await page.waitForTimeout(500);
  const q = await run(page);
  assert.equal(q.epoch, p.epoch, 'a paused job stays at its epoch');
  assert.deepEqual(q.weights, p.weights, 'and at its weights');
  const job = await page.evaluate((id) => fetch(`/v1/jobs/${id}`).then((r) => r.json()), p.job);
  assert.equal(job.epoch, p.epoch, 'the page shows the epoch the server paused at');
  await page.screenshot({ path: shot('network-paused') });

  await page.click('#btn-step');
  await page.waitForFunction((e) => window.playground.run.epoch === e + 1 && window.playground.run.status === 'paused',
    p.epoch, { timeout: 30000 });
  const s = await page.evaluate((id) => fetch(`/v1/jobs/${id}`).then((r) => r.json()), p.job);
  assert.equal(s.epoch, p.epoch + 1, 'a step is exactly one epoch');
  assert.notDeepEqual((await run(page)).weights, p.weights, 'which moved the weights');

  await page.click('#btn-play');
  await page.waitForSelector('body[data-history="complete"]', { timeout: 120000 });
  const r = await run(page);
  assert.equal(r.status, 'succeeded');
  assert.equal(r.current.points.length, 6000, 'one history, every epoch');
  assert.deepEqual(r.current.points.map(([e]) => e), Array.from({ length: 6000 }, (_, i) => i + 1));
  await page.close();
});

test('a lesson link sets up a fresh page the same way', async () => {
  const page = await open('');
  await page.selectOption('#lesson', 'xor221');
  await page.waitForFunction(() => window.playground.run.model && window.playground.run.model.layers.length === 2);
  const link = await page.inputValue('#pg-link');
  const setup = await page.evaluate(() => ({ ...window.playground.setup }));
  await page.close();
  const fresh = await open(new URL(link).hash.slice(1));
  const again = await fresh.evaluate(() => ({ ...window.playground.setup }));
  for (const k of ['mode', 'data', 'layers', 'act', 'lr', 'batch', 'epochs', 'seed'])
    assert.equal(again[k], setup[k], k);
  assert.equal(await fresh.inputValue('[data-key="layers"]'), '2');
  assert.equal(await fresh.locator('#pg-diagram image.neuron').count(), 3, '2 hidden + 1 output');
  await fresh.screenshot({ path: shot('lesson-link') });
  await fresh.close();
});
