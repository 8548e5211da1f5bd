// The arbiter's status page (docs/status-page.md). Read-only: it polls GET /v1/status,
// /v1/history and /v1/events with the token kept in this tab's sessionStorage, sent as
// "Authorization: Bearer". No library, no inline script (the page's CSP forbids both).
'use strict';
(() => {
  const TOKEN_KEY = 'twincloud.arbiter.token';
  const POLL_MS = 1000;
  const EVENTS = 200;
  const STALE_MS = 5000;
  const SITE_COLORS = ['#2f6fdf', '#b35900', '#7b3fbf', '#0f8a8a'];
  const $ = (id) => document.getElementById(id);

  let status = null;        // the last GET /v1/status
  let statusAt = 0;         // performance.now() when it arrived
  let lastOk = 0;           // Date.now() of the last complete refresh
  let timer = null;
  let generation = 0;       // a sign-out ends the polling loop of the sign-in before it

  class Problem extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
    }
  }

  async function api(path) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    let r;
    try {
      r = await fetch(path, {
        headers: {Authorization: 'Bearer ' + token, Accept: 'application/json'},
        cache: 'no-store', credentials: 'omit', redirect: 'error'
      });
    } catch (e) {
      throw new Problem(0, 'cannot reach the arbiter (' + e.message + ')');
    }
    if (!r.ok) {
      let detail = r.statusText || 'HTTP ' + r.status;
      try {
        const p = await r.json();
        if (p && p.detail) detail = p.detail;
      } catch (ignored) { /* not a problem+json body */ }
      throw new Problem(r.status, detail);
    }
    return r.json();
  }

  // ---- sign in / out --------------------------------------------------------------------------

  function showLogin(message) {
    generation++;
    if (timer) clearTimeout(timer);
    timer = null;
    status = null;
    lastOk = 0;
    $('board').hidden = true;
    $('sign-out').hidden = true;
    $('login').hidden = false;
    $('login-message').textContent = message || '';
    $('token').value = '';
    $('token').focus();
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin(message);
  }

  function start() {
    $('login').hidden = true;
    $('login-message').textContent = '';
    $('board').hidden = false;
    $('sign-out').hidden = false;
    refresh(++generation);
  }

  // ---- polling --------------------------------------------------------------------------------

  async function refresh(gen) {
    timer = null;
    try {
      const [s, history, events] = await Promise.all([
        api('v1/status'), api('v1/history'), api('v1/events?limit=' + EVENTS)]);
      if (gen !== generation) return;
      status = s;
      statusAt = performance.now();
      lastOk = Date.now();
      render(s, history, events);
      $('banner').hidden = true;
    } catch (e) {
      if (gen !== generation) return;
      if (e.status === 401) {
        signOut('The arbiter refused this token (401): ' + e.message + ' Enter the viewer or operator token.');
        return;
      }
      if (e.status === 403) {
        signOut('This token may not read the status page (403): ' + e.message);
        return;
      }
      const since = lastOk ? ' Showing what the arbiter said at ' + new Date(lastOk).toLocaleTimeString() + '.' : '';
      banner((e.status ? 'The arbiter answered ' + e.status + ': ' : '') + e.message + '; retrying every second.' + since);
    }
    timer = setTimeout(() => refresh(gen), POLL_MS);
  }

  function banner(text) {
    $('banner').textContent = text;
    $('banner').hidden = false;
  }

  // ---- rendering ------------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v; else e.setAttribute(k, v);
    }
    for (const c of children) {
      if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
    }
    return e;
  }

  function render(s, history, events) {
    $('writer').textContent = s.writer;
    $('epoch').textContent = s.epoch;
    $('mode').textContent = s.mode + (s.mode === 'SYNC' && !s.writerSync ? ' (writer async now)' : '');
    $('switchover').textContent = s.switchover ? s.switchover.from + ' → ' + s.switchover.to : 'none';
    $('updated').textContent = 'arbiter time ' + time(s.now) + ', refreshed every ' + POLL_MS / 1000 + ' s';
    renderSites(s, history);
    renderAlerts(s.alerts);
    const samples = history.samples || [];
    const sites = (s.config && s.config.sites) || Object.keys(s.sites);
    drawChart($('chart-throughput'), history, [{
      name: 'writer', color: '#1a7f37',
      points: samples.filter((x) => x.writeBytesPerSecond != null).map((x) => [ms(x.at), x.writeBytesPerSecond])
    }], bytes, '/s');
    drawChart($('chart-lag'), history, sites.map((name, i) => ({
      name, color: SITE_COLORS[i % SITE_COLORS.length],
      points: samples.filter((x) => x.lagBytes && x.lagBytes[name] != null).map((x) => [ms(x.at), x.lagBytes[name]])
    })), bytes, '');
    renderEpochs(s, events);
    renderEvents(events);
    tickLease();
  }

  function renderSites(s, history) {
    const samples = history.samples || [];
    const latest = samples.length ? samples[samples.length - 1] : null;
    const box = $('sites');
    box.replaceChildren();
    for (const [name, site] of Object.entries(s.sites)) {
      const r = site.lastReport;
      const role = site.writer ? 'writer' : 'standby';
      const rows = [];
      const row = (k, v, cls) => rows.push(el('dt', {}, k), el('dd', cls ? {class: cls} : {}, v));
      row('reported state', r ? r.state : '—');
      row('database', r ? r.dbRole + (r.timeline ? ', timeline ' + r.timeline : '') : '—');
      row('WAL position', r ? r.writeLsn : '—');
      if (site.writer) {
        const replicas = r && r.replicas && r.replicas.length
          ? r.replicas.map((x) => x.name + ' ' + x.state + ' ' + x.syncState).join(', ') : 'no standby streaming';
        row('replication', replicas);
        const a = site.lastAssignment;
        row('lease', a && a.lease ? 'held (epoch ' + a.lease.epoch + ')' : 'not granted in its last answer');
      } else {
        const lag = latest && latest.lagBytes ? latest.lagBytes[name] : null;
        row('lag', lag == null ? 'unknown' : bytes(lag));
        if (s.switchover && s.switchover.to === name) row('switchover', 'target');
      }
      row('last report', site.ageMillis == null ? 'none since the arbiter started'
        : (site.ageMillis / 1000).toFixed(1) + ' s ago' + (site.fresh ? '' : ' (stale)'), site.fresh ? '' : 'stale');
      if (r && r.message) row('note', r.message);
      box.append(el('div', {class: 'card site', 'data-site': name, 'data-role': role},
        el('h3', {}, name, el('span', {class: 'role'}, role)),
        el('dl', {}, ...rows)));
    }
  }

  function renderAlerts(alerts) {
    const ul = $('alerts');
    ul.replaceChildren(...(alerts.length ? alerts.map((a) => el('li', {}, a)) : [el('li', {class: 'muted'}, 'none')]));
  }

  // An epoch begins with the event that made its writer: a failover, a switchover's promotion or a
  // forced promotion; its writer writes from its first lease. An epoch that began before the events
  // shown is known from its first lease or from the arbiter's start (both name its writer).
  const EPOCH_STARTS = new Set(['FAILOVER', 'SWITCHOVER_PROMOTE', 'FORCED_PROMOTION', 'RESTORED']);

  function renderEpochs(s, events) {
    const epochs = new Map();
    const earlier = (epoch, writer) => ({epoch, writer, at: null, how: 'before these events', why: '', lease: null});
    for (const e of events) {
      if (EPOCH_STARTS.has(e.kind) && (!epochs.has(e.epoch) || !epochs.get(e.epoch).at)) {
        const lease = epochs.has(e.epoch) ? epochs.get(e.epoch).lease : null;
        epochs.set(e.epoch, {epoch: e.epoch, writer: e.site, at: e.at, how: e.kind, why: e.why, lease});
      } else if ((e.kind === 'ARBITER_STARTED' || e.kind === 'LEASE_FIRST_GRANT') && !epochs.has(e.epoch)) {
        epochs.set(e.epoch, earlier(e.epoch, e.site));
      }
      if (e.kind === 'LEASE_FIRST_GRANT' && !epochs.get(e.epoch).lease) {
        epochs.get(e.epoch).lease = e.at;
      }
    }
    if (!epochs.has(s.epoch)) {
      epochs.set(s.epoch, earlier(s.epoch, s.writer));
    }
    const rows = [...epochs.values()].sort((a, b) => b.epoch - a.epoch).map((x) => el('tr', {'data-epoch': x.epoch},
      el('td', {}, x.epoch), el('td', {}, x.writer), el('td', {class: 'at'}, x.at ? time(x.at) : '—'),
      el('td', {class: 'kind'}, x.how), el('td', {class: 'at'}, x.lease ? time(x.lease) : '—'), el('td', {}, x.why)));
    $('epochs').tBodies[0].replaceChildren(...rows);
  }

  function renderEvents(events) {
    const rows = events.slice().reverse().slice(0, 100).map((e) => el('tr', {class: e.kind},
      el('td', {class: 'at'}, time(e.at)), el('td', {class: 'kind'}, e.kind), el('td', {}, e.epoch),
      el('td', {}, e.site || ''), el('td', {}, e.why)));
    $('events').tBodies[0].replaceChildren(...rows);
  }

  // The lease countdown runs between polls from the arbiter's own clock: expiry - now at the
  // last answer, minus the time since it arrived.
  function tickLease() {
    if (!status) return;
    const ttl = status.config.leaseTtlMillis;
    const left = ms(status.leaseExpiresAt) - ms(status.now) - (performance.now() - statusAt);
    const holder = 'epoch ' + status.leaseEpoch + (status.leaseEpoch === status.epoch ? ', ' + status.writer : '');
    if (left > 0) {
      $('lease').textContent = (left / 1000).toFixed(1) + ' s left';
      $('lease-note').textContent = holder + ' (ttl ' + (ttl / 1000).toFixed(1) + ' s, renewed by every heartbeat)';
    } else {
      $('lease').textContent = 'expired';
      $('lease-note').textContent = holder + ', ended ' + (-left / 1000).toFixed(1) + ' s ago';
    }
    $('lease-bar').style.width = Math.max(0, Math.min(100, 100 * left / ttl)).toFixed(1) + '%';
  }

  // ---- chart: a few dozen lines of SVG --------------------------------------------------------

  const SVG = 'http://www.w3.org/2000/svg';

  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function drawChart(target, history, series, format, unit) {
    const W = 640, H = 180, L = 64, R = 10, T = 12, B = 22;
    const t1 = ms(history.now);
    const first = Math.min(...series.flatMap((s) => s.points.map((p) => p[0])), t1);
    const t0 = Math.max(t1 - history.windowMillis, Math.min(first, t1 - 60000));
    const max = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[1])));
    const x = (t) => L + (W - L - R) * (t - t0) / (t1 - t0);
    const y = (v) => T + (H - T - B) * (1 - v / max);
    const parts = [];
    for (const f of [0, 0.5, 1]) {
      parts.push(svg('line', {class: 'grid', x1: L, x2: W - R, y1: y(max * f), y2: y(max * f)}));
      parts.push(svg('text', {x: L - 6, y: y(max * f) + 4, 'text-anchor': 'end'}, format(max * f) + unit));
    }
    parts.push(svg('text', {x: L, y: H - 6}, '−' + Math.round((t1 - t0) / 1000) + ' s'));
    parts.push(svg('text', {x: W - R, y: H - 6, 'text-anchor': 'end'}, 'now'));
    const samples = history.samples || [];
    for (let i = 1; i < samples.length; i++) {
      if (samples[i].writer !== samples[i - 1].writer && ms(samples[i].at) >= t0) {
        const sx = x(ms(samples[i].at));
        const right = sx > W - R - 60;
        parts.push(svg('line', {class: 'switch', x1: sx, x2: sx, y1: T, y2: H - B}));
        parts.push(svg('text', {x: right ? sx - 3 : sx + 3, y: T + 10, 'text-anchor': right ? 'end' : 'start'},
          'writer → ' + samples[i].writer));
      }
    }
    let legend = L + 8;
    for (const s of series) {
      const pts = s.points.filter((p) => p[0] >= t0);
      if (pts.length) {
        parts.push(svg('polyline', {stroke: s.color, 'data-series': s.name,
          points: pts.map((p) => x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1)).join(' ')}));
      }
      // Colours through the CSSOM: the page's CSP forbids style attributes.
      const key = svg('line', {x1: legend, x2: legend + 14, y1: T + 18, y2: T + 18});
      key.style.stroke = s.color;
      key.style.strokeWidth = '3';
      const label = svg('text', {x: legend + 18, y: T + 22}, s.name);
      label.style.fill = s.color;
      parts.push(key, label);
      legend += 30 + 7 * s.name.length;
    }
    if (!series.some((s) => s.points.length)) {
      parts.push(svg('text', {x: W / 2, y: H / 2, 'text-anchor': 'middle'}, 'no data yet'));
    }
    target.replaceChildren(...parts);
  }

  // ---- formatting -----------------------------------------------------------------------------

  // The arbiter's instants carry up to nanoseconds; Date.parse wants at most milliseconds.
  function ms(iso) {
    return Date.parse(String(iso).replace(/(\.\d{3})\d+/, '$1'));
  }

  function time(iso) {
    const d = new Date(ms(iso));
    return d.toISOString().substring(11, 23) + ' UTC';
  }

  function bytes(n) {
    const units = ['B', 'kB', 'MB', 'GB', 'TB'];
    let i = 0;
    while (Math.abs(n) >= 1024 && i < units.length - 1) {
      n /= 1024;
      i++;
    }
    return (i === 0 ? Math.round(n) : n.toFixed(n < 10 ? 1 : 0)) + ' ' + units[i];
  }

  // ---- start ----------------------------------------------------------------------------------

  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const token = $('token').value.trim();
      $('token').value = '';
      if (!token) {
        $('login-message').textContent = 'Enter a token.';
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, token);
      start();
    });
    $('sign-out').addEventListener('click', () => signOut('Signed out.'));
    setInterval(() => {
      tickLease();
      if (lastOk && Date.now() - lastOk > STALE_MS && !$('board').hidden && $('banner').hidden) {
        banner('No answer from the arbiter for ' + Math.round((Date.now() - lastOk) / 1000) + ' s.');
      }
    }, 100);
    if (sessionStorage.getItem(TOKEN_KEY)) start(); else showLogin('');
  });
})();
