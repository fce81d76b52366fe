// accounts.test.js — signing in to the dashboard with a user's token: a
// server with a user refuses the page until the token is entered, then
// says who is signed in; the administrator's --api-token and an open
// server say so too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { root, startServer, stopServer, launchChromium } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'neurond-accounts-'));
const bin = resolve(root, process.env.NEUROND_BIN || 'build/neurond');
const ADMIN = 'accounts-admin-token-77aa';
let server, open, context, aliceToken;

// `neurond --db <dir>/users.db ARGS…`: its stdout.
const cli = (...args) => execFileSync(bin, ['--db', join(dir, 'users.db'), ...args], { encoding: 'utf8' });

before(async () => {
  cli('user', 'add', 'alice');
  aliceToken = cli('token', 'create', 'alice').trim();
  server = await startServer(dir, 'users', ['--api-token', ADMIN]);
  open = await startServer(dir, 'open');
  context = await launchChromium(dir);
});

after(async () => {
  await context?.close();
  await stopServer(server?.process);
  await stopServer(open?.process);
  rmSync(dir, { recursive: true, force: true });
});

// Signs in on a fresh page at url with token ('' for none).
async function signIn(url, token) {
  const page = await context.newPage();
  await page.goto(url + '/');
  await page.fill('#api-token', token);
  await page.click('#conn button[type=submit]');
  return page;
}

test('a user signs in with a token and the page says who it is', async () => {
  assert.match(aliceToken, /^ndt_[a-z2-7]{26}$/);
  const page = await signIn(server.url, 'ndt_wrongwrongwrongwrongwrong');
  await page.waitForSelector('#error:has-text("401")');
  await page.fill('#api-token', aliceToken);
  await page.click('#conn button[type=submit]');
  await page.waitForSelector('#conn-state:has-text("connected as alice")');
  assert.equal(await page.textContent('#conn-state'), 'connected as alice');
});

test('the administrator token and an open server are named as such', async () => {
  const admin = await signIn(server.url, ADMIN);
  await admin.waitForSelector('#conn-state:has-text("administrator token")');
  const page = await signIn(open.url, '');
  await page.waitForSelector('#conn-state:has-text("open server")');
});
