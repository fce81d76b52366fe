// support.js — what the browser tests share: a real neurond on a free
// loopback port with its own database, Debian's Chromium (never a
// downloaded one), a clean stop that checks neurond exits 0, and slices of
// Debian's Fashion-MNIST IDX files.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { before, after } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = resolve(root, process.env.NEUROND_BIN || 'build/neurond');

// Starts neurond with its database in dir (named name.db) and extra flags;
// resolves with { process, url } once it listens.
export function startServer(dir, name, extra = []) {
  return new Promise((ok, fail) => {
    const s = spawn(bin, ['--bind', '127.0.0.1', '--port', '0', '--db', join(dir, name + '.db'),
      '--workers', '1', ...extra]);
    let out = '';
    s.stdout.on('data', (b) => {
      out += b;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m) ok({ process: s, url: m[1] });
    });
    s.stderr.on('data', (b) => process.stderr.write(b));
    s.on('exit', (code) => fail(new Error(`neurond ${name} exited (${code}): ${out}`)));
  });
}

// SIGTERM, and asserts neurond exits 0 (a clean stop).
export async function stopServer(s) {
  if (!s || s.exitCode !== null) return;
  const exited = new Promise((ok) => s.once('exit', (code) => ok(code)));
  s.kill('SIGTERM');
  assert.equal(await exited, 0, 'neurond exits 0 on SIGTERM');
}

// Debian's Chromium, headless, with a fresh profile in dir and the flags
// that keep it off the network it cannot reach here.
export function launchChromium(dir) {
  return chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1500, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// One real neurond (database <name>.db, extra flags) and one Chromium for
// a test file, in a temporary folder removed afterwards: registers the
// file's before/after hooks and returns { dir, base, context }, whose base
// (the server's URL) and context (the browser's) are set once the before
// hook has run, and open(path): a new page on path, resolving with
// { page, errors } (the page's uncaught errors, collected).
export function serverSuite(name, extra = []) {
  const suite = { dir: mkdtempSync(join(tmpdir(), `neurond-${name}-`)), base: null, context: null };
  suite.open = async (path) => {
    const page = await suite.context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(suite.base + path);
    return { page, errors };
  };
  let server;
  before(async () => {
    ({ process: server, url: suite.base } = await startServer(suite.dir, name, extra));
    suite.context = await launchChromium(suite.dir);
  });
  after(async () => {
    await suite.context?.close();
    await stopServer(server);
    rmSync(suite.dir, { recursive: true, force: true });
  });
  return suite;
}

const FMNIST = '/usr/share/datasets/fashion-mnist/';

// Items [from, to) of one of Debian's Fashion-MNIST IDX files (file:
// its name there), as a new IDX file (the header's count
// rewritten).
export function idxSlice(file, from, to) {
  const data = gunzipSync(readFileSync(FMNIST + file));
  const dims = data[3], head = 4 + 4 * dims;
  let item = 1;
  for (let i = 1; i < dims; i++) item *= data.readUInt32BE(4 + 4 * i);
  const out = Buffer.concat([data.subarray(0, head), data.subarray(head + from * item, head + to * item)]);
  out.writeUInt32BE(to - from, 4);
  return out;
}


// Fills the dashboard's training form (epochs, batch, optimizer, lr,
// rounds, normalize), presses Train and waits until the run is done;
// asserts the last job succeeded.
export async function trainInPage(page, o) {
  await page.selectOption('#optimizer', o.optimizer);
  await page.fill('#lr', String(o.lr));
  await page.fill('#batch', String(o.batch));
  await page.fill('#epochs', String(o.epochs));
  await page.fill('#rounds', String(o.rounds));
  await page.selectOption('#normalize', o.normalize);
  await page.click('#start-job');
  await page.waitForSelector('body[data-training="done"]', { timeout: o.timeout });
  assert.equal(await page.textContent('#job-status'), 'succeeded');
}
