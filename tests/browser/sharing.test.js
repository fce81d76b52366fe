// sharing.test.js — the dashboard with two users of one neurond, a
// teacher and a student: the teacher shares a dataset and a model with
// the page's Share buttons; the student's lists show them marked public
// and the teacher's, without a Share button, and Copy makes the student
// a model of their own; the administrator sees whose each object is.
// The token travels only in the Authorization header, never in a URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { root, startServer, stopServer, launchChromium } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'neurond-sharing-'));
const bin = resolve(root, process.env.NEUROND_BIN || 'build/neurond');
const ADMIN = 'sharing-admin-token-5c2e';
let server, context, teacher, student;

const cli = (...args) => execFileSync(bin, ['--db', join(dir, 'class.db'), ...args], { encoding: 'utf8' });

// POST path with a JSON body as the holder of token: the reply.
async function post(token, path, body) {
  const r = await fetch(server.url + path, {
    method: 'POST', body: JSON.stringify(body),
    headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
  });
  assert.equal(r.status, 201, await r.clone().text());
  return r.json();
}

// A fresh page signed in with token; every request it makes is collected
// in urls as "METHOD URL".
async function signIn(token, urls) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (req) => urls.push(`${req.method()} ${req.url()}`));
  await page.goto(server.url + '/');
  await page.fill('#api-token', token);
  await page.click('#conn button[type=submit]');
  await page.waitForSelector('#conn-state:has-text("connected")');
  page.errors = errors;
  return page;
}

const item = (page, list, id) => page.locator(`#${list} li[data-id="${id}"]`);

before(async () => {
  cli('user', 'add', 'teacher');
  cli('user', 'add', 'student');
  teacher = cli('token', 'create', 'teacher').trim();
  student = cli('token', 'create', 'student').trim();
  server = await startServer(dir, 'class', ['--api-token', ADMIN]);
  context = await launchChromium(dir);
});

after(async () => {
  await context?.close();
  await stopServer(server?.process);
  rmSync(dir, { recursive: true, force: true });
});

test('a teacher shares, a student sees it marked and copies the model', async () => {
  const lesson = await post(teacher, '/v1/datasets', { name: 'lesson xor', generator: 'xor' });
  const net = await post(teacher, '/v1/models', {
    name: 'lesson net', inputs: 2, layers: [{ units: 2, activation: 'tanh' }, { units: 1, activation: 'sigmoid' }],
  });
  const own = await post(student, '/v1/datasets', { name: 'my and', generator: 'and' });
  const urls = [];

  const t = await signIn(teacher, urls);
  assert.equal(await t.textContent('#conn-state'), 'connected as teacher');
  await item(t, 'datasets', lesson.id).locator('button.share').click();
  await t.waitForSelector(`#datasets li[data-id="${lesson.id}"] .mark.public`);
  await item(t, 'models', net.id).locator('button.share').click();
  await t.waitForSelector(`#models li[data-id="${net.id}"] .mark.public`);
  assert.equal(await item(t, 'datasets', lesson.id).locator('.mark.owner').count(), 0,
    'the teacher\'s own items are not marked with an owner');
  assert.equal(await item(t, 'datasets', own.id).count(), 0, 'the student\'s private dataset is not listed');

  const s = await signIn(student, urls);
  assert.equal(await s.textContent('#conn-state'), 'connected as student');
  const shared = item(s, 'datasets', lesson.id);
  await shared.waitFor();
  assert.equal(await shared.locator('.mark.public').textContent(), 'public');
  assert.equal(await shared.locator('.mark.owner').textContent(), 'by teacher');
  assert.equal(await shared.locator('button').count(), 0, 'no Share button on another\'s dataset');
  assert.equal(await item(s, 'datasets', own.id).locator('button.share').textContent(), 'Share');

  await item(s, 'models', net.id).locator('button.copy').click();
  await s.waitForFunction(() => document.querySelectorAll('#models li').length === 2);
  const copy = s.locator('#models li:not(:has(.mark.public))');
  assert.match(await copy.textContent(), /^lesson net/);
  assert.equal(await copy.locator('button.share').textContent(), 'Share', 'the copy is the student\'s');

  const a = await signIn(ADMIN, urls);
  await item(a, 'datasets', own.id).waitFor();
  assert.equal(await item(a, 'datasets', own.id).locator('.mark.owner').textContent(), 'by student');
  assert.equal(await item(a, 'datasets', lesson.id).locator('.mark.owner').textContent(), 'by teacher');
  assert.equal(await item(a, 'datasets', lesson.id).locator('button.share').textContent(), 'Unshare');

  for (const token of [teacher, student, ADMIN]) {
    assert.ok(!urls.some((u) => u.includes(token)), 'a token was sent in a URL');
  }
  assert.ok(urls.includes(`PATCH ${server.url}/v1/datasets/${lesson.id}`), 'the share went out as a PATCH');
  for (const p of [t, s, a]) assert.deepEqual(p.errors, []);
});
