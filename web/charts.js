// charts.js — the job view's charts (uPlot): the loss (log scale) and
// accuracy per epoch, and beside the loss the learning rate each epoch's
// last step trained with, as the server reports it with every history
// point and epoch event (`lr`: its schedule worked out by libnn, never
// here). app.js feeds them points from the history and the event stream.
'use strict';

const charts = (() => {
  const series = { x: [], loss: [], vloss: [], acc: [], vacc: [], lr: [] };
  let lossPlot = null, accPlot = null, lrPlot = null, redraw = 0;
  const STROKES = [{ stroke: '#2f6fdf', width: 2 }, { stroke: '#e67828', width: 1.5 }];

  // A chart of the named series against epochs; log scale for losses,
  // whose fall spans orders of magnitude.
  function makePlot(el, title, labels, log) {
    const opts = {
      title, width: Math.max(260, Math.min(420, el.clientWidth - 8)), height: 180,
      scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
      axes: [{}, log || labels[0] === 'lr'
        ? { size: 56, values: (u, vals) => vals.map((v) => (v == null ? '' : v.toExponential(log ? 0 : 1))) } : {}],
      series: [{ label: 'epoch' }, ...labels.map((label, i) => ({ label, ...STROKES[i] }))],
    };
    el.replaceChildren();
    return new uPlot(opts, [[], ...labels.map(() => [])], el);
  }

  function reset() {
    for (const k of Object.keys(series)) series[k] = [];
    lossPlot = makePlot(document.getElementById('loss-chart'), 'loss (log scale)', ['loss', 'val_loss'], true);
    lrPlot = makePlot(document.getElementById('lr-chart'), 'learning rate', ['lr'], false);
    accPlot = makePlot(document.getElementById('acc-chart'), 'accuracy', ['accuracy', 'val_accuracy'], false);
  }

  // Adds a history point at epoch p.epoch + offset (rounds continue one
  // chart) and redraws at most once a frame; false (nothing added) for a
  // point not after the last one charted.
  function add(p, offset) {
    const x = p.epoch + offset;
    if (series.x.length && x <= series.x[series.x.length - 1]) return false;
    series.x.push(x);
    series.loss.push(p.loss > 0 ? p.loss : null); // log scale: no zeros
    series.vloss.push(p.val_loss > 0 ? p.val_loss : null);
    series.acc.push(p.accuracy);
    series.vacc.push(p.val_accuracy);
    series.lr.push(p.lr === undefined ? null : p.lr);
    if (!redraw) {
      redraw = requestAnimationFrame(() => {
        redraw = 0;
        lossPlot.setData([series.x, series.loss, series.vloss]);
        lrPlot.setData([series.x, series.lr]);
        accPlot.setData([series.x, series.acc, series.vacc]);
      });
    }
    return true;
  }

  // Drops the points after epoch `offset` (a round's live points, before
  // its full stored history replaces them).
  function dropAfter(offset) {
    const keep = series.x.findIndex((x) => x > offset);
    if (keep >= 0) for (const k of Object.keys(series)) series[k].length = keep;
  }

  // What a chart ('loss', 'lr' or 'accuracy') has drawn: uPlot's data,
  // the epochs then each series (the browser tests read it).
  const plotted = (name) => ({ loss: lossPlot, lr: lrPlot, accuracy: accPlot }[name].data);

  return { series, reset, add, dropAfter, plotted };
})();
