/* The wall's push (dashboards/push.py). An EventSource on /_push/wall hands every frame to
   `apply`, which writes what changed into the page (the same frame for every wall, as the server
   rendered it once). The texts of the tiles, counts, status line and headings go straight into
   their elements, never through Dash: each Dash update costs every component of the wall a
   re-check (≈ 200 ms of main thread per frame on the wall, two frames a second), a text
   write costs next to nothing. What
   Dash or React acts on (the tiles' links and classes, the alert rows, the map) goes through
   `set_props`, only when it changed. Those text elements are empty or a plain string in the
   layout, so React never owns children there that this script replaces.
   While the stream is down the badge `wall-push-state` says so in words, the polling fallback
   (`wall-timer`, one request a second, its frame applied the same way) is on, and the stream is
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
      push.apply(event.data);
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
    push.view = null;
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
    if (push.es && push.url === url && push.timer) { // the same stream goes on: its deltas
      const view = push.view; // build on what this page has not been written yet
      if (view) { setTimeout(function () { push.apply(JSON.stringify(view)); }, 0); }
      return '';
    }
    stop();
    push.url = url;
    open();
    push.timer = setInterval(check, CHECK_MS);
    return '';
  }

  // A Dash html component (as JSON) as DOM nodes, or null for one this cannot build (then it
  // goes through Dash). Text is only ever set as text: a station's name cannot inject markup.
  const TAGS = new Set(['span', 'div', 'b', 'strong', 'small', 'em', 'i', 'br']);
  const PROPS = new Set(['children', 'className', 'title']);
  function nodes(value, out) {
    if (value === null || value === undefined || value === false) { return out; }
    if (typeof value === 'string' || typeof value === 'number') {
      out.push(document.createTextNode(String(value)));
      return out;
    }
    if (Array.isArray(value)) {
      for (const v of value) { if (nodes(v, out) === null) { return null; } }
      return out;
    }
    const tag = String(value.type || '').toLowerCase();
    const p = value.props || {};
    if (value.namespace !== 'dash_html_components' || !TAGS.has(tag) ||
        Object.keys(p).some(function (k) { return !PROPS.has(k); })) { return null; }
    const e = document.createElement(tag);
    if (p.className) { e.className = p.className; }
    if (p.title) { e.title = p.title; }
    const inner = nodes(p.children, []);
    if (inner === null) { return null; }
    e.append.apply(e, inner);
    out.push(e);
    return out;
  }

  // Write `value` as the children of element `id` if it changed since it was last written.
  function text(id, key, value) {
    const json = JSON.stringify(value === undefined ? null : value);
    if (shown[key] === json) { return; }
    const dom = typeof id === 'string' ? id : JSON.stringify(id);
    const e = document.getElementById(dom);
    if (!e) { return; }
    shown[key] = json;
    const built = nodes(value, []);
    if (built === null) { props(id, { children: value }); return; }
    e.replaceChildren.apply(e, built);
  }

  // Hand `values` to Dash for element `id`, those of them that changed.
  function dash(id, key, values) {
    const changed = {};
    let any = false;
    for (const name of Object.keys(values)) {
      const json = JSON.stringify(values[name] === undefined ? null : values[name]);
      if (shown[key + ':' + name] !== json) {
        shown[key + ':' + name] = json;
        changed[name] = values[name];
        any = true;
      }
    }
    if (any) { props(id, changed); }
  }

  // One frame (JSON text) into the page: pushed, or polled (`render`). A pushed frame with a
  // `base` holds only what changed since the previous one (push.py `delta`): it is merged into
  // the whole view kept here, so a wall mounted again on the same stream is written whole.
  push.view = null;
  push.apply = function (data) {
    let f = null;
    try { f = data ? JSON.parse(data) : null; } catch (e) { f = null; }
    if (!f) { return; }
    if (f.base !== undefined) {
      if (!push.view) { return; }
      const tiles = Object.assign({}, push.view.tiles, f.tiles || {});
      f = Object.assign({}, push.view, f, { tiles: tiles });
      delete f.base;
    }
    push.view = f;
    if (!document.getElementById('wall')) { return; }
    push.lastFrame = Date.now();
    for (const key of Object.keys(f.tiles || {})) {
      const tile = f.tiles[key];
      text({ key: key, type: 'tile-value' }, 'value:' + key, tile.value);
      text({ key: key, type: 'tile-detail' }, 'detail:' + key, tile.detail);
      text({ key: key, type: 'tile-age' }, 'age:' + key, tile.age);
      dash({ key: key, type: 'tile' }, 'tile:' + key, { className: tile.class, href: tile.href });
    }
    text('wall-alert-counts', 'counts', f.counts);
    text('wall-alerts-title', 'alerts_title', f.alerts_title);
    text('wall-status', 'status', f.status);
    text('wall-map-note', 'map_note', f.map_note);
    dash('wall-status', 'status', { className: f.status_class });
    dash('wall-alerts', 'alerts', { children: f.alerts, className: f.alerts_class });
    if (f.map && f.map_key && f.map_key !== shown.map_key) {
      shown.map_key = f.map_key;
      props('wall-map-figure', { data: f.map });
    }
    fit(); // the rows that fit may change with the rest of the page, not only with the rows
  };

  // The polling fallback's frame (the `wall-push` store), applied like a pushed one.
  function render(data) {
    push.apply(data);
    return window.dash_clientside.no_update;
  }

  // Hide the alert rows that overflow the panel and say how many alerts they hold in the line
  // below the list (`alert-n-<n>` on each row: how many alerts it stands for), once Dash has put
  // the rows in the page.
  let moreText = '';
  function fit(children, template) {
    if (template) { moreText = template; }
    window.requestAnimationFrame(function () {
      const list = document.getElementById('wall-alerts');
      const more = document.getElementById('wall-alerts-more');
      if (!list || !more) { return; }
      const n = function (e) {
        return parseInt((e.className.match(/alert-n-(\d+)/) || [0, 1])[1], 10);
      };
      const rows = Array.from(list.children);
      const items = rows.filter(function (e) { return !e.classList.contains('alerts__beyond'); });
      let hidden = 0;
      rows.filter(function (e) { return e.classList.contains('alerts__beyond'); })
        .forEach(function (e) { hidden += n(e); });
      const show = function () {
        more.textContent = hidden ? moreText.replace('{n}', String(hidden)) : '';
        more.style.display = hidden ? '' : 'none';
      };
      items.forEach(function (e) { e.style.display = ''; });
      show();
      for (let i = items.length - 1; i > 0; i--) {
        if (items[i].getBoundingClientRect().bottom <= list.getBoundingClientRect().bottom + 0.5) {
          break;
        }
        items[i].style.display = 'none';
        hidden += n(items[i]);
        show();
      }
    });
    return window.dash_clientside.no_update;
  }

  push.pollOnlyNow = function () {
    push.pollOnly = true;
    if (push.es) { push.es.close(); }
    push.es = null;
    setState('polling');
  };

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.wallpush = { start: start, render: render, fit: fit };
})();
