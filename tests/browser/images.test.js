// images.test.js — an image dataset in the dashboard: Fashion-MNIST's test
// images (Debian's dataset-fashion-mnist) cut into two IDX halves in the
// test's folder, uploaded through the IDX form (one gzipped, one raw);
// the sample grid shows the first images with their class names; a
// 784-32-10 network trained on one half is evaluated on the other, and
// its confusion matrix appears; screenshot into build/.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, resolve, dirname } from 'node:path';
import { root, serverSuite, idxSlice, trainInPage } from './support.js';

const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag',
  'Ankle boot'];
const shot = resolve(root, process.env.SCREENSHOT || 'build/dashboard.png').replace(/\.png$/, '-images.png');

const suite = serverSuite('n');
const { dir } = suite;

before(() => {
  const images = 't10k-images-idx3-ubyte.gz', labels = 't10k-labels-idx1-ubyte.gz';
  writeFileSync(join(dir, 'train-images.idx.gz'), gzipSync(idxSlice(images, 0, 5000)));
  writeFileSync(join(dir, 'train-labels.idx'), idxSlice(labels, 0, 5000));
  writeFileSync(join(dir, 'held-out-images.idx'), idxSlice(images, 5000, 10000));
  writeFileSync(join(dir, 'held-out-labels.idx.gz'), gzipSync(idxSlice(labels, 5000, 10000)));
});

async function uploadIdx(page, prefix) {
  await page.setInputFiles('#idx-images', join(dir, `${prefix}-images.idx${prefix === 'train' ? '.gz' : ''}`));
  await page.setInputFiles('#idx-labels', join(dir, `${prefix}-labels.idx${prefix === 'train' ? '' : '.gz'}`));
  await page.fill('#idx-classes', CLASSES.join(','));
  await page.click('#idx-form button');
  await page.waitForSelector(`#datasets li.selected:has-text("${prefix}")`);
}

test('Fashion-MNIST shows its images, trains, and shows a confusion matrix', async () => {
  const { page, errors } = await suite.open('/');
  await page.waitForSelector('#conn-state:has-text("connected")');

  await uploadIdx(page, 'held-out');
  await uploadIdx(page, 'train');
  assert.match(await page.textContent('#datasets li.selected'), /5000 rows, 1×28×28→10 classification/);
  await page.waitForSelector('#samples figure');
  const grid = await page.evaluate(() => {
    const figs = [...document.querySelectorAll('#samples figure')];
    const first = figs[0].querySelector('canvas');
    const px = first.getContext('2d').getImageData(0, 0, first.width, first.height).data;
    let lit = 0;
    for (let i = 0; i < px.length; i += 4) lit += px[i] > 40;
    return { n: figs.length, labels: figs.map((f) => f.querySelector('figcaption').textContent), w: first.width, lit,
      scatterHidden: getComputedStyle(document.getElementById('scatter')).display === 'none' };
  });
  // the first test images are an ankle boot, a pullover, a trouser, a trouser
  assert.equal(grid.n, 32);
  assert.deepEqual(grid.labels.slice(0, 4), ['Ankle boot', 'Pullover', 'Trouser', 'Trouser']);
  assert.equal(grid.w, 56, 'a 28×28 image drawn at twice its size');
  assert.ok(grid.lit > 300 && grid.lit < 56 * 56, `the boot is drawn (${grid.lit} lit pixels)`);
  assert.ok(grid.scatterHidden, 'no scatter plot for images');
  assert.equal(await page.inputValue('#loss'), 'cross_entropy');

  // 784-32-10 over the flat rows: the image's default CNN stack (conv,
  // pool, flatten) replaced by one dense relu layer of 32
  assert.equal(await page.inputValue('#input-shape'), '1,28,28');
  await page.fill('#input-shape', '');
  await page.click('#layers tbody tr:first-child button');
  await page.click('#layers tbody tr:first-child button');
  await page.selectOption('#layers tbody tr:first-child select[data-field=type]', 'dense');
  await page.fill('#layers tbody tr:first-child input[data-field=units]', '32');
  await page.dispatchEvent('#layers tbody tr:first-child input[data-field=units]', 'change');
  await page.selectOption('#layers tbody tr:first-child select[data-field=activation]', 'relu');
  await page.click('#create-model');
  await page.waitForSelector('#models li.selected');
  await trainInPage(page, { optimizer: 'adam', lr: 0.002, batch: 32, epochs: 3, rounds: 1, normalize: 'minmax',
    timeout: 120000 });

  // evaluated on the held-out half, offered first
  await page.waitForSelector('#evaluation table.confusion');
  assert.match(await page.textContent('#eval-dataset option:checked'), /held-out/);
  const seen = await page.evaluate(() => {
    const rows = [...document.querySelectorAll('#evaluation table.confusion tbody tr')];
    const counts = rows.map((r) => [...r.querySelectorAll('td:not(.rate)')].map((td) => Number(td.textContent)));
    return { counts, heads: [...document.querySelectorAll('#evaluation thead th')].map((th) => th.textContent),
      summary: document.querySelector('#evaluation p').textContent };
  });
  assert.equal(seen.counts.length, 10);
  assert.deepEqual(seen.heads.slice(1, 11), CLASSES);
  assert.equal(seen.counts.flat().reduce((a, b) => a + b, 0), 5000, 'every held-out row is counted once');
  const right = seen.counts.reduce((a, row, i) => a + row[i], 0);
  const acc = Number(seen.summary.match(/accuracy ([\d.]+)%/)[1]) / 100;
  assert.ok(Math.abs(acc - right / 5000) < 0.001, `the accuracy (${acc}) is the diagonal's share`);
  assert.ok(acc > 0.6, `a dense net learns Fashion-MNIST's classes (${acc})`);
  console.log(`images: ${seen.summary}`);

  mkdirSync(dirname(shot), { recursive: true });
  await page.screenshot({ path: shot, fullPage: true });
  assert.equal(await page.textContent('#error'), '', 'no error shown');
  assert.deepEqual(errors, []);
});
