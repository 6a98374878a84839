/* The wall's push (dashboards/push.py). An EventSource on /_push/wall writes every frame into the
   `wall-push` store; `render` turns a frame into the page (the same outputs for every wall, as
   the server rendered them once). While the stream is down the badge `wall-push-state` says so in
   words, the polling fallback (`wall-timer`, one request a second) is on, and the stream is
   reopened: EventSource reconnects by itself after a network error, a stream that fails (an
   error answer) or stays silent longer than STALE_MS is opened again here. */
(function () {
  'use strict';
  const STALE_MS = 3500; // the server sends a frame at least every second
  const CHECK_MS = 250;
  const REOPEN_MS = 2000;
  const push = {
    es: null, url: '', texts: {}, state: '', polling: false, timer: null,
    opened: 0, lastPush: 0, lastFrame: 0, lostAt: 0, frames: 0,
    fallback: true, // tests switch the polling fallback off to show that push alone delivers
    pollOnly: false, // `pollOnlyNow()`: as a browser that cannot hold the stream (`ioc bench wall`)
  };
  window.iocWallPush = push;
  // What the page shows now, per output (JSON text): an output whose part of the frame is the
  // same is not written again, so the browser re-renders only what changed.
  let shown = {};

  function props(id, values) { window.dash_clientside.set_props(id, values); }

  function setPolling(on) {
    if (on === push.polling) { return; }
    push.polling = on;
    props('wall-timer', { disabled: !on });
  }

  function setState(state) {
    setPolling(push.fallback && (state === 'lost' || state === 'polling'));
    if (state === push.state) { return; }
    push.state = state;
    props('wall-push-state', {
      children: state === 'live' ? '' : (push.texts[state] || state),
      className: 'wall__push wall__push--' + state,
    });
  }

  function open() {
    if (push.es) { push.es.close(); }
    push.opened = Date.now();
    push.lastPush = 0;
    const es = new EventSource(push.url);
    push.es = es;
    es.onmessage = function (event) {
      if (es !== push.es) { return; }
      push.lastPush = Date.now();
      push.frames += 1;
      props('wall-push', { data: event.data });
      if (push.state !== 'live') { check(); }
    };
    es.addEventListener('signed-out', function () {
      const next = window.location.pathname + window.location.search;
      window.location.assign('/login?next=' + encodeURIComponent(next));
    });
    es.onerror = function () { if (es === push.es) { check(); } };
  }

  function stop() {
    if (push.es) { push.es.close(); }
    push.es = null;
    push.url = '';
    if (push.timer) { clearInterval(push.timer); }
    push.timer = null;
    push.state = '';
    push.polling = false;
  }

  function check() {
    if (!document.getElementById('wall')) { stop(); return; }
    if (push.pollOnly) { setState('polling'); return; }
    const now = Date.now();
    const es = push.es;
    if (es && es.readyState === 1 && push.lastPush && now - push.lastPush < STALE_MS) {
      setState('live');
      push.lostAt = 0;
      return;
    }
    const silent = es && es.readyState === 1 && now - Math.max(push.lastPush, push.opened) > STALE_MS;
    const failed = es && es.readyState === 2 && now - push.opened > REOPEN_MS;
    if (silent || failed) { open(); }
    if (!push.lastFrame && now - push.opened < STALE_MS) { setState('connecting'); return; }
    if (push.state === 'live' || !push.lostAt) { push.lostAt = now; }
    // polling: a frame came by a poll since the stream was lost; lost: nothing came since
    const polled = push.polling && push.lastFrame > push.lostAt && now - push.lastFrame < STALE_MS;
    setState(polled ? 'polling' : 'lost');
  }

  function start(page, texts) {
    push.texts = texts || {};
    shown = {}; // the wall was (re)mounted: everything is written once
    push.state = ''; // and its badge too
    if (!window.EventSource) { setState('polling'); return ''; }
    const query = (page && page.query) || '';
    const url = '/_push/wall' + (query || ('?lang=' + encodeURIComponent((page && page.lang) || '')));
    if (push.es && push.url === url && push.timer) { return ''; }
    stop();
    push.url = url;
    open();
    push.timer = setInterval(check, CHECK_MS);
    return '';
  }

  function render(text, tileIds, mapKey) {
    const nu = window.dash_clientside.no_update;
    const ids = tileIds || [];
    let f = null;
    try { f = text ? JSON.parse(text) : null; } catch (e) { f = null; }
    if (!f) {
      const none = ids.map(function () { return nu; });
      return [none, none, none, none, none, nu, nu, nu, nu, nu, nu, nu, nu, nu];
    }
    push.lastFrame = Date.now();
    function fresh(key, value) {
      const json = JSON.stringify(value === undefined ? null : value);
      if (shown[key] === json) { return nu; }
      shown[key] = json;
      return value;
    }
    function pick(part) {
      return ids.map(function (id) {
        const t = f.tiles[id.key];
        return t ? fresh(part + ':' + id.key, t[part]) : nu;
      });
    }
    const newMap = f.map && f.map_key && f.map_key !== mapKey;
    return [
      pick('value'), pick('detail'), pick('age'), pick('class'), pick('href'),
      // the alert list is written every frame: the panel re-fits its rows each time (FIT_ALERTS_JS)
      f.alerts, fresh('alerts_class', f.alerts_class),
      fresh('counts', f.counts), fresh('alerts_title', f.alerts_title),
      fresh('status', f.status), fresh('status_class', f.status_class),
      newMap ? f.map : nu, newMap ? f.map_key : nu, fresh('map_note', f.map_note),
    ];
  }

  push.pollOnlyNow = function () {
    push.pollOnly = true;
    if (push.es) { push.es.close(); }
    push.es = null;
    setState('polling');
  };

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.wallpush = { start: start, render: render };
})();
