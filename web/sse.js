// sse.js — reading a Server-Sent Events reply with fetch (not
// EventSource, so that a POST body and the Authorization header can be
// sent): the job event streams and the generate panel's token stream.
'use strict';

// Reads response's body as events, calling onEvent(name, data, id) for
// each one that has data (JSON); comments and retry: lines are skipped.
// Resolves with the data of the `end` event (closing the stream), or null
// when the connection closed before one.
async function readSse(response, onEvent) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return null;
    buf += value;
    let cut;
    while ((cut = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      const ev = { name: 'message', data: '', id: 0 };
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) ev.name = line.slice(7);
        else if (line.startsWith('data: ')) ev.data += line.slice(6);
        else if (line.startsWith('id: ')) ev.id = Number(line.slice(4));
      }
      if (!ev.data) continue; // comments, retry:
      const data = JSON.parse(ev.data);
      onEvent(ev.name, data, ev.id);
      if (ev.name === 'end') { reader.cancel().catch(() => {}); return data; }
    }
  }
}
