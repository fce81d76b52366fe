// dashboard_fixes.test.js — what a student's trial of the dashboard found
// broken, each checked in headless Chromium: the chart keeps every epoch of
// a run in rounds (not the ~20 a second that come live); the rounds share
// one seed, so one validation split; a double click on Train starts one
// training, with Cancel usable throughout; the job list follows the
// selected model; picking another model clears the last job's status; a
// new dataset clears the last one's boundary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite } from './support.js';

const suite = serverSuite('f');

test('rounds: every epoch charted, one seed, one training per double click', async () => {
  const { page, errors } = await suite.open('/');
  await page.waitForSelector('#conn-state:has-text("connected")');
  await page.selectOption('#gen', 'circle');
  await page.fill('#gen-noise', '0.05');
  await page.click('#create-dataset');
  await page.waitForSelector('#model-inputs:has-text("2 outputs")');
  await page.click('#create-model');
  await page.waitForSelector('#models li.selected');
  await page.fill('#epochs', '300');
  await page.fill('#rounds', '3');
  await page.fill('#batch', '1');
  await page.fill('#val-split', '0.2');
  await page.dblclick('#start-job');
  await page.waitForSelector('body[data-training="running"]');
  assert.equal(await page.isDisabled('#cancel-job'), false, 'Cancel stays usable');
  await page.waitForSelector('body[data-training="done"]', { timeout: 120000 });

  const x = await page.evaluate(() => window.neurond.series().x);
  assert.deepEqual(x, Array.from({ length: 300 }, (_, i) => i + 1), 'every epoch of the three rounds');
  const model = await page.evaluate(() => window.neurond.state.model.id);
  const jobs = await page.evaluate((id) => fetch(`/v1/jobs?model_id=${id}`).then((r) => r.json()), model);
  assert.equal(jobs.items.length, 3, 'one training of three rounds, not two');
  const seeds = new Set(jobs.items.map((j) => j.params.seed));
  assert.equal(seeds.size, 1, 'the rounds share one seed: the same validation rows');
  assert.equal(await page.locator('#jobs li').count(), 3);

  // Another model: no jobs of the first listed, no status of its last.
  await page.click('#create-model');
  await page.waitForFunction((id) => window.neurond.state.model.id !== id, model);
  await page.waitForFunction(() => document.querySelectorAll('#jobs li').length === 0);
  assert.equal(await page.textContent('#job-status'), 'idle');

  // Another dataset: the last boundary goes.
  await page.selectOption('#gen', 'moons');
  await page.click('#create-dataset');
  await page.waitForFunction(() => window.neurond.state.dataset.name.startsWith('moons'));
  const painted = await page.evaluate(() => {
    const px = document.getElementById('boundary').getContext('2d').getImageData(0, 0, 320, 320).data;
    let n = 0;
    for (let i = 3; i < px.length; i += 4) n += px[i] > 0;
    return n;
  });
  assert.equal(painted, 0, 'no boundary of the previous dataset');
  assert.deepEqual(errors, []);
});
