// export.test.js — the dashboard's downloads of the selected network: ONNX,
// C header and JSON, each saved under the name the server gives and with
// the bytes GET /v1/models/{id}/export returns. NEUROND_BIN as in
// dashboard.test.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serverSuite } from './support.js';

const suite = serverSuite('e');
const { dir } = suite;

test('the selected network downloads as ONNX, a C header and JSON', async () => {
  const r = await fetch(suite.base + '/v1/models', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'gate net', inputs: 2, layers: [{ units: 1, activation: 'sigmoid' }], seed: 4 }),
  });
  assert.equal(r.status, 201);
  const model = await r.json();
  const { page, errors } = await suite.open('/');
  await page.click(`#models li:has-text("gate net")`);
  await page.waitForSelector('#models li.selected');

  const want = { onnx: 'gate_net.onnx', c: 'gate_net.h', json: 'gate net.json' };
  for (const [format, name] of Object.entries(want)) {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click(`#downloads button[data-format="${format}"]`),
    ]);
    assert.equal(download.suggestedFilename(), name);
    const saved = join(dir, name);
    await download.saveAs(saved);
    const direct = await fetch(`${suite.base}/v1/models/${model.id}/export?format=${format}`);
    assert.deepEqual(readFileSync(saved), Buffer.from(await direct.arrayBuffer()), `${format} bytes`);
  }
  assert.equal(await page.textContent('#error'), '', 'no error shown');
  assert.deepEqual(errors, []);
});
