// playground_support.js — what the playground's browser tests share: one
// real neurond and one Chromium per test file (started before, stopped
// after, with no page errors allowed), a page opened on a setup hash and
// ready, the page's run state, and where screenshots go.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { root, serverSuite } from './support.js';

// Registers the file's before/after hooks; returns { dir, shot, open, run }.
export function playgroundSuite(name) {
  const suite = serverSuite(name);
  const errors = [];
  after(() => assert.deepEqual(errors, [], 'no page errors'));
  return {
    dir: suite.dir,
    shot: (n) => resolve(root, process.env.SHOTS || 'build', `playground-${n}.png`),
    // A new page on playground.html#hash, once it says it is ready.
    async open(hash) {
      const page = await suite.context.newPage();
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${suite.base}/web/playground.html#${hash}`);
      await page.waitForSelector('body[data-ready="yes"]', { timeout: 30000 });
      return page;
    },
    run: (page) => page.evaluate(() => JSON.parse(JSON.stringify(window.playground.run))),
  };
}
