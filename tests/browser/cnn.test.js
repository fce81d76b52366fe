// cnn.test.js — a convolutional network built in the dashboard: 3000 of
// Fashion-MNIST's test images uploaded as IDX (2000 to train, 1000 held
// out); the builder's default image stack edited (conv2d 6 filters 3×3
// "same", maxpool, flatten, a dropout added); a kernel larger than the
// image refused with the layer's pointer; the model summary (shapes,
// parameters, total) checked against the reply; trained; the first conv
// layer's filters drawn from the trained weights, pixel for weight;
// screenshot into build/.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { root, serverSuite, idxSlice, trainInPage } from './support.js';

const shot = resolve(root, process.env.SCREENSHOT || 'build/dashboard.png').replace(/\.png$/, '-cnn.png');

const suite = serverSuite('cnn');
const { dir } = suite;

before(() => {
  for (const [name, from, to] of [['train', 0, 2000], ['held-out', 2000, 3000]]) {
    writeFileSync(join(dir, `${name}-images.idx`), idxSlice('t10k-images-idx3-ubyte.gz', from, to));
    writeFileSync(join(dir, `${name}-labels.idx`), idxSlice('t10k-labels-idx1-ubyte.gz', from, to));
  }
});

async function uploadIdx(page, prefix) {
  await page.setInputFiles('#idx-images', join(dir, `${prefix}-images.idx`));
  await page.setInputFiles('#idx-labels', join(dir, `${prefix}-labels.idx`));
  await page.click('#idx-form button');
  await page.waitForSelector(`#datasets li.selected:has-text("${prefix}")`);
}

const row = (i) => `#layers tbody tr:nth-child(${i + 1})`;

async function setField(page, i, field, value) {
  const sel = `${row(i)} [data-field=${field}]`;
  if (await page.$eval(sel, (el) => el.tagName) === 'SELECT') {
    await page.selectOption(sel, value);
  } else {
    await page.fill(sel, value);
    await page.dispatchEvent(sel, 'change');
  }
}

test('a CNN is built, summarised, trained, and shows its filters', async () => {
  const { page, errors } = await suite.open('/');
  await page.waitForSelector('#conn-state:has-text("connected")');
  await uploadIdx(page, 'held-out');
  await uploadIdx(page, 'train');

  // the image's default stack: conv2d, maxpool2d, flatten, then the output
  assert.equal(await page.inputValue('#input-shape'), '1,28,28');
  const kinds = () => page.$$eval('#layers tbody tr', (rows) => rows.map((r) => r.cells[1].textContent.trim() === 'dense'
    ? 'dense' : r.querySelector('[data-field=type]').value));
  assert.deepEqual(await kinds(), ['conv2d', 'maxpool2d', 'flatten', 'dense']);

  // a kernel larger than the image: the server's 422 names the layer
  await setField(page, 0, 'kernel', '40');
  await page.click('#create-model');
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await page.textContent('#error'), /^\/layers\/0\/kernel: .*larger than the input \[1, 28, 28\]/);

  await setField(page, 0, 'kernel', '3');
  await setField(page, 0, 'filters', '6');
  await setField(page, 0, 'padding', 'same');
  await page.click('#add-layer');
  await setField(page, 3, 'type', 'dropout');
  await setField(page, 3, 'rate', '0.1');
  assert.deepEqual(await kinds(), ['conv2d', 'maxpool2d', 'flatten', 'dropout', 'dense']);
  await page.click('#create-model');
  await page.waitForSelector('#models li.selected');
  assert.equal(await page.textContent('#error'), '', 'no error after the fix');

  // the summary a student reads: input, each layer, the total
  const summary = await page.$$eval('#summary table tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
  assert.deepEqual(summary, [
    ['#', 'layer', 'settings', 'output shape', 'parameters'],
    ['', 'input', '', '1×28×28', '0'],
    ['0', 'conv2d', '6 filters 3×3, stride 1, same, relu', '6×28×28', '60'],
    ['1', 'maxpool2d', 'size 2, stride 2', '6×14×14', '0'],
    ['2', 'flatten', '', '1176', '0'],
    ['3', 'dropout', 'rate 0.1', '1176', '0'],
    ['4', 'dense', '10 units, softmax', '10', '11770'],
    ['', 'total', '', '', '11,830'],
  ]);
  const model = await page.evaluate(() => window.neurond.state.model);
  assert.equal(model.parameters, 11830, 'the total is the reply\'s');
  assert.deepEqual(model.input_shape, [1, 28, 28]);
  assert.ok(await page.isHidden('#filters'), 'no filters before training');

  await trainInPage(page, { optimizer: 'adam', lr: 0.003, batch: 32, epochs: 3, rounds: 1, normalize: 'minmax',
    timeout: 240000 });

  // the filters: one small image per filter, each pixel its weight on one
  // grey scale (0 mid-grey, ±the largest |w| white/black)
  await page.waitForSelector('#filters canvas');
  const drawn = await page.evaluate(async (id) => {
    const m = await (await fetch(`/v1/models/${id}?weights=true`)).json();
    const W = m.weights[0].W, big = Math.max(...W.flat().map(Math.abs));
    const canvases = [...document.querySelectorAll('#filters canvas')];
    let worst = 0;
    canvases.forEach((c, f) => {
      const ctx = c.getContext('2d'), cell = c.width / 3;
      for (let t = 0; t < 9; t++) {
        const px = ctx.getImageData((t % 3) * cell + cell / 2, Math.floor(t / 3) * cell + cell / 2, 1, 1).data[0];
        worst = Math.max(worst, Math.abs(px - (255 * (W[f][t] + big)) / (2 * big)));
      }
    });
    const greys = new Set(canvases.flatMap((c) => [...c.getContext('2d').getImageData(0, 0, c.width, c.height).data]
      .filter((_, i) => i % 4 === 0)));
    return { n: canvases.length, w: canvases[0].width, worst, greys: greys.size, rows: W.length, cols: W[0].length,
      note: document.querySelector('#filters p').textContent, draws: window.neurond.stats.filterDraws };
  }, model.id);
  assert.equal(drawn.rows, 6);
  assert.equal(drawn.cols, 9, 'W is filters × channels·kh·kw');
  assert.equal(drawn.n, 6, 'one image per filter');
  assert.equal(drawn.w, 39, 'a 3×3 filter drawn 13 pixels a weight');
  assert.ok(drawn.worst <= 1, `each pixel is its weight's grey (worst ${drawn.worst})`);
  assert.ok(drawn.greys >= 9, `the filters are not blank (${drawn.greys} greys)`);
  assert.match(drawn.note, /^Layer 0's 6 filters \(3×3\)/);
  assert.ok(drawn.draws >= 1);

  // trained, it tells the held-out classes apart
  await page.waitForSelector('#evaluation table.confusion');
  const summaryLine = await page.textContent('#evaluation p');
  const acc = Number(summaryLine.match(/accuracy ([\d.]+)%/)[1]) / 100;
  assert.ok(acc > 0.6, `a small CNN learns Fashion-MNIST's classes (${summaryLine})`);
  console.log(`cnn: ${summaryLine}`);

  mkdirSync(dirname(shot), { recursive: true });
  await page.screenshot({ path: shot, fullPage: true });
  assert.equal(await page.textContent('#error'), '', 'no error shown');
  assert.deepEqual(errors, []);
});
