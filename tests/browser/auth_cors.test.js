// auth_cors.test.js — the dashboard served by one neurond drives another
// that requires a bearer token and allows the first one's origin by CORS:
// the page asks for the token on a 401, keeps it in sessionStorage once
// entered, and creates and trains through the other origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, stopServer, launchChromium } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'neurond-cors-'));
const TOKEN = 'browser-test-token-4f1c';
const servers = [];
let pageOrigin, api, context;

// The number of datasets a server holds, asked with or without the token.
async function datasetCount(base, token) {
  const r = await fetch(base + '/v1/datasets', token ? { headers: { Authorization: 'Bearer ' + token } } : {});
  return r.status === 200 ? (await r.json()).items.length : r.status;
}

before(async () => {
  const page = await startServer(dir, 'page');
  servers.push(page.process);
  pageOrigin = page.url;
  const other = await startServer(dir, 'api', ['--api-token', TOKEN, '--cors-origin', pageOrigin]);
  servers.push(other.process);
  api = other.url;
  context = await launchChromium(dir);
});

after(async () => {
  await context?.close();
  for (const s of servers) await stopServer(s);
  rmSync(dir, { recursive: true, force: true });
});

test('the page asks for the token, keeps it, and trains on another origin', async () => {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pageOrigin + '/');

  // The other origin without a token: the page says a token is needed.
  await page.fill('#api-base', api);
  await page.click('#conn button[type=submit]');
  await page.waitForSelector('#error:has-text("401")');

  // With it: connected, and the token stays for this tab's session.
  await page.fill('#api-token', TOKEN);
  await page.click('#conn button[type=submit]');
  await page.waitForSelector('#conn-state:has-text("connected")');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('neurond.token')), TOKEN);

  await page.selectOption('#gen', 'xor');
  await page.click('#create-dataset');
  await page.waitForSelector('#datasets li.selected');
  await page.click('#create-model');
  await page.waitForSelector('#models li.selected');
  await page.fill('#epochs', '400');
  await page.fill('#rounds', '1');
  await page.click('#start-job');
  await page.waitForSelector('body[data-training="done"]', { timeout: 60000 });

  // Everything went to the token server, through CORS; none to the page's.
  assert.equal(await datasetCount(api, TOKEN), 1);
  assert.equal(await datasetCount(api, null), 401);
  assert.equal(await datasetCount(pageOrigin, null), 0);
  assert.deepEqual(errors, []);
});
