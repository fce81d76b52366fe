// job_list.test.js — the dashboard's job list reaches every job of the
// selected model: 55 finished jobs, the first page of 50 listed, "Older
// jobs" follows next_cursor to the other 5 and then hides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serverSuite } from './support.js';

const suite = serverSuite('j');

// POSTs JSON to the server, resolving with the reply's JSON.
async function post(path, body) {
  const r = await fetch(suite.base + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.ok(r.ok, `${path}: ${r.status}`);
  return r.json();
}

// Trains `count` one-epoch jobs on one model, one after the other (a busy
// model refuses a second job); returns the model's id and the job ids.
async function manyJobs(count) {
  const d = await post('/v1/datasets', { name: 'and', generator: 'and' });
  const m = await post('/v1/models', { name: 'many-jobs', inputs: 2, layers: [{ units: 1, activation: 'sigmoid' }] });
  const ids = [];
  for (let i = 0; i < count; i++) {
    const j = await post('/v1/jobs', { model_id: m.id, dataset_id: d.id, epochs: 1 });
    ids.push(j.id);
    for (let s = j.status; s === 'queued' || s === 'running';)
      s = (await (await fetch(`${suite.base}/v1/jobs/${j.id}`)).json()).status;
  }
  return { model: m.id, ids };
}

test('every job of a model is reachable: Older jobs pages past the first 50', async () => {
  const { model, ids } = await manyJobs(55);
  const { page, errors } = await suite.open('/');
  await page.waitForSelector('#conn-state:has-text("connected")');
  await page.click(`#models li[data-id="${model}"]`);
  await page.waitForFunction(() => document.querySelectorAll('#jobs li').length === 50);
  assert.equal(await page.isVisible('#more-jobs'), true, 'a next page is offered');
  await page.click('#more-jobs');
  await page.waitForFunction(() => document.querySelectorAll('#jobs li').length === 55);
  const listed = await page.$$eval('#jobs li', (lis) => lis.map((li) => li.dataset.id));
  assert.deepEqual([...listed].sort(), [...ids].sort(), 'each job once, none missing');
  assert.equal(await page.isVisible('#more-jobs'), false, 'no page after the last');
  await page.screenshot({ path: join(process.env.SHOTS || '../../build', 'dashboard-older-jobs.png') });
  assert.deepEqual(errors, []);
  await page.close();
});
