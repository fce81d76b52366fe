// sharing.js — whose each listed dataset and model is, and sharing them
// for teaching: a "public" mark, the owner's name where it is not the
// caller's own (on every item for an administrator, who sees everyone's),
// Share / Unshare on what the caller may change (their own; everything
// for an administrator: PATCH {"public"}), and Copy on another user's
// public model (export, then import: a copy the caller owns and may
// train, for no one trains another's model). app.js calls
// sharing.extras for each list item, with state.me from GET /v1/me.
'use strict';

const sharing = (() => {
  function mark(cls, text) {
    const s = document.createElement('span');
    s.className = 'mark ' + cls;
    s.textContent = text;
    return s;
  }

  // A small button of the list item that does not also pick the item.
  function button(cls, text, title, act) {
    const b = document.createElement('button');
    Object.assign(b, { type: 'button', className: cls, textContent: text, title });
    b.onclick = (ev) => {
      ev.stopPropagation();
      showError(null);
      act().then(refresh).catch(showError);
    };
    return b;
  }

  const mine = (it) => !!(state.me && state.me.user && it.owner === state.me.user.name);

  // The marks and buttons after item it of collection kind ("datasets"
  // or "models").
  function extras(kind, it) {
    const me = state.me || {}, own = mine(it), out = [];
    if (it.public) out.push(mark('public', 'public'));
    if (me.admin || !own) out.push(mark('owner', it.owner ? `by ${it.owner}` : 'by the administrator'));
    if (me.admin || own) {
      out.push(button('share', it.public ? 'Unshare' : 'Share',
        it.public ? 'stop sharing it with every user' : 'let every user see, use and copy it',
        () => api('PATCH', `/v1/${kind}/${it.id}`, { public: !it.public })));
    } else if (kind === 'models' && it.public) {
      out.push(button('copy', 'Copy', 'make a copy of your own, to train', async () => {
        const doc = await api('GET', `/v1/models/${it.id}/export`);
        await api('POST', '/v1/models/import', doc);
      }));
    }
    return out;
  }

  return { extras };
})();
