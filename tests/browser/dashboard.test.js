// dashboard.test.js — the dashboard in headless Chromium: load it, create
// the xor dataset and a 2-4-1 network, train it, see the loss curve fall
// and the decision boundary appear; screenshot into build/.
// NEUROND_BIN (default build/neurond) is started on a free loopback port
// with a fresh database; Chromium is Debian's, never a downloaded one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { root, serverSuite } from './support.js';

const shot = resolve(root, process.env.SCREENSHOT || 'build/dashboard.png');

const suite = serverSuite('n');

test('the dashboard trains xor with a 2-4-1 network and draws its boundary', async () => {
  const { page, errors } = await suite.open('/');
  await page.waitForSelector('#conn-state:has-text("connected")');

  await page.selectOption('#gen', 'xor');
  await page.fill('#gen-noise', '0');
  await page.click('#create-dataset');
  await page.waitForSelector('#datasets li.selected');
  await page.waitForSelector('#model-inputs:has-text("2 inputs")');

  // 2-4-1: the default hidden layer of 4 tanh units, a sigmoid output.
  assert.equal(await page.locator('#layers tbody tr').count(), 2);
  await page.click('#create-model');
  await page.waitForSelector('#models li.selected');

  await page.fill('#epochs', '3000');
  await page.fill('#rounds', '6');
  await page.fill('#lr', '0.5');
  await page.fill('#momentum', '0.9');
  await page.click('#start-job');
  await page.waitForSelector('body[data-training="done"]', { timeout: 60000 });

  assert.equal(await page.textContent('#job-status'), 'succeeded');
  assert.equal(await page.textContent('#error'), '', 'no error shown');
  const seen = await page.evaluate(() => {
    const s = window.neurond.series();
    const px = document.getElementById('boundary').getContext('2d').getImageData(0, 0, 320, 320).data;
    let blue = 0, orange = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i + 2] > px[i] + 40) blue++;
      if (px[i] > px[i + 2] + 40) orange++;
    }
    return { n: s.x.length, first: s.loss[0], last: s.loss[s.loss.length - 1], lastEpoch: s.x[s.x.length - 1],
      blue, orange, stats: window.neurond.stats };
  });
  console.log(`dashboard: ${seen.n} points charted, loss ${seen.first.toFixed(4)} -> ${seen.last.toFixed(6)}, ` +
    `${seen.stats.epochEvents} live epoch events, ${seen.stats.boundaryDraws} boundary draws, ` +
    `end-event latency (job finished_at to browser) ms: ${seen.stats.endLatencyMs.join(', ')}`);
  assert.equal(seen.lastEpoch, 3000);
  assert.ok(seen.last < seen.first / 10, 'the loss curve falls');
  assert.ok(seen.stats.boundaryDraws >= 6, 'the boundary is redrawn each round');
  assert.ok(seen.blue > 5000 && seen.orange > 5000, `both sides of the boundary show (${seen.blue}/${seen.orange})`);

  await page.fill('#predict-in', '1, 0');
  await page.click('#predict-form button');
  await page.waitForFunction(() => document.getElementById('predict-out').textContent !== '');
  assert.ok(Number(await page.textContent('#predict-out')) > 0.8, 'xor(1, 0) is predicted 1');

  mkdirSync(dirname(shot), { recursive: true });
  await page.screenshot({ path: shot, fullPage: true });
  assert.deepEqual(errors, []);
});

test('a circle dataset previews, trains a softmax network and shows its classes', async () => {
  const { page, errors } = await suite.open('/');
  await page.waitForSelector('#conn-state:has-text("connected")');
  await page.selectOption('#gen', 'circle');
  await page.fill('#gen-n', '200');
  await page.fill('#gen-noise', '0.05');
  await page.click('#create-dataset');
  await page.waitForSelector('#model-inputs:has-text("2 inputs → … → 2 outputs")');
  const painted = await page.evaluate(() => {
    const px = document.getElementById('scatter').getContext('2d').getImageData(0, 0, 240, 240).data;
    let n = 0;
    for (let i = 3; i < px.length; i += 4) n += px[i] > 0;
    return n;
  });
  assert.ok(painted > 1000, `the scatter preview shows the points (${painted} pixels)`);
  assert.equal(await page.inputValue('#loss'), 'cross_entropy');

  await page.click('#add-layer'); // 2-4-4-2
  await page.click('#create-model');
  await page.waitForSelector('#models li.selected');
  await page.selectOption('#optimizer', 'adam');
  await page.fill('#lr', '0.05');
  await page.fill('#batch', '16');
  await page.fill('#epochs', '300');
  await page.fill('#rounds', '3');
  await page.click('#start-job');
  await page.waitForSelector('body[data-training="done"]', { timeout: 60000 });
  assert.equal(await page.textContent('#job-status'), 'succeeded');
  const acc = await page.evaluate(() => { const s = window.neurond.series(); return s.acc[s.acc.length - 1]; });
  assert.ok(acc > 0.9, `the circle is learnt (accuracy ${acc})`);

  await page.fill('#predict-in', '0, 0');
  await page.click('#predict-form button');
  await page.waitForFunction(() => document.getElementById('predict-out').textContent !== '');
  assert.match(await page.textContent('#predict-out'), /\(/, 'a class label with its probabilities');
  await page.screenshot({ path: shot.replace(/\.png$/, '-circle.png'), fullPage: true });
  assert.deepEqual(errors, []);
});
