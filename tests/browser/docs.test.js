// docs.test.js — the API docs page (/docs, Swagger UI over /openapi.yaml)
// in headless Chromium against a neurond that requires a token: every
// operation of the document is on the page; "Try it out" without the
// token shows the server's 401, "Authorize" takes the token, and then
// GET /v1/version and POST /v1/datasets with the document's example
// answer 200 and 201 on the page, and the dataset is really created.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite } from './support.js';

const TOKEN = 'docs-test-token-91d2';

const suite = serverSuite('docs', ['--api-token', TOKEN]);

// Expands operation `id` (tag-operationId), presses Try it out and
// Execute, and returns the status code the page shows.
async function execute(page, id) {
  const op = page.locator(`#operations-${id}`);
  const tryOut = op.locator('.try-out__btn');
  if (!(await op.locator('.opblock-body').isVisible())) await op.locator('.opblock-summary').click();
  await tryOut.waitFor();
  if ((await tryOut.innerText()).trim() === 'Try it out') await tryOut.click();
  await op.locator('.execute').click();
  const status = op.locator('.live-responses-table tr.response .response-col_status');
  await status.first().waitFor();
  const code = (await status.first().innerText()).trim();
  await op.locator('.btn-clear').click();
  return code;
}

test('the docs page lists every operation and runs the examples with the token', async () => {
  const { page, errors } = await suite.open('/docs');
  await page.waitForSelector('.opblock');

  const spec = await (await fetch(suite.base + '/openapi.yaml')).text();
  const ids = [...spec.matchAll(/^\s+operationId: (\w+)$/gm)].map((m) => m[1]);
  assert.ok(ids.length > 20, `operations in the document: ${ids.length}`);
  assert.equal(await page.locator('.opblock').count(), ids.length);
  for (const id of ids) assert.equal(await page.locator(`.opblock[id$="-${id}"]`).count(), 1, id);

  assert.equal(await execute(page, 'operations-version'), '401');

  await page.click('.auth-wrapper .authorize');
  await page.fill('.auth-container input', TOKEN);
  await page.click('.auth-btn-wrapper button.authorize');
  await page.click('.auth-btn-wrapper button.btn-done');

  assert.equal(await execute(page, 'operations-version'), '200');
  assert.equal(await execute(page, 'datasets-createDataset'), '201');

  const list = await fetch(suite.base + '/v1/datasets', { headers: { Authorization: 'Bearer ' + TOKEN } });
  assert.deepEqual((await list.json()).items.map((d) => d.name), ['xor']);
  assert.deepEqual(errors, []);
});
