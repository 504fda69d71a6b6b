// Klaxon web console: a small single-page app over the /api/v1 HTTP API.
//
// No framework and no build step. Views are cloned from <template>s in index.html and
// every piece of data goes into the page through textContent or attributes, never
// innerHTML. Live updates come from the server-sent event stream.
'use strict';

(() => {
  const API = '/api/v1';
  const STATUSES = ['triggered', 'acknowledged', 'investigating', 'identified', 'monitoring', 'resolved'];
  const REQUEST_TIMEOUT_MS = 20000;
  const STREAM_RETRY_MAX_MS = 30000;

  // The stream sends each event with `event: <kind>`; EventSource only hands named events
  // to listeners registered for that name, so every kind the console reacts to is listed
  // here (docs/events.md). Unnamed messages are handled too.
  const EVENT_KINDS = [
    'incident.declared',
    'incident.acknowledged',
    'incident.status_changed',
    'incident.severity_changed',
    'incident.note_added',
    'incident.resolved',
    'incident.reopened',
    'incident.role_assigned',
    'incident.ack_target_missed',
    'incident.resolve_target_missed',
    'incident.matrix_escalated',
    'incident.update_due_soon',
    'incident.update_late',
    'incident.update_posted',
    'incident.moment_marked',
    'incident.runbook_step_checked',
    'incident.action_run',
    'incident.war_room_opened',
    'incident.war_room_linked',
    'incident.stakeholders_notified',
    'incident.review_due',
    'review.created',
    'review.edited',
    'review.submitted',
    'review.approved',
    'review.changes_requested',
    'review.published',
    'review.reminder_sent',
    'action_item.created',
    'action_item.updated',
    'action_item.reminder_sent',
    'incident.marked_noise',
    'incident.unmarked_noise',
    'drill.scenario_created',
    'drill.scenario_updated',
    'drill.scenario_deleted',
    'drill.scheduled',
    'drill.started',
    'drill.finished',
    'drill.cancelled',
    'drill.failed',
    'escalation.started',
    'escalation.step_fired',
    'escalation.stopped',
    'escalation.exhausted',
    'escalation.skipped',
    'escalation.deferred',
    'notification.delivered',
    'notification.failed',
    'oncall.handoff',
    'schedule.created',
    'schedule.updated',
    'schedule.deleted',
    'override.created',
    'override.deleted',
    'escalation_policy.created',
    'escalation_policy.updated',
    'escalation_policy.deleted',
    'user.updated',
    'contact_method.added',
    'contact_method.removed',
    'contact_method.verified',
    'notification_rule.added',
    'notification_rule.removed',
    'integration.created',
    'integration.updated',
    'integration.key_rotated',
    'integration.revoked',
    'silence.created',
    'silence.expired',
    'maintenance.scheduled',
    'maintenance.cancelled',
    'status.page_updated',
    'status.component_created',
    'status.component_updated',
    'status.component_deleted',
    'status.incident_published',
    'status.incident_updated',
    'status.maintenance_scheduled',
    'status.maintenance_updated',
    'clock.advanced',
  ];

  const state = {
    user: null,
    csrf: null,
    severities: null, // [{name, rank, description}] sorted by rank
    view: null, // the mounted view: {cleanup(), onEvent(ev), onStreamOpen()}
    stream: null,
    streamRetryMs: 1000,
    streamTimer: 0,
    lastSeq: null,
    // The server's clock (see serverNow): from GET /admin/clock for admins, else the Date
    // header of responses.
    serverClock: null, // {mode: 'system'|'manual', serverMs, localMs}
    dateOffsetMs: null,
  };

  const $ = (sel, root = document) => root.querySelector(sel);
  const isAdmin = () => !!(state.user && state.user.role === 'admin');
  const canRespond = () => !!(state.user && state.user.role !== 'viewer');
  const main = () => document.getElementById('main');

  // ---------------------------------------------------------------- DOM helpers

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'text') node.textContent = value;
      else if (key === 'className') node.className = value;
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // Draws a list again without touching the items that did not change, so a click that is
  // under way (mouse down, then up) on an unchanged item is not lost to a redraw. Only for
  // items without their own listeners (links use the page's delegated handler).
  function patchChildren(parent, nodes) {
    const old = Array.from(parent.children);
    nodes.forEach((node, k) => {
      if (old[k] && old[k].isEqualNode(node)) return;
      if (old[k]) old[k].replaceWith(node);
      else parent.append(node);
    });
    for (const extra of old.slice(nodes.length)) extra.remove();
  }

  // A form field: the label, the control (which has an id) and an optional hint after it.
  function labelledField(label, input, hint) {
    return el('div', { className: 'field' }, el('label', { for: input.id, text: label }), input, hint || null);
  }

  // A row of fields with a Remove button (silence matchers, status page links). Remove
  // takes the row out, then calls onRemoved with the row that was next to it (or null).
  function removableRow({ className, dataset, fields, removeTestid, onRemoved }) {
    const remove = el('button', { type: 'button', className: 'button-secondary small', text: 'Remove', dataset: { testid: removeTestid } });
    const row = el('div', { className, dataset }, ...fields, el('div', { className: 'matcher-remove' }, remove));
    remove.addEventListener('click', () => {
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      onRemoved(next);
    });
    return { row, remove };
  }

  function cloneTemplate(id) {
    return document.getElementById(id).content.cloneNode(true);
  }

  function setText(node, text, emptyText) {
    if (!node) return;
    const value = text === undefined || text === null ? '' : String(text);
    if (value === '' && emptyText !== undefined) {
      node.textContent = emptyText;
      node.classList.add('empty-value');
    } else {
      node.textContent = value;
      node.classList.remove('empty-value');
    }
  }

  function announce(message) {
    const region = document.getElementById('live-region');
    if (!region) return;
    const item = el('p', { text: message });
    region.append(item);
    while (region.childElementCount > 5) region.firstElementChild.remove();
  }

  // The lifecycle most views share: load now; reload (debounced) on live events whose kind
  // matches `kinds`, when the event stream (re)opens and, with `everyMs`, on a timer while
  // the tab is visible.
  function liveView(ctx, load, { kinds, everyMs = 0 }) {
    const reload = debounce(load, 200);
    load();
    const tick = everyMs
      ? setInterval(() => {
          if (document.visibilityState !== 'hidden') reload();
        }, everyMs)
      : null;
    return {
      reload, // for the view's own changes
      cleanup() {
        ctx.alive = false;
        reload.cancel();
        if (tick) clearInterval(tick);
      },
      onEvent(event) {
        if (kinds.test(String(event.kind || ''))) reload();
      },
      onStreamOpen() {
        reload();
      },
    };
  }

  function debounce(fn, ms) {
    let timer = 0;
    const wrapped = (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
    wrapped.cancel = () => clearTimeout(timer);
    return wrapped;
  }

  // ---------------------------------------------------------------- time

  function parseTime(value) {
    if (!value) return null;
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? null : date;
  }

  function formatTime(value) {
    const date = parseTime(value);
    if (!date) return '';
    const pad = (n) => String(n).padStart(2, '0');
    return (
      `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
      `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
    );
  }

  function formatAge(value, now = Date.now()) {
    const date = parseTime(value);
    if (!date) return '';
    const seconds = Math.max(0, Math.round((now - date.getTime()) / 1000));
    if (seconds < 45) return 'just now';
    const minutes = Math.round(seconds / 60);
    if (minutes < 60) return `${minutes} min ago`;
    const hours = Math.round(minutes / 60);
    if (hours < 48) return `${hours} h ago`;
    const days = Math.round(hours / 24);
    return `${days} d ago`;
  }

  function fillTime(node, value) {
    node.dateTime = value || '';
    node.textContent = formatAge(value);
    node.title = formatTime(value);
  }

  function refreshAges(root) {
    for (const node of root.querySelectorAll('time[data-age]')) {
      node.textContent = formatAge(node.dateTime);
    }
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, problem, fallback) {
      super((problem && (problem.detail || problem.title)) || fallback || `HTTP ${status}`);
      this.status = status;
      this.problem = problem || null;
    }
  }

  // `timeoutMs`: how long to wait for the answer (remediation actions may take minutes).
  async function api(method, path, body, { timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
    const headers = { Accept: 'application/json' };
    const options = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (method !== 'GET' && method !== 'HEAD') {
      if (state.csrf) headers['X-CSRF-Token'] = state.csrf;
      if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
        options.body = JSON.stringify(body);
      }
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    options.signal = controller.signal;
    let response;
    let text;
    try {
      response = await fetch(API + path, options);
      text = await response.text();
    } catch (err) {
      const timedOut = err && err.name === 'AbortError';
      throw new ApiError(0, {
        title: timedOut ? 'The server did not answer in time' : 'Cannot reach the server',
        detail: timedOut ? `${method} ${path} timed out.` : 'Check your connection; the console retries live updates by itself.',
      });
    } finally {
      clearTimeout(timer);
    }
    noteDateHeader(response.headers.get('Date'));
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!response.ok) {
      const problem = data && typeof data === 'object' ? data : { title: `Request failed (HTTP ${response.status})` };
      const error = new ApiError(response.status, problem);
      if (response.status === 401 && path !== '/auth/login' && state.user) {
        error.sessionEnded = true;
        sessionEnded();
      }
      throw error;
    }
    return data;
  }

  const incidentPath = (id) => `/incidents/${encodeURIComponent(id)}`;

  // ---------------------------------------------------------------- the server's clock

  // Deadlines (the next update, targets) are the server's, and its clock need not be the
  // browser's: it may be set wrong, or be a test server's manual clock, which stands still
  // until an admin moves it. Admins read it from GET /admin/clock (with its mode); others
  // get the Date header's offset (to the second) when the server sends one, else the
  // browser's own clock.
  function noteDateHeader(value) {
    const ms = value ? Date.parse(value) : NaN;
    if (!Number.isNaN(ms)) state.dateOffsetMs = ms - Date.now();
  }

  function serverNow() {
    const clock = state.serverClock;
    if (clock) return clock.mode === 'manual' ? clock.serverMs : clock.serverMs + (Date.now() - clock.localMs);
    return Date.now() + (state.dateOffsetMs || 0);
  }

  async function syncServerClock() {
    if (!isAdmin()) return;
    const sent = Date.now();
    try {
      const clock = await api('GET', '/admin/clock');
      const at = parseTime(clock && clock.now);
      if (at) state.serverClock = { mode: clock.mode, serverMs: at.getTime(), localMs: (sent + Date.now()) / 2 };
    } catch {
      // The last reading (or the Date header) stays in use.
    }
  }

  let severitiesPromise = null;
  function loadSeverities() {
    if (state.severities) return Promise.resolve(state.severities);
    if (!severitiesPromise) {
      severitiesPromise = api('GET', '/severities')
        .then((data) => {
          state.severities = (data.items || []).slice().sort((a, b) => a.rank - b.rank);
          return state.severities;
        })
        .finally(() => {
          severitiesPromise = null;
        });
    }
    return severitiesPromise;
  }

  // An <option> for a severity: "SEV-1 — Critical" (the description up to its first
  // colon, when that is short), the whole description as a tooltip.
  function severityOption(sev) {
    const description = String(sev.description || '');
    const colon = description.indexOf(':');
    const short = colon > 0 && colon <= 24 ? description.slice(0, colon) : description.length <= 24 ? description : '';
    return el('option', { value: sev.name, title: description || null, text: short ? `${sev.name} — ${short}` : sev.name });
  }

  function severityRank(name) {
    const found = (state.severities || []).find((s) => s.name === name);
    return found ? String(found.rank) : '';
  }

  // ---------------------------------------------------------------- alerts

  function showError(err, fieldMap) {
    const alert = document.getElementById('alert');
    const problem = (err && err.problem) || { title: 'Something went wrong', detail: String((err && err.message) || err) };
    const status = err && err.status ? err.status : 0;
    let title = problem.title || 'Request failed';
    if (status && !/\d{3}/.test(title)) title += ` (${status})`;
    document.getElementById('alert-title').textContent = title;
    let detail = problem.detail || '';
    if (problem.request_id) detail += `${detail ? ' ' : ''}(request ${problem.request_id})`;
    document.getElementById('alert-detail').textContent = detail;
    const list = document.getElementById('alert-errors');
    list.replaceChildren();
    clearInvalid();
    for (const item of Array.isArray(problem.errors) ? problem.errors : []) {
      const field = String(item.field || '').replace(/^\//, '');
      const message = item.message || 'is invalid';
      list.append(el('li', { dataset: { field } }, el('strong', { text: field || 'request' }), `: ${message}`));
      const input = fieldInput(fieldMap, field);
      if (input) markInvalid(input, message);
    }
    alert.hidden = false;
  }

  // The form control of a problem's field: its own entry in the map, else the nearest
  // parent path's ("matchers/0/value", then "matchers/0", then "matchers").
  function fieldInput(fieldMap, field) {
    if (!fieldMap) return null;
    let key = field;
    for (;;) {
      if (fieldMap[key]) return document.getElementById(fieldMap[key]);
      const cut = key.lastIndexOf('/');
      if (cut < 0) return null;
      key = key.slice(0, cut);
    }
  }

  // Marks a control invalid and puts the message next to it (also read with the control).
  function markInvalid(input, message) {
    input.setAttribute('aria-invalid', 'true');
    if (!input.id) return;
    const id = `${input.id}-error`;
    let note = document.getElementById(id);
    if (!note) {
      note = el('p', { id, className: 'field-error', dataset: { testid: 'field-error', for: input.id } });
      const container = input.closest('.field, fieldset, form') || input.parentElement;
      container.append(note);
      const described = input.getAttribute('aria-describedby');
      input.dataset.describedby = described || '';
      input.setAttribute('aria-describedby', described ? `${described} ${id}` : id);
    }
    note.textContent = note.textContent ? `${note.textContent}; ${message}` : message;
  }

  function clearAlert() {
    const alert = document.getElementById('alert');
    alert.hidden = true;
    document.getElementById('alert-title').textContent = '';
    document.getElementById('alert-detail').textContent = '';
    document.getElementById('alert-errors').replaceChildren();
    clearInvalid();
  }

  function clearInvalid(root = document) {
    for (const node of root.querySelectorAll('[aria-invalid="true"]')) {
      node.removeAttribute('aria-invalid');
      if (node.dataset.describedby !== undefined) {
        if (node.dataset.describedby) node.setAttribute('aria-describedby', node.dataset.describedby);
        else node.removeAttribute('aria-describedby');
        delete node.dataset.describedby;
      }
    }
    for (const note of root.querySelectorAll('.field-error')) note.remove();
  }

  // Runs an action from a form or button: disables the trigger while in flight, shows
  // API errors in the alert region. Returns the action's result or undefined on error.
  async function act(trigger, fn, fieldMap) {
    if (trigger) trigger.disabled = true;
    try {
      const result = await fn();
      clearAlert();
      return result;
    } catch (err) {
      if (!(err && err.sessionEnded)) showError(err, fieldMap);
      return undefined;
    } finally {
      if (trigger && trigger.isConnected) trigger.disabled = false;
    }
  }

  // ---------------------------------------------------------------- session

  function setSessionChrome(loggedIn) {
    document.getElementById('nav').hidden = !loggedIn;
    document.getElementById('session').hidden = !loggedIn;
    if (!loggedIn) document.getElementById('failed-banner').hidden = true;
    // Integrations hold secret keys: only admins get the link (the page explains to others).
    const integrations = document.querySelector('#nav [data-testid="nav-integrations"]');
    if (integrations) integrations.hidden = !isAdmin();
    const who = document.getElementById('whoami');
    if (loggedIn && state.user) {
      who.textContent = `${state.user.name || state.user.username} (${state.user.role})`;
    } else {
      who.textContent = '';
    }
  }

  function sessionEnded() {
    const wasLoggedIn = !!state.user;
    state.user = null;
    state.csrf = null;
    stopStream();
    if (wasLoggedIn) {
      showLogin({ title: 'Signed out', detail: 'Your session has ended. Sign in again to continue.' });
    }
  }

  function showLogin(message) {
    unmountView();
    setSessionChrome(false);
    document.title = 'Sign in · Klaxon';
    const root = main();
    root.replaceChildren(cloneTemplate('tpl-login'));
    if (message) showError({ problem: message, status: 0 });
    else clearAlert();
    const form = document.getElementById('login-form');
    const username = document.getElementById('login-username');
    const password = document.getElementById('login-password');
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const submit = form.querySelector('button[type="submit"]');
      if (!username.value.trim() || !password.value) {
        showError(
          {
            status: 0,
            problem: {
              title: 'Sign-in failed',
              errors: [
                ...(!username.value.trim() ? [{ field: 'username', message: 'is required' }] : []),
                ...(!password.value ? [{ field: 'password', message: 'is required' }] : []),
              ],
            },
          },
          { username: 'login-username', password: 'login-password' },
        );
        return;
      }
      const result = await act(
        submit,
        () => api('POST', '/auth/login', { username: username.value.trim(), password: password.value }),
        { username: 'login-username', password: 'login-password' },
      );
      if (!result) {
        password.value = '';
        password.focus();
        return;
      }
      state.user = result.user;
      state.csrf = result.csrf_token || null;
      startApp();
    });
    username.focus();
  }

  async function logout() {
    const button = document.getElementById('logout-button');
    button.disabled = true;
    try {
      await api('POST', '/auth/logout');
    } catch {
      // The session is dropped locally either way.
    } finally {
      button.disabled = false;
    }
    state.user = null;
    state.csrf = null;
    state.lastSeq = null;
    state.severities = null;
    state.serverClock = null;
    stopStream();
    showLogin();
    announce('Signed out.');
  }

  function startApp() {
    setSessionChrome(true);
    clearAlert();
    startStream();
    loadSeverities().catch(() => {});
    render();
    refreshFailedBanner();
  }

  // Entries of the main navigation that index.html does not have: Reviews, Action items,
  // Analytics and Drills, in that order after "Declare incident".
  function addNavLinks() {
    const nav = document.getElementById('nav');
    if (!nav) return;
    let after = nav.querySelector('[data-testid="nav-declare"]');
    for (const [href, testid, text] of [
      ['/ui/reviews', 'nav-reviews', 'Reviews'],
      ['/ui/action-items', 'nav-action-items', 'Action items'],
      ['/ui/analytics', 'nav-analytics', 'Analytics'],
      ['/ui/drills', 'nav-drills', 'Drills'],
    ]) {
      let link = nav.querySelector(`[data-testid="${testid}"]`);
      if (!link) {
        link = el('a', { href, dataset: { link: '', testid }, text });
        if (after) after.after(link);
        else nav.append(link);
      }
      after = link;
    }
  }

  async function boot() {
    addNavLinks();
    document.addEventListener('click', onLinkClick);
    window.addEventListener('popstate', () => render());
    document.getElementById('logout-button').addEventListener('click', logout);
    document.getElementById('alert-close').addEventListener('click', clearAlert);
    setInterval(() => refreshAges(document), 30000);
    setInterval(() => refreshFailedBanner(), 60000);
    try {
      const me = await api('GET', '/auth/me');
      state.user = me.user;
      state.csrf = me.csrf_token || null;
      startApp();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) showLogin();
      else {
        showLogin();
        showError(err);
      }
    }
  }

  // ---------------------------------------------------------------- live stream

  function setConnection(status) {
    const node = document.getElementById('connection');
    node.dataset.state = status;
    node.textContent = status === 'open' ? 'Live' : status === 'connecting' ? 'Connecting…' : 'Offline';
  }

  function startStream() {
    stopStream();
    const url = state.lastSeq === null ? `${API}/events/stream` : `${API}/events/stream?after=${encodeURIComponent(state.lastSeq)}`;
    const source = new EventSource(url);
    state.stream = source;
    setConnection('connecting');
    source.addEventListener('open', () => {
      if (state.stream !== source) return;
      state.streamRetryMs = 1000;
      setConnection('open');
      // Anything may have changed while the stream was down (or before it first opened).
      if (state.view && state.view.onStreamOpen) state.view.onStreamOpen();
    });
    source.addEventListener('error', () => {
      if (state.stream !== source) return;
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (HTTP error or wrong content type): retry with backoff,
        // after checking that the session is still valid.
        setConnection('closed');
        scheduleStreamRetry();
      } else {
        setConnection('connecting');
      }
    });
    const onMessage = (message) => {
      if (state.stream !== source) return;
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (!event || typeof event !== 'object') return;
      if (typeof event.seq === 'number') state.lastSeq = event.seq;
      else if (message.lastEventId) state.lastSeq = message.lastEventId;
      if (!event.kind && message.type && message.type !== 'message') event.kind = message.type;
      onGlobalEvent(event);
      if (state.view && state.view.onEvent) state.view.onEvent(event);
    };
    source.addEventListener('message', onMessage);
    for (const kind of EVENT_KINDS) source.addEventListener(kind, onMessage);
  }

  function scheduleStreamRetry() {
    clearTimeout(state.streamTimer);
    const delay = state.streamRetryMs;
    state.streamRetryMs = Math.min(STREAM_RETRY_MAX_MS, state.streamRetryMs * 2);
    state.streamTimer = setTimeout(async () => {
      if (!state.user) return;
      try {
        await api('GET', '/auth/me');
      } catch {
        if (state.user) scheduleStreamRetry();
        return;
      }
      if (state.user) startStream();
    }, delay);
  }

  function stopStream() {
    clearTimeout(state.streamTimer);
    if (state.stream) {
      state.stream.close();
      state.stream = null;
    }
    setConnection('closed');
  }

  // ---------------------------------------------------------------- routing

  function onLinkClick(event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target.closest('a[data-link]');
    if (!link || link.target || link.origin !== location.origin) return;
    event.preventDefault();
    navigate(link.pathname + link.search);
  }

  function navigate(url, replace = false) {
    if (replace) history.replaceState(null, '', url);
    else if (url !== location.pathname + location.search) history.pushState(null, '', url);
    render();
  }

  function parseRoute(pathname) {
    const path = pathname.replace(/\/+$/, '') || '/';
    if (path === '/' || path === '/ui' || path === '/index.html') return { name: 'home' };
    if (path === '/ui/incidents') return { name: 'list' };
    if (path === '/ui/declare' || path === '/ui/incidents/new') return { name: 'declare' };
    const match = /^\/ui\/incidents\/(?:INC-)?(\d+)$/i.exec(path);
    if (match) return { name: 'incident', id: match[1] };
    const review = /^\/ui\/incidents\/(?:INC-)?(\d+)\/review$/i.exec(path);
    if (review) return { name: 'review', id: review[1], nav: 'reviews' };
    if (path === '/ui/reviews') return { name: 'reviews' };
    if (path === '/ui/action-items') return { name: 'action-items' };
    if (path === '/ui/analytics') return { name: 'analytics' };
    if (path === '/ui/drills') return { name: 'drills' };
    const drillRun = /^\/ui\/drills\/runs\/(\d+)$/.exec(path);
    if (drillRun) return { name: 'drill-report', id: drillRun[1], nav: 'drills' };
    if (path === '/ui/profile') return { name: 'profile' };
    if (path === '/ui/oncall' || path === '/ui/schedules') return { name: 'oncall' };
    const schedule = /^\/ui\/schedules\/([^/]+)$/.exec(path);
    if (schedule) return { name: 'schedule', id: decodeURIComponent(schedule[1]), nav: 'oncall' };
    if (path === '/ui/policies') return { name: 'policies' };
    if (path === '/ui/notifications') return { name: 'notifications' };
    if (path === '/ui/integrations') return { name: 'integrations' };
    const integration = /^\/ui\/integrations\/(\d+)$/.exec(path);
    if (integration) return { name: 'integration', id: integration[1], nav: 'integrations' };
    if (path === '/ui/silences') return { name: 'silences' };
    if (path === '/ui/maintenance') return { name: 'maintenance' };
    if (path === '/ui/status') return { name: 'status' };
    const statusIncident = /^\/ui\/status\/incidents\/([^/]+)$/.exec(path);
    if (statusIncident) return { name: 'status-incident', id: decodeURIComponent(statusIncident[1]), nav: 'status' };
    return { name: 'not-found' };
  }

  function unmountView() {
    if (state.view && state.view.cleanup) state.view.cleanup();
    state.view = null;
  }

  function markCurrentNav(route) {
    for (const link of document.querySelectorAll('#nav a')) {
      const target = parseRoute(link.pathname).name;
      if (target === (route.nav || route.name)) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  }

  function render() {
    if (!state.user) return;
    const route = parseRoute(location.pathname);
    if (route.name === 'home') {
      navigate('/ui/incidents', true);
      return;
    }
    unmountView();
    clearAlert();
    markCurrentNav(route);
    if (route.name === 'list') state.view = listView();
    else if (route.name === 'declare') state.view = declareView();
    else if (route.name === 'incident') state.view = incidentView(route.id);
    else if (route.name === 'reviews') state.view = reviewsView();
    else if (route.name === 'review') state.view = reviewView(route.id);
    else if (route.name === 'action-items') state.view = actionItemsView();
    else if (route.name === 'analytics') state.view = analyticsView();
    else if (route.name === 'drills') state.view = drillsView();
    else if (route.name === 'drill-report') state.view = drillReportView(route.id);
    else if (route.name === 'profile') state.view = profileView();
    else if (route.name === 'oncall') state.view = oncallView();
    else if (route.name === 'schedule') state.view = scheduleView(route.id);
    else if (route.name === 'policies') state.view = policiesView();
    else if (route.name === 'notifications') state.view = notificationsView();
    else if (route.name === 'integrations') state.view = integrationsView();
    else if (route.name === 'integration') state.view = integrationView(route.id);
    else if (route.name === 'silences') state.view = silencesView();
    else if (route.name === 'maintenance') state.view = maintenanceView();
    else if (route.name === 'status') state.view = statusPageView();
    else if (route.name === 'status-incident') state.view = statusIncidentView(route.id);
    else state.view = notFoundView();
  }

  function focusHeading() {
    const heading = main().querySelector('h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: false });
    }
  }

  function notFoundView(message) {
    document.title = 'Not found · Klaxon';
    main().replaceChildren(cloneTemplate('tpl-not-found'));
    if (message) main().querySelector('[data-field="message"]').textContent = message;
    focusHeading();
    return {};
  }

  // ---------------------------------------------------------------- incident list

  function listView() {
    document.title = 'Incidents · Klaxon';
    const ctx = { alive: true, generation: 0, rows: new Map(), nextCursor: null, pending: new Set() };
    const root = main();
    root.replaceChildren(cloneTemplate('tpl-list'));
    const form = document.getElementById('filters');
    const statusSelect = document.getElementById('filter-status');
    const severitySelect = document.getElementById('filter-severity');
    const search = document.getElementById('filter-q');
    const list = document.getElementById('incident-list');
    const empty = document.getElementById('list-empty');
    const more = document.getElementById('load-more');
    const summary = document.getElementById('list-summary');

    const params = new URLSearchParams(location.search);
    const filters = {
      status: params.get('status') || '',
      severity: params.get('severity') || '',
      q: params.get('q') || '',
      service: params.get('service') || '',
    };
    statusSelect.value = filters.status;
    if (statusSelect.value !== filters.status) filters.status = statusSelect.value;
    search.value = filters.q;

    loadSeverities()
      .then((severities) => {
        if (!ctx.alive) return;
        for (const sev of severities) {
          severitySelect.append(severityOption(sev));
        }
        severitySelect.value = filters.severity;
        for (const [, li] of ctx.rows) {
          $('[data-testid="incident-severity"]', li).dataset.rank = severityRank(li.dataset.severity);
        }
      })
      .catch(() => {});

    function applyFilters() {
      filters.status = statusSelect.value;
      filters.severity = severitySelect.value;
      filters.q = search.value.trim();
      const query = new URLSearchParams();
      for (const key of ['status', 'severity', 'q', 'service']) if (filters[key]) query.set(key, filters[key]);
      const qs = query.toString();
      history.replaceState(null, '', `/ui/incidents${qs ? `?${qs}` : ''}`);
      load(true);
    }
    const applySoon = debounce(applyFilters, 350);

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      applySoon.cancel();
      applyFilters();
    });
    statusSelect.addEventListener('change', applyFilters);
    severitySelect.addEventListener('change', applyFilters);
    search.addEventListener('input', applySoon);
    more.addEventListener('click', () => load(false));

    function queryString(cursor) {
      const query = new URLSearchParams();
      for (const key of ['status', 'severity', 'q', 'service']) if (filters[key]) query.set(key, filters[key]);
      query.set('limit', '50');
      if (cursor) query.set('cursor', cursor);
      return query.toString();
    }

    function matches(incident) {
      if (filters.status === 'open' && incident.status === 'resolved') return false;
      if (filters.status && filters.status !== 'open' && incident.status !== filters.status) return false;
      if (filters.severity && incident.severity !== filters.severity) return false;
      if (filters.service) {
        const svc = incident.service;
        if (!svc || (String(svc.id) !== filters.service && svc.name !== filters.service)) return false;
      }
      if (filters.q) {
        const needle = filters.q.toLowerCase();
        const hay = `${incident.title || ''}\n${incident.description || ''}`.toLowerCase();
        if (!hay.includes(needle)) return false;
      }
      return true;
    }

    function fillRow(li, incident) {
      li.dataset.incidentId = String(incident.id);
      li.dataset.ref = incident.ref || `INC-${incident.id}`;
      li.dataset.status = incident.status;
      li.dataset.severity = incident.severity;
      const link = $('a', li);
      link.href = `/ui/incidents/${incident.id}`;
      $('[data-testid="incident-ref"]', li).textContent = incident.ref || `INC-${incident.id}`;
      $('[data-testid="incident-title"]', li).textContent = incident.title;
      const sev = $('[data-testid="incident-severity"]', li);
      sev.textContent = incident.severity;
      sev.dataset.rank = severityRank(incident.severity);
      const status = $('[data-testid="incident-status"]', li);
      status.textContent = incident.status;
      status.dataset.status = incident.status;
      const service = $('[data-testid="incident-service"]', li);
      service.textContent = incident.service ? incident.service.name : '';
      li.dataset.drill = incident.drill ? 'yes' : 'no';
      li.dataset.noise = incident.noise ? 'yes' : 'no';
      const flags = incidentFlagBadges(incident, 'incident');
      const shown = [...li.querySelectorAll('.incident-flag')];
      if (shown.map((b) => b.textContent).join('|') !== flags.map((b) => b.textContent).join('|')) {
        for (const badge of shown) badge.remove();
        status.after(...flags);
      }
      const age = $('[data-testid="incident-age"]', li);
      age.dataset.age = '';
      fillTime(age, incident.created_at);
    }

    function makeRow(incident) {
      const fragment = cloneTemplate('tpl-row');
      const li = fragment.firstElementChild;
      fillRow(li, incident);
      return li;
    }

    function updateEmpty() {
      empty.hidden = ctx.rows.size > 0;
      more.hidden = !ctx.nextCursor;
      summary.textContent =
        ctx.rows.size === 0 ? '' : `Showing ${ctx.rows.size} incident${ctx.rows.size === 1 ? '' : 's'}${ctx.nextCursor ? ' (more available)' : ''}.`;
    }

    async function load(reset) {
      const generation = ++ctx.generation;
      more.disabled = true;
      list.setAttribute('aria-busy', 'true');
      try {
        const data = await api('GET', `/incidents?${queryString(reset ? null : ctx.nextCursor)}`);
        if (!ctx.alive || generation !== ctx.generation) return;
        if (reset) {
          list.replaceChildren();
          ctx.rows.clear();
        }
        for (const incident of data.items || []) {
          const existing = ctx.rows.get(incident.id);
          if (existing) {
            fillRow(existing, incident);
            continue;
          }
          const li = makeRow(incident);
          ctx.rows.set(incident.id, li);
          list.append(li);
        }
        ctx.nextCursor = data.next_cursor || null;
        updateEmpty();
        clearAlert();
      } catch (err) {
        if (ctx.alive && !(err && err.sessionEnded)) showError(err);
      } finally {
        if (ctx.alive) {
          more.disabled = false;
          list.removeAttribute('aria-busy');
        }
      }
    }

    // Merges fresh copies of incidents into the list (from a live event or a re-sync)
    // without disturbing what else is loaded.
    function upsert(incident, announceChange) {
      const existing = ctx.rows.get(incident.id);
      if (existing) {
        if (!matches(incident)) {
          existing.remove();
          ctx.rows.delete(incident.id);
          if (announceChange) announce(`${incident.ref} ${incident.status}; no longer matches the filter.`);
        } else {
          const before = `${existing.dataset.status}|${existing.dataset.severity}`;
          fillRow(existing, incident);
          if (announceChange && before !== `${incident.status}|${incident.severity}`) {
            announce(`${incident.ref} is now ${incident.status}, ${incident.severity}.`);
          }
          flash(existing);
        }
      } else if (matches(incident)) {
        // Insert in id order (newest first); skip if it belongs past the loaded pages.
        let before = null;
        for (const li of list.children) {
          if (Number(li.dataset.incidentId) < Number(incident.id)) {
            before = li;
            break;
          }
        }
        if (!before && ctx.nextCursor) return;
        const li = makeRow(incident);
        ctx.rows.set(incident.id, li);
        list.insertBefore(li, before);
        flash(li);
        if (announceChange) announce(`New incident ${incident.ref}: ${incident.title} (${incident.severity}).`);
      }
      updateEmpty();
    }

    function flash(li) {
      li.classList.remove('flash');
      void li.offsetWidth; // restart the animation
      li.classList.add('flash');
    }

    const flushPending = debounce(async () => {
      let ids = [...ctx.pending];
      ctx.pending.clear();
      const absent = ids.filter((id) => !ctx.rows.has(id));
      if (absent.length > 10) {
        // A burst of new incidents: one page re-fetch is cheaper than a request for each.
        resync();
        ids = ids.filter((id) => ctx.rows.has(id));
      }
      for (const id of ids) {
        try {
          const incident = await api('GET', incidentPath(id));
          if (!ctx.alive) return;
          upsert(incident, true);
        } catch (err) {
          if (!ctx.alive) return;
          if (err instanceof ApiError && err.status === 404) {
            const li = ctx.rows.get(Number(id));
            if (li) {
              li.remove();
              ctx.rows.delete(Number(id));
              updateEmpty();
            }
          }
        }
      }
    }, 100);

    const resync = debounce(async () => {
      try {
        const data = await api('GET', `/incidents?${queryString(null)}`);
        if (!ctx.alive) return;
        for (const incident of (data.items || []).slice().reverse()) upsert(incident, false);
        if (ctx.rows.size <= (data.items || []).length) {
          ctx.nextCursor = data.next_cursor || null;
          updateEmpty();
        }
      } catch {
        // The next event or reconnect tries again.
      }
    }, 150);

    load(true);

    return {
      cleanup() {
        ctx.alive = false;
        applySoon.cancel();
        flushPending.cancel();
        resync.cancel();
      },
      onEvent(event) {
        if (event.incident_id === null || event.incident_id === undefined) return;
        if (!String(event.kind || '').startsWith('incident.')) return;
        ctx.pending.add(event.incident_id);
        flushPending();
      },
      onStreamOpen() {
        resync();
      },
    };
  }

  // ---------------------------------------------------------------- declare

  function declareView() {
    document.title = 'Declare incident · Klaxon';
    const ctx = { alive: true };
    main().replaceChildren(cloneTemplate('tpl-declare'));
    const form = document.getElementById('declare-form');
    const title = document.getElementById('declare-title');
    const severity = document.getElementById('declare-severity');
    const service = document.getElementById('declare-service');
    const description = document.getElementById('declare-description');
    const impact = document.getElementById('declare-impact');
    const submit = form.querySelector('button[type="submit"]');
    const fieldMap = {
      title: 'declare-title',
      severity: 'declare-severity',
      service: 'declare-service',
      description: 'declare-description',
      impact: 'declare-impact',
    };

    submit.disabled = true;
    Promise.all([loadSeverities(), api('GET', '/services')])
      .then(([severities, services]) => {
        if (!ctx.alive) return;
        for (const sev of severities) {
          severity.append(severityOption(sev));
        }
        // Default: the least severe level (the API's default too).
        if (severities.length) severity.value = severities[severities.length - 1].name;
        const hint = document.getElementById('declare-severity-hint');
        const describe = () => {
          const found = severities.find((s) => s.name === severity.value);
          hint.textContent = found ? found.description || '' : '';
        };
        severity.addEventListener('change', describe);
        describe();
        for (const svc of services.items || []) {
          service.append(el('option', { value: String(svc.id), text: svc.name }));
        }
        submit.disabled = false;
      })
      .catch((err) => {
        if (!ctx.alive) return;
        submit.disabled = false;
        if (!(err && err.sessionEnded)) showError(err);
      });

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = { title: title.value.trim() };
      if (!body.title) {
        showError({ status: 0, problem: { title: 'Cannot declare yet', errors: [{ field: '/title', message: 'is required' }] } }, fieldMap);
        title.focus();
        return;
      }
      if (severity.value) body.severity = severity.value;
      if (service.value) body.service = Number(service.value);
      if (description.value.trim()) body.description = description.value;
      if (impact.value.trim()) body.impact = impact.value;
      const incident = await act(submit, () => api('POST', '/incidents', body), fieldMap);
      if (!incident || !ctx.alive) return;
      announce(`Declared ${incident.ref}.`);
      navigate(`/ui/incidents/${incident.id}`);
    });

    title.focus();
    return {
      cleanup() {
        ctx.alive = false;
      },
    };
  }

  // ---------------------------------------------------------------- incident page

  function pick(data, ...keys) {
    for (const key of keys) {
      const value = data[key];
      if (value !== undefined && value !== null && value !== '') {
        return typeof value === 'object' ? value.name || JSON.stringify(value) : String(value);
      }
    }
    return '';
  }

  function humanize(kind) {
    return String(kind || 'event')
      .replace(/^incident\./, '')
      .replace(/[._]/g, ' ');
  }

  // Timeline entry types (POST .../notes "type"): value, badge, how the summary says it.
  const NOTE_TYPES = [
    ['note', 'Note', 'a note'],
    ['finding', 'Finding', 'a finding'],
    ['action', 'Action', 'an action taken'],
    ['decision', 'Decision', 'a decision'],
  ];

  // The update composer's kinds (POST .../compose "kind") and audiences (POST .../updates
  // "audiences"): value, label, the checkbox's id and test id. The timeline always gets an
  // update, so it has no box.
  const UPDATE_KINDS = [
    ['initial', 'Initial'],
    ['update', 'Update'],
    ['resolution', 'Resolution'],
  ];
  const UPDATE_AUDIENCES = [
    ['internal_chat', 'Internal chat', 'update-internal-chat', 'update-internal-chat'],
    ['stakeholder_email', 'Stakeholder e-mail', 'update-stakeholders', 'update-stakeholders'],
    ['customer_email', 'Customer e-mail', 'update-customer-email', 'update-customer-email'],
    ['status_page', 'Status page', 'update-status-page', 'update-status-page'],
  ];
  // With several audiences ticked the draft is for the first of these (the most public).
  const DRAFT_ORDER = ['status_page', 'customer_email', 'stakeholder_email', 'internal_chat'];
  // "internal" and "stakeholders" are how the server names the timeline and stakeholder_email.
  function audienceLabel(audience) {
    if (audience === 'internal') return 'timeline';
    if (audience === 'stakeholders') return 'stakeholders';
    const found = UPDATE_AUDIENCES.find(([value]) => value === audience);
    return found ? found[1].toLowerCase() : humanize(audience);
  }

  const dueSuffix = (data) => (data.due_at ? ` (due ${formatTime(data.due_at)})` : '');

  // {summary, text, badge?, badgeKind?}: one line saying what happened, optional free text
  // to quote and an optional badge (the entry's type).
  function describeEvent(event) {
    const data = event.data && typeof event.data === 'object' ? event.data : {};
    const actor = event.actor || {};
    const who = actor.name || (actor.type === 'system' ? 'Klaxon' : actor.type === 'token' ? 'An API token' : 'Someone');
    const from = (...keys) => pick(data, ...keys.map((k) => `from${k}`), ...keys.map((k) => `old${k}`), 'from', 'old', 'previous');
    const to = (...keys) => pick(data, ...keys.map((k) => `to${k}`), ...keys.map((k) => `new${k}`), 'to', 'new');
    switch (event.kind) {
      case 'incident.declared': {
        const sev = pick(data, 'severity');
        const service = pick(data, 'service');
        return {
          summary: `${who} declared the incident${sev ? ` as ${sev}` : ''}${service ? ` on ${service}` : ''}`,
          text: '',
        };
      }
      case 'incident.acknowledged':
        return { summary: `${who} acknowledged the incident`, text: pick(data, 'message') };
      case 'incident.status_changed': {
        const a = from('_status');
        const b = to('_status') || pick(data, 'status');
        return {
          summary: a && b ? `${who} changed the status from ${a} to ${b}` : `${who} changed the status${b ? ` to ${b}` : ''}`,
          text: pick(data, 'message'),
        };
      }
      case 'incident.severity_changed': {
        const a = from('_severity');
        const b = to('_severity') || pick(data, 'severity');
        return {
          summary: a && b ? `${who} changed the severity from ${a} to ${b}` : `${who} changed the severity${b ? ` to ${b}` : ''}`,
          text: pick(data, 'reason'),
        };
      }
      case 'incident.note_added': {
        const type = NOTE_TYPES.find(([value]) => value === data.type && value !== 'note');
        return {
          summary: type ? `${who} recorded ${type[2]}` : `${who} added a note`,
          text: pick(data, 'text', 'note'),
          badge: type ? type[1] : '',
          badgeKind: type ? type[0] : '',
        };
      }
      case 'incident.ack_target_missed':
        return {
          summary: `Acknowledgement target missed: nobody acknowledged within ${pick(data, 'target') || 'the target'}${dueSuffix(data)}`,
          text: '',
        };
      case 'incident.resolve_target_missed':
        return { summary: `Resolution target missed: still open after ${pick(data, 'target') || 'the target'}${dueSuffix(data)}`, text: '' };
      case 'incident.matrix_escalated': {
        const paged = Array.isArray(data.paged) && data.paged.length ? data.paged.join(', ') : 'nobody (no one to page)';
        return { summary: `Escalation matrix step ${pick(data, 'step')} (after ${pick(data, 'after')}) paged ${paged}`, text: '' };
      }
      case 'incident.update_due_soon':
      case 'incident.update_late': {
        const late = event.kind === 'incident.update_late';
        const notified = Array.isArray(data.notified) && data.notified.length ? `; reminded ${data.notified.join(', ')}` : '; nobody to remind';
        const due = data.due_at ? ` (${late ? 'was due' : 'due'} ${formatTime(data.due_at)})` : '';
        return { summary: `Update #${pick(data, 'update_number')} ${late ? 'is late' : 'is due soon'}${due}${notified}`, text: '' };
      }
      case 'incident.update_posted': {
        const others = (Array.isArray(data.audiences) ? data.audiences : []).filter((a) => a !== 'internal').map(humanize);
        return {
          summary: `${who} posted update #${pick(data, 'update_number')}${others.length ? ` (also to ${others.join(', ')})` : ''}`,
          text: data.subject ? `${pick(data, 'subject')}\n\n${pick(data, 'text')}` : pick(data, 'text'),
        };
      }
      case 'incident.moment_marked': {
        const again = data.previous_at ? ` (was ${formatTime(data.previous_at)})` : '';
        return { summary: `${who} marked ${momentLabel(data.moment).toLowerCase()} at ${formatTime(data.at)}${again}`, text: pick(data, 'note') };
      }
      case 'incident.runbook_step_checked':
        return {
          summary: `${who} ${data.done ? 'ticked' : 'unticked'} runbook step ${pick(data, 'step')}${data.runbook ? ` of ${data.runbook}` : ''}`,
          text: pick(data, 'text'),
        };
      case 'incident.action_run': {
        const how = [data.http_status ? `HTTP ${data.http_status}` : '', data.duration_ms !== undefined ? `${data.duration_ms} ms` : '']
          .filter(Boolean)
          .join(', ');
        return {
          summary: `${who} ran the action ${pick(data, 'action')}: ${data.ok ? 'succeeded' : 'failed'}${how ? ` (${how})` : ''}`,
          text: data.ok ? pick(data, 'excerpt') : pick(data, 'error', 'excerpt'),
        };
      }
      case 'incident.war_room_opened':
        return { summary: `War room opened: ${pick(data, 'name')}`, text: '' };
      case 'incident.war_room_linked':
        return {
          summary: `${who} ${data.link ? 'linked' : 'unlinked'} the war room${data.name ? ` ${pick(data, 'name')}` : ''}`,
          text: data.link ? pick(data, 'link') : '',
        };
      case 'incident.stakeholders_notified': {
        const told = Array.isArray(data.told) && data.told.length ? data.told.join(', ') : 'nobody';
        return { summary: `Stakeholders told (${humanize(pick(data, 'reason'))}): ${told}`, text: '' };
      }
      case 'incident.review_due':
        return {
          summary: `Review due${data.due_at ? ` by ${formatTime(data.due_at)}` : ''}${data.deadline ? ` (${pick(data, 'deadline')} after resolving)` : ''}`,
          text: '',
        };
      case 'escalation.skipped':
        return { summary: `Nobody paged: ${pick(data, 'reason') || 'this level is record-only'}`, text: '' };
      case 'escalation.deferred':
        return {
          summary: `Paging deferred${data.until ? ` until ${formatTime(data.until)}` : ''}${data.reason ? `: ${pick(data, 'reason')}` : ''}`,
          text: '',
        };
      case 'incident.resolved':
        return { summary: `${who} resolved the incident`, text: pick(data, 'summary') };
      case 'incident.reopened':
        return { summary: `${who} reopened the incident`, text: pick(data, 'reason') };
      case 'incident.role_assigned': {
        const role = pick(data, 'role');
        const user = pick(data, 'user');
        const previous = pick(data, 'previous');
        return { summary: `${who} made ${user} ${role}${previous ? ` (taking over from ${previous})` : ''}`, text: '' };
      }
      case 'escalation.started':
        return {
          summary: `Escalation policy ${pick(data, 'policy_name') || ''} ${data.restart ? 'restarted' : 'started'}`.replace(/\s+/g, ' '),
          text: '',
        };
      case 'escalation.step_fired': {
        const paged = Array.isArray(data.paged) ? data.paged.join(', ') : '';
        const how = data.via === 'repage' ? `${who} re-paged` : data.via === 'escalate' ? `${who} escalated to` : 'Escalation paged';
        return { summary: `${how} step ${pick(data, 'step')}: ${paged || 'nobody (no one to page)'}`, text: '' };
      }
      case 'escalation.stopped': {
        const n = Number(data.cancelled_notifications || 0);
        return {
          summary: `Escalation stopped (${pick(data, 'reason') || 'stopped'})${n ? `; ${n} unsent notification${n === 1 ? '' : 's'} cancelled` : ''}`,
          text: '',
        };
      }
      case 'escalation.exhausted':
        return { summary: `Escalation policy ${pick(data, 'policy_name')} ran out of steps: nobody acknowledged`, text: '' };
      case 'notification.delivered':
        return { summary: `Notified ${pick(data, 'user') || 'someone'} by ${pick(data, 'channel') || 'a contact method'}`, text: '' };
      case 'notification.failed':
        return {
          summary: `Could not notify ${pick(data, 'user') || 'someone'} by ${pick(data, 'channel') || 'a contact method'}`,
          text: pick(data, 'error'),
        };
      case 'status.incident_published': {
        const details = [pick(data, 'status'), pick(data, 'impact') ? `${pick(data, 'impact')} impact` : ''].filter(Boolean).join(', ');
        return {
          summary: `${who} published it on the status page as “${pick(data, 'name')}”${details ? ` (${details})` : ''}`,
          text: '',
        };
      }
      case 'status.incident_updated': {
        const a = pick(data, 'from');
        const b = pick(data, 'to');
        return { summary: `${who} posted a status page update${a && b && a !== b ? ` (${a} → ${b})` : b ? ` (${b})` : ''}`, text: '' };
      }
      case 'action_item.created': {
        const item = data.action_item && typeof data.action_item === 'object' ? data.action_item : {};
        const owner = item.owner ? ` for ${userLabel(item.owner)}` : '';
        const from = item.source === 'review' ? ' (from the review)' : '';
        return { summary: `${who} added action item ${item.ref || ''}${owner}${from}`.replace(/\s+/g, ' '), text: item.title || '' };
      }
      case 'action_item.updated': {
        const item = data.action_item && typeof data.action_item === 'object' ? data.action_item : {};
        const changes = data.changes && typeof data.changes === 'object' ? data.changes : {};
        const said = Object.entries(changes).map(([field, change]) => actionItemChange(field, change || {}));
        return { summary: `${who} updated action item ${item.ref || ''}${said.length ? `: ${said.join('; ')}` : ''}`, text: '' };
      }
      case 'action_item.reminder_sent':
        return {
          summary: `Reminded ${pick(data, 'owner') || 'nobody'} of ${pick(data, 'ref')} (${data.when === 'before' ? 'due' : 'overdue since'} ${dueText(data.due_at)})`,
          text: pick(data, 'title'),
        };
      case 'incident.marked_noise':
        return {
          summary: data.alert_id ? `${who} marked the alert ${pick(data, 'alertname') || `#${data.alert_id}`} as noise` : `${who} marked the incident as noise`,
          text: pick(data, 'reason'),
        };
      case 'incident.unmarked_noise':
        return {
          summary: data.alert_id ? `${who} took back the noise mark of the alert ${pick(data, 'alertname') || `#${data.alert_id}`}` : `${who} took back the noise mark`,
          text: '',
        };
      default: {
        const text = Object.entries(data)
          .filter(([, v]) => v !== null && v !== '' && typeof v !== 'object')
          .map(([k, v]) => `${k}: ${v}`)
          .join('\n');
        return { summary: `${who}: ${humanize(event.kind)}`, text };
      }
    }
  }

  // Where an incident in `status` may move with POST .../status (resolve and reopen have
  // their own controls).
  function legalStatusTargets(status) {
    const working = ['investigating', 'identified', 'monitoring'];
    if (status === 'triggered') return ['acknowledged', ...working];
    if (status === 'acknowledged') return working;
    if (working.includes(status)) return working.filter((s) => s !== status);
    return [];
  }

  function timelineEntry(event, isNew) {
    const { summary, text, badge, badgeKind } = describeEvent(event);
    const time = el('time', { dateTime: event.at, title: formatTime(event.at), text: formatTime(event.at) });
    time.dateTime = event.at || '';
    const li = el(
      'li',
      {
        className: `timeline-entry${isNew ? ' new' : ''}`,
        dataset: { seq: String(event.seq), kind: event.kind || '', testid: 'timeline-entry' },
      },
      el(
        'p',
        { className: 'timeline-summary' },
        badge ? el('span', { className: 'badge entry-type', text: badge, dataset: { type: badgeKind, testid: 'timeline-type' } }) : null,
        badge ? ' ' : null,
        summary,
      ),
      el('p', { className: 'timeline-meta' }, time),
      text ? el('p', { className: 'timeline-text', text }) : null,
    );
    return li;
  }

  // ---------------------------------------------------------------- incident page: the playbook

  const MOMENTS = [
    ['detected', 'Detected'],
    ['acknowledged', 'Acknowledged'],
    ['root_cause_identified', 'Root cause identified'],
    ['mitigation_started', 'Mitigation started'],
    ['service_restored', 'Service restored'],
    ['resolved', 'Resolved'],
  ];
  const MARKABLE_MOMENTS = ['root_cause_identified', 'mitigation_started', 'service_restored'];
  const momentLabel = (moment) => (MOMENTS.find(([m]) => m === moment) || [moment, humanize(moment)])[1];
  const roleLabel = (name) => String(name || '').replace(/_/g, ' ');
  const PAGE_MODES = { always: 'Pages at any hour', business_hours: 'Pages in business hours only', never: 'Pages nobody (record only)' };
  const ACTION_TIMEOUT_MS = 11 * 60 * 1000; // the server allows an action up to 10 minutes

  // "4:32", "1:02:09". A time left rounds up (it reaches 0:00 when due), a time late down.
  function formatCountdown(ms, left) {
    const total = Math.max(0, left ? Math.ceil(ms / 1000) : Math.floor(ms / 1000));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    return h ? `${h}:${pad2(m)}:${pad2(s)}` : `${m}:${pad2(s)}`;
  }

  // A playbook target as text: "user:grace", "team:leadership".
  const targetText = (t) => (t && typeof t === 'object' ? `${t.type}:${t.name}` : String(t));

  // The runbook's Markdown comes rendered and sanitized by the server. As a second line of
  // defence it is parsed in an inert document and copied over element by element: only
  // these elements survive (others give up their text), no attributes but a safe href, an
  // <ol>'s start and a task list's checkbox state.
  const RUNBOOK_TAGS = new Set(
    ['P', 'BR', 'HR', 'EM', 'STRONG', 'DEL', 'CODE', 'PRE', 'BLOCKQUOTE', 'UL', 'OL', 'LI', 'A', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6']
      .concat(['TABLE', 'THEAD', 'TBODY', 'TR', 'TH', 'TD', 'INPUT']),
  );
  const RUNBOOK_DROPPED = new Set(['SCRIPT', 'STYLE', 'TEMPLATE', 'IFRAME', 'OBJECT', 'EMBED', 'SVG', 'MATH', 'NOSCRIPT', 'TEXTAREA', 'SELECT']);

  function serverHtml(html) {
    const doc = new DOMParser().parseFromString(`<!doctype html><body>${html || ''}`, 'text/html');
    const copy = (from, to) => {
      for (const node of from.childNodes) {
        if (node.nodeType === Node.TEXT_NODE) {
          to.append(node.data);
          continue;
        }
        if (node.nodeType !== Node.ELEMENT_NODE || RUNBOOK_DROPPED.has(node.tagName)) continue;
        if (!RUNBOOK_TAGS.has(node.tagName)) {
          copy(node, to);
          continue;
        }
        const clone = document.createElement(node.tagName.toLowerCase());
        if (node.tagName === 'A') {
          const href = node.getAttribute('href') || '';
          if (/^(https?:|mailto:|\/(?!\/)|#)/i.test(href)) clone.setAttribute('href', href);
          clone.rel = 'noopener noreferrer';
        } else if (node.tagName === 'OL' && /^\d+$/.test(node.getAttribute('start') || '')) {
          clone.setAttribute('start', node.getAttribute('start'));
        } else if (node.tagName === 'INPUT') {
          if (node.getAttribute('type') !== 'checkbox') continue;
          clone.type = 'checkbox';
          clone.disabled = true;
          clone.checked = node.hasAttribute('checked');
        }
        copy(node, clone);
        to.append(clone);
      }
    };
    const fragment = document.createDocumentFragment();
    copy(doc.body, fragment);
    return fragment;
  }

  // The playbook's part of the incident page (GET incident's "playbook"): the level and its
  // targets, the update cadence with a countdown and an update form, the roles, key moments,
  // the runbook checklist and its actions, and the type of a timeline entry. Built once into
  // the page; fill() refreshes it in place, so what someone is typing or choosing survives a
  // live reload. `refresh` re-fetches the incident.
  function playbookPanels(page, ctx, id, refresh) {
    const canAct = canRespond();
    const q = (sel) => page.querySelector(sel);
    const pb = { data: null, incident: null, users: null, roleRows: new Map(), roleSeq: 0, roles: [], runbookKey: '', pending: null };
    const path = () => incidentPath(ctx.incident ? ctx.incident.id : id);

    // ---- the level, targets, updates, war room, review, matrix (main column, first)

    const level = {
      badge: el('span', { className: 'badge severity', dataset: { testid: 'pb-severity' } }),
      description: el('span', { className: 'pb-description', dataset: { testid: 'pb-severity-description' } }),
      examples: el('p', { className: 'hint', dataset: { testid: 'pb-severity-examples' } }),
      facts: el('p', { className: 'hint', dataset: { testid: 'pb-severity-facts' } }),
      classified: el('p', { className: 'pb-classified', dataset: { testid: 'pb-classified' } }),
    };
    const targets = el('ul', { className: 'pb-targets', dataset: { testid: 'pb-targets' }, 'aria-label': 'Targets' });
    const countdown = el('p', { className: 'pb-countdown', role: 'timer', dataset: { testid: 'update-countdown', state: 'none' } });
    const updateMeta = el('p', { className: 'hint', dataset: { testid: 'update-meta' } });
    // The update composer: a kind, the audiences, a draft from the playbook's template
    // (POST .../compose, a preview), an editable subject and body with a preview of what
    // goes out, and Publish (POST .../updates).
    const composer = {
      kind: el(
        'select',
        { id: 'update-kind', name: 'kind', 'aria-describedby': 'update-kind-hint', dataset: { testid: 'update-kind' } },
        ...UPDATE_KINDS.map(([value, label]) => el('option', { value, text: label })),
      ),
      kindHint: el('p', { id: 'update-kind-hint', className: 'hint pb-kind-hint', text: 'Chosen from the incident until you pick one.' }),
      audiences: new Map(),
      draft: el('button', { type: 'button', className: 'button-secondary', text: 'Draft from template', dataset: { testid: 'update-draft' } }),
      source: el('p', { className: 'hint pb-draft-source', dataset: { testid: 'update-template' } }),
      subject: el('input', { id: 'update-subject', type: 'text', maxlength: '200', autocomplete: 'off', dataset: { testid: 'update-subject' } }),
      previewSubject: el('p', { className: 'pb-preview-subject', dataset: { testid: 'update-preview-subject' } }),
      previewBody: el('p', { className: 'prose pb-preview-body', dataset: { testid: 'update-preview-body' } }),
      previewNote: el('p', { className: 'hint', dataset: { testid: 'update-preview-note' } }),
      result: el('p', { className: 'pb-update-result', dataset: { testid: 'update-result' }, hidden: true }),
      confirmText: el('p', { id: 'update-redraft-text', className: 'confirm-text', tabindex: '-1', text: 'Replace the text you edited with a new draft?' }),
      confirmYes: el('button', { type: 'button', className: 'button-danger small', text: 'Replace my text', dataset: { testid: 'update-redraft-yes' } }),
      confirmNo: el('button', { type: 'button', className: 'button-secondary small', text: 'Keep my text', dataset: { testid: 'update-redraft-no' } }),
      last: null, // the draft last put into the fields: {kind, audience, template, subject, body}
      kindChosen: false, // the user picked a kind: send it (else the server infers one)
      seq: 0, // the newest compose request (older answers are dropped)
    };
    const updateText = el('textarea', { id: 'update-text', rows: '6', maxlength: '10000', dataset: { testid: 'update-text' } });
    for (const [audience, label, id, testid] of UPDATE_AUDIENCES) {
      const input = el('input', { id, type: 'checkbox', value: audience, 'aria-describedby': `${id}-hint`, dataset: { testid, audience } });
      const hint = el('p', { id: `${id}-hint`, className: 'hint' });
      composer.audiences.set(audience, { input, hint, field: el('div', { className: 'field check' }, el('label', {}, input, ` ${label}`), hint) });
    }
    const stakeholders = composer.audiences.get('stakeholder_email').input;
    const stakeholdersHint = composer.audiences.get('stakeholder_email').hint;
    composer.audiences.get('status_page').hint.textContent = 'The public status page: an incident published from this one (the first update opens it).';
    composer.audiences.get('customer_email').hint.textContent = "The status page's subscribers: this also publishes on the status page.";
    composer.confirm = el(
      'div',
      { className: 'confirm-box', role: 'group', 'aria-labelledby': 'update-redraft-text', dataset: { testid: 'update-redraft-confirm' }, hidden: true },
      composer.confirmText,
      el('div', { className: 'actions' }, composer.confirmYes, composer.confirmNo),
    );
    composer.preview = el(
      'section',
      { className: 'pb-preview', 'aria-labelledby': 'update-preview-heading', dataset: { testid: 'update-preview' } },
      el('h4', { id: 'update-preview-heading', text: 'Preview' }),
      composer.previewSubject,
      composer.previewBody,
      composer.previewNote,
    );
    const updateForm = el(
      'form',
      { id: 'update-form', className: 'pb-update-form', novalidate: true, 'aria-labelledby': 'update-form-heading', dataset: { testid: 'update-form' } },
      el('h4', { id: 'update-form-heading', text: 'Compose an update' }),
      el(
        'fieldset',
        { id: 'update-audiences', className: 'field-group pb-audiences', dataset: { testid: 'update-audiences' } },
        el('legend', { text: 'Send to' }),
        el('p', { className: 'hint', text: 'The timeline always gets it.' }),
        ...[...composer.audiences.values()].map((a) => a.field),
      ),
      el('div', { className: 'pb-draft-row' }, labelledField('Kind', composer.kind), el('div', { className: 'actions' }, composer.draft)),
      composer.kindHint,
      composer.source,
      composer.confirm,
      labelledField('Subject (e-mails and the status page title)', composer.subject),
      labelledField('Update', updateText),
      composer.preview,
      el('div', { className: 'actions' }, el('button', { type: 'submit', text: 'Publish update', dataset: { testid: 'update-submit' } })),
      composer.result,
    );
    // The war room (its name, and a link to the channel or call that responders set) and
    // the review deadline: built once, so a live refresh keeps what someone is typing.
    const warRoom = {
      name: el('span', { className: 'pb-war-room-name', dataset: { testid: 'pb-war-room' } }),
      link: el('a', { className: 'pb-war-room-link', rel: 'noopener noreferrer', target: '_blank', dataset: { testid: 'pb-war-room-link' }, hidden: true }),
      input: el('input', {
        id: 'war-room-link-input',
        type: 'url',
        inputmode: 'url',
        maxlength: '2000',
        placeholder: 'https://…',
        autocomplete: 'off',
        'aria-describedby': 'war-room-link-hint',
        dataset: { testid: 'war-room-link-input' },
      }),
      save: el('button', { type: 'submit', className: 'button-secondary small', text: 'Save link', dataset: { testid: 'war-room-link-save' } }),
      shown: '', // the link last put into the input (replaced on refresh only while untouched)
    };
    warRoom.form = el(
      'form',
      { id: 'war-room-form', className: 'pb-war-room-form', novalidate: true, dataset: { testid: 'war-room-form' } },
      el(
        'div',
        { className: 'field' },
        el('label', { for: 'war-room-link-input', text: 'Link to the channel or call' }),
        el('div', { className: 'pb-inline' }, warRoom.input, warRoom.save),
        el('p', { id: 'war-room-link-hint', className: 'hint', text: 'An http(s) address; save it empty to remove the link.' }),
      ),
    );
    warRoom.dt = el('dt', { text: 'War room' });
    warRoom.dd = el('dd', { className: 'pb-war-room' }, warRoom.name, ' ', warRoom.link, canAct ? warRoom.form : null);
    const review = { dt: el('dt', { text: 'Review' }), dd: el('dd', {}), text: el('span', { dataset: { testid: 'pb-review' } }) };
    review.dd.append(review.text);
    const extras = el('dl', { className: 'details pb-extras' }, warRoom.dt, warRoom.dd, review.dt, review.dd);
    const matrix = el('ol', { className: 'pb-matrix', dataset: { testid: 'pb-matrix' } });
    const matrixBlock = el('div', { hidden: true }, el('h3', { text: 'Escalation matrix' }), matrix);
    const panel = el(
      'section',
      { className: 'panel playbook', 'aria-labelledby': 'playbook-heading', dataset: { testid: 'playbook-panel' }, hidden: true },
      el('h2', { id: 'playbook-heading', text: 'Playbook' }),
      el('p', { className: 'pb-level' }, level.badge, ' ', level.description),
      level.examples,
      level.facts,
      level.classified,
      el('h3', { text: 'Targets' }),
      targets,
      el('h3', { text: 'Updates' }),
      countdown,
      updateMeta,
      canAct ? updateForm : null,
      extras,
      matrixBlock,
    );

    // ---- the runbook (main column, second)

    const runbook = {
      heading: el('h2', { id: 'runbook-heading', dataset: { testid: 'runbook-title' } }),
      meta: el('p', { className: 'hint', dataset: { testid: 'runbook-meta' } }),
      sections: el('div', { className: 'runbook-sections' }),
      steps: el('ol', { className: 'runbook-steps', dataset: { testid: 'runbook-steps' }, 'aria-label': 'Checklist' }),
    };
    const runbookPanel = el(
      'section',
      { className: 'panel runbook', 'aria-labelledby': 'runbook-heading', dataset: { testid: 'runbook-panel' }, hidden: true },
      runbook.heading,
      runbook.meta,
      runbook.sections,
      el('h3', { text: 'Checklist' }),
      runbook.steps,
    );
    const confirm = {
      text: el('p', { id: 'action-confirm-text', className: 'confirm-text', tabindex: '-1', dataset: { testid: 'action-confirm-text' } }),
      yes: el('button', { type: 'button', className: 'button-danger small', dataset: { testid: 'action-confirm-yes' } }),
      no: el('button', { type: 'button', className: 'button-secondary small', text: 'Cancel', dataset: { testid: 'action-confirm-no' } }),
    };
    confirm.box = el(
      'div',
      { className: 'confirm-box', role: 'group', 'aria-labelledby': 'action-confirm-text', dataset: { testid: 'action-confirm' }, hidden: true },
      confirm.text,
      el('div', { className: 'actions' }, confirm.yes, confirm.no),
    );

    // ---- key moments (side column, after the roles)

    const moments = el('ol', { className: 'moment-list', dataset: { testid: 'moment-list' } });
    const momentNote = el('input', { id: 'moment-note', type: 'text', maxlength: '10000', dataset: { testid: 'moment-note' } });
    const momentForm = el(
      'form',
      { id: 'moment-form', className: 'control', novalidate: true, dataset: { testid: 'moment-form' } },
      labelledField('Note (optional)', momentNote),
      el(
        'div',
        { className: 'actions moment-actions' },
        ...MARKABLE_MOMENTS.map((m) =>
          el('button', {
            type: 'button',
            className: 'button-secondary small',
            text: `Mark ${momentLabel(m).toLowerCase()}`,
            dataset: { testid: `mark-${m}`, moment: m },
          }),
        ),
      ),
    );
    const momentsPanel = el(
      'section',
      { className: 'panel', 'aria-labelledby': 'moments-heading', dataset: { testid: 'moments-panel' }, hidden: true },
      el('h2', { id: 'moments-heading', text: 'Key moments' }),
      moments,
      canAct ? momentForm : null,
    );
    const momentItems = new Map(
      MOMENTS.map(([m, label]) => {
        const when = el('time', { className: 'moment-time', dataset: { testid: 'moment-time' } });
        const by = el('span', { className: 'hint moment-by' });
        const note = el('p', { className: 'hint moment-note', dataset: { testid: 'moment-note-text' } });
        const li = el(
          'li',
          { className: 'moment', dataset: { testid: 'moment', moment: m, marked: 'no' } },
          el('span', { className: 'moment-name', text: label }),
          ' ',
          when,
          ' ',
          by,
          note,
        );
        moments.append(li);
        return [m, { li, when, by, note }];
      }),
    );

    // ---- roles: the list in the roles panel shows the playbook's roles

    const unfilled = el('p', { className: 'pb-unfilled', dataset: { testid: 'roles-unfilled' }, hidden: true });
    const roleList = q('[data-testid="role-list"]');
    roleList.before(unfilled);

    // ---- placed into the template

    const main = q('.incident-main');
    main.prepend(panel);
    panel.after(runbookPanel);
    q('[data-testid="roles-panel"]').after(momentsPanel);

    // The severity form says what the chosen level means.
    const severitySelect = q('#severity-select');
    const severityHint = el('p', { id: 'severity-hint', className: 'hint', dataset: { testid: 'severity-hint' } });
    severitySelect.after(severityHint);
    severitySelect.setAttribute('aria-describedby', 'severity-hint');
    const describeSeverity = () => {
      const found = (state.severities || []).find((s) => s.name === severitySelect.value);
      severityHint.textContent = found ? found.description || '' : '';
    };
    severitySelect.addEventListener('change', describeSeverity);

    // The note form picks the entry's type.
    const noteType = el(
      'select',
      { id: 'note-type', name: 'type', dataset: { testid: 'note-type' } },
      ...NOTE_TYPES.map(([value, label]) => el('option', { value, text: label })),
    );
    const noteField = q('#note-text').closest('.field');
    noteField.before(labelledField('Type', noteType));
    q('label[for="note-text"]').textContent = 'Add to the timeline';

    // ---- filling

    function fillLevel(p, incident) {
      const sev = p.severity || { name: incident.severity };
      const listed = (state.severities || []).find((s) => s.name === sev.name) || {};
      level.badge.textContent = sev.name;
      level.badge.dataset.rank = sev.rank !== undefined ? String(sev.rank) : severityRank(sev.name);
      setText(level.description, sev.description || listed.description, 'No description.');
      const examples = Array.isArray(sev.examples) ? sev.examples : [];
      level.examples.textContent = examples.length ? `For example: ${examples.join('; ')}.` : '';
      level.examples.hidden = !examples.length;
      const facts = [];
      if (sev.page) facts.push(PAGE_MODES[sev.page] || `Pages: ${sev.page}`);
      if (sev.status_page) facts.push('status page');
      if (sev.customer_notice) facts.push('customer notice');
      if (sev.war_room) facts.push('war room');
      if (sev.review_required) facts.push('review required');
      level.facts.textContent = facts.join(' · ');
      level.facts.hidden = !facts.length;
      const rule = p.classification ? p.classification.rule : p.classified_by;
      const why = p.classification && p.classification.description ? `: ${p.classification.description}` : '';
      level.classified.textContent = rule ? `Classified by rule '${rule}'${why}` : 'Severity chosen by hand.';
      level.classified.dataset.rule = rule || '';
    }

    function targetItem(kind, label, t) {
      if (!t) {
        return el(
          'li',
          { className: 'pb-target', dataset: { testid: `target-${kind}`, state: 'none' } },
          el('span', { className: 'badge target-state', text: `${label}: no target` }),
        );
      }
      const due = `${t.state === 'missed' ? 'was due' : 'due'} ${formatDayTime(t.due_at)} (within ${t.target})`;
      const badge = t.state === 'missed' ? `${label} target missed` : t.state === 'met' ? `${label} target met` : `${label} pending`;
      return el(
        'li',
        { className: 'pb-target', dataset: { testid: `target-${kind}`, state: t.state } },
        el('span', { className: 'badge target-state', text: badge, dataset: { state: t.state, testid: 'target-badge' } }),
        ' ',
        el('span', { className: 'pb-target-due', text: due, title: formatTime(t.due_at) }),
      );
    }

    function fillTargets(p) {
      const t = p.targets || {};
      targets.replaceChildren(targetItem('ack', 'Ack', t.ack), targetItem('resolve', 'Resolve', t.resolve));
    }

    function fillUpdates(p, incident) {
      const u = p.updates || {};
      const parts = [];
      if (u.every === 'milestones') parts.push('At milestones');
      else if (u.every) parts.push(`Every ${u.every}`);
      parts.push(`${Number(u.count || 0)} posted`);
      if (u.last_at) parts.push(`last ${formatDayTime(u.last_at)}`);
      if (u.next_due_at) parts.push(`next by ${formatDayTime(u.next_due_at)}`);
      updateMeta.textContent = parts.join(' · ');
      const found = (state.severities || []).find((s) => s.name === incident.severity);
      const list = found && Array.isArray(found.stakeholders) ? found.stakeholders.map(targetText) : null;
      stakeholders.disabled = !!list && list.length === 0;
      if (stakeholders.disabled) stakeholders.checked = false;
      stakeholdersHint.textContent = !list ? '' : list.length ? `${incident.severity} stakeholders: ${list.join(', ')}` : `${incident.severity} has no stakeholders.`;
      fillChatHint();
      // Until someone picks a kind, show the one the server would choose (see Compose).
      if (!composer.kindChosen) composer.kind.value = incident.status === 'resolved' ? 'resolution' : Number(u.count || 0) === 0 ? 'initial' : 'update';
      tick();
    }

    function fillChatHint() {
      const holders = [...new Set(pb.roles.filter((r) => r.holder).map((r) => userLabel(r.holder)))];
      composer.audiences.get('internal_chat').hint.textContent = holders.length
        ? `Everyone holding a role: ${holders.join(', ')}.`
        : 'Everyone holding a role (nobody yet).';
    }

    // The countdown, every second, from the server's clock (see serverNow).
    function tick() {
      const p = pb.data;
      if (!p || !pb.incident) return;
      const u = p.updates || {};
      let text;
      let shown = u.state || 'none';
      if (u.every === 'milestones') text = 'Updates at milestones (no fixed cadence)';
      else if (!u.every) text = 'No update cadence for this level';
      else if (!u.next_due_at) text = pb.incident.status === 'resolved' ? 'No more updates due: the incident is resolved' : 'No update due';
      else {
        const due = parseTime(u.next_due_at);
        const left = (due ? due.getTime() : 0) - serverNow();
        if (left <= 0) {
          shown = 'late';
          text = `Update late by ${formatCountdown(-left, false)}`;
        } else {
          if (shown === 'late' || shown === 'none') shown = 'due_soon';
          text = `Next update due in ${formatCountdown(left, true)}`;
        }
      }
      if (!u.next_due_at) shown = 'none';
      if (countdown.textContent !== text) countdown.textContent = text;
      countdown.dataset.state = shown;
    }

    function fillExtras(p, incident) {
      fillWarRoom(p.war_room || '', p.war_room_link || '', incident);
      const r = p.review || {};
      review.text.textContent = r.due_at ? `Due by ${formatDayTime(r.due_at)}` : 'Required (its deadline starts when resolved)';
      review.dt.hidden = review.dd.hidden = !r.required;
      extras.hidden = warRoom.dt.hidden && review.dt.hidden;
      const steps = Array.isArray(p.matrix) ? p.matrix : [];
      matrix.replaceChildren(
        ...steps.map((s) =>
          el(
            'li',
            { dataset: { testid: 'pb-matrix-step', done: s.done ? 'yes' : 'no' } },
            `After ${s.after} (${formatDayTime(s.at)}): ${(s.notify || []).map(targetText).join(', ') || 'nobody'} `,
            el('span', { className: 'badge', text: s.done ? 'paged' : 'pending' }),
          ),
        ),
      );
      matrixBlock.hidden = !steps.length;
    }

    // name and link: the playbook's war_room and war_room_link ("" when none). Shown when
    // there is either, or the level expects a war room.
    function fillWarRoom(name, link, incident) {
      const sev = (incident && (state.severities || []).find((s) => s.name === incident.severity)) || {};
      warRoom.dt.hidden = warRoom.dd.hidden = !name && !link && !sev.war_room;
      setText(warRoom.name, name, link ? '' : 'Not named');
      // Only http(s) becomes a link (the server refuses anything else; this is belt and braces).
      const safe = /^https?:\/\/\S+$/i.test(link);
      warRoom.link.hidden = !safe;
      if (safe) {
        warRoom.link.href = link;
        warRoom.link.textContent = link;
      } else {
        warRoom.link.removeAttribute('href');
        warRoom.link.textContent = '';
      }
      if (warRoom.input.value === warRoom.shown) warRoom.input.value = link;
      warRoom.shown = link;
    }

    function fillMoments(p) {
      for (const m of Array.isArray(p.moments) ? p.moments : []) {
        const item = momentItems.get(m.moment);
        if (!item) continue;
        item.li.dataset.marked = m.at ? 'yes' : 'no';
        item.when.dateTime = m.at || '';
        item.when.title = m.at ? formatTime(m.at) : '';
        setText(item.when, m.at ? formatDayTime(m.at) : '', 'Not yet');
        item.by.textContent = m.at && m.by ? `by ${m.by}` : '';
        item.note.textContent = m.note || '';
        item.note.hidden = !m.note;
      }
    }

    // ---- roles

    // roles: [{name, description, required, holder, assigned_at}] (the playbook's list).
    function renderRoles(roles) {
      pb.roles = roles;
      const seen = new Set();
      roles.forEach((role, index) => {
        seen.add(role.name);
        let row = pb.roleRows.get(role.name);
        if (!row) {
          row = roleRow(role);
          pb.roleRows.set(role.name, row);
        }
        const holder = role.holder ? userLabel(role.holder) : '';
        row.li.dataset.required = role.required ? 'yes' : 'no';
        row.li.dataset.filled = holder ? 'yes' : 'no';
        const nobody = role.required
          ? el('span', { className: 'badge unfilled', text: 'Unfilled', dataset: { testid: 'role-unfilled' } })
          : el('span', { className: 'hint', text: 'Nobody' });
        row.user.replaceChildren(holder || nobody);
        row.description.textContent = role.description || '';
        row.description.hidden = !role.description;
        // In the server's order, moving only what is out of place (a moved row loses focus).
        const at = roleList.children[index] || null;
        if (at !== row.li) roleList.insertBefore(row.li, at);
      });
      for (const [name, row] of pb.roleRows) {
        if (seen.has(name)) continue;
        row.li.remove();
        pb.roleRows.delete(name);
      }
      const open = roles.filter((r) => r.required && !r.holder).map((r) => roleLabel(r.name));
      unfilled.textContent = open.length ? `Unfilled: ${open.join(', ')}` : '';
      unfilled.hidden = !open.length;
      q('[data-testid="roles-empty"]').hidden = roles.length > 0;
      // A playbook that defines roles allows only those, and each has its own control above.
      const defined = roles.some((r) => r.description || r.required);
      q('#role-form').hidden = defined || !canAct;
      fillChatHint();
    }

    function roleRow(role) {
      const n = ++pb.roleSeq;
      const li = el(
        'li',
        { className: 'role-item', dataset: { testid: 'role-item', role: role.name } },
        el('span', { className: 'role-name', text: roleLabel(role.name), dataset: { testid: 'role-item-name' } }),
        el('span', { className: 'role-user', dataset: { testid: 'role-item-user' } }),
      );
      const row = { li, user: li.lastElementChild, description: el('p', { className: 'hint role-description' }) };
      li.append(row.description);
      if (!canAct) return row;
      row.select = el('select', { id: `role-assign-${n}`, 'aria-label': `Person for ${roleLabel(role.name)}`, dataset: { testid: 'role-assign-select' } });
      fillUserOptions(row.select);
      const assign = el('button', { type: 'button', className: 'button-secondary small', text: 'Assign', dataset: { testid: 'role-assign' } });
      li.append(el('div', { className: 'role-assign' }, row.select, assign));
      assign.addEventListener('click', () => assignRole(role.name, row.select, assign));
      return row;
    }

    function fillUserOptions(select) {
      if (!pb.users) return;
      const value = select.value;
      select.replaceChildren(el('option', { value: '', text: 'Choose a person…' }), ...pb.users.map((u) => el('option', { value: u.username, text: userLabel(u) })));
      select.value = value;
    }

    async function assignRole(name, select, button) {
      const fieldMap = { user: select.id, role: select.id };
      if (!select.value) {
        showError({ status: 0, problem: { title: 'Cannot assign the role yet', errors: [{ field: '/user', message: 'choose a person' }] } }, fieldMap);
        select.focus();
        return;
      }
      const result = await act(button, () => api('PUT', `${path()}/roles/${encodeURIComponent(name)}`, { user: select.value }), fieldMap);
      if (!result || !ctx.alive) return;
      select.value = '';
      mergeRoles(result);
      announce(`Assigned ${roleLabel(name)}.`);
      refresh();
    }

    // Holders from GET/PUT .../roles ({items: [{role, user, assigned_at}]}) into the list.
    function mergeRoles(data) {
      const items = (data && data.items) || [];
      const roles = pb.roles.map((r) => {
        const held = items.find((i) => i.role === r.name);
        return { ...r, holder: held ? held.user : null, assigned_at: held ? held.assigned_at : null };
      });
      for (const i of items) {
        if (!roles.some((r) => r.name === i.role)) roles.push({ name: i.role, description: '', required: false, holder: i.user, assigned_at: i.assigned_at });
      }
      renderRoles(roles);
    }

    // ---- runbook

    function fillRunbook(rb) {
      runbookPanel.hidden = !rb;
      if (!rb) {
        pb.runbookKey = '';
        return;
      }
      const key = `${rb.name}\n${(rb.steps || []).length}`;
      if (key !== pb.runbookKey) buildRunbook(rb, key);
      const progress = rb.progress || { done: 0, total: (rb.steps || []).length };
      runbook.meta.textContent = [rb.name, rb.rto ? `RTO ${rb.rto}` : '', `${progress.done} of ${progress.total} steps done`].filter(Boolean).join(' · ');
      runbook.meta.dataset.done = String(progress.done);
      for (const step of rb.steps || []) {
        const li = runbook.steps.children[step.index];
        if (!li) continue;
        li.dataset.done = step.done ? 'yes' : 'no';
        const box = li.querySelector('input[type="checkbox"]');
        if (box && !box.dataset.busy) box.checked = !!step.done;
        li.querySelector('.runbook-step-by').textContent = step.done && step.by ? `Ticked by ${step.by}${step.at ? `, ${formatDayTime(step.at)}` : ''}` : '';
      }
    }

    function buildRunbook(rb, key) {
      pb.runbookKey = key;
      runbook.heading.textContent = `Runbook: ${rb.title || rb.name}`;
      const sections = [
        ['Symptoms', rb.symptoms_html, 'runbook-symptoms'],
        ['Diagnosis', rb.diagnosis_html, 'runbook-diagnosis'],
        ['Notes', rb.body_html, 'runbook-body'],
      ].filter(([, html]) => html && html.trim());
      runbook.sections.replaceChildren(
        ...sections.flatMap(([title, html, testid]) => [el('h3', { text: title }), el('div', { className: 'runbook-html', dataset: { testid } }, serverHtml(html))]),
      );
      runbook.steps.replaceChildren(...(rb.steps || []).map(stepItem));
    }

    function stepItem(step) {
      const n = step.index + 1;
      const text = el('span', { className: 'runbook-step-text', dataset: { testid: 'runbook-step-text' } }, serverHtml(step.text_html || ''));
      if (!step.text_html) text.textContent = step.text;
      const box = el('input', { type: 'checkbox', id: `runbook-step-${n}`, disabled: !canAct, dataset: { testid: 'runbook-step-check' } });
      const li = el(
        'li',
        { className: 'runbook-step', dataset: { testid: 'runbook-step', step: String(n) } },
        el('div', { className: 'runbook-step-line' }, box, el('label', { for: box.id }, text)),
        el('p', { className: 'hint runbook-step-by' }),
      );
      box.addEventListener('change', () => checkStep(n, box));
      if (step.action && canAct) {
        const run = el('button', {
          type: 'button',
          className: 'button-secondary small',
          text: `Run ${step.action}`,
          dataset: { testid: 'runbook-action', action: step.action },
        });
        const result = el('div', { className: 'action-result', role: 'status', dataset: { testid: 'action-result' }, hidden: true });
        li.append(el('div', { className: 'actions' }, run), result);
        run.addEventListener('click', () => askRun(step.action, run, li, result));
      } else if (step.action) {
        li.append(el('p', { className: 'hint', text: `Action: ${step.action}` }));
      }
      return li;
    }

    async function checkStep(n, box) {
      const done = box.checked;
      box.dataset.busy = '1';
      const rb = await act(box, () => api('POST', `${path()}/runbook/steps/${n}`, { done }));
      delete box.dataset.busy;
      if (!ctx.alive) return;
      if (!rb) {
        box.checked = !done;
        return;
      }
      fillRunbook(rb);
      announce(`Step ${n} ${done ? 'ticked' : 'unticked'}.`);
    }

    // Actions change other systems: they run only after an in-page confirmation.
    function askRun(action, button, li, result) {
      pb.pending = { action, button, result };
      const ref = ctx.incident ? ctx.incident.ref : `INC-${id}`;
      confirm.text.textContent = `Run the action ${action} now, for ${ref}? It calls another system and cannot be undone from here.`;
      confirm.yes.textContent = `Run ${action}`;
      li.append(confirm.box);
      confirm.box.hidden = false;
      confirm.text.focus();
    }

    function closeConfirm() {
      confirm.box.hidden = true;
      const pending = pb.pending;
      pb.pending = null;
      return pending;
    }

    confirm.no.addEventListener('click', () => {
      const pending = closeConfirm();
      if (pending && pending.button.isConnected) pending.button.focus();
    });

    confirm.yes.addEventListener('click', async () => {
      const pending = closeConfirm();
      if (!pending) return;
      const { action, button, result } = pending;
      result.hidden = false;
      result.dataset.state = 'running';
      result.replaceChildren(el('p', { text: `Running ${action}…` }));
      const url = `${path()}/actions/${encodeURIComponent(action)}/run`;
      const run = await act(button, () => api('POST', url, { confirm: true }, { timeoutMs: ACTION_TIMEOUT_MS }));
      if (!ctx.alive) return;
      if (!run) {
        result.hidden = true;
        return;
      }
      showResult(result, action, run);
      announce(`${action} ${run.ok ? 'succeeded' : 'failed'}.`);
      if (button.isConnected) button.focus();
    });

    // run: {ok, http_status, duration_ms, error, excerpt, method, url} (secrets redacted).
    function showResult(result, action, run) {
      const how = [run.http_status ? `HTTP ${run.http_status}` : '', run.duration_ms !== undefined ? `${run.duration_ms} ms` : '']
        .filter(Boolean)
        .join(', ');
      result.dataset.state = run.ok ? 'ok' : 'failed';
      const lines = [
        el(
          'p',
          { className: 'action-result-line', dataset: { testid: 'action-result-line' } },
          el('strong', { text: run.ok ? `${action} succeeded` : `${action} failed` }),
          how ? ` (${how})` : '',
        ),
      ];
      if (run.method && run.url) lines.push(el('p', { className: 'hint', text: `${run.method} ${run.url}` }));
      if (!run.ok && run.error) lines.push(el('p', { className: 'action-error', text: run.error, dataset: { testid: 'action-error' } }));
      if (run.excerpt) lines.push(el('pre', { className: 'action-excerpt', text: run.excerpt, dataset: { testid: 'action-excerpt' } }));
      result.replaceChildren(...lines);
    }

    // ---- the update composer

    const checkedAudiences = () => UPDATE_AUDIENCES.map(([a]) => a).filter((a) => composer.audiences.get(a).input.checked);
    const draftAudience = () => DRAFT_ORDER.find((a) => composer.audiences.get(a).input.checked) || 'internal_chat';
    // The user changed the subject or the text since the last draft (or typed without one).
    const edited = () => {
      const last = composer.last || { subject: '', body: '' };
      return updateText.value !== last.body || composer.subject.value !== last.subject;
    };

    // The preview shows what will go out: the subject and the text as plain text, its line
    // breaks kept (textContent only), and where the text came from.
    function fillPreview() {
      const last = composer.last;
      const subject = composer.subject.value.trim();
      composer.previewSubject.textContent = subject;
      composer.previewSubject.hidden = !subject;
      setText(composer.previewBody, updateText.value, 'Nothing to publish yet: draft from a template or write the update.');
      let note = '';
      if (last) {
        const from = last.template ? `the template ${last.template}` : 'the built-in template';
        note = `Drafted from ${from} (${kindLabel(last.kind)}, ${audienceLabel(last.audience)})${edited() ? ', then edited' : ''}.`;
      }
      composer.previewNote.textContent = note;
      composer.previewNote.hidden = !note;
    }

    function kindLabel(kind) {
      const found = UPDATE_KINDS.find(([value]) => value === kind);
      return found ? found[1].toLowerCase() : humanize(kind);
    }

    // POST .../compose for the audience the draft is for; fills the fields unless `auto` and
    // the user edited them meanwhile.
    async function compose(auto) {
      const seq = ++composer.seq;
      const audience = draftAudience();
      const body = { audience };
      if (composer.kindChosen) body.kind = composer.kind.value;
      const draft = await act(composer.draft, () => api('POST', `${path()}/compose`, body), {
        audience: 'update-audiences',
        kind: 'update-kind',
        template: 'update-kind',
      });
      if (!draft || !ctx.alive || seq !== composer.seq) return;
      if (auto && edited()) return;
      composer.last = { kind: draft.kind, audience: draft.audience, template: draft.template || null, subject: draft.subject || '', body: draft.body || '' };
      composer.kind.value = draft.kind;
      composer.subject.value = composer.last.subject;
      updateText.value = composer.last.body;
      composer.source.textContent = `Draft for ${audienceLabel(draft.audience)}, from ${draft.template ? `the template ${draft.template}` : 'the built-in template'}.`;
      composer.source.dataset.template = draft.template || '';
      fillPreview();
      if (!auto) announce(`Drafted ${kindLabel(draft.kind)} for ${audienceLabel(draft.audience)}.`);
    }

    // A new kind or audience drafts again by itself, but never over the user's own text.
    function autoCompose() {
      if (edited()) return;
      const last = composer.last;
      if (last && last.audience === draftAudience() && (!composer.kindChosen || last.kind === composer.kind.value)) return;
      compose(true);
    }

    function closeRedraft() {
      composer.confirm.hidden = true;
    }

    composer.draft.addEventListener('click', () => {
      if (!edited()) {
        closeRedraft();
        compose(false);
        return;
      }
      composer.confirm.hidden = false;
      composer.confirmText.focus();
    });
    composer.confirmYes.addEventListener('click', () => {
      closeRedraft();
      compose(false);
      composer.draft.focus();
    });
    composer.confirmNo.addEventListener('click', () => {
      closeRedraft();
      updateText.focus();
    });
    composer.kind.addEventListener('change', () => {
      composer.kindChosen = true;
      composer.kindHint.textContent = 'Your choice (the draft follows it).';
      autoCompose();
    });
    for (const { input } of composer.audiences.values()) input.addEventListener('change', autoCompose);
    updateText.addEventListener('input', fillPreview);
    composer.subject.addEventListener('input', fillPreview);
    fillPreview();

    function resetComposer() {
      updateText.value = '';
      composer.subject.value = '';
      for (const { input } of composer.audiences.values()) input.checked = false;
      composer.last = null;
      composer.kindChosen = false;
      composer.kindHint.textContent = 'Chosen from the incident until you pick one.';
      composer.source.textContent = '';
      closeRedraft();
      fillPreview();
    }

    updateForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const fieldMap = { text: 'update-text', subject: 'update-subject', audiences: 'update-audiences' };
      if (!updateText.value.trim()) {
        showError({ status: 0, problem: { title: 'Cannot publish an empty update', errors: [{ field: '/text', message: 'is required' }] } }, fieldMap);
        updateText.focus();
        return;
      }
      const body = { text: updateText.value, audiences: checkedAudiences() };
      if (composer.subject.value.trim()) body.subject = composer.subject.value.trim();
      const posted = await act(event.submitter || updateForm.querySelector('button[type="submit"]'), () => api('POST', `${path()}/updates`, body), fieldMap);
      if (!posted || !ctx.alive) return;
      resetComposer();
      if (pb.data && pb.data.updates) {
        pb.data.updates = { ...pb.data.updates, next_due_at: posted.next_due_at || null, state: posted.next_due_at ? 'ok' : 'none', count: posted.update_number };
        tick();
      }
      const to = (Array.isArray(posted.audiences) ? posted.audiences : ['internal']).map(audienceLabel);
      const publicNote = posted.status_page ? ` The status page shows it (${humanize(posted.status_page.status)}).` : '';
      const next = posted.next_due_at ? ` The next is due ${formatDayTime(posted.next_due_at)}.` : '';
      composer.result.textContent = `Update #${posted.update_number} published to: ${to.join(', ')}.${publicNote}${next}`;
      composer.result.hidden = false;
      announce(`Posted update #${posted.update_number}${posted.next_due_at ? `; the next is due ${formatDayTime(posted.next_due_at)}` : ''}.`);
      refresh();
    });

    // ---- forms

    warRoom.form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const link = warRoom.input.value.trim();
      const saved = await act(warRoom.save, () => api('PUT', `${path()}/war-room`, { link }), { link: 'war-room-link-input', name: 'war-room-link-input' });
      if (!saved || !ctx.alive) return;
      warRoom.input.value = saved.link || '';
      fillWarRoom(saved.name || '', saved.link || '', pb.incident);
      if (pb.data) pb.data = { ...pb.data, war_room: saved.name || '', war_room_link: saved.link || null };
      announce(saved.link ? `War room link saved: ${saved.link}` : 'War room link removed.');
      refresh();
    });

    momentForm.addEventListener('submit', (event) => event.preventDefault());
    for (const button of momentForm.querySelectorAll('button[data-moment]')) {
      button.addEventListener('click', async () => {
        const moment = button.dataset.moment;
        const body = { moment };
        if (momentNote.value.trim()) body.note = momentNote.value;
        const marked = await act(button, () => api('POST', `${path()}/moments`, body), { note: 'moment-note' });
        if (!marked || !ctx.alive) return;
        momentNote.value = '';
        fillMoments({ moments: [{ ...marked, by: state.user ? state.user.username : '' }] });
        announce(`${momentLabel(moment)} marked at ${formatDayTime(marked.at)}.`);
        refresh();
      });
    }

    if (canAct) {
      loadUsers()
        .then((users) => {
          if (!ctx.alive) return;
          pb.users = users;
          for (const row of pb.roleRows.values()) if (row.select) fillUserOptions(row.select);
        })
        .catch(() => {});
    }
    const ticker = setInterval(tick, 1000);

    return {
      // incident: GET incident (with "playbook") or an action's answer (without: kept as is).
      fill(incident) {
        describeSeverity();
        if (!incident.playbook) return;
        const p = incident.playbook;
        pb.data = p;
        pb.incident = incident;
        for (const node of [panel, momentsPanel]) node.hidden = false;
        fillLevel(p, incident);
        fillTargets(p);
        fillUpdates(p, incident);
        fillExtras(p, incident);
        fillMoments(p);
        fillRunbook(p.runbook);
        if (Array.isArray(p.roles)) renderRoles(p.roles);
      },
      mergeRoles,
      noteType: () => noteType.value,
      resetNoteType() {
        noteType.value = 'note';
      },
      cleanup() {
        clearInterval(ticker);
      },
    };
  }

  function incidentView(id) {
    document.title = 'Incident · Klaxon';
    const ctx = { alive: true, incident: null, seqs: new Set(), first: true };
    main().replaceChildren(el('p', { className: 'loading', text: 'Loading incident…' }));

    let page = null;
    let playbook = null;
    let reviewPanel = null;
    let itemsPanel = null;
    let noise = null;
    const q = (sel) => page.querySelector(sel);

    function build() {
      main().replaceChildren(cloneTemplate('tpl-incident'));
      page = main().querySelector('[data-testid="incident-detail"]');
      playbook = playbookPanels(page, ctx, id, () => refresh());
      reviewPanel = incidentReviewPanel(ctx, id);
      const mainColumn = q('.incident-main');
      const details = mainColumn && mainColumn.querySelector('section.panel');
      if (details) details.after(reviewPanel.node);
      else if (mainColumn) mainColumn.prepend(reviewPanel.node);
      // Action items are follow-ups: after the timeline (the review panel is near the top).
      itemsPanel = actionItemsPanel(() => (ctx.incident ? ctx.incident.id : id), { source: 'incident', idPrefix: 'ai' });
      const timeline = q('[data-testid="timeline"]');
      const timelinePanel = timeline && timeline.closest('section');
      if (timelinePanel) timelinePanel.after(itemsPanel.node);
      else reviewPanel.node.after(itemsPanel.node);
      const canAct = state.user && state.user.role !== 'viewer';
      q('[data-field="readonly-note"]').hidden = canAct;
      for (const control of page.querySelectorAll('.incident-side .control')) {
        if (!canAct) control.hidden = true;
      }
      noise = incidentNoise(ctx, id, (incident) => applyIncident(incident));
      q('.incident-badges').append(...noise.badges);
      if (noise.control) {
        const respond = q('#respond-heading');
        if (respond) respond.closest('section').append(noise.control);
      }

      const severitySelect = q('#severity-select');
      loadSeverities()
        .then((severities) => {
          if (!ctx.alive) return;
          for (const sev of severities) {
            severitySelect.append(severityOption(sev));
          }
          if (ctx.incident) fill(ctx.incident);
        })
        .catch(() => {});

      q('#ack-button').addEventListener('click', async (event) => {
        const result = await act(event.currentTarget, () => api('POST', `${incidentPath(id)}/acknowledge`, {}));
        if (result) {
          applyIncident(result);
          const next = q('#status-select');
          if (next && !q('#status-form').hidden) next.focus();
        }
      });

      q('#status-form').addEventListener('submit', async (event) => {
        event.preventDefault();
        const body = { status: q('#status-select').value };
        const message = q('#status-message').value.trim();
        if (message) body.message = message;
        const result = await act(event.submitter || q('[data-testid="status-submit"]'), () => api('POST', `${incidentPath(id)}/status`, body), {
          status: 'status-select',
          message: 'status-message',
        });
        if (result) {
          q('#status-message').value = '';
          applyIncident(result);
        }
      });

      q('#severity-form').addEventListener('submit', async (event) => {
        event.preventDefault();
        const body = { severity: q('#severity-select').value };
        const reason = q('#severity-reason').value.trim();
        if (reason) body.reason = reason;
        const result = await act(
          event.submitter || q('[data-testid="severity-submit"]'),
          () => api('POST', `${incidentPath(id)}/severity`, body),
          { severity: 'severity-select', reason: 'severity-reason' },
        );
        if (result) {
          q('#severity-reason').value = '';
          applyIncident(result);
        }
      });

      q('#note-form').addEventListener('submit', async (event) => {
        event.preventDefault();
        const textarea = q('#note-text');
        if (!textarea.value.trim()) {
          showError({ status: 0, problem: { title: 'Cannot add an empty note', errors: [{ field: '/text', message: 'is required' }] } }, { text: 'note-text' });
          textarea.focus();
          return;
        }
        const created = await act(
          event.submitter || q('[data-testid="note-submit"]'),
          () => api('POST', `${incidentPath(id)}/notes`, { text: textarea.value, type: playbook.noteType() }),
          { text: 'note-text', type: 'note-type' },
        );
        if (created) {
          textarea.value = '';
          playbook.resetNoteType();
          if (created.seq !== undefined && created.kind) addTimeline([created]);
          refresh();
        }
      });

      q('#resolve-form').addEventListener('submit', async (event) => {
        event.preventDefault();
        const body = {};
        const summary = q('#resolve-summary').value.trim();
        if (summary) body.summary = q('#resolve-summary').value;
        const result = await act(event.submitter || q('[data-testid="resolve-submit"]'), () => api('POST', `${incidentPath(id)}/resolve`, body), {
          summary: 'resolve-summary',
        });
        if (result) {
          q('#resolve-summary').value = '';
          applyIncident(result);
          const reopen = q('[data-testid="reopen-submit"]');
          if (reopen && !q('#reopen-form').hidden) reopen.focus();
        }
      });

      q('[data-testid="escalate-button"]').addEventListener('click', async (event) => {
        const result = await act(event.currentTarget, () => api('POST', `${incidentPath(id)}/escalate`, {}));
        if (result && ctx.alive) {
          fillEscalation(result);
          announce(`Escalated: step ${result.step || 1} paged.`);
          refreshPanels();
        }
      });

      q('[data-testid="repage-button"]').addEventListener('click', async (event) => {
        const result = await act(event.currentTarget, () => api('POST', `${incidentPath(id)}/repage`, {}));
        if (result && ctx.alive) {
          fillEscalation(result);
          announce(`Re-paged step ${result.step || 1}.`);
          refreshPanels();
        }
      });

      q('#role-form').addEventListener('submit', async (event) => {
        event.preventDefault();
        const roleInput = q('#role-name');
        const userSelect = q('#role-user');
        const role = roleInput.value.trim();
        if (!role || !userSelect.value) {
          showError(
            {
              status: 0,
              problem: {
                title: 'Cannot assign the role yet',
                errors: [
                  ...(!role ? [{ field: '/role', message: 'is required' }] : []),
                  ...(!userSelect.value ? [{ field: '/user', message: 'is required' }] : []),
                ],
              },
            },
            { role: 'role-name', user: 'role-user' },
          );
          (role ? userSelect : roleInput).focus();
          return;
        }
        const result = await act(
          event.submitter || q('[data-testid="role-submit"]'),
          () => api('PUT', `${incidentPath(id)}/roles/${encodeURIComponent(role)}`, { user: userSelect.value }),
          { role: 'role-name', user: 'role-user' },
        );
        if (result && ctx.alive) {
          roleInput.value = '';
          fillRoles(result);
          announce(`Assigned ${role}.`);
        }
      });

      if (canAct) {
        loadUsers()
          .then((users) => {
            if (!ctx.alive) return;
            const select = q('#role-user');
            for (const user of users) select.append(el('option', { value: user.username, text: userLabel(user) }));
            if (state.user) select.value = state.user.username;
          })
          .catch(() => {});
      }

      q('#reopen-form').addEventListener('submit', async (event) => {
        event.preventDefault();
        const body = {};
        const reason = q('#reopen-reason').value.trim();
        if (reason) body.reason = reason;
        const result = await act(event.submitter || q('[data-testid="reopen-submit"]'), () => api('POST', `${incidentPath(id)}/reopen`, body), {
          reason: 'reopen-reason',
        });
        if (result) {
          q('#reopen-reason').value = '';
          applyIncident(result);
          q('#ack-button').focus();
        }
      });
    }

    function fill(incident) {
      const previous = ctx.incident;
      ctx.incident = incident;
      document.title = `${incident.ref} ${incident.title} · Klaxon`;
      page.dataset.incidentId = String(incident.id);
      page.dataset.status = incident.status;
      q('[data-testid="detail-ref"]').textContent = incident.ref;
      q('[data-testid="detail-title"]').textContent = incident.title;
      const sev = q('[data-testid="detail-severity"]');
      sev.textContent = incident.severity;
      sev.dataset.rank = severityRank(incident.severity);
      const status = q('[data-testid="detail-status"]');
      status.textContent = incident.status;
      status.dataset.status = incident.status;

      setText(q('[data-field="service"]'), incident.service ? incident.service.name : '', 'None');
      const timeText = (v) => (v ? `${formatTime(v)} (${formatAge(v, serverNow())})` : '');
      setText(q('[data-field="created"]'), timeText(incident.created_at), '—');
      setText(q('[data-field="created_by"]'), incident.created_by, '—');
      setText(q('[data-field="acknowledged"]'), timeText(incident.acknowledged_at), 'Not yet');
      setText(q('[data-field="resolved"]'), timeText(incident.resolved_at), 'Not yet');
      setText(q('[data-field="updated"]'), timeText(incident.updated_at), '—');
      setText(q('[data-field="description"]'), incident.description, 'No description.');
      setText(q('[data-field="impact"]'), incident.impact, 'No impact statement.');
      q('[data-field="resolution-block"]').hidden = !incident.resolution_summary;
      setText(q('[data-field="resolution"]'), incident.resolution_summary);

      const resolved = incident.status === 'resolved';
      q('[data-field="ack-block"]').hidden = incident.status !== 'triggered' || state.user.role === 'viewer';
      q('#status-form').hidden = resolved || state.user.role === 'viewer';
      q('#resolve-form').hidden = resolved || state.user.role === 'viewer';
      q('#reopen-form').hidden = !resolved || state.user.role === 'viewer';
      q('[data-field="esc-actions"]').hidden = resolved || state.user.role === 'viewer';

      // Status select: only the legal moves (docs/api.md); default to the next one.
      const statusSelect = q('#status-select');
      const legal = legalStatusTargets(incident.status);
      for (const option of statusSelect.options) option.disabled = !legal.includes(option.value);
      if (!previous || previous.status !== incident.status || statusSelect.selectedOptions[0]?.disabled) {
        const idx = STATUSES.indexOf(incident.status);
        const next = legal.find((s) => STATUSES.indexOf(s) > idx) || legal[0];
        if (next) statusSelect.value = next;
      }
      // Severity select: every other level; default to the adjacent more severe one.
      const severitySelect = q('#severity-select');
      const options = [...severitySelect.options];
      for (const option of options) option.disabled = option.value === incident.severity;
      if (!previous || previous.severity !== incident.severity || !severitySelect.value || severitySelect.selectedOptions[0]?.disabled) {
        const current = options.findIndex((o) => o.value === incident.severity);
        const other = options[current - 1] || options[current + 1] || options.find((o) => !o.disabled);
        if (other) severitySelect.value = other.value;
      }

      if (previous && previous.status !== incident.status) announce(`${incident.ref} is now ${incident.status}.`);
      else if (previous && previous.severity !== incident.severity) announce(`${incident.ref} is now ${incident.severity}.`);

      if (Array.isArray(incident.timeline)) addTimeline(incident.timeline);
      playbook.fill(incident);
      if (noise) noise.fill(incident);
      if (reviewPanel) reviewPanel.refresh();
    }

    function addTimeline(events) {
      const list = q('[data-testid="timeline"]');
      const fresh = events.filter((ev) => !ctx.seqs.has(String(ev.seq))).sort((a, b) => Number(a.seq) - Number(b.seq));
      for (const ev of fresh) {
        ctx.seqs.add(String(ev.seq));
        const li = timelineEntry(ev, !ctx.first);
        // Keep seq order even if an entry arrives out of order.
        let before = null;
        for (const existing of list.children) {
          if (Number(existing.dataset.seq) > Number(ev.seq)) {
            before = existing;
            break;
          }
        }
        list.insertBefore(li, before);
      }
    }

    // ---- escalation, roles and notifications panels

    function fillEscalation(esc) {
      if (!page || !esc) return;
      const panel = q('[data-testid="escalation-panel"]');
      panel.dataset.state = esc.state || 'none';
      setText(q('[data-field="esc-policy"]'), esc.policy ? esc.policy.name : '', 'None: nobody is paged');
      const badge = q('[data-field="esc-state"]');
      badge.textContent = esc.state || 'none';
      badge.dataset.state = esc.state || 'none';
      const steps = Number(esc.steps || 0);
      let stepText = '';
      if (Number(esc.step) > 0) {
        stepText = `Step ${esc.step}${steps ? ` of ${steps}` : ''} paged`;
        if (Number(esc.repeat) > 0) stepText += ` (repeat ${esc.repeat})`;
      }
      setText(q('[data-field="esc-step"]'), stepText, esc.state === 'none' ? '—' : 'Not paged yet');
      let nextText = '';
      if (esc.next_at) {
        const when = `${formatRelative(esc.next_at, serverNow())} (${formatTime(esc.next_at)})`;
        nextText = esc.next_step ? `Step ${esc.next_step} ${when}` : `None left; paging ends ${when}`;
      }
      setText(q('[data-field="esc-next"]'), nextText, esc.state === 'exhausted' ? 'None: all steps paged' : '—');
    }

    // The role list is the playbook's (see playbookPanels); this brings in who holds which.
    function fillRoles(data) {
      if (page) playbook.mergeRoles(data);
    }

    function fillNotifications(data) {
      if (!page) return;
      const items = (data && data.items) || [];
      const body = q('[data-testid="notification-list"]');
      body.replaceChildren(...items.map((n) => notificationRow(n, false)));
      q('[data-testid="notification-table"]').hidden = items.length === 0;
      q('[data-testid="notifications-empty"]').hidden = items.length > 0;
    }

    async function loadPanels() {
      if (!ctx.alive || !page) return;
      const incidentId = ctx.incident ? ctx.incident.id : id;
      const [esc, roles, notes] = await Promise.allSettled([
        api('GET', `${incidentPath(incidentId)}/escalation`),
        api('GET', `${incidentPath(incidentId)}/roles`),
        api('GET', `/notifications?incident=${encodeURIComponent(incidentId)}`),
      ]);
      if (!ctx.alive) return;
      if (esc.status === 'fulfilled') fillEscalation(esc.value);
      if (roles.status === 'fulfilled') fillRoles(roles.value);
      if (notes.status === 'fulfilled') fillNotifications(notes.value);
    }
    const refreshPanels = debounce(loadPanels, 200);

    // Applies an incident returned by an action (no timeline), then re-fetches for it.
    function applyIncident(incident) {
      if (!ctx.alive) return;
      if (!Array.isArray(incident.timeline) && ctx.incident && Array.isArray(ctx.incident.timeline)) {
        incident = { ...incident, timeline: [] };
      }
      fill(incident);
      refresh();
    }

    async function fetchIncident() {
      try {
        const [incident] = await Promise.all([api('GET', incidentPath(id)), syncServerClock()]);
        if (!ctx.alive) return;
        if (!page) build();
        fill(incident);
        if (ctx.first) {
          ctx.first = false;
          focusHeading();
          loadPanels();
        }
      } catch (err) {
        if (!ctx.alive) return;
        if (err instanceof ApiError && err.status === 404 && !page) {
          notFoundView(`There is no incident INC-${id}.`);
          ctx.alive = false;
        } else if (!(err && err.sessionEnded)) {
          if (!page) main().replaceChildren(el('p', { className: 'empty', text: 'The incident could not be loaded.' }));
          showError(err);
        }
      }
    }
    const refresh = debounce(fetchIncident, 100);

    fetchIncident();
    // Delivery attempts and countdowns change without events: look again now and then.
    const poll = setInterval(() => {
      if (ctx.incident && document.visibilityState !== 'hidden') refreshPanels();
    }, 15000);

    return {
      cleanup() {
        ctx.alive = false;
        refresh.cancel();
        refreshPanels.cancel();
        clearInterval(poll);
        if (playbook) playbook.cleanup();
        if (reviewPanel) reviewPanel.cleanup();
        if (itemsPanel) itemsPanel.cleanup();
      },
      onEvent(event) {
        // A moved (manual) clock changes the countdowns and may have made targets due.
        if (event.kind === 'clock.advanced' && ctx.incident) {
          refresh();
          if (itemsPanel) itemsPanel.refresh();
        }
        if (event.incident_id === null || event.incident_id === undefined) return;
        if (String(event.incident_id) !== String(ctx.incident ? ctx.incident.id : id)) return;
        if (ctx.incident && event.seq !== undefined && event.kind) addTimeline([event]);
        const kind = String(event.kind || '');
        if (kind.startsWith('action_item.')) {
          if (itemsPanel) itemsPanel.refresh();
          return;
        }
        const paging = kind.startsWith('escalation.') || kind.startsWith('notification.');
        if (!paging) refresh();
        if (paging || kind.startsWith('incident.')) refreshPanels();
      },
      onStreamOpen() {
        if (ctx.incident) {
          refresh();
          refreshPanels();
          if (itemsPanel) itemsPanel.refresh();
        }
      },
    };
  }

  // ---------------------------------------------------------------- post-incident reviews

  const REVIEW_STATES = { draft: 'Draft', in_review: 'In review', published: 'Published' };
  const REVIEW_SECTIONS = [
    ['root_cause', 'Root cause'],
    ['contributing_factors', 'Contributing factors'],
    ['went_well', 'What went well'],
    ['went_wrong', 'What went wrong'],
    ['lucky', 'Where we got lucky'],
    ['lessons', 'Lessons and follow-ups'],
  ];
  const reviewPath = (incidentId) => `${incidentPath(incidentId)}/review`;

  function reviewStateBadge(stateName) {
    return el('span', {
      className: 'badge review-state',
      text: REVIEW_STATES[stateName] || stateName || '—',
      dataset: { state: stateName || '', testid: 'review-state' },
    });
  }

  // "Due Tue, Nov 26, 14:00" plus an Overdue badge.
  function reviewDue(review, testid = 'review-due') {
    const node = el('span', { className: 'review-due', dataset: { testid } });
    if (!review.due_at) {
      node.append(el('span', { className: 'muted', text: 'No deadline' }));
      return node;
    }
    node.append(el('time', { dateTime: review.due_at, title: formatTime(review.due_at), text: `Due ${formatDayTime(review.due_at)}` }));
    if (review.overdue) node.append(' ', el('span', { className: 'badge overdue', text: 'Overdue', dataset: { testid: 'review-overdue' } }));
    return node;
  }

  function reviewReviewerItems(review) {
    return (review.reviewers || []).map((r) =>
      el(
        'li',
        { dataset: { testid: 'review-reviewer', username: r.username, approved: r.approved_at ? 'yes' : 'no' } },
        el('span', { className: 'review-reviewer-name', text: r.username }),
        ' ',
        r.approved_at
          ? el('span', { className: 'badge approved', title: formatTime(r.approved_at), text: `Approved ${formatDayTime(r.approved_at)}` })
          : el('span', { className: 'badge waiting', text: 'Waiting' }),
        r.comment ? el('span', { className: 'review-comment', dataset: { testid: 'review-reviewer-comment' }, text: ` “${r.comment}”` }) : null,
      ),
    );
  }

  // The incident page's Review panel: shown once the incident is resolved or has a review.
  // refresh() re-reads the review (debounced); the incident view calls it on every fill.
  function incidentReviewPanel(ctx, id) {
    const live = { alive: true, generation: 0 };
    const heading = el('h2', { id: 'review-panel-heading', text: 'Post-incident review' });
    const body = el('div', { className: 'review-panel-body' });
    const node = el('section', { className: 'panel review-panel', hidden: true, 'aria-labelledby': heading.id, dataset: { testid: 'review-panel' } }, heading, body);
    const incidentId = () => (ctx.incident ? ctx.incident.id : id);

    function show(review) {
      node.hidden = false;
      node.dataset.state = review.state;
      const owner = review.owner ? userLabel(review.owner) : '';
      const reviewers = reviewReviewerItems(review);
      body.replaceChildren(
        el(
          'dl',
          { className: 'details' },
          el('dt', { text: 'State' }),
          el('dd', {}, reviewStateBadge(review.state)),
          el('dt', { text: 'Owner' }),
          el('dd', { dataset: { testid: 'review-owner' }, className: owner ? null : 'empty-value', text: owner || 'Nobody' }),
          el('dt', { text: 'Deadline' }),
          el('dd', {}, reviewDue(review)),
          el('dt', { text: 'Reviewers' }),
          el('dd', {}, reviewers.length ? el('ul', { className: 'review-reviewers', dataset: { testid: 'review-reviewers' } }, ...reviewers) : el('span', { className: 'muted', text: 'None yet' })),
        ),
        el(
          'p',
          { className: 'actions' },
          el('a', {
            href: `/ui/incidents/${incidentId()}/review`,
            className: 'button button-secondary',
            dataset: { link: '', testid: 'review-open-link' },
            text: review.state === 'published' ? 'Read the review' : 'Open the review',
          }),
        ),
      );
    }

    function showNone() {
      const resolved = ctx.incident && ctx.incident.status === 'resolved';
      node.hidden = !resolved;
      node.dataset.state = 'none';
      if (!resolved) return;
      const children = [el('p', { className: 'muted', dataset: { testid: 'review-none' }, text: 'This incident has no review yet.' })];
      if (canRespond()) {
        const open = el('button', { type: 'button', className: 'button-secondary', text: 'Open review', dataset: { testid: 'review-create' } });
        open.addEventListener('click', async () => {
          const created = await act(open, () => api('POST', reviewPath(incidentId()), {}));
          if (created && live.alive) {
            announce('Review opened.');
            show(created);
          }
        });
        children.push(el('p', { className: 'actions' }, open));
      }
      body.replaceChildren(...children);
    }

    async function load() {
      if (!live.alive || !ctx.alive) return;
      const generation = ++live.generation;
      try {
        const review = await api('GET', reviewPath(incidentId()));
        if (!live.alive || generation !== live.generation) return;
        show(review);
      } catch (err) {
        if (!live.alive || generation !== live.generation) return;
        if (err instanceof ApiError && err.status === 404) showNone();
        // Other errors: keep what is shown; the next refresh tries again.
      }
    }
    const refresh = debounce(load, 150);

    return {
      node,
      refresh,
      cleanup() {
        live.alive = false;
        refresh.cancel();
      },
    };
  }

  // /ui/reviews: every review, filtered by state, "mine" (owner=me) and overdue.
  function reviewsView() {
    document.title = 'Reviews · Klaxon';
    const ctx = { alive: true, generation: 0 };
    const params = new URLSearchParams(location.search);
    const stateSelect = el(
      'select',
      { id: 'review-filter-state', dataset: { testid: 'review-filter-state' } },
      el('option', { value: '', text: 'Any' }),
      ...Object.entries(REVIEW_STATES).map(([value, text]) => el('option', { value, text })),
    );
    stateSelect.value = params.get('state') || '';
    if (stateSelect.selectedIndex < 0) stateSelect.value = '';
    const mine = el('input', { type: 'checkbox', id: 'review-filter-mine', dataset: { testid: 'review-filter-mine' } });
    mine.checked = params.get('owner') === 'me';
    const overdue = el('input', { type: 'checkbox', id: 'review-filter-overdue', dataset: { testid: 'review-filter-overdue' } });
    overdue.checked = params.get('overdue') === 'true';
    const form = el(
      'form',
      { className: 'filters', role: 'search', 'aria-label': 'Filter reviews', dataset: { testid: 'review-filters' } },
      labelledField('State', stateSelect),
      el('div', { className: 'field check' }, el('label', { for: mine.id }, mine, ' Mine only')),
      el('div', { className: 'field check' }, el('label', { for: overdue.id }, overdue, ' Overdue only')),
    );
    const summary = el('p', { className: 'muted', 'aria-live': 'polite', dataset: { testid: 'review-summary' } });
    const list = el('ol', { className: 'review-list', 'aria-labelledby': 'reviews-heading', dataset: { testid: 'review-list' } });
    const empty = el('p', { className: 'empty', hidden: true, dataset: { testid: 'review-list-empty' }, text: 'No reviews match.' });
    main().replaceChildren(
      el(
        'section',
        { className: 'reviews-page', dataset: { testid: 'reviews' } },
        el('div', { className: 'section-head' }, el('h1', { id: 'reviews-heading', text: 'Post-incident reviews' })),
        el('p', { className: 'hint', text: 'Resolving an incident whose level requires a review opens one; its owner writes it, reviewers approve it, then it is published.' }),
        form,
        summary,
        list,
        empty,
      ),
    );

    function query() {
      const qs = new URLSearchParams();
      if (stateSelect.value) qs.set('state', stateSelect.value);
      if (mine.checked) qs.set('owner', 'me');
      if (overdue.checked) qs.set('overdue', 'true');
      return qs.toString();
    }

    function row(review) {
      const inc = review.incident || {};
      const ref = inc.ref || `INC-${inc.id}`;
      const owner = review.owner ? userLabel(review.owner) : '';
      return el(
        'li',
        { className: 'review-row', dataset: { testid: 'review-row', incidentId: String(inc.id), state: review.state, overdue: review.overdue ? 'yes' : 'no' } },
        el(
          'a',
          { className: 'review-row-link', href: `/ui/incidents/${inc.id}/review`, dataset: { link: '', testid: 'review-row-link' } },
          el('span', { className: 'row-ref', dataset: { testid: 'review-row-ref' }, text: ref }),
          ' ',
          el('span', { className: 'row-title', dataset: { testid: 'review-row-title' }, text: inc.title || '' }),
        ),
        el(
          'span',
          { className: 'row-meta' },
          inc.severity ? el('span', { className: 'badge severity', dataset: { rank: severityRank(inc.severity) }, text: inc.severity }) : null,
          reviewStateBadge(review.state),
          el('span', { className: owner ? 'review-row-owner' : 'review-row-owner muted', dataset: { testid: 'review-row-owner' }, text: owner ? `Owner: ${owner}` : 'No owner' }),
          review.state === 'published' && review.published_at
            ? el('span', { className: 'review-due', dataset: { testid: 'review-row-due' }, text: `Published ${formatDayTime(review.published_at)}` })
            : reviewDue(review, 'review-row-due'),
        ),
      );
    }

    async function load() {
      const generation = ++ctx.generation;
      list.setAttribute('aria-busy', 'true');
      try {
        const data = await api('GET', `/reviews${query() ? `?${query()}` : ''}`);
        if (!ctx.alive || generation !== ctx.generation) return;
        const items = data.items || [];
        list.replaceChildren(...items.map(row));
        empty.hidden = items.length > 0;
        summary.textContent = items.length ? `${items.length} review${items.length === 1 ? '' : 's'}.` : '';
      } catch (err) {
        if (ctx.alive && !(err && err.sessionEnded)) showError(err);
      } finally {
        if (ctx.alive && generation === ctx.generation) list.removeAttribute('aria-busy');
      }
    }

    const view = liveView(ctx, load, { kinds: /^(review\.|incident\.(resolved|reopened|review_due)$|clock\.advanced$)/, everyMs: 60000 });
    const apply = () => {
      const qs = query();
      history.replaceState(null, '', `/ui/reviews${qs ? `?${qs}` : ''}`);
      view.reload();
    };
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      apply();
    });
    for (const control of [stateSelect, mine, overdue]) control.addEventListener('change', apply);
    loadSeverities()
      .then(() => {
        if (!ctx.alive) return;
        for (const badge of list.querySelectorAll('.badge.severity')) badge.dataset.rank = severityRank(badge.textContent);
      })
      .catch(() => {});
    focusHeading();
    return view;
  }

  // /ui/incidents/{id}/review: the review's editor, its steps and the rendered document.
  // A live reload never overwrites what someone is typing: a field takes the server's value
  // only while it still holds the last one loaded, and the version edits are based on
  // stays that of the text being edited (saving over someone else's change is a 409).
  function reviewView(id) {
    document.title = 'Review · Klaxon';
    const ctx = { alive: true, generation: 0, review: null, loaded: null, baseVersion: null };
    const canAct = canRespond();
    main().replaceChildren(el('p', { className: 'loading', text: 'Loading the review…' }));
    let ui = null;

    const fieldMap = { reviewers: 'review-reviewers', public_text: 'review-public-text', owner: 'review-owner-input' };
    for (const [key] of REVIEW_SECTIONS) fieldMap[`sections/${key}`] = `review-section-${key}`;

    function build() {
      const heading = el('h1', { id: 'review-heading' }, el('span', { className: 'incident-ref', dataset: { testid: 'review-ref' } }), ' ', el('span', { dataset: { testid: 'review-title' } }));
      const meta = el('dl', { className: 'details', dataset: { testid: 'review-meta' } });
      const sections = {};
      const sectionFields = REVIEW_SECTIONS.map(([key, label]) => {
        const area = el('textarea', { id: `review-section-${key}`, rows: '4', maxlength: '20000', dataset: { testid: `review-section-${key}`, section: key } });
        sections[key] = area;
        return labelledField(label, area);
      });
      const publicText = el('textarea', { id: 'review-public-text', rows: '4', dataset: { testid: 'review-public-text' } });
      const reviewers = el('input', {
        id: 'review-reviewers',
        type: 'text',
        autocapitalize: 'none',
        spellcheck: 'false',
        autocomplete: 'off',
        placeholder: 'alice, bob',
        dataset: { testid: 'review-reviewers-input' },
      });
      const owner = el('input', {
        id: 'review-owner-input',
        type: 'text',
        autocapitalize: 'none',
        spellcheck: 'false',
        autocomplete: 'off',
        dataset: { testid: 'review-owner-input' },
      });
      const save = el('button', { type: 'submit', text: 'Save', dataset: { testid: 'review-save' } });
      const saveNote = el('p', { className: 'hint', dataset: { testid: 'review-save-note' } });
      const frozenNote = el('p', { className: 'hint review-frozen', hidden: true, dataset: { testid: 'review-frozen' } });
      const form = el(
        'form',
        { className: 'review-form', noValidate: true, dataset: { testid: 'review-form' } },
        frozenNote,
        ...sectionFields,
        labelledField('Public text (for the status page)', publicText, el('p', { className: 'hint', text: 'What customers read when the review is published on the status page.' })),
        labelledField('Reviewers', reviewers, el('p', { className: 'hint', text: 'Usernames, separated by commas.' })),
        labelledField('Owner', owner, el('p', { className: 'hint', text: 'A username; the owner writes the review and is reminded of its deadline.' })),
        el('div', { className: 'actions' }, save),
        saveNote,
      );

      const comment = el('textarea', { id: 'review-comment', rows: '2', maxlength: '2000', dataset: { testid: 'review-comment' } });
      const commentField = labelledField('Comment (with an approval or a request for changes)', comment);
      const submit = el('button', { type: 'button', text: 'Submit for review', dataset: { testid: 'review-submit' } });
      const approve = el('button', { type: 'button', text: 'Approve', dataset: { testid: 'review-approve' } });
      const requestChanges = el('button', { type: 'button', className: 'button-secondary', text: 'Request changes', dataset: { testid: 'review-request-changes' } });
      const statusPage = el('input', { type: 'checkbox', id: 'review-status-page', dataset: { testid: 'review-status-page' } });
      const statusPageField = el('div', { className: 'field check' }, el('label', { for: statusPage.id }, statusPage, ' Also publish the public text on the status page'));
      const publish = el('button', { type: 'button', text: 'Publish', dataset: { testid: 'review-publish' } });
      const stepsHint = el('p', { className: 'hint', dataset: { testid: 'review-steps-hint' } });
      const steps = el(
        'section',
        { className: 'panel', 'aria-labelledby': 'review-steps-heading', dataset: { testid: 'review-steps' } },
        el('h2', { id: 'review-steps-heading', text: 'Steps' }),
        stepsHint,
        commentField,
        statusPageField,
        el('div', { className: 'actions review-step-buttons' }, submit, approve, requestChanges, publish),
      );

      const download = el('a', { className: 'button button-secondary', dataset: { testid: 'review-download' }, text: 'Download Markdown' });
      const preview = el('div', { className: 'runbook-html review-doc', dataset: { testid: 'review-preview' } });

      const page = el(
        'article',
        { className: 'review-page', 'aria-labelledby': heading.id, dataset: { testid: 'review-page' } },
        el('p', { className: 'back' }, el('a', { dataset: { link: '', testid: 'review-back' }, text: '← The incident' })),
        el('p', { className: 'back' }, el('a', { href: '/ui/reviews', dataset: { link: '', testid: 'review-all' }, text: 'All reviews' })),
        el('header', { className: 'incident-head' }, heading),
        el('div', { className: 'review-grid' },
          el(
            'div',
            { className: 'review-main' },
            el('section', { className: 'panel', 'aria-labelledby': 'review-meta-heading' }, el('h2', { id: 'review-meta-heading', text: 'Review' }), meta),
            el('section', { className: 'panel', 'aria-labelledby': 'review-edit-heading', dataset: { testid: 'review-editor' } }, el('h2', { id: 'review-edit-heading', text: 'Write' }), form),
          ),
          el(
            'div',
            { className: 'review-side' },
            steps,
            el(
              'section',
              { className: 'panel', 'aria-labelledby': 'review-doc-heading', dataset: { testid: 'review-document' } },
              el('div', { className: 'section-head' }, el('h2', { id: 'review-doc-heading', text: 'Document' }), download),
              preview,
            ),
          ),
        ),
      );
      const items = actionItemsPanel(() => (ctx.review && ctx.review.incident && ctx.review.incident.id) || id, { source: 'review', idPrefix: 'review-ai' });
      page.querySelector('.review-main').append(items.node);
      main().replaceChildren(page);
      ui = { items, page, heading, meta, sections, publicText, reviewers, owner, form, save, saveNote, frozenNote, comment, commentField, submit, approve, requestChanges, statusPage, statusPageField, publish, stepsHint, steps, download, preview };

      form.addEventListener('submit', (event) => {
        event.preventDefault();
        saveReview();
      });
      submit.addEventListener('click', () => step(submit, 'submit', {}, 'Submitted for review.'));
      approve.addEventListener('click', () => step(approve, 'approve', withComment(), 'Approved.'));
      requestChanges.addEventListener('click', () => step(requestChanges, 'request-changes', withComment(), 'Changes requested; the review is a draft again.'));
      publish.addEventListener('click', () => step(publish, 'publish', statusPage.checked ? { status_page: true } : {}, 'Published.'));
      for (const input of [...Object.values(sections), publicText, reviewers, owner]) {
        input.addEventListener('input', () => {
          ui.saveNote.textContent = isDirty() ? 'Unsaved changes.' : '';
        });
      }
    }

    function withComment() {
      const text = ui.comment.value.trim();
      return text ? { comment: text } : {};
    }

    const reviewerText = (review) => (review.reviewers || []).map((r) => r.username).join(', ');
    const valuesOf = (review) => {
      const values = { public_text: review.public_text || '', reviewers: reviewerText(review), owner: review.owner ? review.owner.username || '' : '' };
      for (const [key] of REVIEW_SECTIONS) values[`sections/${key}`] = (review.sections && review.sections[key]) || '';
      return values;
    };
    const inputs = () => {
      const map = { public_text: ui.publicText, reviewers: ui.reviewers, owner: ui.owner };
      for (const [key] of REVIEW_SECTIONS) map[`sections/${key}`] = ui.sections[key];
      return map;
    };
    function isDirty() {
      if (!ctx.loaded) return false;
      return Object.entries(inputs()).some(([key, input]) => input.value !== ctx.loaded[key]);
    }
    const parseReviewers = (text) =>
      text
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean);

    // force: take the server's values everywhere (after our own save or step).
    function fill(review, force) {
      const wasDirty = !force && isDirty();
      const values = valuesOf(review);
      for (const [key, input] of Object.entries(inputs())) {
        if (force || !ctx.loaded || input.value === ctx.loaded[key]) input.value = values[key];
      }
      ctx.loaded = values;
      if (force || !wasDirty || ctx.baseVersion === null) ctx.baseVersion = review.version;
      ctx.review = review;
      if (!isDirty()) ui.saveNote.textContent = '';

      const inc = review.incident || {};
      const ref = inc.ref || `INC-${inc.id || id}`;
      document.title = `Review ${ref} · Klaxon`;
      ui.page.dataset.state = review.state;
      ui.page.dataset.version = String(review.version);
      ui.heading.querySelector('[data-testid="review-ref"]').textContent = ref;
      ui.heading.querySelector('[data-testid="review-title"]').textContent = inc.title || '';
      const back = ui.page.querySelector('[data-testid="review-back"]');
      back.href = `/ui/incidents/${inc.id || id}`;
      back.textContent = `← ${ref}`;

      const owner = review.owner ? userLabel(review.owner) : '';
      const reviewers = reviewReviewerItems(review);
      ui.meta.replaceChildren(
        el('dt', { text: 'State' }),
        el('dd', {}, reviewStateBadge(review.state)),
        el('dt', { text: 'Owner' }),
        el('dd', { dataset: { testid: 'review-owner' }, className: owner ? null : 'empty-value', text: owner || 'Nobody' }),
        el('dt', { text: 'Deadline' }),
        el('dd', {}, reviewDue(review)),
        el('dt', { text: 'Reviewers' }),
        el('dd', {}, reviewers.length ? el('ul', { className: 'review-reviewers', dataset: { testid: 'review-reviewers' } }, ...reviewers) : el('span', { className: 'muted', text: 'None yet' })),
        ...(review.published_at ? [el('dt', { text: 'Published' }), el('dd', { dataset: { testid: 'review-published-at' }, text: formatTime(review.published_at) })] : []),
        el('dt', { text: 'Version' }),
        el('dd', { dataset: { testid: 'review-version' }, text: String(review.version) }),
      );

      // What may change in which state (the server enforces it; this only says so).
      const draft = review.state === 'draft';
      const inReview = review.state === 'in_review';
      const published = review.state === 'published';
      for (const area of [...Object.values(ui.sections), ui.publicText, ui.reviewers]) area.disabled = !canAct || !draft;
      ui.owner.disabled = !canAct || published;
      ui.save.hidden = !canAct || published;
      ui.frozenNote.hidden = draft;
      ui.frozenNote.textContent = published
        ? 'The review is published: it is final.'
        : 'The review is in review: its text and reviewers are frozen. Request changes to edit them.';

      const me = state.user ? state.user.username : '';
      const mine = (review.reviewers || []).find((r) => r.username === me);
      const waiting = (review.reviewers || []).filter((r) => !r.approved_at).map((r) => r.username);
      ui.submit.hidden = !canAct || !draft;
      ui.approve.hidden = !canAct || !inReview || !mine || !!mine.approved_at;
      ui.requestChanges.hidden = !canAct || !inReview;
      ui.publish.hidden = !canAct || !inReview;
      ui.statusPageField.hidden = !canAct || !inReview;
      ui.commentField.hidden = !canAct || !inReview;
      ui.steps.hidden = !canAct && !published;
      let hint = '';
      if (!canAct) hint = 'Your role can only read reviews.';
      else if (draft) hint = (review.reviewers || []).length ? 'Save your edits, then submit the review to its reviewers.' : 'Name at least one reviewer, save, then submit.';
      else if (inReview) hint = waiting.length ? `Waiting for approval from ${waiting.join(', ')}.` : 'Every reviewer approved: it can be published.';
      else if (published) hint = `Published ${formatTime(review.published_at)}.`;
      ui.stepsHint.textContent = hint;

      ui.download.href = `${API}${reviewPath(inc.id || id)}/markdown`;
      ui.download.setAttribute('download', `${ref}-review.md`);
      ui.preview.replaceChildren(serverHtml(review.html || ''));
    }

    function explainConflict(err) {
      if (err instanceof ApiError && err.status === 409) {
        const detail = (err.problem && err.problem.detail) || err.message || '';
        err.problem = {
          ...(err.problem || {}),
          title: 'The review could not be saved',
          detail: `${detail}${detail ? ' ' : ''}Reload the page to get the latest version (copy your text first: reloading drops unsaved edits).`,
        };
      }
      return err;
    }

    async function saveReview() {
      const review = ctx.review;
      if (!review) return;
      const body = { version: ctx.baseVersion };
      const now = inputs();
      if (review.state === 'draft') {
        const sections = {};
        for (const [key] of REVIEW_SECTIONS) if (now[`sections/${key}`].value !== ctx.loaded[`sections/${key}`]) sections[key] = now[`sections/${key}`].value;
        if (Object.keys(sections).length) body.sections = sections;
        if (now.public_text.value !== ctx.loaded.public_text) body.public_text = now.public_text.value;
        if (now.reviewers.value !== ctx.loaded.reviewers) body.reviewers = parseReviewers(now.reviewers.value);
      }
      if (now.owner.value.trim() !== ctx.loaded.owner) body.owner = now.owner.value.trim();
      if (Object.keys(body).length === 1) {
        ui.saveNote.textContent = 'Nothing to save.';
        return;
      }
      const saved = await act(
        ui.save,
        async () => {
          try {
            return await api('PATCH', reviewPath(id), body);
          } catch (err) {
            throw explainConflict(err);
          }
        },
        fieldMap,
      );
      if (saved && ctx.alive) {
        fill(saved, true);
        ui.saveNote.textContent = `Saved (version ${saved.version}).`;
        announce('Review saved.');
      }
    }

    async function step(button, name, body, message) {
      if (isDirty() && name === 'submit') {
        showError({ status: 0, problem: { title: 'Unsaved changes', detail: 'Save your edits before submitting the review.' } });
        return;
      }
      const result = await act(
        button,
        async () => {
          try {
            return await api('POST', `${reviewPath(id)}/${name}`, body);
          } catch (err) {
            throw explainConflict(err);
          }
        },
        fieldMap,
      );
      if (result && ctx.alive) {
        if (name === 'approve' || name === 'request-changes') ui.comment.value = '';
        fill(result, !isDirty());
        announce(message);
      }
    }

    function showMissing() {
      const children = [
        el('p', { className: 'back' }, el('a', { href: `/ui/incidents/${id}`, dataset: { link: '' }, text: `← INC-${id}` })),
        el('h1', { text: `No review for INC-${id}` }),
        el('p', { className: 'muted', dataset: { testid: 'review-missing' }, text: 'This incident has no post-incident review yet.' }),
      ];
      if (canAct) {
        const open = el('button', { type: 'button', text: 'Open review', dataset: { testid: 'review-create' } });
        open.addEventListener('click', async () => {
          const created = await act(open, () => api('POST', reviewPath(id), {}));
          if (created && ctx.alive) {
            build();
            fill(created, true);
            focusHeading();
          }
        });
        children.push(el('p', { className: 'actions' }, open));
      }
      main().replaceChildren(el('section', { className: 'panel', dataset: { testid: 'review-page-missing' } }, ...children));
    }

    async function load() {
      const generation = ++ctx.generation;
      try {
        const review = await api('GET', reviewPath(id));
        if (!ctx.alive || generation !== ctx.generation) return;
        const first = !ui;
        if (first) build();
        fill(review, false);
        if (first) focusHeading();
      } catch (err) {
        if (!ctx.alive || generation !== ctx.generation) return;
        if (err instanceof ApiError && err.status === 404 && !ui) showMissing();
        else if (!(err && err.sessionEnded)) {
          if (!ui) main().replaceChildren(el('p', { className: 'empty', text: 'The review could not be loaded.' }));
          showError(err);
        }
      }
    }

    const reload = debounce(load, 200);
    const reloadItems = () => {
      if (ui) ui.items.refresh();
    };
    load();
    return {
      cleanup() {
        ctx.alive = false;
        reload.cancel();
        if (ui) ui.items.cleanup();
      },
      onEvent(event) {
        const kind = String(event.kind || '');
        if (kind === 'clock.advanced') {
          reloadItems();
          return reload();
        }
        if (String(event.incident_id) !== String(ctx.review && ctx.review.incident ? ctx.review.incident.id : id)) return;
        if (kind.startsWith('action_item.')) return reloadItems();
        if (kind.startsWith('review.') || kind === 'incident.review_due' || kind.startsWith('incident.')) reload();
      },
      onStreamOpen() {
        reload();
        reloadItems();
      },
    };
  }

  // ---------------------------------------------------------------- action items and noise

  const AI_STATUSES = [
    ['open', 'Open'],
    ['in_progress', 'In progress'],
    ['done', 'Done'],
    ['wont_do', "Won't do"],
  ];
  const AI_PRIORITIES = [
    ['urgent', 'Urgent'],
    ['high', 'High'],
    ['medium', 'Medium'],
    ['low', 'Low'],
  ];
  const AI_FIELD_LABELS = { title: 'title', description: 'description', owner: 'owner', priority: 'priority', due_at: 'due date', status: 'status', tracker_url: 'tracker link' };
  const actionItemPath = (itemId) => `/action-items/${encodeURIComponent(itemId)}`;
  const incidentActionItemsPath = (incidentId) => `${incidentPath(incidentId)}/action-items`;

  // A due date given as a day ("2026-12-20") is the end of that day, UTC: such a time is
  // shown (and edited) as that date, any other as a local day and time.
  const dueIsDay = (value) => /T23:59:59(\.9+)?Z$/.test(String(value || ''));

  function dueText(value) {
    const date = parseTime(value);
    if (!date) return '';
    if (!dueIsDay(value)) return formatDayTime(date);
    const options = { timeZone: 'UTC', weekday: 'short', month: 'short', day: 'numeric' };
    if (date.getUTCFullYear() !== new Date(serverNow()).getFullYear()) options.year = 'numeric';
    return date.toLocaleDateString(undefined, options);
  }

  // The value of an <input type="date"> for a due time.
  function dueInputValue(value) {
    const date = parseTime(value);
    if (!date) return '';
    return dueIsDay(value) ? String(value).slice(0, 10) : ymd(date);
  }

  // One change of an action_item.updated event, for the timeline: "status open → done".
  function actionItemChange(field, change) {
    const show = (v) => {
      if (v === null || v === undefined || v === '') return 'none';
      if (typeof v === 'object') return userLabel(v) || 'someone';
      if (field === 'status') return labelOf(AI_STATUSES, v).toLowerCase();
      if (field === 'priority') return labelOf(AI_PRIORITIES, v).toLowerCase();
      if (field === 'due_at') return dueText(v);
      return String(v);
    };
    const name = AI_FIELD_LABELS[field] || humanize(field);
    if (field === 'description' || field === 'title') return `${name} edited`;
    return `${name} ${show(change.old)} → ${show(change.new)}`;
  }

  function aiStatusBadge(status) {
    return el('span', { className: 'badge ai-status', text: labelOf(AI_STATUSES, status), dataset: { status, testid: 'ai-status' } });
  }

  function aiPriorityBadge(priority) {
    return el('span', { className: 'badge ai-priority', text: labelOf(AI_PRIORITIES, priority), dataset: { priority, testid: 'ai-priority' } });
  }

  // The due date and, past it while the item is open, the word "overdue" (not color alone).
  function aiDue(item) {
    const node = el('span', { className: `ai-due${item.overdue ? ' is-overdue' : ''}`, dataset: { testid: 'ai-due' } });
    if (!item.due_at) {
      node.append(el('span', { className: 'muted', text: 'No due date' }));
      return node;
    }
    node.append(el('time', { dateTime: item.due_at, title: formatTime(item.due_at), text: dueText(item.due_at) }));
    if (item.overdue) node.append(' ', el('span', { className: 'badge overdue', text: 'overdue', dataset: { testid: 'ai-overdue' } }));
    return node;
  }

  // The tracker link (only http(s), as the API accepts), opening in a new tab.
  function aiTrackerLink(item) {
    const url = String(item.tracker_url || '');
    if (!/^https?:\/\//i.test(url)) return null;
    const label = url.replace(/^https?:\/\//i, '').replace(/\/$/, '');
    return el(
      'a',
      { className: 'ai-tracker', href: url, target: '_blank', rel: 'noopener noreferrer', title: url, dataset: { testid: 'ai-tracker' } },
      label.length > 48 ? `${label.slice(0, 47)}…` : label,
      el('span', { className: 'visually-hidden', text: ' (opens in a new tab)' }),
    );
  }

  function aiOwnerText(item) {
    return item.owner ? userLabel(item.owner) : '';
  }

  // Active people for an owner <select> ("Nobody" first); keeps `value` even if that person
  // is no longer active.
  function fillOwnerSelect(select, users, value) {
    const active = users.filter((u) => !u.deactivated_at);
    const options = [
      el('option', { value: '', text: 'Nobody' }),
      ...active.map((u) => el('option', { value: u.username, text: u.name && u.name !== u.username ? `${u.name} (${u.username})` : u.username })),
    ];
    if (value && !active.some((u) => u.username === value)) options.push(el('option', { value, text: value }));
    select.replaceChildren(...options);
    select.value = value || '';
  }

  // An API error next to a form: the title and detail in `box` (a live region), each field
  // error beside its control (fieldMap: field → control id within `root`), others in the box.
  function showFormError(box, root, err, fieldMap) {
    clearInvalid(root);
    const problem = (err && err.problem) || { title: 'Something went wrong', detail: String((err && err.message) || err) };
    const others = [];
    for (const item of Array.isArray(problem.errors) ? problem.errors : []) {
      const field = String(item.field || '').replace(/^\//, '');
      const message = item.message || 'is invalid';
      const input = fieldMap && fieldMap[field] ? root.querySelector(`#${fieldMap[field]}`) : null;
      if (input) markInvalid(input, message);
      else others.push(el('li', { dataset: { field } }, el('strong', { text: field || 'request' }), `: ${message}`));
    }
    const fieldsOnly = others.length === 0 && Array.isArray(problem.errors) && problem.errors.length > 0;
    box.replaceChildren(
      el('strong', { text: problem.title || 'Request failed' }),
      problem.detail && !fieldsOnly ? ` ${problem.detail}` : fieldsOnly ? ' Check the marked fields.' : '',
      others.length ? el('ul', {}, ...others) : '',
    );
  }

  // act() for the forms of this section: errors go next to the form (showFormError), not
  // to the page's alert; a 409 (a stale version) goes to onConflict(err) when given.
  // Returns the result, or undefined on error.
  async function formAct(box, root, trigger, fn, fieldMap, { onConflict } = {}) {
    if (trigger) trigger.disabled = true;
    box.replaceChildren();
    try {
      const result = await fn();
      clearInvalid(root);
      return result;
    } catch (err) {
      if (err && err.sessionEnded) return undefined;
      if (onConflict && err instanceof ApiError && err.status === 409) onConflict(err);
      else showFormError(box, root, err, fieldMap);
      return undefined;
    } finally {
      if (trigger && trigger.isConnected) trigger.disabled = false;
    }
  }

  // A live region (present while empty, so what is put in it is read out). Not role=alert:
  // the page's own alert stays the one element with that role.
  const formErrorBox = (testid) => el('div', { className: 'form-error', 'aria-live': 'assertive', 'aria-atomic': 'true', dataset: { testid } });

  // The controls of an action item form; ids start with `prefix`. fill(item) puts an item's
  // values in, values() reads them in the API's terms; setUsers(users) the owner choices.
  function actionItemFields(prefix, initialUsers) {
    let users = initialUsers;
    const controls = {
      title: el('input', { id: `${prefix}-title`, type: 'text', maxlength: '300', autocomplete: 'off', required: true, dataset: { testid: 'ai-title-input' } }),
      owner: el('select', { id: `${prefix}-owner`, dataset: { testid: 'ai-owner-input' } }),
      priority: el('select', { id: `${prefix}-priority`, dataset: { testid: 'ai-priority-input' } }, ...AI_PRIORITIES.map(([value, text]) => el('option', { value, text }))),
      due_at: el('input', { id: `${prefix}-due`, type: 'date', dataset: { testid: 'ai-due-input' } }),
      tracker_url: el('input', {
        id: `${prefix}-tracker`,
        type: 'url',
        inputmode: 'url',
        maxlength: '2000',
        placeholder: 'https://…',
        autocomplete: 'off',
        'aria-describedby': `${prefix}-tracker-hint`,
        dataset: { testid: 'ai-tracker-input' },
      }),
      description: el('textarea', { id: `${prefix}-description`, rows: '2', maxlength: '10000', dataset: { testid: 'ai-description-input' } }),
    };
    fillOwnerSelect(controls.owner, users, '');
    controls.priority.value = 'medium';
    const fieldMap = {};
    for (const [key, input] of Object.entries(controls)) fieldMap[key] = input.id;
    const node = el(
      'div',
      { className: 'ai-fields' },
      el('div', { className: 'field ai-field-wide' }, el('label', { for: controls.title.id }, 'Title ', el('span', { className: 'required', 'aria-hidden': 'true', text: '*' })), controls.title),
      labelledField('Owner', controls.owner),
      labelledField('Priority', controls.priority),
      labelledField('Due date', controls.due_at),
      el(
        'div',
        { className: 'field ai-field-wide' },
        el('label', { for: controls.tracker_url.id, text: 'Tracker link (optional)' }),
        controls.tracker_url,
        el('p', { id: `${prefix}-tracker-hint`, className: 'hint', text: 'The ticket in your tracker: an http(s) address.' }),
      ),
      el('div', { className: 'field ai-field-wide' }, el('label', { for: controls.description.id, text: 'Details (optional)' }), controls.description),
    );
    const valuesOf = (item) => ({
      title: item.title || '',
      owner: item.owner ? item.owner.username || '' : '',
      priority: item.priority || 'medium',
      due_at: dueInputValue(item.due_at),
      tracker_url: item.tracker_url || '',
      description: item.description || '',
    });
    return {
      node,
      controls,
      fieldMap,
      valuesOf,
      setUsers(list) {
        users = list;
        fillOwnerSelect(controls.owner, users, controls.owner.value);
      },
      fill(item) {
        const values = valuesOf(item);
        fillOwnerSelect(controls.owner, users, values.owner);
        for (const [key, value] of Object.entries(values)) if (key !== 'owner') controls[key].value = value;
      },
      values() {
        return {
          title: controls.title.value.trim(),
          owner: controls.owner.value,
          priority: controls.priority.value,
          due_at: controls.due_at.value,
          tracker_url: controls.tracker_url.value.trim(),
          description: controls.description.value,
        };
      },
    };
  }

  // The people for owner selects, or [] if they cannot be read (then only "Nobody").
  const usersForOwners = () => loadUsers().catch(() => []);

  // A status <select> that saves on change (PATCH with the item's version). A stale version
  // (409) reloads and says so in `box`.
  function aiStatusControl(item, idPrefix, box, { onSaved, onStale }) {
    const id = `${idPrefix}-status-${item.id}`;
    const select = el('select', { id, dataset: { testid: 'ai-status-select' } }, ...AI_STATUSES.map(([value, text]) => el('option', { value, text })));
    select.value = item.status;
    select.addEventListener('change', async () => {
      const wanted = select.value;
      const saved = await formAct(box, box.parentElement || document, select, () => api('PATCH', actionItemPath(item.id), { version: item.version, status: wanted }), null, {
        onConflict() {
          box.replaceChildren(
            el('strong', { text: `${item.ref} was changed by someone else.` }),
            ' The list now shows its latest version: set the status again if it is still needed.',
          );
          onStale();
        },
      });
      if (saved) {
        announce(`${saved.ref} is now ${labelOf(AI_STATUSES, saved.status).toLowerCase()}.`);
        onSaved(saved);
        return;
      }
      if (select.isConnected) select.value = item.status;
    });
    return el(
      'div',
      { className: 'field ai-status-field' },
      el('label', { for: id }, 'Status', el('span', { className: 'visually-hidden', text: ` of ${item.ref}` })),
      select,
    );
  }

  // The action items of one incident with a form to add one (the incident page; the review
  // page with source "review"). incidentId() gives the incident's id. Viewers read only.
  // refresh() re-reads the list (debounced); an open edit form survives a refresh.
  function actionItemsPanel(incidentId, { source, idPrefix }) {
    const canAct = canRespond();
    const live = { alive: true, generation: 0, items: [], rows: new Map(), edits: new Map(), users: [] };
    const headingId = `${idPrefix}-heading`;
    const count = el('span', { className: 'ai-count muted', dataset: { testid: 'ai-count' } });
    const message = formErrorBox('ai-list-error');
    const list = el('ul', { className: 'ai-list', 'aria-labelledby': headingId, dataset: { testid: 'ai-list' } });
    const empty = el('p', { className: 'muted', hidden: true, dataset: { testid: 'ai-empty' }, text: 'No action items yet.' });

    const addBox = formErrorBox('ai-add-error');
    const fields = actionItemFields(`${idPrefix}-new`, []);
    const submit = el('button', { type: 'submit', text: 'Add action item', dataset: { testid: 'ai-add-submit' } });
    const addHeadingId = `${idPrefix}-add-heading`;
    const addForm = canAct
      ? el(
          'form',
          { className: 'ai-form', novalidate: true, 'aria-labelledby': addHeadingId, dataset: { testid: 'ai-add-form', source } },
          el('h3', { id: addHeadingId, text: source === 'review' ? 'Add a follow-up from the review' : 'Add an action item' }),
          fields.node,
          addBox,
          el('div', { className: 'actions' }, submit),
        )
      : null;
    const node = el(
      'section',
      { className: 'panel ai-panel', 'aria-labelledby': headingId, dataset: { testid: 'ai-panel', source } },
      el(
        'div',
        { className: 'section-head' },
        el('h2', { id: headingId }, 'Action items ', count),
        el('a', { href: '/ui/action-items', className: 'small-text', dataset: { link: '', testid: 'ai-all-link' }, text: 'All action items' }),
      ),
      message,
      list,
      empty,
      addForm || el('p', { className: 'muted', dataset: { testid: 'ai-readonly' }, text: 'Your role can only read action items.' }),
    );

    usersForOwners().then((users) => {
      if (!live.alive) return;
      live.users = users;
      fields.setUsers(users);
      for (const editor of live.edits.values()) editor.fields.setUsers(users);
    });

    if (addForm) {
      addForm.addEventListener('submit', async (event) => {
        event.preventDefault();
        const v = fields.values();
        if (!v.title) {
          showFormError(addBox, addForm, { status: 0, problem: { title: 'Cannot add the item yet', errors: [{ field: '/title', message: 'is required' }] } }, fields.fieldMap);
          fields.controls.title.focus();
          return;
        }
        const body = { title: v.title, priority: v.priority, source };
        if (v.owner) body.owner = v.owner;
        if (v.due_at) body.due_at = v.due_at;
        if (v.tracker_url) body.tracker_url = v.tracker_url;
        if (v.description.trim()) body.description = v.description;
        const created = await formAct(addBox, addForm, submit, () => api('POST', incidentActionItemsPath(incidentId()), body), fields.fieldMap);
        if (!created || !live.alive) return;
        fields.fill({ priority: 'medium' });
        fields.controls.title.focus();
        announce(`Added ${created.ref}: ${created.title}.`);
        live.items = [...live.items.filter((i) => i.id !== created.id), created];
        render();
        refresh();
      });
    }

    // The edit form of one item: based on the version it was opened with.
    function openEditor(item) {
      const prefix = `${idPrefix}-edit-${item.id}`;
      const editFields = actionItemFields(prefix, live.users);
      editFields.fill(item);
      const box = formErrorBox('ai-edit-error');
      const save = el('button', { type: 'submit', text: 'Save', dataset: { testid: 'ai-edit-save' } });
      const cancel = el('button', { type: 'button', className: 'button-secondary', text: 'Cancel', dataset: { testid: 'ai-edit-cancel' } });
      const form = el(
        'form',
        { id: `${prefix}-form`, className: 'ai-form ai-edit-form', novalidate: true, 'aria-label': `Edit ${item.ref}`, dataset: { testid: 'ai-edit-form' } },
        editFields.node,
        box,
        el('div', { className: 'actions' }, save, cancel),
      );
      const editor = { form, fields: editFields, base: item };
      live.edits.set(item.id, editor);
      cancel.addEventListener('click', () => closeEditor(item.id, true));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const before = editFields.valuesOf(editor.base);
        const now = editFields.values();
        const body = { version: editor.base.version };
        for (const key of Object.keys(before)) {
          const changed = key === 'description' ? now[key] !== before[key] : now[key] !== before[key].trim();
          if (changed) body[key] = now[key];
        }
        if (Object.keys(body).length === 1) {
          closeEditor(item.id, true);
          return;
        }
        let stale = false;
        const saved = await formAct(box, form, save, () => api('PATCH', actionItemPath(item.id), body), editFields.fieldMap, {
          onConflict() {
            stale = true;
          },
        });
        if (saved && live.alive) {
          announce(`Saved ${saved.ref}.`);
          upsert(saved);
          closeEditor(item.id, true);
          return;
        }
        if (stale) {
          // Someone else saved first: take their values where this form still holds the old
          // ones, keep what was typed, and base the next save on the new version.
          const latest = await api('GET', actionItemPath(item.id)).catch(() => null);
          if (!live.alive) return;
          if (!latest) {
            box.replaceChildren(el('strong', { text: `${item.ref} was changed by someone else.` }), ' Reload the page to see its latest version.');
            return;
          }
          const fresh = editFields.valuesOf(latest);
          for (const [key, value] of Object.entries(before)) {
            const control = editFields.controls[key];
            if (control.value === value) {
              if (key === 'owner') fillOwnerSelect(control, live.users, fresh.owner);
              else control.value = fresh[key];
            }
          }
          editor.base = latest;
          upsert(latest);
          box.replaceChildren(
            el('strong', { text: `${item.ref} was changed by someone else while you edited it.` }),
            ' Its latest version is shown above and in the fields you had not touched; your own changes are kept. Check them and save again.',
          );
        }
      });
      return editor;
    }

    function closeEditor(itemId, focusButton) {
      const editor = live.edits.get(itemId);
      if (!editor) return;
      live.edits.delete(itemId);
      editor.form.remove();
      const row = live.rows.get(itemId);
      if (row) {
        const button = row.li.querySelector('[data-testid="ai-edit"]');
        if (button) {
          button.setAttribute('aria-expanded', 'false');
          if (focusButton) button.focus();
        }
      }
    }

    function rowFor(item) {
      const owner = aiOwnerText(item);
      const li = el(
        'li',
        { className: 'ai-item', dataset: { testid: 'ai-item', ref: item.ref, itemId: String(item.id), status: item.status, overdue: item.overdue ? 'yes' : 'no' } },
        el(
          'p',
          { className: 'ai-item-head' },
          el('span', { className: 'row-ref', dataset: { testid: 'ai-ref' }, text: item.ref }),
          ' ',
          el('span', { className: 'ai-title', dataset: { testid: 'ai-title' }, text: item.title }),
        ),
        el(
          'p',
          { className: 'ai-meta' },
          aiStatusBadge(item.status),
          aiPriorityBadge(item.priority),
          el('span', { className: owner ? 'ai-owner' : 'ai-owner muted', dataset: { testid: 'ai-owner' }, text: owner ? `Owner: ${owner}` : 'No owner' }),
          aiDue(item),
          item.source === 'review' ? el('span', { className: 'muted small-text', dataset: { testid: 'ai-source' }, text: 'From the review' }) : null,
          aiTrackerLink(item),
        ),
        item.description ? el('p', { className: 'prose ai-description', dataset: { testid: 'ai-description' }, text: item.description }) : null,
      );
      if (canAct) {
        const edit = el('button', {
          type: 'button',
          className: 'button-secondary small',
          'aria-expanded': 'false',
          'aria-controls': `${idPrefix}-edit-${item.id}-form`,
          dataset: { testid: 'ai-edit' },
        }, 'Edit', el('span', { className: 'visually-hidden', text: ` ${item.ref}` }));
        edit.addEventListener('click', () => {
          if (live.edits.has(item.id)) {
            closeEditor(item.id, false);
            return;
          }
          const editor = openEditor(live.items.find((i) => i.id === item.id) || item);
          li.append(editor.form);
          edit.setAttribute('aria-expanded', 'true');
          editor.fields.controls.title.focus();
        });
        li.append(
          el(
            'div',
            { className: 'ai-controls' },
            aiStatusControl(item, idPrefix, message, { onSaved: upsert, onStale: () => refresh() }),
            el('div', { className: 'actions' }, edit),
          ),
        );
      }
      return li;
    }

    function render() {
      const seen = new Set();
      const nodes = live.items.map((item) => {
        seen.add(item.id);
        const key = JSON.stringify(item);
        let row = live.rows.get(item.id);
        if (!row || row.key !== key) {
          const li = rowFor(item);
          const editor = live.edits.get(item.id);
          // Focus inside the old row moves to the same control of the new one.
          const active = document.activeElement;
          const focused = row && active && row.li.contains(active) ? active : null;
          if (editor) {
            li.append(editor.form);
            const button = li.querySelector('[data-testid="ai-edit"]');
            if (button) button.setAttribute('aria-expanded', 'true');
          }
          if (row) row.li.replaceWith(li);
          if (focused) {
            const again = li.contains(focused) ? focused : li.querySelector(`[data-testid="${focused.dataset.testid || 'none'}"]`);
            if (again) again.focus();
          }
          row = { key, li };
          live.rows.set(item.id, row);
        }
        return row.li;
      });
      for (const id of [...live.rows.keys()]) {
        if (seen.has(id)) continue;
        live.rows.get(id).li.remove();
        live.rows.delete(id);
        live.edits.delete(id);
      }
      const inOrder = nodes.length === list.children.length && nodes.every((n, i) => list.children[i] === n);
      if (!inOrder) list.replaceChildren(...nodes);
      empty.hidden = live.items.length > 0;
      const open = live.items.filter((i) => i.status === 'open' || i.status === 'in_progress').length;
      count.textContent = live.items.length ? `(${open} open of ${live.items.length})` : '';
      node.dataset.count = String(live.items.length);
    }

    function upsert(item) {
      if (!live.alive) return;
      const at = live.items.findIndex((i) => i.id === item.id);
      if (at >= 0) live.items[at] = item;
      else live.items.push(item);
      render();
    }

    async function load() {
      if (!live.alive) return;
      const generation = ++live.generation;
      try {
        const data = await api('GET', incidentActionItemsPath(incidentId()));
        if (!live.alive || generation !== live.generation) return;
        live.items = data.items || [];
        render();
        node.dataset.loaded = 'yes';
      } catch (err) {
        if (!live.alive || generation !== live.generation || (err && err.sessionEnded)) return;
        showFormError(message, node, err);
      }
    }
    const refresh = debounce(load, 150);
    load();

    return {
      node,
      refresh,
      cleanup() {
        live.alive = false;
        refresh.cancel();
      },
    };
  }

  // The flags of an incident as badges: DRILL (a game day) and the noise mark. In the
  // header the noise badge also gives the reason.
  function incidentFlagBadges(incident, prefix, { reason = false } = {}) {
    const badges = [];
    if (incident.drill) badges.push(el('span', { className: 'badge drill incident-flag', title: 'A drill (game day), not a real incident', dataset: { testid: `${prefix}-drill` }, text: 'DRILL' }));
    if (incident.noise) {
      const noise = incident.noise;
      const said = String(noise.reason || '');
      const text = reason && said ? `Noise: ${said.length > 80 ? `${said.slice(0, 79)}…` : said}` : 'Noise';
      const by = [noise.by ? `by ${noise.by}` : '', noise.at ? formatTime(noise.at) : ''].filter(Boolean).join(', ');
      badges.push(el('span', { className: 'badge noise incident-flag', title: `Marked as noise${by ? ` (${by})` : ''}${said ? `: ${said}` : ''}`, dataset: { testid: `${prefix}-noise` }, text }));
    }
    return badges;
  }

  // The incident page's noise mark: the header badges (DRILL, "Noise: <reason>") and, for
  // responders, "Mark as noise" (asks for a reason in an inline form) or "Not noise".
  // apply(incident) takes the incident the API answers.
  function incidentNoise(ctx, id, apply) {
    const badgeSlot = el('span', { className: 'incident-flags', dataset: { testid: 'incident-flags' } });
    const path = () => `${incidentPath(ctx.incident ? ctx.incident.id : id)}/noise`;
    let control = null;
    let fillControl = () => {};
    if (canRespond()) {
      const box = formErrorBox('noise-error');
      const markButton = el('button', { type: 'button', className: 'button-secondary', 'aria-expanded': 'false', 'aria-controls': 'noise-form', text: 'Mark as noise', dataset: { testid: 'noise-mark' } });
      const reason = el('input', { id: 'noise-reason', type: 'text', maxlength: '2000', autocomplete: 'off', 'aria-describedby': 'noise-reason-hint', dataset: { testid: 'noise-reason' } });
      const confirm = el('button', { type: 'submit', text: 'Mark as noise', dataset: { testid: 'noise-submit' } });
      const cancel = el('button', { type: 'button', className: 'button-secondary', text: 'Cancel', dataset: { testid: 'noise-cancel' } });
      const form = el(
        'form',
        { id: 'noise-form', className: 'noise-form', novalidate: true, hidden: true, dataset: { testid: 'noise-form' } },
        el(
          'div',
          { className: 'field' },
          el('label', { for: reason.id, text: 'Why is this noise?' }),
          reason,
          el('p', { id: 'noise-reason-hint', className: 'hint', text: 'Not actionable: what the alert should have done instead. Noise shows in the analytics.' }),
        ),
        el('div', { className: 'actions' }, confirm, cancel),
      );
      const marked = el('p', { className: 'noise-marked', dataset: { testid: 'noise-marked' } });
      const unmark = el('button', { type: 'button', className: 'button-secondary', text: 'Not noise', dataset: { testid: 'noise-unmark' } });
      const markedBlock = el('div', { hidden: true }, marked, el('div', { className: 'actions' }, unmark));
      control = el('div', { className: 'control noise-control', dataset: { testid: 'noise-control' } }, el('div', { className: 'actions' }, markButton), form, markedBlock, box);
      const showForm = (open) => {
        form.hidden = !open;
        markButton.hidden = open;
        markButton.setAttribute('aria-expanded', open ? 'true' : 'false');
        if (open) reason.focus();
      };
      markButton.addEventListener('click', () => showForm(true));
      cancel.addEventListener('click', () => {
        showForm(false);
        clearInvalid(control);
        box.replaceChildren();
        markButton.focus();
      });
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        if (!reason.value.trim()) {
          showFormError(box, control, { status: 0, problem: { title: 'A reason is needed', errors: [{ field: '/reason', message: 'is required' }] } }, { reason: reason.id });
          reason.focus();
          return;
        }
        const result = await formAct(box, control, confirm, () => api('POST', path(), { reason: reason.value.trim() }), { reason: reason.id });
        if (!result) return;
        reason.value = '';
        showForm(false);
        announce(`${result.ref} marked as noise.`);
        apply(result);
        unmark.focus();
      });
      unmark.addEventListener('click', async () => {
        const result = await formAct(box, control, unmark, () => api('POST', path(), { noise: false }));
        if (!result) return;
        announce(`${result.ref} is no longer marked as noise.`);
        apply(result);
        markButton.focus();
      });
      fillControl = (incident) => {
        const noise = incident.noise;
        markedBlock.hidden = !noise;
        if (noise) {
          form.hidden = true;
          markButton.hidden = true;
          marked.textContent = `Marked as noise${noise.by ? ` by ${noise.by}` : ''}${noise.at ? ` ${formatDayTime(noise.at)}` : ''}: ${noise.reason}`;
        } else {
          markButton.hidden = !form.hidden;
        }
      };
    }
    return {
      badges: [badgeSlot],
      control,
      fill(incident) {
        badgeSlot.replaceChildren(...incidentFlagBadges(incident, 'detail', { reason: true }));
        fillControl(incident);
      },
    };
  }

  // /ui/action-items: every incident's action items: mine, all active, overdue or done, for
  // one service or all. The URL keeps the choice (?view=overdue&service=checkout).
  const AI_VIEWS = [
    ['mine', 'Mine', { owner: 'me', status: 'active' }],
    ['active', 'All active', { status: 'active' }],
    ['overdue', 'Overdue', { overdue: 'true' }],
    ['done', 'Done', { status: 'done' }],
  ];

  function actionItemsView() {
    document.title = 'Action items · Klaxon';
    const ctx = { alive: true, generation: 0 };
    const canAct = canRespond();
    const params = new URLSearchParams(location.search);
    let view = AI_VIEWS.some(([v]) => v === params.get('view')) ? params.get('view') : 'mine';
    const wantedService = params.get('service') || '';

    const tabs = AI_VIEWS.map(([value, label]) =>
      el('button', { type: 'button', className: 'ai-tab', 'aria-pressed': value === view ? 'true' : 'false', dataset: { view: value, testid: `ai-tab-${value}` }, text: label }),
    );
    const service = el('select', { id: 'ai-filter-service', dataset: { testid: 'ai-filter-service' } }, el('option', { value: '', text: 'Any service' }));
    if (wantedService) service.append(el('option', { value: wantedService, text: wantedService }));
    service.value = wantedService;
    const form = el(
      'form',
      { className: 'filters ai-filters', role: 'search', 'aria-label': 'Filter action items', dataset: { testid: 'ai-filters' } },
      el('div', { className: 'field ai-tabs-field' }, el('span', { className: 'label', id: 'ai-tabs-label', text: 'Show' }), el('div', { className: 'ai-tabs', role: 'group', 'aria-labelledby': 'ai-tabs-label' }, ...tabs)),
      labelledField('Service', service),
    );
    const message = formErrorBox('ai-page-error');
    const summary = el('p', { className: 'muted', 'aria-live': 'polite', dataset: { testid: 'ai-summary' } });
    const body = el('tbody', { dataset: { testid: 'ai-rows' } });
    const table = el(
      'table',
      { className: 'data-table ai-table', 'aria-labelledby': 'ai-page-heading', dataset: { testid: 'ai-table' } },
      el('thead', {}, el('tr', {}, ...['Ref', 'Title', 'Incident', 'Service', 'Owner', 'Priority', 'Due', 'Status'].map((h) => el('th', { scope: 'col', text: h })))),
      body,
    );
    const empty = el('p', { className: 'empty', hidden: true, dataset: { testid: 'ai-page-empty' } });
    main().replaceChildren(
      el(
        'section',
        { className: 'ai-page', dataset: { testid: 'action-items' } },
        el('div', { className: 'section-head' }, el('h1', { id: 'ai-page-heading', text: 'Action items' })),
        el('p', { className: 'hint', text: 'Follow-up work written on incidents and their reviews. Add items on an incident page or its review.' }),
        form,
        message,
        summary,
        el('div', { className: 'table-wrap' }, table),
        empty,
      ),
    );

    loadServices()
      .then((services) => {
        if (!ctx.alive) return;
        const keep = service.value;
        const options = services.map((svc) => el('option', { value: svc.name, text: svc.archived_at ? `${svc.name} (archived)` : svc.name }));
        if (keep && !services.some((svc) => svc.name === keep)) options.push(el('option', { value: keep, text: keep }));
        service.replaceChildren(el('option', { value: '', text: 'Any service' }), ...options);
        service.value = keep;
      })
      .catch(() => {});

    function query() {
      const qs = new URLSearchParams(AI_VIEWS.find(([v]) => v === view)[2]);
      if (service.value) qs.set('service', service.value);
      return qs.toString();
    }

    function row(item) {
      const owner = aiOwnerText(item);
      // Responders change the status right here; others see the badge.
      const statusCell = el(
        'td',
        { dataset: { label: 'Status' } },
        canAct ? aiStatusControl(item, 'ai-page', message, { onSaved: () => view_.reload(), onStale: () => view_.reload() }) : aiStatusBadge(item.status),
      );
      return el(
        'tr',
        { dataset: { testid: 'ai-row', ref: item.ref, itemId: String(item.id), status: item.status, overdue: item.overdue ? 'yes' : 'no' } },
        el('td', { dataset: { label: 'Ref', testid: 'ai-ref' }, className: 'row-ref', text: item.ref }),
        el('td', { dataset: { label: 'Title' } }, el('span', { className: 'ai-title', dataset: { testid: 'ai-title' }, text: item.title }), item.tracker_url ? el('br') : null, aiTrackerLink(item)),
        el(
          'td',
          { dataset: { label: 'Incident' } },
          el('a', { href: `/ui/incidents/${item.incident_id}`, title: item.incident_title || '', dataset: { link: '', testid: 'ai-incident' }, text: item.incident_ref || `INC-${item.incident_id}` }),
        ),
        el('td', { dataset: { label: 'Service', testid: 'ai-service' }, className: item.service ? null : 'muted', text: item.service || '—' }),
        el('td', { dataset: { label: 'Owner', testid: 'ai-owner' }, className: owner ? null : 'muted', text: owner || 'Nobody' }),
        el('td', { dataset: { label: 'Priority' } }, aiPriorityBadge(item.priority)),
        el('td', { dataset: { label: 'Due' } }, aiDue(item)),
        statusCell,
      );
    }

    async function load() {
      const generation = ++ctx.generation;
      body.setAttribute('aria-busy', 'true');
      try {
        const data = await api('GET', `/action-items?${query()}`);
        if (!ctx.alive || generation !== ctx.generation) return;
        const items = data.items || [];
        // A status select with focus keeps it when its row is still listed.
        const active = document.activeElement;
        const focusedRef = body.contains(active) && active.tagName === 'SELECT' ? active.closest('tr').dataset.ref : null;
        body.replaceChildren(...items.map(row));
        if (focusedRef) {
          const again = body.querySelector(`tr[data-ref="${focusedRef}"] select`);
          if (again) again.focus();
        }
        table.hidden = items.length === 0;
        empty.hidden = items.length > 0;
        const viewName = AI_VIEWS.find(([v]) => v === view)[1].toLowerCase();
        empty.textContent = `No action items (${viewName}${service.value ? `, ${service.value}` : ''}).`;
        const total = Number(data.total ?? items.length);
        summary.textContent = items.length ? `${total} action item${total === 1 ? '' : 's'}${total > items.length ? ` (showing ${items.length})` : ''}.` : '';
        ctx.page.dataset.view = view;
        ctx.page.dataset.loaded = query();
        message.replaceChildren();
      } catch (err) {
        if (ctx.alive && !(err && err.sessionEnded)) showFormError(message, ctx.page, err);
      } finally {
        if (ctx.alive && generation === ctx.generation) body.removeAttribute('aria-busy');
      }
    }
    ctx.page = main().querySelector('[data-testid="action-items"]');

    const view_ = liveView(ctx, load, { kinds: /^(action_item\.(created|updated)|clock\.advanced)$/, everyMs: 60000 });
    const apply = () => {
      const qs = new URLSearchParams();
      if (view !== 'mine') qs.set('view', view);
      if (service.value) qs.set('service', service.value);
      const text = qs.toString();
      history.replaceState(null, '', `/ui/action-items${text ? `?${text}` : ''}`);
      view_.reload();
    };
    for (const tab of tabs) {
      tab.addEventListener('click', () => {
        view = tab.dataset.view;
        for (const other of tabs) other.setAttribute('aria-pressed', other === tab ? 'true' : 'false');
        apply();
      });
    }
    service.addEventListener('change', apply);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      apply();
    });
    focusHeading();
    return view_;
  }

  // ---------------------------------------------------------------- analytics

  // "2026-Q4" for a Date (local time), and the n quarters before it.
  function quarterOf(date) {
    return `${date.getFullYear()}-Q${Math.floor(date.getMonth() / 3) + 1}`;
  }
  function recentQuarters(now, n) {
    const out = [];
    let year = now.getFullYear();
    let q = Math.floor(now.getMonth() / 3) + 1;
    for (let i = 0; i < n; i += 1) {
      out.push(`${year}-Q${q}`);
      q -= 1;
      if (q === 0) {
        q = 4;
        year -= 1;
      }
    }
    return out;
  }

  // A duration of the report: the humanised text, or "—" without a value.
  const durationText = (obj, name) => (obj && obj[name] !== null && obj[name] !== undefined ? String(obj[name]) : '—');
  const percent = (rate) => (rate === null || rate === undefined ? '' : `${Math.round(Number(rate) * 100)}%`);

  // A table of `rows` with `columns` [{label, cell(row) → node|string, num?}]; an empty
  // note instead when there are no rows.
  function analyticsTable(testid, caption, columns, rows, emptyText) {
    if (!rows || rows.length === 0) return el('p', { className: 'muted', dataset: { testid: `${testid}-empty` }, text: emptyText });
    return el(
      'div',
      { className: 'table-wrap' },
      el(
        'table',
        { className: 'data-table an-table', dataset: { testid } },
        el('caption', { className: 'visually-hidden', text: caption }),
        el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', { scope: 'col', className: c.num ? 'num' : null, text: c.label })))),
        el(
          'tbody',
          {},
          ...rows.map((row) =>
            el(
              'tr',
              { dataset: { testid: `${testid}-row` } },
              ...columns.map((c) => {
                const value = c.cell(row);
                return el('td', { dataset: { label: c.label }, className: c.num ? 'num' : null }, value === null || value === undefined || value === '' ? '—' : value);
              }),
            ),
          ),
        ),
      ),
    );
  }

  const incidentLink = (row) =>
    el('a', { href: `/ui/incidents/${row.id}`, dataset: { link: '' }, title: row.title || '', text: row.ref || `INC-${row.id}` });

  // /ui/analytics: response analytics for a period (a quarter, custom dates or the last 90
  // days) and filters, from GET /analytics; the server's SVG charts of the same query;
  // links to the CSV, the JSON and the quarterly report.
  function analyticsView() {
    document.title = 'Analytics · Klaxon';
    const ctx = { alive: true, generation: 0, refreshes: 0 };
    const params = new URLSearchParams(location.search);

    const period = el('select', { id: 'an-period', dataset: { testid: 'an-period' } }, el('option', { value: '', text: 'Last 90 days' }));
    for (const quarter of recentQuarters(new Date(serverNow()), 8)) period.append(el('option', { value: quarter, text: quarter.replace('-', ' ') }));
    period.append(el('option', { value: 'custom', text: 'Custom dates' }));
    const from = el('input', { id: 'an-from', type: 'date', dataset: { testid: 'an-from' } });
    const to = el('input', { id: 'an-to', type: 'date', dataset: { testid: 'an-to' } });
    const service = el('select', { id: 'an-service', dataset: { testid: 'an-service' } }, el('option', { value: '', text: 'All services' }));
    const severity = el('select', { id: 'an-severity', dataset: { testid: 'an-severity' } }, el('option', { value: '', text: 'All severities' }));
    const team = el('input', { id: 'an-team', type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'Any team', dataset: { testid: 'an-team' } });
    // Drills (game days): left out (the default), included with the real incidents, or
    // only the drills (?include_drills=true and ?drills=only to the API).
    const drills = el(
      'select',
      { id: 'an-drills', dataset: { testid: 'an-drills' } },
      el('option', { value: 'exclude', text: 'Leave out' }),
      el('option', { value: 'include', text: 'Include' }),
      el('option', { value: 'only', text: 'Only drills' }),
    );
    const noise = el('input', { id: 'an-noise', type: 'checkbox', dataset: { testid: 'an-include-noise' } });
    const refresh = el('button', { type: 'submit', className: 'button-secondary', text: 'Refresh', dataset: { testid: 'an-refresh' } });

    // The controls from the URL.
    const quarter = params.get('quarter') || '';
    if (quarter && ![...period.options].some((o) => o.value === quarter)) period.append(el('option', { value: quarter, text: quarter.replace('-', ' ') }));
    period.value = quarter || (params.get('from') || params.get('to') ? 'custom' : '');
    from.value = (params.get('from') || '').slice(0, 10);
    to.value = (params.get('to') || '').slice(0, 10);
    const keepOption = (select, value) => {
      if (value && ![...select.options].some((o) => o.value === value)) select.append(el('option', { value, text: value }));
      select.value = value;
    };
    keepOption(service, params.get('service') || '');
    keepOption(severity, params.get('severity') || '');
    team.value = params.get('team') || '';
    drills.value = params.get('drills') === 'only' ? 'only' : params.get('include_drills') === 'true' || params.get('drills') === 'include' ? 'include' : 'exclude';
    noise.checked = params.get('include_noise') === 'true';
    const zone = params.get('tz') || '';

    const customFields = el('div', { className: 'an-custom', hidden: period.value !== 'custom', dataset: { testid: 'an-custom' } }, labelledField('From', from), labelledField('To', to));
    const form = el(
      'form',
      { className: 'filters an-filters', role: 'search', 'aria-label': 'Period and filters', novalidate: true, dataset: { testid: 'an-filters' } },
      labelledField('Period', period),
      customFields,
      labelledField('Service', service),
      labelledField('Severity', severity),
      labelledField('Team', team),
      labelledField('Drills', drills),
      el('div', { className: 'an-checks' }, el('div', { className: 'field check' }, el('label', { for: noise.id }, noise, ' Include noise'))),
      el('div', { className: 'actions' }, refresh),
    );
    const fieldMap = { quarter: period.id, from: from.id, to: to.id, service: service.id, severity: severity.id, team: team.id, drills: drills.id, include_drills: drills.id };

    const message = formErrorBox('an-error');
    const summary = el('p', { className: 'an-summary', 'aria-live': 'polite', dataset: { testid: 'an-summary' } });
    const links = {
      csv: el('a', { className: 'button button-secondary small', dataset: { testid: 'an-csv' }, text: 'Download CSV' }),
      json: el('a', { className: 'button button-secondary small', target: '_blank', rel: 'noopener', dataset: { testid: 'an-json' }, text: 'JSON' }),
      report: el('a', { className: 'button small', target: '_blank', rel: 'noopener', dataset: { testid: 'an-report' } }, 'Quarterly report (printable)', el('span', { className: 'visually-hidden', text: ' (opens in a new tab)' })),
      markdown: el('a', { className: 'button button-secondary small', dataset: { testid: 'an-markdown' }, text: 'Markdown' }),
    };
    const tiles = el('dl', { className: 'an-tiles', dataset: { testid: 'an-tiles' } });
    const CHARTS = [
      ['weekly', 'Incidents, MTTA and MTTR per week'],
      ['severity', 'Incidents by severity'],
      ['service', 'Incidents by service'],
    ];
    const charts = CHARTS.map(([name, title]) => ({
      name,
      img: el('img', { className: 'an-chart-img', alt: title, decoding: 'async', dataset: { testid: `an-chart-${name}` } }),
      title,
    }));
    const chartPanel = el(
      'section',
      { className: 'panel an-charts', 'aria-labelledby': 'an-charts-heading' },
      el('h2', { id: 'an-charts-heading', text: 'Charts' }),
      el('div', { className: 'an-chart-grid' }, ...charts.map((c) => el('figure', { className: `an-chart an-chart-${c.name}` }, c.img))),
    );
    const sections = el('div', { className: 'an-sections', dataset: { testid: 'an-sections' } });
    const page = el(
      'section',
      { className: 'an-page', dataset: { testid: 'analytics' } },
      el('div', { className: 'section-head' }, el('h1', { id: 'an-heading', text: 'Analytics' }), el('div', { className: 'actions an-links' }, links.csv, links.json, links.report, links.markdown)),
      el('p', { className: 'hint', text: 'How fast incidents were acknowledged, mitigated and resolved, and which targets were missed, for incidents declared in the period.' }),
      form,
      message,
      summary,
      el('section', { className: 'an-headline', 'aria-labelledby': 'an-tiles-heading' }, el('h2', { id: 'an-tiles-heading', className: 'visually-hidden', text: 'Headline numbers' }), tiles),
      chartPanel,
      sections,
    );
    main().replaceChildren(page);

    Promise.all([loadServices().catch(() => []), loadSeverities().catch(() => [])]).then(([services, severities]) => {
      if (!ctx.alive) return;
      const keptService = service.value;
      service.replaceChildren(el('option', { value: '', text: 'All services' }), ...services.map((s) => el('option', { value: s.name, text: s.name })));
      keepOption(service, keptService);
      const keptSeverity = severity.value;
      severity.replaceChildren(el('option', { value: '', text: 'All severities' }), ...severities.map((s) => el('option', { value: s.name, text: s.name })));
      keepOption(severity, keptSeverity);
    });

    function query() {
      const qs = new URLSearchParams();
      if (period.value === 'custom') {
        if (from.value) qs.set('from', from.value);
        if (to.value) qs.set('to', to.value);
      } else if (period.value) qs.set('quarter', period.value);
      if (service.value) qs.set('service', service.value);
      if (team.value.trim()) qs.set('team', team.value.trim());
      if (severity.value) qs.set('severity', severity.value);
      if (drills.value === 'include') qs.set('include_drills', 'true');
      else if (drills.value === 'only') qs.set('drills', 'only');
      if (noise.checked) qs.set('include_noise', 'true');
      if (zone) qs.set('tz', zone);
      return qs;
    }
    const withQuery = (path, qs, extra = {}) => {
      const all = new URLSearchParams(qs);
      for (const [k, v] of Object.entries(extra)) all.set(k, v);
      const text = all.toString();
      return `${API}${path}${text ? `?${text}` : ''}`;
    };

    function tile(key, label, value, sub) {
      return el(
        'div',
        { className: 'an-tile', dataset: { testid: `tile-${key}` } },
        el('dt', { text: label }),
        el('dd', { className: 'an-tile-value', dataset: { testid: `tile-${key}-value` }, text: value }),
        sub ? el('dd', { className: 'an-tile-sub', dataset: { testid: `tile-${key}-sub` }, text: sub }) : null,
      );
    }

    function summaryTile(key, label, s) {
      const n = s && s.n ? Number(s.n) : 0;
      return tile(key, label, durationText(s, 'mean'), n ? `median ${durationText(s, 'median')} · p90 ${durationText(s, 'p90')} · ${n} incident${n === 1 ? '' : 's'}` : 'no data');
    }

    function targetTile(key, label, t) {
      const tally = t || {};
      const judged = Number(tally.met || 0) + Number(tally.missed || 0);
      const sub = [judged ? `${percent(tally.met_rate)} met` : 'no targets judged', tally.pending ? `${tally.pending} pending` : ''].filter(Boolean).join(' · ');
      return tile(key, label, `${tally.met || 0} met / ${tally.missed || 0} missed`, sub);
    }

    function fillTiles(r) {
      const inc = r.incidents || {};
      const left = [];
      if (inc.excluded_drills) left.push(`${inc.excluded_drills} drill${inc.excluded_drills === 1 ? '' : 's'}`);
      const drillCount = (r.filters || {}).include_drills && inc.drills ? `${inc.drills} drill${inc.drills === 1 ? '' : 's'}` : '';
      if (inc.excluded_noise) left.push(`${inc.excluded_noise} noise`);
      const targets = r.targets || {};
      const updates = r.updates || {};
      const items = r.action_items || {};
      const reviews = r.reviews || {};
      tiles.replaceChildren(
        tile('incidents', (r.filters || {}).only_drills ? 'Drills' : 'Incidents', String(inc.total ?? 0), [drillCount ? `of which ${drillCount}` : '', inc.reopened ? `${inc.reopened} reopened` : '', left.length ? `left out: ${left.join(', ')}` : ''].filter(Boolean).join(' · ')),
        tile('open', 'Still open', String(inc.open ?? 0), ''),
        summaryTile('mtta', 'MTTA (mean)', r.mtta),
        summaryTile('mitigate', 'Time to mitigate (mean)', r.time_to_mitigate),
        summaryTile('mttr', 'MTTR (mean)', r.mttr),
        targetTile('ack', 'Acknowledge target', targets.ack),
        targetTile('resolve', 'Resolve target', targets.resolve),
        tile('updates', 'Updates on cadence', `${updates.kept || 0} kept / ${updates.missed || 0} missed`, ''),
        tile('action-items', 'Action items', `${items.open || 0} open / ${items.overdue || 0} overdue`, `${items.done || 0} done`),
        tile('reviews', 'Reviews late', String(reviews.late || 0), `${reviews.due || 0} due · ${reviews.published || 0} published`),
      );
    }

    const groupColumns = (label) => [
      { label, cell: (g) => g.key || '(none)' },
      { label: 'Incidents', num: true, cell: (g) => String(g.incidents ?? 0) },
      { label: 'Open', num: true, cell: (g) => String(g.open ?? 0) },
      { label: 'Missed a target', num: true, cell: (g) => String(g.targets_missed ?? 0) },
      { label: 'MTTA (mean)', num: true, cell: (g) => durationText(g.mtta, 'mean') },
      { label: 'MTTR (mean)', num: true, cell: (g) => durationText(g.mttr, 'mean') },
    ];
    const counts = (label) => [
      { label, cell: (c) => c.name },
      { label: 'Incidents', num: true, cell: (c) => String(c.incidents ?? 0) },
    ];

    function section(key, title, ...children) {
      const id = `an-${key}-heading`;
      return el('section', { className: 'panel an-section', 'aria-labelledby': id, dataset: { testid: `an-${key}` } }, el('h2', { id, text: title }), ...children);
    }

    function fillSections(r) {
      const repeat = r.repeat_offenders || {};
      const missed = r.missed_targets || {};
      const missedRows = missed.incidents || [];
      const noiseReport = r.noise || {};
      const teams = (r.by_team || []).filter((g) => g.key);
      const parts = [
        section('by-severity', 'By severity', analyticsTable('an-by-severity', 'Incidents by severity', groupColumns('Severity'), r.by_severity, 'No incidents.')),
        section('by-service', 'By service', analyticsTable('an-by-service', 'Incidents by service', groupColumns('Service'), r.by_service, 'No incidents.')),
        teams.length ? section('by-team', 'By team', analyticsTable('an-by-team', 'Incidents by team', groupColumns('Team'), r.by_team, 'No incidents.')) : null,
        section(
          'oncall',
          'On-call load',
          el('p', { className: 'hint', text: 'Pages sent to each person in the period; night is 22:00–07:00 in their time zone.' }),
          analyticsTable(
            'an-oncall',
            'Pages per person',
            [
              { label: 'Person', cell: (p) => p.username },
              { label: 'Pages', num: true, cell: (p) => String(p.pages ?? 0) },
              { label: 'At night', num: true, cell: (p) => String(p.night_pages ?? 0) },
              { label: 'At the weekend', num: true, cell: (p) => String(p.weekend_pages ?? 0) },
            ],
            r.oncall,
            'Nobody was paged.',
          ),
        ),
        section(
          'repeat',
          'Repeat offenders',
          el('p', { className: 'hint', text: 'Services and alerts with two incidents or more.' }),
          el(
            'div',
            { className: 'an-pair' },
            analyticsTable('an-repeat-services', 'Services with repeated incidents', counts('Service'), repeat.services, 'No service had more than one incident.'),
            analyticsTable('an-repeat-alerts', 'Alerts with repeated incidents', counts('Alert'), repeat.alertnames, 'No alert opened more than one incident.'),
          ),
        ),
        section(
          'slowest',
          'Slowest acknowledgements',
          analyticsTable(
            'an-slowest',
            'Slowest acknowledgements',
            [
              { label: 'Incident', cell: incidentLink },
              { label: 'Title', cell: (row) => row.title },
              { label: 'Severity', cell: (row) => row.severity },
              { label: 'Service', cell: (row) => row.service },
              { label: 'Time to ack', num: true, cell: (row) => durationText(row, 'time_to_ack') },
            ],
            r.slowest_acks,
            'Nothing was acknowledged in the period.',
          ),
        ),
        section(
          'missed',
          'Missed targets',
          missed.total > missedRows.length ? el('p', { className: 'hint', text: `The first ${missedRows.length} of ${missed.total}.` }) : null,
          analyticsTable(
            'an-missed',
            'Incidents that missed a target',
            [
              { label: 'Incident', cell: incidentLink },
              { label: 'Title', cell: (row) => row.title },
              { label: 'Missed', cell: (row) => (row.missed || []).map((m) => (m === 'ack' ? 'acknowledge' : m === 'rto' ? 'RTO' : m)).join(', ') },
              { label: 'Time to ack', num: true, cell: (row) => durationText(row, 'time_to_ack') },
              { label: 'Time to resolve', num: true, cell: (row) => (row.open ? 'still open' : durationText(row, 'time_to_resolve')) },
            ],
            missedRows,
            'No incident missed a target.',
          ),
        ),
        section(
          'noise',
          'Noise',
          el('p', { className: 'hint', dataset: { testid: 'an-noise-count' }, text: `${noiseReport.incidents || 0} incident${noiseReport.incidents === 1 ? '' : 's'} marked as noise in the period: what to tune.` }),
          el(
            'div',
            { className: 'an-pair' },
            analyticsTable('an-noise-alerts', 'Noisiest alerts', counts('Alert'), noiseReport.alertnames, 'No noisy alerts.'),
            analyticsTable('an-noise-services', 'Noisiest services', counts('Service'), noiseReport.services, 'No noisy services.'),
          ),
        ),
      ];
      sections.replaceChildren(...parts.filter(Boolean));
    }

    function describePeriod(r) {
      const p = r.period || {};
      const f = r.filters || {};
      const fromDate = parseTime(p.from);
      const toDate = parseTime(p.to);
      const zoneName = p.time_zone || '';
      const day = (d) =>
        d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric', ...(zoneName ? { timeZone: zoneName } : {}) });
      let text = fromDate && toDate ? `${day(fromDate)} – ${day(new Date(toDate.getTime() - 1))}` : '';
      if (zoneName) text += ` (${zoneName})`;
      const filters = [f.service ? `service ${f.service}` : '', f.team ? `team ${f.team}` : '', f.severity ? f.severity : ''].filter(Boolean);
      if (filters.length) text += ` · ${filters.join(', ')}`;
      text += ` · ${f.only_drills ? 'drills only' : `drills ${f.include_drills ? 'included' : 'left out'}`}, noise ${f.include_noise ? 'included' : 'left out'}`;
      return text;
    }

    async function load(bust) {
      const generation = ++ctx.generation;
      const qs = query();
      if (period.value === 'custom' && !from.value !== !to.value) {
        message.replaceChildren(el('strong', { text: 'Choose both dates.' }), ' The period runs from the start of the first day to the end of the last.');
        return;
      }
      page.setAttribute('aria-busy', 'true');
      links.csv.href = withQuery('/analytics', qs, { format: 'csv' });
      links.csv.setAttribute('download', 'klaxon-analytics.csv');
      links.json.href = withQuery('/analytics', qs);
      links.report.href = withQuery('/reports/quarterly', qs);
      links.markdown.href = withQuery('/reports/quarterly', qs, { format: 'markdown' });
      links.markdown.setAttribute('download', `klaxon-report-${qs.get('quarter') || 'period'}.md`);
      // The charts: the same query (a Refresh asks again past the browser's cache).
      for (const chart of charts) {
        const src = withQuery(`/analytics/charts/${chart.name}.svg`, qs, bust ? { _: String(ctx.refreshes) } : {});
        if (chart.img.getAttribute('src') !== src) chart.img.src = src;
      }
      try {
        const data = await api('GET', `/analytics${qs.toString() ? `?${qs}` : ''}`);
        if (!ctx.alive || generation !== ctx.generation) return;
        clearInvalid(form);
        message.replaceChildren();
        summary.textContent = describePeriod(data);
        fillTiles(data);
        fillSections(data);
        page.dataset.loaded = qs.toString() || 'default';
      } catch (err) {
        if (!ctx.alive || generation !== ctx.generation || (err && err.sessionEnded)) return;
        if (err instanceof ApiError && err.status === 404 && !(err.problem && err.problem.errors && err.problem.errors.length)) {
          message.replaceChildren(el('strong', { text: 'Analytics are not available.' }), ` ${err.message}`);
        } else showFormError(message, form, err, fieldMap);
        summary.textContent = '';
      } finally {
        if (ctx.alive && generation === ctx.generation) page.removeAttribute('aria-busy');
      }
    }

    const apply = (bust) => {
      customFields.hidden = period.value !== 'custom';
      const text = query().toString();
      history.replaceState(null, '', `/ui/analytics${text ? `?${text}` : ''}`);
      load(bust);
    };
    for (const control of [period, service, severity, drills, noise, from, to, team]) control.addEventListener('change', () => apply(false));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      ctx.refreshes += 1;
      apply(true);
    });
    load(false);
    focusHeading();
    return {
      cleanup() {
        ctx.alive = false;
      },
    };
  }

  // ---------------------------------------------------------------- drills (game days)

  const DRILL_RUN_STATUSES = [
    ['scheduled', 'Scheduled'],
    ['running', 'Running'],
    ['finished', 'Finished'],
    ['cancelled', 'Cancelled'],
    ['failed', 'Failed'],
  ];
  const DRILL_RESULTS = [
    ['passed', 'PASSED'],
    ['failed', 'FAILED'],
    ['in_progress', 'IN PROGRESS'],
    ['scheduled', 'SCHEDULED'],
    ['not_run', 'NOT RUN'],
  ];
  const DRILL_OUTCOMES = [
    ['resolved', 'resolved by the team'],
    ['time_limit', 'time limit reached'],
    ['cancelled', 'cancelled'],
    ['silenced', 'every alert was silenced'],
    ['invalid', 'the scenario no longer fits the playbook'],
  ];
  const DRILL_STATES = [
    ['met', 'Met'],
    ['missed', 'Missed'],
    ['pending', 'Pending'],
  ];
  const DRILL_TARGETS = {
    classification: 'Classification',
    paged: 'Someone paged',
    acknowledge: 'Acknowledged',
    first_update: 'First update',
    resolve: 'Resolved',
    time_limit: 'Within the time limit',
  };
  const drillScenarioPath = (key) => `/drills/scenarios/${encodeURIComponent(key)}`;
  const drillRunPath = (id) => `/drills/runs/${encodeURIComponent(id)}`;
  // What may change a drill's list or report: its own events, what the team does on the
  // incident, paging, and the (manual) clock moving.
  const DRILL_EVENT_KINDS =
    /^(drill\..+|incident\.(declared|acknowledged|resolved|reopened|role_assigned|update_posted|severity_changed|status_changed|note_added|moment_marked|runbook_step_checked|action_run|war_room_linked)|escalation\.step_fired|notification\.(delivered|failed)|clock\.advanced)$/;

  const drillTargetLabel = (name) => {
    const n = String(name || '');
    if (DRILL_TARGETS[n]) return DRILL_TARGETS[n];
    if (n.startsWith('role:')) return `Role ${roleLabel(n.slice(5))} filled`;
    return humanize(n);
  };
  const expectedActionText = (a) => (a && typeof a === 'object' ? `${a.action}${a.within ? ` within ${a.within}` : ''}` : String(a || ''));

  function drillRunStatusBadge(status, testid = 'drill-run-status') {
    return el('span', { className: 'badge drill-run-status', dataset: { status: status || '', testid }, text: labelOf(DRILL_RUN_STATUSES, status) });
  }

  function drillStateBadge(state) {
    return el('span', { className: 'badge drill-state', dataset: { state: state || '', testid: 'drill-state' }, text: labelOf(DRILL_STATES, state) });
  }

  function drillResultBadge(result, testid = 'drill-run-result') {
    return el('span', { className: 'badge drill-result-badge', dataset: { result: result || '', testid }, text: labelOf(DRILL_RESULTS, result) });
  }

  // The incident of a run: its link and the DRILL mark (the incident pages show it too).
  function drillIncidentLink(incident, testid, extraText) {
    if (!incident || !incident.id) return el('span', { className: 'muted', text: 'No incident' });
    return el(
      'span',
      { className: 'drill-incident' },
      el('a', { href: `/ui/incidents/${incident.id}`, title: incident.title || '', dataset: { link: '', testid }, text: incident.ref || `INC-${incident.id}` }),
      extraText ? ` ${extraText} ` : ' ',
      ...incidentFlagBadges({ drill: true }, testid),
    );
  }

  // When a run happened (or will): finished, started, else scheduled.
  function drillRunWhen(run) {
    const pick_ = run.finished_at ? ['Ended', run.finished_at] : run.started_at ? ['Started', run.started_at] : run.scheduled_at ? ['Scheduled for', run.scheduled_at] : null;
    if (!pick_) return el('span', { className: 'muted', text: '—' });
    return el('span', { dataset: { testid: 'drill-run-when' } }, `${pick_[0]} `, timeTag(pick_[1]));
  }

  // "key=value" lines (blank lines and # comments skipped) → {values, errors}.
  function parseKeyValueLines(text) {
    const values = {};
    const errors = [];
    String(text || '')
      .split('\n')
      .forEach((raw, i) => {
        const line = raw.trim();
        if (!line || line.startsWith('#')) return;
        const eq = line.indexOf('=');
        if (eq <= 0) errors.push(`line ${i + 1}: write name=value`);
        else values[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
      });
    return { values, errors };
  }

  // Expected actions, one a line: "acknowledge", "assign_role:commander within 10m".
  // → {items (the API's), lines (the line number of each item), errors}.
  function parseExpectedLines(text) {
    const items = [];
    const lines = [];
    const errors = [];
    String(text || '')
      .split('\n')
      .forEach((raw, i) => {
        const line = raw.trim();
        if (!line) return;
        const m = /^(\S+)(?:\s+within\s+(\S+))?$/i.exec(line);
        if (!m) {
          errors.push(`line ${i + 1}: write an action and optionally "within" a time, like assign_role:commander within 10m`);
          return;
        }
        items.push(m[2] ? { action: m[1], within: m[2] } : m[1]);
        lines.push(i + 1);
      });
    return { items, lines, errors };
  }

  // The scenario form's problem in the form's terms: an alert's field goes to the control
  // that wrote it, an expected action's to the text box with its line number; a duplicate
  // name (409) to the name.
  function scenarioProblem(err, expectedLines) {
    const problem = (err && err.problem) || { title: 'Something went wrong', detail: String((err && err.message) || err) };
    if (err && err.status === 409 && !(Array.isArray(problem.errors) && problem.errors.length)) {
      return { status: 409, problem: { ...problem, errors: [{ field: '/name', message: problem.detail || 'is taken' }] } };
    }
    const errors = (Array.isArray(problem.errors) ? problem.errors : []).map((item) => {
      const field = String(item.field || '');
      const message = item.message || 'is invalid';
      let m = /^\/alerts\/\d+\/labels\/(.+)$/.exec(field);
      if (m) return m[1] === 'alertname' ? { field: '/alertname', message } : { field: '/labels', message: `${m[1]}: ${message}` };
      m = /^\/alerts\/\d+\/annotations\/(.+)$/.exec(field);
      if (m) return m[1] === 'summary' ? { field: '/summary', message } : { field: '/annotations', message: `${m[1]}: ${message}` };
      if (/^\/alerts(\/|$)/.test(field)) return { field: '/labels', message };
      m = /^\/expected_actions\/(\d+)(\/within)?/.exec(field);
      if (m) {
        const line = expectedLines[Number(m[1])];
        return { field: '/expected_actions', message: `${line ? `line ${line}` : `action ${Number(m[1]) + 1}`}${m[2] ? ' (within)' : ''}: ${message}` };
      }
      return { field, message };
    });
    return { status: err && err.status, problem: { ...problem, errors } };
  }

  // The "New scenario" form. onCreated(scenario) after a 201.
  function drillScenarioForm({ onCreated, onClose }) {
    const box = formErrorBox('drill-form-error');
    const name = el('input', { id: 'drill-name', type: 'text', maxlength: '100', autocomplete: 'off', required: true, placeholder: 'checkout-error-spike', dataset: { testid: 'drill-name' } });
    const description = el('textarea', { id: 'drill-description', rows: '2', maxlength: '2000', dataset: { testid: 'drill-description' } });
    const service = el('select', { id: 'drill-service', required: true, dataset: { testid: 'drill-service' } }, el('option', { value: '', text: 'Choose a service' }));
    const severity = el('select', { id: 'drill-severity', required: true, dataset: { testid: 'drill-severity' } }, el('option', { value: '', text: 'Choose a severity' }));
    const alertname = el('input', { id: 'drill-alertname', type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'Drill', dataset: { testid: 'drill-alertname' } });
    const summary = el('input', { id: 'drill-summary', type: 'text', autocomplete: 'off', placeholder: 'Drill: <scenario name>', dataset: { testid: 'drill-summary' } });
    const labels = el('textarea', { id: 'drill-labels', rows: '2', spellcheck: 'false', placeholder: 'env=prod', 'aria-describedby': 'drill-labels-hint', dataset: { testid: 'drill-labels' } });
    const annotations = el('textarea', { id: 'drill-annotations', rows: '2', spellcheck: 'false', placeholder: 'value=0.23', 'aria-describedby': 'drill-annotations-hint', dataset: { testid: 'drill-annotations' } });
    const expected = el('textarea', {
      id: 'drill-expected',
      rows: '4',
      spellcheck: 'false',
      placeholder: 'acknowledge\nassign_role:commander within 10m\npost_update',
      'aria-describedby': 'drill-expected-hint',
      dataset: { testid: 'drill-expected' },
    });
    const timeLimit = el('input', { id: 'drill-time-limit', type: 'text', autocomplete: 'off', spellcheck: 'false', value: '1h', 'aria-describedby': 'drill-time-limit-hint', dataset: { testid: 'drill-time-limit' } });
    const allowPublic = el('input', { id: 'drill-allow-public', type: 'checkbox', 'aria-describedby': 'drill-allow-public-hint', dataset: { testid: 'drill-allow-public' } });
    const publicWarning = el(
      'p',
      { className: 'drill-public-warning', hidden: true, role: 'note', dataset: { testid: 'drill-public-warning' } },
      el('strong', { text: 'Customers will see this drill.' }),
      ' Updates to the status page and customer notices are allowed for its incident (marked [DRILL]).',
    );
    const submit = el('button', { type: 'submit', text: 'Create scenario', dataset: { testid: 'drill-create-submit' } });
    const cancel = el('button', { type: 'button', className: 'button-secondary', text: 'Cancel', dataset: { testid: 'drill-create-cancel' } });
    const fieldMap = {
      name: name.id,
      description: description.id,
      service: service.id,
      severity: severity.id,
      alertname: alertname.id,
      summary: summary.id,
      labels: labels.id,
      annotations: annotations.id,
      expected_actions: expected.id,
      time_limit: timeLimit.id,
      allow_public: allowPublic.id,
    };

    const form = el(
      'form',
      { id: 'drill-form', className: 'panel drill-form', novalidate: true, hidden: true, 'aria-labelledby': 'drill-form-heading', dataset: { testid: 'drill-form' } },
      el('h2', { id: 'drill-form-heading', text: 'New scenario' }),
      el('div', { className: 'field-row' }, labelledField('Name', name), labelledField('Service', service), labelledField('Severity', severity)),
      labelledField('Description', description),
      el(
        'fieldset',
        { className: 'field-group drill-alert-fields' },
        el('legend', { text: 'The alert the drill fires' }),
        el('p', { className: 'hint', text: 'It goes through intake and classification like a real one; service, severity and drill_run are added.' }),
        el('div', { className: 'field-row' }, labelledField('Alert name', alertname), labelledField('Summary', summary)),
        el(
          'div',
          { className: 'field-row' },
          labelledField('Other labels', labels, el('p', { id: 'drill-labels-hint', className: 'hint', text: 'One name=value a line.' })),
          labelledField('Other annotations', annotations, el('p', { id: 'drill-annotations-hint', className: 'hint', text: 'One name=value a line.' })),
        ),
      ),
      labelledField(
        'Expected actions',
        expected,
        el(
          'p',
          { id: 'drill-expected-hint', className: 'hint' },
          'One a line, optionally with a time from the start: ',
          el('code', { text: 'assign_role:commander within 10m' }),
          '. Actions: acknowledge, assign_role:ROLE, post_update, run_action:NAME, check_runbook_step, add_note, mark_moment:MOMENT, link_war_room, change_severity, resolve.',
        ),
      ),
      el(
        'div',
        { className: 'field-row' },
        labelledField('Time limit', timeLimit, el('p', { id: 'drill-time-limit-hint', className: 'hint', text: 'From 1m to 24h, like 45m or 1h. The drill ends (and resolves its incident) then.' })),
      ),
      el(
        'div',
        { className: 'field check drill-public-field' },
        el('label', { for: allowPublic.id }, allowPublic, ' May reach the status page and customers'),
        el('p', { id: 'drill-allow-public-hint', className: 'hint', text: 'Off: the drill never reaches the public status page or customer notices; only your team is paged (marked DRILL).' }),
        publicWarning,
      ),
      box,
      el('div', { className: 'actions' }, submit, cancel),
    );

    allowPublic.addEventListener('change', () => {
      publicWarning.hidden = !allowPublic.checked;
    });
    cancel.addEventListener('click', () => {
      clearInvalid(form);
      box.replaceChildren();
      onClose();
    });

    let choicesLoaded = false;
    function loadChoices() {
      if (choicesLoaded) return;
      choicesLoaded = true;
      loadServices()
        .then((services) => {
          const keep = service.value;
          service.replaceChildren(
            el('option', { value: '', text: 'Choose a service' }),
            ...services.filter((s) => !s.archived_at).map((s) => el('option', { value: s.name, text: s.name })),
          );
          if ([...service.options].some((o) => o.value === keep)) service.value = keep;
        })
        .catch(() => {
          choicesLoaded = false;
        });
      loadSeverities()
        .then((severities) => {
          const keep = severity.value;
          severity.replaceChildren(el('option', { value: '', text: 'Choose a severity' }), ...severities.map(severityOption));
          if ([...severity.options].some((o) => o.value === keep)) severity.value = keep;
        })
        .catch(() => {
          choicesLoaded = false;
        });
    }

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const problems = [];
      const extraLabels = parseKeyValueLines(labels.value);
      const extraAnnotations = parseKeyValueLines(annotations.value);
      const actions = parseExpectedLines(expected.value);
      for (const message of extraLabels.errors) problems.push({ field: '/labels', message });
      for (const message of extraAnnotations.errors) problems.push({ field: '/annotations', message });
      for (const message of actions.errors) problems.push({ field: '/expected_actions', message });
      if (!name.value.trim()) problems.push({ field: '/name', message: 'is required' });
      if (problems.length) {
        showFormError(box, form, { status: 0, problem: { title: 'Check the scenario', errors: problems } }, fieldMap);
        form.querySelector('[aria-invalid="true"]')?.focus();
        return;
      }
      const alertLabels = { ...extraLabels.values };
      if (alertname.value.trim()) alertLabels.alertname = alertname.value.trim();
      const alertAnnotations = { ...extraAnnotations.values };
      if (summary.value.trim()) alertAnnotations.summary = summary.value.trim();
      const hasAlert = Object.keys(alertLabels).length || Object.keys(alertAnnotations).length;
      const body = {
        name: name.value.trim(),
        description: description.value.trim(),
        service: service.value,
        severity: severity.value,
        alerts: hasAlert ? [{ labels: alertLabels, annotations: alertAnnotations }] : [],
        expected_actions: actions.items,
        allow_public: allowPublic.checked,
      };
      if (timeLimit.value.trim()) body.time_limit = timeLimit.value.trim();
      submit.disabled = true;
      box.replaceChildren();
      let created;
      try {
        created = await api('POST', '/drills/scenarios', body);
      } catch (err) {
        if (!(err && err.sessionEnded) && form.isConnected) {
          showFormError(box, form, scenarioProblem(err, actions.lines), fieldMap);
          form.querySelector('[aria-invalid="true"]')?.focus();
        }
        return;
      } finally {
        if (submit.isConnected) submit.disabled = false;
      }
      clearInvalid(form);
      form.reset();
      timeLimit.value = '1h';
      publicWarning.hidden = true;
      announce(`Drill scenario ${created.name} created.`);
      onCreated(created);
    });

    return {
      form,
      open() {
        loadChoices();
        form.hidden = false;
        name.focus();
      },
      close() {
        form.hidden = true;
      },
    };
  }

  // One scenario of the list, kept across reloads (an open Schedule… form keeps what was
  // typed): fill(scenario) updates what it shows.
  function drillScenarioCard(ctx, onChanged) {
    const canAct = canRespond();
    const box = formErrorBox('drill-scenario-error');
    const nameNode = el('h3', { className: 'drill-scenario-name', dataset: { testid: 'drill-scenario-name' } });
    const badges = el('span', { className: 'drill-scenario-badges' });
    const description = el('p', { className: 'drill-scenario-description', dataset: { testid: 'drill-scenario-description' } });
    const facts = el('dl', { className: 'drill-facts' });
    const card = el('li', { className: 'drill-scenario', dataset: { testid: 'drill-scenario' } }, el('div', { className: 'drill-scenario-head' }, nameNode, badges), description, facts);
    let scenario = null;

    if (canAct) {
      const runNow = el('button', { type: 'button', text: 'Run now', 'aria-expanded': 'false', dataset: { testid: 'drill-run-now' } });
      const scheduleButton = el('button', { type: 'button', className: 'button-secondary', text: 'Schedule…', 'aria-expanded': 'false', dataset: { testid: 'drill-schedule' } });
      const deleteButton = el('button', { type: 'button', className: 'button-secondary', text: 'Delete', dataset: { testid: 'drill-delete' } });
      // Run now pages people for real (marked DRILL): one more click to be sure.
      const confirmRun = el('button', { type: 'button', text: 'Start the drill', dataset: { testid: 'drill-run-confirm' } });
      const keepRun = el('button', { type: 'button', className: 'button-secondary', text: 'Not now', dataset: { testid: 'drill-run-abort' } });
      const confirmPanel = el(
        'div',
        { className: 'drill-inline', hidden: true, dataset: { testid: 'drill-run-panel' } },
        el('p', { className: 'drill-inline-text', text: 'The drill fires its alert now: the on-call people are paged (marked DRILL) and an incident opens.' }),
        el('div', { className: 'actions' }, confirmRun, keepRun),
      );
      const atId = `drill-at-${ctx.nextId++}`;
      const at = el('input', { id: atId, type: 'datetime-local', dataset: { testid: 'drill-schedule-at' } });
      const scheduleSubmit = el('button', { type: 'submit', text: 'Schedule', dataset: { testid: 'drill-schedule-submit' } });
      const scheduleCancel = el('button', { type: 'button', className: 'button-secondary', text: 'Cancel', dataset: { testid: 'drill-schedule-cancel' } });
      const scheduleForm = el(
        'form',
        { className: 'drill-inline', novalidate: true, hidden: true, dataset: { testid: 'drill-schedule-form' } },
        el('div', { className: 'field' }, el('label', { for: atId, text: `Start at (your time${browserTimeZone() ? `, ${browserTimeZone()}` : ''})` }), at),
        el('div', { className: 'actions' }, scheduleSubmit, scheduleCancel),
      );
      let deleteArmed = false;
      const disarmDelete = () => {
        deleteArmed = false;
        deleteButton.textContent = 'Delete';
        deleteButton.classList.remove('button-danger');
      };
      const show = (panel) => {
        confirmPanel.hidden = panel !== confirmPanel;
        scheduleForm.hidden = panel !== scheduleForm;
        runNow.setAttribute('aria-expanded', panel === confirmPanel ? 'true' : 'false');
        scheduleButton.setAttribute('aria-expanded', panel === scheduleForm ? 'true' : 'false');
        clearInvalid(card);
        box.replaceChildren();
      };
      runNow.addEventListener('click', () => {
        disarmDelete();
        show(confirmPanel);
        confirmRun.focus();
      });
      keepRun.addEventListener('click', () => {
        show(null);
        runNow.focus();
      });
      confirmRun.addEventListener('click', async () => {
        const run = await formAct(box, card, confirmRun, () => api('POST', `${drillScenarioPath(scenario.id)}/runs`, {}));
        if (!run) return;
        show(null);
        announce(`Drill ${scenario.name} started${run.incident ? `: ${run.incident.ref}` : ''}.`);
        onChanged();
      });
      scheduleButton.addEventListener('click', async () => {
        disarmDelete();
        if (!at.value) {
          // The next full hour after an hour from now (the server's clock).
          await syncServerClock();
          const when = new Date(serverNow() + 3600000);
          when.setMinutes(0, 0, 0);
          when.setHours(when.getHours() + 1);
          at.value = toLocalInput(when);
        }
        show(scheduleForm);
        at.focus();
      });
      scheduleCancel.addEventListener('click', () => {
        show(null);
        scheduleButton.focus();
      });
      scheduleForm.addEventListener('submit', async (event) => {
        event.preventDefault();
        const when = at.value ? new Date(at.value) : null;
        if (!when || Number.isNaN(when.getTime())) {
          showFormError(box, card, { status: 0, problem: { title: 'When should it start?', errors: [{ field: '/at', message: 'choose a day and time' }] } }, { at: atId });
          at.focus();
          return;
        }
        const run = await formAct(box, card, scheduleSubmit, () => api('POST', `${drillScenarioPath(scenario.id)}/runs`, { at: when.toISOString() }), { at: atId });
        if (!run) return;
        show(null);
        at.value = '';
        announce(`Drill ${scenario.name} scheduled for ${formatDayTime(run.scheduled_at)}.`);
        onChanged();
      });
      deleteButton.addEventListener('click', async () => {
        if (!deleteArmed) {
          show(null);
          deleteArmed = true;
          deleteButton.textContent = 'Click again to delete';
          deleteButton.classList.add('button-danger');
          return;
        }
        const done = await formAct(box, card, deleteButton, () => api('DELETE', drillScenarioPath(scenario.id)).then(() => true));
        disarmDelete();
        if (!done) return;
        announce(`Drill scenario ${scenario.name} deleted; its past runs stay.`);
        onChanged();
      });
      deleteButton.addEventListener('blur', () => setTimeout(() => deleteArmed && document.activeElement !== deleteButton && disarmDelete(), 150));
      card.append(el('div', { className: 'actions drill-scenario-actions' }, runNow, scheduleButton, deleteButton), confirmPanel, scheduleForm, box);
    }

    function fact(label, value, testid) {
      return [el('dt', { text: label }), el('dd', { dataset: { testid } }, value)];
    }

    return {
      card,
      fill(s) {
        scenario = s;
        card.dataset.scenarioId = String(s.id);
        card.dataset.name = s.name;
        nameNode.textContent = s.name;
        const sev = el('span', { className: 'badge severity', dataset: { rank: severityRank(s.severity), testid: 'drill-scenario-severity' }, text: s.severity });
        badges.replaceChildren(
          sev,
          s.allow_public ? el('span', { className: 'badge drill-public', title: 'May reach the status page and customers', dataset: { testid: 'drill-scenario-public' }, text: 'May go public' }) : '',
        );
        setText(description, s.description, 'No description.');
        const last = s.last_run;
        const lastNode = last
          ? el(
              'span',
              {},
              el('a', { href: `/ui/drills/runs/${last.id}`, dataset: { link: '', testid: 'drill-scenario-last-run-link' }, text: `Run ${last.id}` }),
              ' ',
              drillRunStatusBadge(last.status, 'drill-scenario-last-run-status'),
              last.started_at || last.scheduled_at ? ' ' : '',
              last.started_at || last.scheduled_at ? timeTag(last.started_at || last.scheduled_at) : '',
            )
          : el('span', { className: 'muted', text: 'Never run' });
        const actions = (s.expected_actions || []).map(expectedActionText);
        facts.replaceChildren(
          ...fact('Service', s.service, 'drill-scenario-service'),
          ...fact('Time limit', s.time_limit, 'drill-scenario-time-limit'),
          ...fact('Expected', actions.length ? actions.join(', ') : 'nothing in particular', 'drill-scenario-expected'),
          ...fact('Last run', lastNode, 'drill-scenario-last-run'),
          ...fact('Runs', String(s.runs ?? 0), 'drill-scenario-runs'),
        );
      },
    };
  }

  // /ui/drills: the scenarios (run now, schedule, define a new one) and the runs, newest
  // first (?status= keeps the filter).
  function drillsView() {
    document.title = 'Drills · Klaxon';
    const ctx = { alive: true, generation: 0, cards: new Map(), nextId: 1 };
    const canAct = canRespond();
    const params = new URLSearchParams(location.search);
    const wantedStatus = DRILL_RUN_STATUSES.some(([v]) => v === params.get('status')) ? params.get('status') : '';

    const message = formErrorBox('drill-page-error');
    const scenarioList = el('ul', { className: 'drill-scenarios', 'aria-labelledby': 'drill-scenarios-heading', dataset: { testid: 'drill-scenarios' } });
    const scenariosEmpty = el('p', { className: 'empty', hidden: true, dataset: { testid: 'drill-scenarios-empty' }, text: 'No scenarios yet.' });
    const newButton = canAct ? el('button', { type: 'button', text: 'New scenario', 'aria-expanded': 'false', 'aria-controls': 'drill-form', dataset: { testid: 'drill-new' } }) : null;
    const status = el(
      'select',
      { id: 'drill-runs-status', dataset: { testid: 'drill-runs-status' } },
      el('option', { value: '', text: 'Any status' }),
      ...DRILL_RUN_STATUSES.map(([value, label]) => el('option', { value, text: label })),
    );
    status.value = wantedStatus;
    const runsBody = el('tbody', { dataset: { testid: 'drill-run-rows' } });
    const runsTable = el(
      'table',
      { className: 'data-table drill-runs-table', 'aria-labelledby': 'drill-runs-heading', dataset: { testid: 'drill-runs' } },
      el('thead', {}, el('tr', {}, ...['Run', 'Scenario', 'Status', 'When', 'Incident', 'Result', ''].map((h) => el('th', { scope: 'col', text: h })))),
      runsBody,
    );
    const runsEmpty = el('p', { className: 'empty', hidden: true, dataset: { testid: 'drill-runs-empty' } });
    const runsBox = formErrorBox('drill-runs-error');

    const scenarioForm = canAct
      ? drillScenarioForm({
          onCreated: () => {
            closeForm();
            view.reload();
            newButton.focus();
          },
          onClose: () => {
            closeForm();
            newButton.focus();
          },
        })
      : null;
    function closeForm() {
      scenarioForm.close();
      newButton.setAttribute('aria-expanded', 'false');
    }
    if (newButton) {
      newButton.addEventListener('click', () => {
        scenarioForm.open();
        newButton.setAttribute('aria-expanded', 'true');
      });
    }

    const page = el(
      'section',
      { className: 'drills-page', dataset: { testid: 'drills' } },
      el('div', { className: 'section-head' }, el('h1', { id: 'drills-heading', text: 'Drills' }), el('div', { className: 'actions' }, newButton)),
      el('p', { className: 'hint', text: 'Game days: a scenario fires a made-up alert through the real flow. People are paged and work the incident as usual, everything marked DRILL; the report shows which targets and expected actions were met.' }),
      message,
      scenarioForm ? scenarioForm.form : null,
      el(
        'section',
        { className: 'panel', 'aria-labelledby': 'drill-scenarios-heading' },
        el('h2', { id: 'drill-scenarios-heading', text: 'Scenarios' }),
        scenarioList,
        scenariosEmpty,
      ),
      el(
        'section',
        { className: 'panel', 'aria-labelledby': 'drill-runs-heading' },
        el('div', { className: 'section-head' }, el('h2', { id: 'drill-runs-heading', text: 'Runs' }), el('div', { className: 'field drill-runs-filter' }, el('label', { for: status.id, text: 'Status' }), status)),
        runsBox,
        el('div', { className: 'table-wrap' }, runsTable),
        runsEmpty,
      ),
    );
    main().replaceChildren(page);

    function runRow(run) {
      const summary = run.summary;
      // One child a cell: on phones each cell is a grid of its label and its content.
      const result = el('span', {}, summary ? '' : el('span', { className: 'muted', text: '—' }));
      if (summary) {
        result.append(
          drillResultBadge(summary.result),
          ' ',
          el('span', { className: 'drill-counts', dataset: { testid: 'drill-run-counts' }, text: `${summary.met || 0} met · ${summary.missed || 0} missed${summary.pending ? ` · ${summary.pending} pending` : ''}` }),
        );
      }
      const actions = el('span', { className: 'drill-run-actions' }, el('a', { href: `/ui/drills/runs/${run.id}`, dataset: { link: '', testid: 'drill-run-report' }, text: 'Report' }));
      if (canAct && (run.status === 'scheduled' || run.status === 'running')) {
        const cancel = el('button', {
          type: 'button',
          className: 'button-secondary small',
          text: run.status === 'running' ? 'Stop' : 'Cancel',
          title: run.status === 'running' ? 'End the drill now (its incident is resolved)' : 'Cancel the scheduled run',
          dataset: { testid: 'drill-run-cancel' },
        });
        cancel.addEventListener('click', async () => {
          const done = await formAct(runsBox, page, cancel, () => api('POST', `${drillRunPath(run.id)}/cancel`, {}));
          if (!done) return;
          announce(`Drill run ${run.id} ${run.status === 'running' ? 'stopped' : 'cancelled'}.`);
          view.reload();
        });
        actions.append(' ', cancel);
      }
      const outcome = run.outcome ? labelOf(DRILL_OUTCOMES, run.outcome) : '';
      return el(
        'tr',
        { dataset: { testid: 'drill-run-row', runId: String(run.id), status: run.status, scenario: (run.scenario && run.scenario.name) || '' } },
        el('td', { dataset: { label: 'Run' } }, el('a', { href: `/ui/drills/runs/${run.id}`, dataset: { link: '', testid: 'drill-run-link' }, text: `#${run.id}` })),
        el('td', { dataset: { label: 'Scenario', testid: 'drill-run-scenario' }, text: (run.scenario && run.scenario.name) || '' }),
        el(
          'td',
          { dataset: { label: 'Status' } },
          el(
            'span',
            {},
            drillRunStatusBadge(run.status),
            outcome ? el('span', { className: 'drill-outcome muted', dataset: { testid: 'drill-run-outcome' }, text: ` ${outcome}` }) : '',
            run.note ? el('span', { className: 'hint drill-note', text: run.note }) : '',
          ),
        ),
        el('td', { dataset: { label: 'When' } }, drillRunWhen(run)),
        el('td', { dataset: { label: 'Incident' } }, drillIncidentLink(run.incident, 'drill-run-incident')),
        el('td', { dataset: { label: 'Result' } }, result),
        el('td', { dataset: { label: '' } }, actions),
      );
    }

    async function load() {
      const generation = ++ctx.generation;
      page.setAttribute('aria-busy', 'true');
      const runsQuery = status.value ? `?status=${encodeURIComponent(status.value)}` : '';
      try {
        const [scenarios, runs] = await Promise.all([api('GET', '/drills/scenarios'), api('GET', `/drills/runs${runsQuery}`)]);
        if (!ctx.alive || generation !== ctx.generation) return;
        const items = scenarios.items || [];
        const seen = new Set();
        const cards = items.map((s) => {
          const key = String(s.id);
          seen.add(key);
          let entry = ctx.cards.get(key);
          if (!entry) {
            entry = drillScenarioCard(ctx, () => view.reload());
            ctx.cards.set(key, entry);
          }
          entry.fill(s);
          return entry.card;
        });
        for (const key of [...ctx.cards.keys()]) if (!seen.has(key)) ctx.cards.delete(key);
        // Only when the list changed: moving a card would take the focus from it.
        const shown = [...scenarioList.children];
        if (shown.length !== cards.length || shown.some((node, i) => node !== cards[i])) scenarioList.replaceChildren(...cards);
        scenariosEmpty.hidden = items.length > 0;
        scenariosEmpty.textContent = canAct ? 'No scenarios yet: define one with New scenario.' : 'No scenarios yet.';
        const runItems = runs.items || [];
        runsBody.replaceChildren(...runItems.map(runRow));
        runsTable.hidden = runItems.length === 0;
        runsEmpty.hidden = runItems.length > 0;
        runsEmpty.textContent = status.value ? `No ${labelOf(DRILL_RUN_STATUSES, status.value).toLowerCase()} runs.` : 'No drill has been run yet.';
        message.replaceChildren();
        page.dataset.loaded = 'yes';
      } catch (err) {
        if (ctx.alive && !(err && err.sessionEnded)) showFormError(message, page, err);
      } finally {
        if (ctx.alive && generation === ctx.generation) page.removeAttribute('aria-busy');
      }
    }

    const view = liveView(ctx, load, { kinds: DRILL_EVENT_KINDS, everyMs: 30000 });
    status.addEventListener('change', () => {
      history.replaceState(null, '', `/ui/drills${status.value ? `?status=${encodeURIComponent(status.value)}` : ''}`);
      view.reload();
    });
    focusHeading();
    return view;
  }

  // /ui/drills/runs/{id}: the drill report: the result, the incident, the level's targets
  // and the expected actions (each met, missed or pending) and the paging facts; live while
  // the drill runs.
  function drillReportView(id) {
    document.title = `Drill run ${id} · Klaxon`;
    const ctx = { alive: true, generation: 0 };
    const canAct = canRespond();
    const message = formErrorBox('drill-report-error');
    const heading = el('h1', { id: 'drill-report-heading', dataset: { testid: 'drill-report-heading' }, text: `Drill run ${id}` });
    const markdown = el(
      'a',
      { className: 'button button-secondary small', href: `${API}${drillRunPath(id)}/report?format=markdown`, target: '_blank', rel: 'noopener', dataset: { testid: 'drill-report-markdown' } },
      'Markdown',
      el('span', { className: 'visually-hidden', text: ' (opens in a new tab)' }),
    );
    const cancel = canAct ? el('button', { type: 'button', className: 'button-secondary small', hidden: true, dataset: { testid: 'drill-report-cancel' } }) : null;
    const banner = el('div', { className: 'drill-result', role: 'status', dataset: { testid: 'drill-result' } });
    const facts = el('dl', { className: 'drill-facts drill-report-facts', dataset: { testid: 'drill-report-facts' } });
    const targets = el('div', { dataset: { testid: 'drill-targets-wrap' } });
    const expected = el('div', { dataset: { testid: 'drill-expected-wrap' } });
    const paging = el('dl', { className: 'drill-facts', dataset: { testid: 'drill-paging' } });
    const page = el(
      'section',
      { className: 'drill-report', dataset: { testid: 'drill-report', runId: String(id) } },
      el('p', { className: 'drill-back' }, el('a', { href: '/ui/drills', dataset: { link: '', testid: 'drill-report-back' }, text: '← Drills' })),
      el(
        'div',
        { className: 'section-head' },
        el('div', { className: 'drill-report-title' }, el('span', { className: 'badge drill drill-mark', title: 'A drill (game day), not a real incident', dataset: { testid: 'drill-report-mark' }, text: 'DRILL' }), heading),
        el('div', { className: 'actions' }, markdown, cancel),
      ),
      message,
      banner,
      el('section', { className: 'panel', 'aria-label': 'The run' }, facts),
      el('section', { className: 'panel', 'aria-labelledby': 'drill-targets-heading' }, el('h2', { id: 'drill-targets-heading', text: 'Targets' }), el('p', { className: 'hint', text: "The severity level's targets and the drill's time limit." }), targets),
      el('section', { className: 'panel', 'aria-labelledby': 'drill-expected-heading' }, el('h2', { id: 'drill-expected-heading', text: 'Expected actions' }), expected),
      el('section', { className: 'panel', 'aria-labelledby': 'drill-paging-heading' }, el('h2', { id: 'drill-paging-heading', text: 'Paging' }), paging),
    );
    main().replaceChildren(page);

    let run = null;
    if (cancel) {
      cancel.addEventListener('click', async () => {
        const done = await formAct(message, page, cancel, () => api('POST', `${drillRunPath(id)}/cancel`, {}));
        if (!done) return;
        announce(`Drill run ${id} ${run && run.status === 'running' ? 'stopped' : 'cancelled'}.`);
        view.reload();
      });
    }

    const timeOrDash = (value) => (value ? timeTag(value) : '—');
    const fact = (label, value, testid) => [el('dt', { text: label }), el('dd', { dataset: testid ? { testid } : {} }, value === '' || value === null || value === undefined ? '—' : value)];

    function table(testid, caption, columns, rows, rowData, emptyText) {
      if (!rows.length) return el('p', { className: 'muted', dataset: { testid: `${testid}-empty` }, text: emptyText });
      return el(
        'div',
        { className: 'table-wrap' },
        el(
          'table',
          { className: 'data-table drill-table', dataset: { testid } },
          el('caption', { className: 'visually-hidden', text: caption }),
          el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', { scope: 'col', text: c.label })))),
          el(
            'tbody',
            {},
            ...rows.map((row) =>
              el(
                'tr',
                { dataset: { ...rowData(row), state: row.state || '' } },
                ...columns.map((c) => {
                  const value = c.cell(row);
                  return el('td', { className: c.nowrap ? 'nowrap' : null, dataset: { label: c.label } }, value === null || value === undefined || value === '' ? '—' : value);
                }),
              ),
            ),
          ),
        ),
      );
    }

    function fill(report) {
      run = report.run || {};
      const scenario = report.scenario || {};
      const scenarioName = scenario.name || (run.scenario && run.scenario.name) || '';
      heading.textContent = `Drill report: ${scenarioName}`;
      document.title = `Drill report: ${scenarioName} · Klaxon`;
      const summary = report.summary || {};
      const result = summary.result || 'not_run';
      banner.dataset.result = result;
      banner.replaceChildren(
        el('span', { className: 'drill-result-text', dataset: { testid: 'drill-result-text' }, text: labelOf(DRILL_RESULTS, result) }),
        el('span', {
          className: 'drill-result-counts',
          dataset: { testid: 'drill-result-counts' },
          text: `${summary.met || 0} met · ${summary.missed || 0} missed · ${summary.pending || 0} pending`,
        }),
      );
      if (cancel) {
        cancel.hidden = !(run.status === 'scheduled' || run.status === 'running');
        cancel.textContent = run.status === 'running' ? 'Stop the drill' : 'Cancel the run';
      }
      const inc = report.incident;
      const incidentNode = inc
        ? el(
            'span',
            {},
            drillIncidentLink(inc, 'drill-report-incident', inc.title || ''),
            ' ',
            el('span', { className: 'badge severity', dataset: { rank: severityRank(inc.severity) }, text: inc.severity || '' }),
            ' ',
            el('span', { className: 'badge status', dataset: { status: inc.status || '' }, text: inc.status || '' }),
          )
        : el('span', { className: 'muted', dataset: { testid: 'drill-report-no-incident' }, text: run.status === 'scheduled' ? 'Not started yet' : 'No incident' });
      const outcome = run.outcome ? labelOf(DRILL_OUTCOMES, run.outcome) : '';
      facts.replaceChildren(
        ...fact('Status', el('span', {}, drillRunStatusBadge(run.status, 'drill-report-status'), outcome ? ` ${outcome}` : ''), null),
        ...fact('Incident', incidentNode, null),
        ...fact('Service', scenario.service || '', 'drill-report-service'),
        ...(run.scheduled_at ? fact('Scheduled for', timeTag(run.scheduled_at), null) : []),
        ...fact('Started', timeOrDash(run.started_at), null),
        ...fact(run.finished_at ? 'Ended' : 'Ends', timeOrDash(run.finished_at || run.ends_at), null),
        ...fact('Time limit', run.time_limit || scenario.time_limit || '', 'drill-report-time-limit'),
        ...(run.note ? fact('Note', run.note, 'drill-report-note') : []),
      );
      const targetRows = report.targets || [];
      targets.replaceChildren(
        table(
          'drill-targets',
          'Targets',
          [
            { label: 'Target', cell: (t) => el('span', {}, el('span', { className: 'drill-target-name', text: drillTargetLabel(t.name) }), t.description ? el('span', { className: 'hint drill-target-description', text: t.description }) : '') },
            { label: 'Goal', nowrap: true, cell: (t) => (t.expected !== undefined ? t.expected : t.target) || '' },
            { label: 'Took', nowrap: true, cell: (t) => (t.actual !== undefined ? t.actual : t.took) || '' },
            { label: 'By', cell: (t) => t.by || '' },
            { label: 'Due', cell: (t) => (t.due_at ? timeTag(t.due_at) : '') },
            { label: 'Done', cell: (t) => (t.done_at ? timeTag(t.done_at) : '') },
            { label: 'Result', cell: (t) => el('span', {}, drillStateBadge(t.state), t.detail ? el('span', { className: 'hint drill-detail', text: ` ${t.detail}` }) : '') },
          ],
          targetRows,
          (t) => ({ testid: 'drill-target-row', name: t.name || '' }),
          run.status === 'scheduled' ? 'The drill has not started yet.' : 'No targets: the drill opened no incident.',
        ),
      );
      const actionRows = report.expected_actions || [];
      expected.replaceChildren(
        table(
          'drill-expected',
          'Expected actions',
          [
            { label: 'Action', cell: (a) => el('code', { text: a.action || '' }) },
            { label: 'Within', cell: (a) => a.within || '' },
            { label: 'Took', cell: (a) => a.took || '' },
            { label: 'By', cell: (a) => a.by || '' },
            { label: 'Done', cell: (a) => (a.done_at ? timeTag(a.done_at) : '') },
            { label: 'Result', cell: (a) => drillStateBadge(a.state) },
          ],
          actionRows,
          (a) => ({ testid: 'drill-expected-row', action: a.action || '' }),
          (scenario.expected_actions || []).length ? 'Not judged yet: the drill has not started.' : 'The scenario expects no particular actions.',
        ),
      );
      const p = report.paging;
      paging.replaceChildren(
        ...(p
          ? [
              ...fact('First page', p.first_page_at ? timeTag(p.first_page_at) : 'none', 'drill-paging-first'),
              ...fact('Escalation steps fired', `${p.escalation_steps ?? 0} (${p.escalation_steps_before_ack ?? 0} before acknowledgement)`, 'drill-paging-steps'),
              ...fact('Notifications', `${p.notifications_delivered ?? 0} delivered, ${p.notifications_failed ?? 0} failed`, 'drill-paging-notifications'),
            ]
          : fact('Paging', 'Nothing yet: the drill has not started.', 'drill-paging-none')),
      );
      page.dataset.status = run.status || '';
      page.dataset.result = result;
      page.dataset.loaded = 'yes';
    }

    async function load() {
      const generation = ++ctx.generation;
      page.setAttribute('aria-busy', 'true');
      try {
        const report = await api('GET', `${drillRunPath(id)}/report`);
        if (!ctx.alive || generation !== ctx.generation) return;
        message.replaceChildren();
        fill(report);
      } catch (err) {
        if (!ctx.alive || generation !== ctx.generation || (err && err.sessionEnded)) return;
        if (err instanceof ApiError && err.status === 404) {
          notFoundView(`There is no drill run ${id}.`);
          view.cleanup();
          return;
        }
        showFormError(message, page, err);
      } finally {
        if (ctx.alive && generation === ctx.generation) page.removeAttribute('aria-busy');
      }
    }

    const view = liveView(ctx, load, { kinds: DRILL_EVENT_KINDS, everyMs: 30000 });
    focusHeading();
    return view;
  }

  // ---------------------------------------------------------------- shared: people, times, copying

  const DAY_MS = 86400000;
  const pad2 = (n) => String(n).padStart(2, '0');

  function userLabel(user) {
    if (!user) return '';
    return user.name || user.username || (user.id !== undefined ? `user ${user.id}` : '');
  }

  // "in 5 min", "3 h ago": a time relative to now, either direction.
  function formatRelative(value, now = Date.now()) {
    const date = parseTime(value);
    if (!date) return '';
    const diff = date.getTime() - now;
    if (diff <= 0) return formatAge(value, now);
    const minutes = Math.round(diff / 60000);
    if (minutes < 1) return 'in under a minute';
    if (minutes < 60) return `in ${minutes} min`;
    const hours = Math.round(minutes / 60);
    if (hours < 48) return `in ${hours} h`;
    return `in ${Math.round(hours / 24)} d`;
  }

  function hhmm(date) {
    return `${pad2(date.getHours())}:${pad2(date.getMinutes())}`;
  }

  function ymd(date) {
    return `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}`;
  }

  // "Mon, Nov 3, 09:00" in the browser's locale and zone (24-hour clock).
  function formatDayTime(value) {
    const date = value instanceof Date ? value : parseTime(value);
    if (!date) return '';
    return `${date.toLocaleDateString(undefined, { weekday: 'short', month: 'short', day: 'numeric' })}, ${hhmm(date)}`;
  }

  // The value of an <input type="datetime-local"> for a Date, in local time.
  function toLocalInput(date) {
    return `${ymd(date)}T${hhmm(date)}`;
  }

  function browserTimeZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || '';
    } catch {
      return '';
    }
  }

  let usersPromise = null;
  let usersLoadedAt = 0;
  function loadUsers() {
    if (usersPromise && Date.now() - usersLoadedAt < 60000) return usersPromise;
    usersLoadedAt = Date.now();
    usersPromise = api('GET', '/users')
      .then((data) => (data.items || []).slice().sort((a, b) => userLabel(a).localeCompare(userLabel(b))))
      .catch((err) => {
        usersPromise = null;
        throw err;
      });
    return usersPromise;
  }

  async function copyFrom(input, button) {
    const value = input.value;
    let ok = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(value);
        ok = true;
      }
    } catch {
      ok = false;
    }
    if (!ok) {
      input.focus();
      input.select();
      try {
        ok = document.execCommand('copy');
      } catch {
        ok = false;
      }
    }
    if (button) {
      const label = button.dataset.label || button.textContent;
      button.dataset.label = label;
      button.textContent = ok ? 'Copied' : 'Select and copy';
      setTimeout(() => {
        if (button.isConnected) button.textContent = label;
      }, 2000);
    }
    announce(ok ? 'Copied to the clipboard.' : 'Could not copy; the text is selected.');
  }

  function wireCopyButtons(root) {
    for (const button of root.querySelectorAll('button[data-copy]')) {
      const input = root.querySelector(`#${button.dataset.copy}`);
      if (!input) continue;
      button.addEventListener('click', () => copyFrom(input, button));
      input.addEventListener('focus', () => input.select());
    }
  }

  // A row of the notification tables (incident page and the notifications page).
  function notificationRow(n, withIncident) {
    const when = el('time', { dataset: { age: '' } });
    fillTime(when, n.created_at);
    const cells = [el('td', { dataset: { label: 'When' } }, when)];
    if (withIncident) {
      cells.push(
        el(
          'td',
          { dataset: { label: 'Incident' } },
          n.incident_id !== null && n.incident_id !== undefined
            ? el('a', { href: `/ui/incidents/${n.incident_id}`, dataset: { link: '' }, text: `INC-${n.incident_id}` })
            : el('span', { className: 'muted', text: n.kind === 'test' ? 'test message' : '—' }),
        ),
      );
    }
    const status = el('span', { className: 'badge notif-status', text: n.status, dataset: { status: n.status, testid: 'notification-status' } });
    cells.push(
      el('td', { dataset: { label: 'Person', testid: 'notification-user' }, text: userLabel(n.user) || '—' }),
      el('td', { dataset: { label: 'Channel' } }, el('span', {}, n.channel, n.kind && n.kind !== 'page' ? el('span', { className: 'muted', text: ` (${n.kind})` }) : null)),
      el('td', { dataset: { label: 'Status' } }, status),
      el('td', { dataset: { label: 'Attempts' }, className: 'num', text: String(n.attempts ?? 0) }),
      el('td', { dataset: { label: 'Last error', testid: 'notification-error' }, className: 'error-text', text: n.last_error || '' }),
    );
    return el(
      'tr',
      { dataset: { testid: 'notification-row', status: n.status, notificationId: String(n.id) } },
      ...cells,
    );
  }

  // ---------------------------------------------------------------- failed-notifications banner

  const FAILED_WINDOW_MS = DAY_MS;
  const refreshFailedBanner = debounce(async () => {
    if (!state.user) return;
    let data;
    try {
      data = await api('GET', '/notifications?status=failed');
    } catch {
      return; // the next event or tick tries again
    }
    if (!state.user) return;
    const cutoff = Date.now() - FAILED_WINDOW_MS;
    const recent = (data.items || []).filter((n) => {
      const created = parseTime(n.created_at);
      return created && created.getTime() >= cutoff;
    }).length;
    const banner = document.getElementById('failed-banner');
    const wasHidden = banner.hidden;
    banner.dataset.count = String(recent);
    document.getElementById('failed-banner-text').textContent =
      `${recent} notification${recent === 1 ? '' : 's'} failed in the last 24 hours —`;
    banner.hidden = recent === 0;
    if (wasHidden && recent > 0) announce(`${recent} notification${recent === 1 ? '' : 's'} failed.`);
  }, 300);

  // Every event passes here first, whatever view is mounted.
  function onGlobalEvent(event) {
    const kind = String(event.kind || '');
    if (kind === 'notification.failed') refreshFailedBanner();
    if (kind === 'user.updated' && state.user && event.data && event.data.user === state.user.username) {
      if (typeof event.data.name === 'string') {
        state.user.name = event.data.name;
        setSessionChrome(true);
      }
    }
  }

  // ---------------------------------------------------------------- my profile

  const CHANNEL_LABELS = {
    email: 'Email',
    slack: 'Slack',
    teams: 'Teams',
    discord: 'Discord',
    mattermost: 'Mattermost',
    webhook: 'Webhook',
  };

  const ADDRESS_HINTS = {
    email: 'An email address, such as you@example.com (the server needs --smtp-url).',
    slack: 'The incoming-webhook URL Slack gives you (https://hooks.slack.com/services/…).',
    teams: 'The incoming-webhook (workflow) URL of a Teams channel.',
    discord: 'The webhook URL of a Discord channel (https://discord.com/api/webhooks/…).',
    mattermost: 'The incoming-webhook URL of a Mattermost channel.',
    webhook: 'Any http(s) URL: we POST signed JSON to it. Its signing secret is shown once, after adding.',
  };

  function methodName(m) {
    return m.label || m.address;
  }

  function profileView() {
    document.title = 'My profile · Klaxon';
    const ctx = { alive: true, profile: null };
    // A test message's note per contact method, kept while the list is drawn again (until
    // the method is verified, here or through the message's link).
    const testNotes = new Map();
    main().replaceChildren(el('p', { className: 'loading', text: 'Loading your profile…' }));
    const path = '/users/me';
    let page = null;
    const q = (sel) => page.querySelector(sel);
    const tid = (id) => page.querySelector(`[data-testid="${id}"]`);

    function build() {
      main().replaceChildren(cloneTemplate('tpl-profile'));
      page = main().querySelector('[data-testid="profile"]');
      wireCopyButtons(page);

      // Time zone: free text with the browser's list of zones as suggestions.
      const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
      const list = q('#tz-list');
      for (const zone of ['UTC', ...zones.filter((z) => z !== 'UTC')]) list.append(el('option', { value: zone }));
      const here = browserTimeZone();
      setText(q('[data-field="browser-tz"]'), here, 'unknown');
      tid('profile-tz-browser').hidden = !here;
      tid('profile-tz-browser').addEventListener('click', () => {
        q('#profile-tz').value = here;
        q('#profile-tz').focus();
      });

      q('#profile-form').addEventListener('submit', async (event) => {
        event.preventDefault();
        const body = {};
        const name = q('#profile-name').value.trim();
        const tz = q('#profile-tz').value.trim();
        if (ctx.profile && name !== ctx.profile.name) body.name = name;
        if (ctx.profile && tz !== ctx.profile.time_zone) body.time_zone = tz;
        if (!Object.keys(body).length) {
          announce('Nothing to save.');
          return;
        }
        const result = await act(event.submitter || tid('profile-save'), () => api('PATCH', path, body), {
          name: 'profile-name',
          time_zone: 'profile-tz',
        });
        if (!result || !ctx.alive) return;
        if (state.user && result.name) {
          state.user.name = result.name;
          setSessionChrome(true);
        }
        announce('Settings saved.');
        load();
      });

      const kind = q('#method-kind');
      const describeKind = () => {
        tid('method-address-hint').textContent = ADDRESS_HINTS[kind.value] || '';
        q('#method-address').placeholder = kind.value === 'email' ? 'you@example.com' : 'https://…';
        q('#method-address').inputMode = kind.value === 'email' ? 'email' : 'url';
      };
      kind.addEventListener('change', describeKind);
      describeKind();

      q('#method-form').addEventListener('submit', async (event) => {
        event.preventDefault();
        const address = q('#method-address').value.trim();
        const fieldMap = { kind: 'method-kind', address: 'method-address', label: 'method-label' };
        if (!address) {
          showError({ status: 0, problem: { title: 'Cannot add the contact method yet', errors: [{ field: '/address', message: 'is required' }] } }, fieldMap);
          q('#method-address').focus();
          return;
        }
        const body = { kind: kind.value, address };
        const label = q('#method-label').value.trim();
        if (label) body.label = label;
        const created = await act(event.submitter || tid('method-submit'), () => api('POST', `${path}/contact-methods`, body), fieldMap);
        if (!created || !ctx.alive) return;
        q('#method-address').value = '';
        q('#method-label').value = '';
        announce(`Added ${CHANNEL_LABELS[created.kind] || created.kind} contact method ${methodName(created)}.`);
        if (created.webhook_secret) showSecret(created);
        load();
      });

      tid('webhook-secret-dismiss').addEventListener('click', () => {
        const box = tid('webhook-secret');
        box.hidden = true;
        tid('webhook-secret-value').value = '';
        q('#method-address').focus();
      });

      q('#rule-form').addEventListener('submit', async (event) => {
        event.preventDefault();
        const method = q('#rule-method').value;
        const delay = q('#rule-delay').value.trim();
        const fieldMap = { contact_method: 'rule-method', delay_minutes: 'rule-delay' };
        const errors = [];
        if (!method) errors.push({ field: '/contact_method', message: 'add a contact method first' });
        if (!/^\d+$/.test(delay) || Number(delay) > 1440) errors.push({ field: '/delay_minutes', message: 'must be a whole number of minutes from 0 to 1440' });
        if (errors.length) {
          showError({ status: 0, problem: { title: 'Cannot add the rule yet', errors } }, fieldMap);
          return;
        }
        const created = await act(
          event.submitter || tid('rule-submit'),
          () => api('POST', `${path}/notification-rules`, { contact_method: Number(method), delay_minutes: Number(delay) }),
          fieldMap,
        );
        if (!created || !ctx.alive) return;
        announce('Notification rule added.');
        load();
      });
    }

    // Shown once, right after creation; never from a later read of the profile.
    function showSecret(method) {
      const box = tid('webhook-secret');
      q('[data-field="secret-for"]').textContent = methodName(method);
      tid('webhook-secret-value').value = method.webhook_secret;
      box.hidden = false;
      q('.secret-title').focus();
    }

    function methodItem(m) {
      const name = methodName(m);
      const testButton = el('button', {
        type: 'button',
        className: 'button-secondary small',
        text: 'Send test',
        'aria-label': `Send a test message to ${name}`,
        dataset: { testid: 'method-test' },
      });
      const deleteButton = el('button', {
        type: 'button',
        className: 'button-danger small',
        text: 'Delete',
        'aria-label': `Delete contact method ${name}`,
        dataset: { testid: 'method-delete' },
      });
      const li = el(
        'li',
        { className: 'item', dataset: { testid: 'method', methodId: String(m.id), kind: m.kind, verified: String(!!m.verified) } },
        el(
          'div',
          { className: 'item-main' },
          el(
            'p',
            { className: 'item-title' },
            el('span', { className: 'badge kind', text: CHANNEL_LABELS[m.kind] || m.kind, dataset: { testid: 'method-kind-badge' } }),
            el('strong', { text: name, dataset: { testid: 'method-name' } }),
            el('span', {
              className: `badge ${m.verified ? 'verified' : 'unverified'}`,
              text: m.verified ? 'Verified' : 'Not verified',
              dataset: { testid: 'method-verified' },
            }),
          ),
          m.label ? el('p', { className: 'item-sub' }, el('code', { text: m.address, dataset: { testid: 'method-address' } })) : null,
        ),
        el('div', { className: 'item-actions' }, testButton, deleteButton),
      );

      testButton.addEventListener('click', async () => {
        const result = await act(testButton, () => api('POST', `${path}/contact-methods/${m.id}/test`, {}));
        if (!result || !ctx.alive) return;
        const note = m.verified
          ? 'Test message queued.'
          : 'Test message queued: enter the 6-digit code from it below, or open its verify link.';
        // A reload may have drawn the list again while the request was out: write the note
        // into the item on the page now, and keep it for the next drawing.
        testNotes.set(String(m.id), note);
        const current = tid('method-list').querySelector(`[data-method-id="${m.id}"]`) || li;
        current.querySelector('[data-field="test-status"]').textContent = note;
        announce(note);
        const code = current.querySelector('input[name="code"]');
        if (code) code.focus();
      });

      deleteButton.addEventListener('click', async () => {
        const ok = await act(deleteButton, async () => {
          await api('DELETE', `${path}/contact-methods/${m.id}`);
          return true;
        });
        if (!ok || !ctx.alive) return;
        announce(`Deleted contact method ${name} and its rules.`);
        load();
        q('#method-kind').focus();
      });

      li.append(el('p', { className: 'hint', role: 'status', text: m.verified ? '' : testNotes.get(String(m.id)) || '', dataset: { field: 'test-status', testid: 'method-test-status' } }));

      if (!m.verified) {
        const codeId = `verify-code-${m.id}`;
        const input = el('input', {
          id: codeId,
          name: 'code',
          type: 'text',
          inputmode: 'numeric',
          autocomplete: 'one-time-code',
          maxlength: '6',
          spellcheck: 'false',
          dataset: { testid: 'verify-code' },
        });
        const submit = el('button', { type: 'submit', className: 'button-secondary small', text: 'Verify', dataset: { testid: 'verify-submit' } });
        const form = el(
          'form',
          { className: 'verify-form', novalidate: true, dataset: { testid: 'verify-form' } },
          el('label', { for: codeId, text: `Verification code for ${name}` }),
          el('div', { className: 'inline-row' }, input, submit),
        );
        form.addEventListener('submit', async (event) => {
          event.preventDefault();
          const code = input.value.trim();
          if (!code) {
            showError({ status: 0, problem: { title: 'Enter the code first', errors: [{ field: '/code', message: 'is required' }] } }, { code: codeId });
            input.focus();
            return;
          }
          const result = await act(submit, () => api('POST', `${path}/contact-methods/${m.id}/verify`, { code }), { code: codeId });
          if (!result || !ctx.alive) return;
          announce(`${name} is verified.`);
          testNotes.delete(String(m.id));
          load();
        });
        li.append(form);
      }
      return li;
    }

    function ruleItem(rule, methods) {
      const method = methods.find((m) => m.id === rule.contact_method);
      const name = method ? `${methodName(method)} (${CHANNEL_LABELS[method.kind] || method.kind})` : `contact method ${rule.contact_method}`;
      const delay = Number(rule.delay_minutes || 0);
      const when = delay === 0 ? 'At once' : `After ${delay} min`;
      const deleteButton = el('button', {
        type: 'button',
        className: 'button-danger small',
        text: 'Delete',
        'aria-label': `Delete rule: ${when.toLowerCase()}, ${name}`,
        dataset: { testid: 'rule-delete' },
      });
      deleteButton.addEventListener('click', async () => {
        const ok = await act(deleteButton, async () => {
          await api('DELETE', `${path}/notification-rules/${rule.id}`);
          return true;
        });
        if (!ok || !ctx.alive) return;
        announce('Notification rule deleted.');
        load();
        q('#rule-method').focus();
      });
      return el(
        'li',
        { className: 'item', dataset: { testid: 'rule', ruleId: String(rule.id), delay: String(delay) } },
        el(
          'div',
          { className: 'item-main' },
          el('p', { className: 'item-title' }, el('strong', { className: 'rule-delay', text: when, dataset: { testid: 'rule-when' } }), el('span', { text: name, dataset: { testid: 'rule-method-name' } })),
        ),
        el('div', { className: 'item-actions' }, deleteButton),
      );
    }

    function fill(profile) {
      ctx.profile = profile;
      page.dataset.userId = String(profile.id);
      q('[data-field="identity"]').textContent = `Signed in as ${profile.username} (${profile.role}).`;
      const nameInput = q('#profile-name');
      const tzInput = q('#profile-tz');
      if (document.activeElement !== nameInput) nameInput.value = profile.name || '';
      if (document.activeElement !== tzInput) tzInput.value = profile.time_zone || '';

      const methods = profile.contact_methods || [];
      // Re-rendering must not lose a half-typed code, a test message's note or the focus.
      const kept = new Map();
      for (const li of tid('method-list').children) {
        const code = li.querySelector('input[name="code"]');
        kept.set(li.dataset.methodId, {
          code: code ? code.value : '',
          focused: li.contains(document.activeElement) ? document.activeElement.dataset.testid : null,
        });
      }
      tid('method-list').replaceChildren(...methods.map(methodItem));
      for (const li of tid('method-list').children) {
        const old = kept.get(li.dataset.methodId);
        if (!old) continue;
        const code = li.querySelector('input[name="code"]');
        if (code) code.value = old.code;
        const focus = old.focused && li.querySelector(`[data-testid="${old.focused}"]`);
        if (focus) focus.focus();
      }
      tid('methods-empty').hidden = methods.length > 0;

      const rules = (profile.notification_rules || []).slice().sort((a, b) => a.delay_minutes - b.delay_minutes || a.id - b.id);
      tid('rule-list').replaceChildren(...rules.map((r) => ruleItem(r, methods)));
      tid('rules-empty').hidden = rules.length > 0;

      const select = q('#rule-method');
      const previous = select.value;
      select.replaceChildren(...methods.map((m) => el('option', { value: String(m.id), text: `${methodName(m)} (${CHANNEL_LABELS[m.kind] || m.kind})` })));
      if (methods.some((m) => String(m.id) === previous)) select.value = previous;
      const noMethods = methods.length === 0;
      select.disabled = noMethods;
      tid('rule-submit').disabled = noMethods;
      if (noMethods) select.append(el('option', { value: '', text: 'Add a contact method first' }));

      q('#profile-ical').value = profile.ical_url || '';
      tid('profile-ical-copy').disabled = !profile.ical_url;
    }

    async function load() {
      try {
        const profile = await api('GET', path);
        if (!ctx.alive) return;
        const first = !page;
        if (first) build();
        fill(profile);
        if (first) focusHeading();
      } catch (err) {
        if (!ctx.alive || (err && err.sessionEnded)) return;
        if (!page) main().replaceChildren(el('p', { className: 'empty', text: 'Your profile could not be loaded.' }));
        showError(err);
      }
    }
    const reload = debounce(load, 150);

    load();
    return {
      cleanup() {
        ctx.alive = false;
        reload.cancel();
      },
      onEvent(event) {
        const kind = String(event.kind || '');
        if (!/^(contact_method|notification_rule|user)\./.test(kind) || !ctx.profile) return;
        // Changes made elsewhere (another tab, an admin, a verify link).
        reload();
      },
      onStreamOpen() {
        if (ctx.profile) reload();
      },
    };
  }

  // ---------------------------------------------------------------- on call now

  function oncallView() {
    document.title = 'On call · Klaxon';
    const ctx = { alive: true, loaded: false };
    main().replaceChildren(cloneTemplate('tpl-oncall'));
    const root = main().querySelector('[data-testid="oncall"]');
    const list = $('[data-testid="oncall-list"]', root);
    const summary = $('[data-testid="oncall-summary"]', root);
    const empty = $('[data-testid="oncall-empty"]', root);

    function card(item) {
      const schedule = item.schedule || {};
      const user = item.user;
      const until = item.until
        ? el('p', { className: 'muted oncall-until', dataset: { testid: 'oncall-until' } }, 'until ', el('time', { dateTime: item.until, title: formatTime(item.until), text: formatDayTime(item.until) }), ` (${formatRelative(item.until)})`)
        : el('p', { className: 'muted oncall-until', text: user ? 'no hand-off planned' : '' });
      return el(
        'li',
        { className: 'oncall-card', dataset: { testid: 'oncall-item', scheduleId: String(schedule.id) } },
        el('h2', { className: 'oncall-schedule' }, el('a', { href: `/ui/schedules/${schedule.id}`, dataset: { link: '', testid: 'oncall-schedule' }, text: schedule.name })),
        el('p', { className: `oncall-person${user ? '' : ' empty-value'}`, dataset: { testid: 'oncall-user' }, text: user ? userLabel(user) : 'Nobody' }),
        user && user.name && user.username ? el('p', { className: 'muted oncall-username', text: `@${user.username}` }) : null,
        until,
      );
    }

    async function load() {
      try {
        const data = await api('GET', '/oncall');
        if (!ctx.alive) return;
        const items = (data.items || []).slice().sort((a, b) => String(a.schedule.name).localeCompare(String(b.schedule.name)));
        list.replaceChildren(...items.map(card));
        empty.hidden = items.length > 0;
        const covered = items.filter((i) => i.user).length;
        summary.textContent = items.length
          ? `${covered} of ${items.length} schedule${items.length === 1 ? '' : 's'} covered right now (${formatTime(data.at || new Date().toISOString())}).`
          : '';
        if (!ctx.loaded) {
          ctx.loaded = true;
          focusHeading();
        }
      } catch (err) {
        if (ctx.alive && !(err && err.sessionEnded)) showError(err);
      }
    }
    const reload = debounce(load, 150);
    load();
    const tick = setInterval(() => {
      if (document.visibilityState !== 'hidden') reload();
    }, 60000);
    return {
      cleanup() {
        ctx.alive = false;
        reload.cancel();
        clearInterval(tick);
      },
      onEvent(event) {
        if (/^(oncall|override|schedule|user)\./.test(String(event.kind || ''))) reload();
      },
      onStreamOpen() {
        reload();
      },
    };
  }

  // ---------------------------------------------------------------- schedule detail + week

  function startOfWeek(date) {
    const day = new Date(date.getFullYear(), date.getMonth(), date.getDate());
    day.setDate(day.getDate() - ((day.getDay() + 6) % 7)); // back to Monday
    return day;
  }

  // "November 23 – 29, 2026" (or across months and years), in the browser's locale.
  function formatDateRange(first, last) {
    const options = { month: 'long', day: 'numeric', year: 'numeric' };
    try {
      const format = new Intl.DateTimeFormat(undefined, options);
      if (typeof format.formatRange === 'function') return format.formatRange(first, last);
    } catch {
      // fall through
    }
    return `${first.toLocaleDateString(undefined, options)} – ${last.toLocaleDateString(undefined, options)}`;
  }

  function addDays(date, n) {
    return new Date(date.getFullYear(), date.getMonth(), date.getDate() + n);
  }

  function parseWeek(value) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || '');
    if (!m) return null;
    const date = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    return Number.isNaN(date.getTime()) ? null : startOfWeek(date);
  }

  // A stable colour for a person: a hue from their id.
  function userHue(user) {
    const n = Number(user && user.id) || 0;
    return (n * 137 + 200) % 360;
  }

  const UNIT_NAMES = { hours: 'hour', days: 'day', weeks: 'week' };

  function scheduleView(key) {
    document.title = 'Schedule · Klaxon';
    const ctx = { alive: true, schedule: null, users: [], week: parseWeek(new URLSearchParams(location.search).get('week')) || startOfWeek(new Date()), generation: 0 };
    main().replaceChildren(el('p', { className: 'loading', text: 'Loading schedule…' }));
    let page = null;
    const q = (sel) => page.querySelector(sel);
    const tid = (id) => page.querySelector(`[data-testid="${id}"]`);
    const canAct = state.user && state.user.role !== 'viewer';
    const schedulePath = () => `/schedules/${encodeURIComponent(ctx.schedule ? ctx.schedule.id : key)}`;

    function build() {
      main().replaceChildren(cloneTemplate('tpl-schedule'));
      page = main().querySelector('[data-testid="schedule-detail"]');
      wireCopyButtons(page);
      tid('week-prev').addEventListener('click', () => moveWeek(-7));
      tid('week-next').addEventListener('click', () => moveWeek(7));
      tid('week-today').addEventListener('click', () => {
        ctx.week = startOfWeek(new Date());
        weekChanged();
      });

      const form = q('#override-form');
      form.hidden = !canAct;
      const start = new Date();
      start.setMinutes(0, 0, 0);
      start.setHours(start.getHours() + 1);
      q('#override-start').value = toLocalInput(start);
      q('#override-end').value = toLocalInput(new Date(start.getTime() + 8 * 3600000));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const fieldMap = { user: 'override-user', start: 'override-start', end: 'override-end' };
        const startValue = parseTime(q('#override-start').value);
        const endValue = parseTime(q('#override-end').value);
        const errors = [];
        if (!q('#override-user').value) errors.push({ field: '/user', message: 'is required' });
        if (!startValue) errors.push({ field: '/start', message: 'is required' });
        if (!endValue) errors.push({ field: '/end', message: 'is required' });
        else if (startValue && endValue <= startValue) errors.push({ field: '/end', message: 'must be after start' });
        if (errors.length) {
          showError({ status: 0, problem: { title: 'Cannot add the override yet', errors } }, fieldMap);
          return;
        }
        const created = await act(
          event.submitter || tid('override-submit'),
          () => api('POST', `${schedulePath()}/overrides`, { user: q('#override-user').value, start: startValue.toISOString(), end: endValue.toISOString() }),
          fieldMap,
        );
        if (!created || !ctx.alive) return;
        announce(`Override added: ${userLabel(created.user)} covers ${formatDayTime(created.start)} to ${formatDayTime(created.end)}.`);
        reloadAll();
      });
    }

    function moveWeek(days) {
      ctx.week = addDays(ctx.week, days);
      weekChanged();
    }

    function weekChanged() {
      const params = new URLSearchParams(location.search);
      if (ymd(ctx.week) === ymd(startOfWeek(new Date()))) params.delete('week');
      else params.set('week', ymd(ctx.week));
      const qs = params.toString();
      history.replaceState(null, '', `${location.pathname}${qs ? `?${qs}` : ''}`);
      loadWeek();
    }

    function fillSchedule(schedule) {
      ctx.schedule = schedule;
      document.title = `${schedule.name} · Klaxon`;
      page.dataset.scheduleId = String(schedule.id);
      tid('schedule-name').textContent = schedule.name;
      const description = q('[data-field="description"]');
      description.textContent = schedule.description || '';
      description.hidden = !schedule.description;
      const now = tid('schedule-oncall');
      setText(now, schedule.on_call_now ? userLabel(schedule.on_call_now) : '', 'Nobody');
      const here = browserTimeZone();
      q('[data-field="zones"]').textContent =
        `The rotation hands off in ${schedule.time_zone}. Times on this page are in your browser's time zone${here ? ` (${here})` : ''}.`;
      q('#schedule-ical').value = schedule.ical_url || '';
      tid('schedule-ical-copy').disabled = !schedule.ical_url;
      fillLayers(schedule.layers || []);
    }

    function nameOf(username) {
      const user = ctx.users.find((u) => u.username === username || String(u.id) === String(username));
      return user ? userLabel(user) : String(username);
    }

    function fillLayers(layers) {
      const list = tid('layer-list');
      list.replaceChildren(
        ...layers.map((layer, i) => {
          const rotation = layer.rotation || {};
          const length = Number(rotation.length || 1);
          const unit = UNIT_NAMES[rotation.unit] || rotation.unit || '';
          const every = `every ${length === 1 ? '' : `${length} `}${unit}${length === 1 ? '' : 's'}`;
          const details = el(
            'dl',
            { className: 'details' },
            el('dt', { text: 'Rotates' }),
            el('dd', { text: `${every}, handing off at ${layer.handoff_time || '—'} (${ctx.schedule ? ctx.schedule.time_zone : ''}), from ${layer.start_date || '—'}` }),
            el('dt', { text: 'People' }),
            el('dd', {}, el('ol', { className: 'inline-list', 'aria-label': 'People, in rotation order' }, ...(layer.users || []).map((u) => el('li', { text: nameOf(u) })))),
          );
          if (Array.isArray(layer.restrictions) && layer.restrictions.length) {
            details.append(
              el('dt', { text: 'Only' }),
              el(
                'dd',
                {},
                el(
                  'ul',
                  { className: 'inline-list' },
                  ...layer.restrictions.map((r) => {
                    const minutes = Number(r.duration_minutes || 0);
                    const span = minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
                    return el('li', { text: `${r.weekday} ${r.start} for ${span}` });
                  }),
                ),
              ),
            );
          }
          return el(
            'li',
            { className: 'layer', dataset: { testid: 'layer' } },
            el('h3', { text: layer.name || `Layer ${i + 1}` }),
            details,
          );
        }),
      );
      if (!layers.length) list.append(el('li', { className: 'muted', text: 'No layers: nobody is on call except by override.' }));
    }

    function fillOverrides(items) {
      const list = tid('override-list');
      const sorted = items.slice().sort((a, b) => String(a.start).localeCompare(String(b.start)));
      list.replaceChildren(
        ...sorted.map((o) => {
          const deleteButton = canAct
            ? el('button', {
                type: 'button',
                className: 'button-danger small',
                text: 'Delete',
                'aria-label': `Delete override: ${userLabel(o.user)} from ${formatDayTime(o.start)}`,
                dataset: { testid: 'override-delete' },
              })
            : null;
          if (deleteButton) {
            deleteButton.addEventListener('click', async () => {
              const ok = await act(deleteButton, async () => {
                await api('DELETE', `${schedulePath()}/overrides/${o.id}`);
                return true;
              });
              if (!ok || !ctx.alive) return;
              announce(`Override of ${userLabel(o.user)} deleted.`);
              reloadAll();
            });
          }
          return el(
            'li',
            { className: 'item', dataset: { testid: 'override', overrideId: String(o.id) } },
            el(
              'div',
              { className: 'item-main' },
              el('p', { className: 'item-title' }, el('strong', { text: userLabel(o.user), dataset: { testid: 'override-user-name' } })),
              el(
                'p',
                { className: 'item-sub' },
                el('time', { dateTime: o.start, text: formatDayTime(o.start), title: formatTime(o.start) }),
                ' → ',
                el('time', { dateTime: o.end, text: formatDayTime(o.end), title: formatTime(o.end) }),
                o.created_by ? el('span', { className: 'muted', text: ` · by ${o.created_by}` }) : null,
              ),
            ),
            deleteButton ? el('div', { className: 'item-actions' }, deleteButton) : null,
          );
        }),
      );
      tid('overrides-empty').hidden = items.length > 0;
    }

    function fillUsers(users) {
      ctx.users = users;
      const select = q('#override-user');
      const previous = select.value;
      select.replaceChildren(...users.map((u) => el('option', { value: u.username, text: userLabel(u) === u.username ? u.username : `${userLabel(u)} (${u.username})` })));
      if (users.some((u) => u.username === previous)) select.value = previous;
      else if (state.user) select.value = state.user.username;
      if (ctx.schedule) fillLayers(ctx.schedule.layers || []);
    }

    function renderWeek(shifts) {
      const calendar = tid('week-calendar');
      const weekStart = ctx.week;
      const last = addDays(weekStart, 6);
      tid('week-label').textContent = formatDateRange(weekStart, last);
      const today = ymd(new Date());
      const now = Date.now();

      const gutter = el(
        'div',
        { className: 'week-gutter', 'aria-hidden': 'true' },
        el('div', { className: 'day-head' }),
        el('div', { className: 'day-track' }, ...[0, 6, 12, 18].map((h) => {
          const label = el('span', { className: 'hour-label', text: `${pad2(h)}:00` });
          label.style.setProperty('--start', String((h / 24) * 100));
          return label;
        })),
      );

      const columns = [];
      for (let i = 0; i < 7; i += 1) {
        const dayStart = addDays(weekStart, i);
        const dayEnd = addDays(weekStart, i + 1);
        const span = dayEnd.getTime() - dayStart.getTime(); // 23 or 25 h across DST
        const isToday = ymd(dayStart) === today;
        const track = el('div', { className: 'day-track' });
        for (const shift of shifts) {
          const s = parseTime(shift.start);
          const e = parseTime(shift.end);
          if (!s || !e) continue;
          const from = Math.max(s.getTime(), dayStart.getTime());
          const to = Math.min(e.getTime(), dayEnd.getTime());
          if (to <= from) continue;
          const name = userLabel(shift.user);
          const endText = to === dayEnd.getTime() ? '24:00' : hhmm(new Date(to));
          const override = shift.source === 'override';
          const block = el(
            'div',
            {
              className: `shift-block${override ? ' override' : ''}`,
              title: `${name}: ${formatDayTime(s)} – ${formatDayTime(e)} (${override ? 'override' : shift.source})`,
              dataset: { testid: 'shift-block', user: shift.user ? shift.user.username || '' : '', source: shift.source || '' },
            },
            el('span', { className: 'shift-name', text: name }),
            el('span', { className: 'shift-time', text: `${hhmm(new Date(from))}–${endText}` }),
          );
          block.style.setProperty('--start', String(((from - dayStart.getTime()) / span) * 100));
          block.style.setProperty('--span', String(((to - from) / span) * 100));
          block.style.setProperty('--hue', String(userHue(shift.user)));
          track.append(block);
        }
        if (isToday && now >= dayStart.getTime() && now < dayEnd.getTime()) {
          const line = el('div', { className: 'now-line', title: `Now, ${hhmm(new Date(now))}`, dataset: { testid: 'now-line' } });
          line.style.setProperty('--start', String(((now - dayStart.getTime()) / span) * 100));
          track.append(line);
        }
        const head = el(
          'div',
          { className: 'day-head' },
          el('span', { className: 'day-name', text: dayStart.toLocaleDateString(undefined, { weekday: 'short' }) }),
          el('span', { className: 'day-date', text: dayStart.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }) }),
        );
        if (isToday) head.setAttribute('aria-current', 'date');
        columns.push(
          el(
            'div',
            {
              className: `week-day${isToday ? ' today' : ''}`,
              role: 'group',
              'aria-label': dayStart.toLocaleDateString(undefined, { weekday: 'long', month: 'long', day: 'numeric' }),
              dataset: { testid: 'week-day', date: ymd(dayStart) },
            },
            head,
            track,
          ),
        );
      }
      calendar.replaceChildren(gutter, ...columns);
      calendar.dataset.week = ymd(weekStart);
      calendar.dataset.shifts = String(shifts.length);
      calendar.removeAttribute('aria-busy');
      if (!shifts.length) calendar.append(el('p', { className: 'week-empty muted', text: 'Nobody is on call this week.' }));

      tid('shift-list').replaceChildren(
        ...shifts.map((shift) =>
          el(
            'li',
            { dataset: { testid: 'shift-item' } },
            el('strong', { text: userLabel(shift.user) }),
            `: ${formatDayTime(shift.start)} – ${formatDayTime(shift.end)}`,
            el('span', { className: 'muted', text: ` (${shift.source})` }),
          ),
        ),
      );
    }

    async function loadWeek() {
      const generation = ++ctx.generation;
      const from = ctx.week;
      const to = addDays(from, 7);
      tid('week-calendar').setAttribute('aria-busy', 'true');
      try {
        const data = await api('GET', `${schedulePath()}/shifts?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`);
        if (!ctx.alive || generation !== ctx.generation) return;
        renderWeek(data.items || []);
      } catch (err) {
        if (ctx.alive && !(err && err.sessionEnded)) showError(err);
      }
    }

    async function loadOverrides() {
      try {
        const data = await api('GET', `${schedulePath()}/overrides`);
        if (ctx.alive) fillOverrides(data.items || []);
      } catch (err) {
        if (ctx.alive && !(err && err.sessionEnded)) showError(err);
      }
    }

    async function load() {
      try {
        const schedule = await api('GET', `/schedules/${encodeURIComponent(ctx.schedule ? ctx.schedule.id : key)}`);
        if (!ctx.alive) return;
        const first = !page;
        if (first) build();
        fillSchedule(schedule);
        if (first) {
          focusHeading();
          loadUsers()
            .then((users) => {
              if (ctx.alive) fillUsers(users);
            })
            .catch(() => {});
        }
        await Promise.all([loadWeek(), loadOverrides()]);
      } catch (err) {
        if (!ctx.alive) return;
        if (err instanceof ApiError && err.status === 404 && !page) {
          ctx.alive = false;
          notFoundView(`There is no schedule ${key}.`);
        } else if (!(err && err.sessionEnded)) {
          if (!page) main().replaceChildren(el('p', { className: 'empty', text: 'The schedule could not be loaded.' }));
          showError(err);
        }
      }
    }
    const reloadAll = debounce(load, 150);

    load();
    const tick = setInterval(() => {
      if (document.visibilityState !== 'hidden' && ctx.schedule) reloadAll();
    }, 60000);
    return {
      cleanup() {
        ctx.alive = false;
        reloadAll.cancel();
        clearInterval(tick);
      },
      onEvent(event) {
        const kind = String(event.kind || '');
        if (!ctx.schedule) return;
        if (kind === 'schedule.deleted' && event.data && String(event.data.schedule) === String(ctx.schedule.id)) {
          notFoundView(`The schedule ${ctx.schedule.name} was deleted.`);
          ctx.alive = false;
          return;
        }
        if (/^(oncall|override|schedule|user)\./.test(kind)) reloadAll();
      },
      onStreamOpen() {
        if (ctx.schedule) reloadAll();
      },
    };
  }

  // ---------------------------------------------------------------- escalation policies

  function policiesView() {
    document.title = 'Escalation policies · Klaxon';
    const ctx = { alive: true, loaded: false, users: [], services: [] };
    main().replaceChildren(cloneTemplate('tpl-policies'));
    const root = main().querySelector('[data-testid="policies"]');
    const list = $('[data-testid="policy-list"]', root);
    const empty = $('[data-testid="policies-empty"]', root);

    function target(t) {
      if (t.type === 'schedule') {
        return el('li', { className: 'target', dataset: { type: 'schedule', testid: 'policy-target' } }, el('span', { className: 'target-type', text: 'Schedule' }), el('a', { href: `/ui/schedules/${t.id}`, dataset: { link: '' }, text: t.name }));
      }
      if (t.type === 'user') {
        const user = ctx.users.find((u) => u.id === t.id || u.username === t.name);
        return el(
          'li',
          { className: 'target', title: `@${t.name}`, dataset: { type: 'user', testid: 'policy-target' } },
          el('span', { className: 'target-type', text: 'Person' }),
          el('span', { text: user ? userLabel(user) : t.name }),
        );
      }
      const type = t.type === 'role' ? 'Role' : t.type;
      return el('li', { className: 'target', dataset: { type: t.type, testid: 'policy-target' } }, el('span', { className: 'target-type', text: type }), el('span', { text: t.name }));
    }

    function usedBy(p) {
      const services = ctx.services.filter((svc) => svc.escalation_policy && svc.escalation_policy.id === p.id).map((svc) => svc.name);
      const text = services.length
        ? `Used by ${services.join(', ')}${p.default ? ' and every service without a policy' : ''}.`
        : p.default
          ? 'Used by every service without a policy of its own.'
          : 'No service uses this policy.';
      return el('p', { className: 'hint policy-services', text, dataset: { testid: 'policy-services' } });
    }

    function policyCard(p) {
      const steps = p.steps || [];
      const headingId = `policy-${p.id}-heading`;
      const repeat = Number(p.repeat || 0);
      return el(
        'section',
        { className: 'panel policy', 'aria-labelledby': headingId, dataset: { testid: 'policy', policyId: String(p.id) } },
        el(
          'h2',
          { id: headingId, className: 'policy-name' },
          el('span', { text: p.name, dataset: { testid: 'policy-name' } }),
          p.default ? el('span', { className: 'badge default', text: 'Default', title: 'Used by services without a policy of their own' }) : null,
        ),
        p.description ? el('p', { className: 'prose', text: p.description }) : null,
        usedBy(p),
        el(
          'ol',
          { className: 'steps', 'aria-label': `Steps of ${p.name}` },
          ...steps.map((step, i) => {
            const lastStep = i === steps.length - 1;
            const then = lastStep
              ? repeat > 0
                ? `If nobody acknowledges within ${step.delay_minutes} min, start over from step 1 (up to ${repeat} more time${repeat === 1 ? '' : 's'}).`
                : `If nobody acknowledges within ${step.delay_minutes} min, paging stops.`
              : `If nobody acknowledges within ${step.delay_minutes} min, go to step ${i + 2}.`;
            return el(
              'li',
              { className: 'step', dataset: { testid: 'policy-step', delay: String(step.delay_minutes) } },
              el('p', { className: 'step-title' }, el('strong', { text: `Step ${i + 1}` }), i === 0 ? el('span', { className: 'muted', text: ' · at once' }) : null),
              el('ul', { className: 'targets', 'aria-label': `Paged in step ${i + 1}` }, ...(step.targets || []).map(target)),
              el('p', { className: 'hint step-delay', text: then, dataset: { testid: 'policy-step-delay' } }),
            );
          }),
        ),
      );
    }

    async function load() {
      try {
        const [data, users, services] = await Promise.all([
          api('GET', '/escalation-policies'),
          loadUsers().catch(() => []),
          api('GET', '/services').catch(() => ({ items: [] })),
        ]);
        if (!ctx.alive) return;
        ctx.users = users;
        ctx.services = services.items || [];
        const items = (data.items || []).slice().sort((a, b) => Number(!!b.default) - Number(!!a.default) || String(a.name).localeCompare(String(b.name)));
        list.replaceChildren(...items.map(policyCard));
        empty.hidden = items.length > 0;
        if (!ctx.loaded) {
          ctx.loaded = true;
          focusHeading();
        }
      } catch (err) {
        if (ctx.alive && !(err && err.sessionEnded)) showError(err);
      }
    }
    const reload = debounce(load, 150);
    load();
    return {
      cleanup() {
        ctx.alive = false;
        reload.cancel();
      },
      onEvent(event) {
        if (/^(escalation_policy|schedule|user|service)\./.test(String(event.kind || ''))) reload();
      },
      onStreamOpen() {
        reload();
      },
    };
  }

  // ---------------------------------------------------------------- notifications (failed list)

  function notificationsView() {
    document.title = 'Notifications · Klaxon';
    const ctx = { alive: true, loaded: false, generation: 0 };
    main().replaceChildren(cloneTemplate('tpl-notifications'));
    const root = main().querySelector('[data-testid="notifications-page"]');
    const select = $('#notif-status', root);
    const body = $('[data-testid="notification-list"]', root);
    const summary = $('[data-testid="notif-summary"]', root);
    const form = $('form', root);
    const params = new URLSearchParams(location.search);
    select.value = params.get('status') || '';
    if (select.value !== (params.get('status') || '')) select.value = '';

    form.addEventListener('submit', (event) => event.preventDefault());
    select.addEventListener('change', () => {
      history.replaceState(null, '', `/ui/notifications${select.value ? `?status=${encodeURIComponent(select.value)}` : ''}`);
      load();
    });

    async function load() {
      const generation = ++ctx.generation;
      try {
        const data = await api('GET', `/notifications${select.value ? `?status=${encodeURIComponent(select.value)}` : ''}`);
        if (!ctx.alive || generation !== ctx.generation) return;
        const items = data.items || [];
        body.replaceChildren(...items.map((n) => notificationRow(n, true)));
        const what = select.value ? `${select.value} ` : '';
        summary.textContent = items.length
          ? `${items.length}${items.length >= 200 ? ' (the newest)' : ''} ${what}notification${items.length === 1 ? '' : 's'}.`
          : `No ${what}notifications.`;
        if (!ctx.loaded) {
          ctx.loaded = true;
          focusHeading();
        }
      } catch (err) {
        if (ctx.alive && !(err && err.sessionEnded)) showError(err);
      }
    }
    return liveView(ctx, load, { kinds: /^(notification\.|escalation\.step_fired$)/ });
  }

  // ---------------------------------------------------------------- shared: alert intake

  const KIND_INFO = {
    alertmanager: {
      label: 'Alertmanager',
      primary: 'webhook',
      hint: 'Alertmanager posts its webhook to the URL: add a receiver with webhook_configs and send_resolved: true.',
    },
    prometheus: {
      label: 'Prometheus',
      primary: 'api',
      hint: 'Prometheus sends its alerts straight to Klaxon, as to an Alertmanager (API v2): set path_prefix and the target.',
    },
    grafana: {
      label: 'Grafana',
      primary: 'webhook',
      hint: 'A Grafana Alerting contact point of type Webhook posts to the URL.',
    },
    pagerduty: {
      label: 'PagerDuty',
      primary: 'events_v2',
      hint: 'PagerDuty Events API v2 senders post to the URL with the key as routing_key.',
    },
    webhook: {
      label: 'Webhook',
      primary: 'webhook',
      hint: 'Anything that can POST JSON; its fields are found with the mapping (JSON pointers).',
    },
    heartbeat: {
      label: 'Heartbeat',
      primary: 'ping',
      hint: 'The job requests the ping URL (GET or POST) each time it runs; a missed ping opens an incident, the next one resolves it.',
    },
  };

  const URL_LABELS = {
    webhook: 'Webhook URL',
    bearer_webhook: 'Webhook URL without the key (send the key as bearer token or basic-auth password)',
    api: 'Alerts API URL (Alertmanager API v2)',
    path_prefix: 'path_prefix (prometheus.yml)',
    bearer_api: 'Alerts API URL without the key (send the key as bearer token or basic-auth password)',
    events_v2: 'Events API v2 URL (the key goes in routing_key)',
    events_v2_with_key: 'Events API v2 URL with the key in the path',
    ping: 'Ping URL',
  };

  const kindLabel = (kind) => (KIND_INFO[kind] ? KIND_INFO[kind].label : String(kind || ''));
  const defaultGroupBy = (kind) => (kind === 'pagerduty' ? ['dedup_key'] : ['alertname', 'service']);

  // "90 s", "5 min", "2 h", "1 d", "1 h 30 min".
  function formatSeconds(total) {
    const s = Number(total);
    if (!Number.isFinite(s)) return '';
    if (s % 86400 === 0 && s >= 86400) return `${s / 86400} d`;
    if (s % 3600 === 0 && s >= 3600) return `${s / 3600} h`;
    if (s >= 3600 && s % 60 === 0) return `${Math.floor(s / 3600)} h ${(s % 3600) / 60} min`;
    if (s % 60 === 0 && s >= 60) return `${s / 60} min`;
    return `${s} s`;
  }

  const formatMinutes = (m) => formatSeconds(Number(m) * 60);

  // The labels of a comma- (or space-) separated input.
  function parseLabelList(text) {
    return String(text || '')
      .split(/[,\s]+/)
      .map((s) => s.trim())
      .filter(Boolean);
  }

  // A read-only input with a Copy button and a visible label. The primary one is a
  // textarea so that a long URL wraps and shows whole, even on a phone.
  function copyField(id, label, value, { primary = false, testid = 'copy-field', data = {} } = {}) {
    const input = primary
      ? el('textarea', { id, readonly: true, rows: '2', spellcheck: 'false', dataset: { testid: `${testid}-value` } })
      : el('input', {
          id,
          type: 'text',
          readonly: true,
          spellcheck: 'false',
          autocomplete: 'off',
          dataset: { testid: `${testid}-value` },
        });
    input.value = value;
    const button = el('button', {
      type: 'button',
      className: 'button-secondary',
      text: 'Copy',
      'aria-label': `Copy: ${label}`,
      dataset: { testid: `${testid}-copy` },
    });
    button.addEventListener('click', () => copyFrom(input, button));
    input.addEventListener('focus', () => input.select());
    return el(
      'div',
      { className: `field copy-field${primary ? ' primary' : ''}`, dataset: { testid, ...data } },
      el('label', { for: id, text: label }),
      el('div', { className: 'copy-row' }, input, button),
    );
  }

  // The URLs of an integration, the one its sender needs first, then its key.
  function integrationUrlFields(integration, idPrefix) {
    const urls = integration.urls || {};
    const info = KIND_INFO[integration.kind] || {};
    const keys = Object.keys(urls).sort((a, b) => (a === info.primary ? -1 : b === info.primary ? 1 : 0));
    const fields = keys.map((key) =>
      copyField(`${idPrefix}-url-${key.replace(/[^a-z0-9_-]/gi, '')}`, URL_LABELS[key] || key, String(urls[key]), {
        primary: key === info.primary,
        testid: 'integration-url',
        data: { urlKey: key },
      }),
    );
    if (integration.key) {
      fields.push(
        copyField(`${idPrefix}-key`, integration.kind === 'pagerduty' ? 'Key (routing_key)' : 'Key', String(integration.key), {
          testid: 'integration-key',
        }),
      );
    }
    return fields;
  }

  // A configuration example for the sender, with this integration's URL in it.
  function integrationSnippet(integration) {
    const urls = integration.urls || {};
    const key = String(integration.key || '');
    switch (integration.kind) {
      case 'alertmanager':
        return [
          '# alertmanager.yml',
          'receivers:',
          '  - name: klaxon',
          '    webhook_configs:',
          `      - url: ${urls.webhook}`,
          '        send_resolved: true',
        ].join('\n');
      case 'prometheus': {
        let target = 'klaxon:8080';
        let https = false;
        try {
          const u = new URL(urls.api);
          target = u.host;
          https = u.protocol === 'https:';
        } catch {
          // keep the placeholder
        }
        return [
          '# prometheus.yml',
          'alerting:',
          '  alertmanagers:',
          '    - api_version: v2',
          ...(https ? ['      scheme: https'] : []),
          `      path_prefix: ${urls.path_prefix}`,
          '      static_configs:',
          `        - targets: ["${target}"]`,
        ].join('\n');
      }
      case 'grafana':
        return [
          'Grafana → Alerting → Contact points → Add contact point',
          '  Integration: Webhook',
          `  URL: ${urls.webhook}`,
          '  HTTP Method: POST',
        ].join('\n');
      case 'pagerduty':
        return [
          `curl -H 'Content-Type: application/json' ${urls.events_v2} \\`,
          `  -d '{"routing_key": "${key}", "event_action": "trigger",`,
          `       "payload": {"summary": "Disk full on db-1", "source": "db-1", "severity": "critical"}}'`,
        ].join('\n');
      case 'heartbeat': {
        const every = Number((integration.settings || {}).heartbeat_interval_seconds || 0);
        const minutes = every >= 60 && every % 60 === 0 && every <= 3600 ? every / 60 : 5;
        return [
          '# at the end of the job, for example in a crontab:',
          `*/${minutes} * * * *  /usr/local/bin/the-job && curl -fsS --retry 3 ${urls.ping}`,
        ].join('\n');
      }
      case 'webhook':
        return [
          `curl -H 'Content-Type: application/json' ${urls.webhook} \\`,
          `  -d '{"title": "Disk full on db-1", "status": "firing", "severity": "critical", "labels": {"host": "db-1"}}'`,
        ].join('\n');
      default:
        return '';
    }
  }

  // Re-indents JSON text two spaces a level without parsing its values, so numbers,
  // escapes and duplicate keys stay exactly as sent. Call only with valid JSON.
  function reindentJson(raw) {
    let out = '';
    let depth = 0;
    let inString = false;
    let escaped = false;
    const newline = () => `\n${'  '.repeat(Math.max(0, depth))}`;
    for (let i = 0; i < raw.length; i += 1) {
      const c = raw[i];
      if (inString) {
        out += c;
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') {
        inString = true;
        out += c;
      } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        // insignificant whitespace
      } else if (c === '{' || c === '[') {
        let j = i + 1;
        while (j < raw.length && ' \t\n\r'.includes(raw[j])) j += 1;
        if (raw[j] === (c === '{' ? '}' : ']')) {
          out += c + raw[j];
          i = j;
        } else {
          depth += 1;
          out += c + newline();
        }
      } else if (c === '}' || c === ']') {
        depth -= 1;
        out += newline() + c;
      } else if (c === ',') {
        out += `,${newline()}`;
      } else if (c === ':') {
        out += ': ';
      } else {
        out += c;
      }
    }
    return out;
  }

  // A body for display: {text, json}. JSON is re-indented; anything else is shown as is.
  function prettyBody(value) {
    const raw = String(value ?? '');
    if (!raw.trim()) return { text: '(empty)', json: false, empty: true };
    try {
      JSON.parse(raw);
    } catch {
      return { text: raw, json: false };
    }
    return { text: reindentJson(raw), json: true };
  }

  let servicesPromise = null;
  let servicesLoadedAt = 0;
  function loadServices() {
    if (servicesPromise && Date.now() - servicesLoadedAt < 30000) return servicesPromise;
    servicesLoadedAt = Date.now();
    servicesPromise = api('GET', '/services')
      .then((data) => (data.items || []).slice().sort((a, b) => String(a.name).localeCompare(String(b.name))))
      .catch((err) => {
        servicesPromise = null;
        throw err;
      });
    return servicesPromise;
  }

  function fillServiceSelect(select, services, noneText) {
    const previous = select.value;
    const options = services.map((svc) => el('option', { value: String(svc.id), text: svc.name }));
    if (noneText !== undefined) options.unshift(el('option', { value: '', text: noneText }));
    select.replaceChildren(...options);
    if ([...select.options].some((o) => o.value === previous)) select.value = previous;
  }

  function fillZoneList(datalist) {
    const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
    datalist.replaceChildren(...['UTC', ...zones.filter((z) => z !== 'UTC')].map((zone) => el('option', { value: zone })));
  }

  // A "N units" pair of inputs (number + unit select) in seconds or minutes; null if not a
  // whole positive number.
  function unitValue(numberInput, unitSelect) {
    const text = numberInput.value.trim();
    if (!/^\d+$/.test(text)) return null;
    return Number(text) * Number(unitSelect.value);
  }

  function adminsOnlyView() {
    document.title = 'Integrations · Klaxon';
    main().replaceChildren(cloneTemplate('tpl-admins-only'));
    const who = state.user ? `${state.user.username} (${state.user.role})` : 'someone else';
    main().querySelector('[data-field="role"]').textContent = `You are signed in as ${who}.`;
    focusHeading();
    return {};
  }

  const isForbidden = (err) => err instanceof ApiError && err.status === 403;

  // ---------------------------------------------------------------- integrations list

  function integrationsView() {
    if (!isAdmin()) return adminsOnlyView();
    document.title = 'Integrations · Klaxon';
    const ctx = { alive: true, loaded: false, services: [] };
    main().replaceChildren(cloneTemplate('tpl-integrations'));
    const root = main().querySelector('[data-testid="integrations"]');
    const q = (sel) => root.querySelector(sel);
    const tid = (id) => root.querySelector(`[data-testid="${id}"]`);
    const form = q('#integration-form');
    const name = q('#int-name');
    const kind = q('#int-kind');
    const service = q('#int-service');
    const groupBy = q('#int-group-by');
    const mapping = q('#int-mapping');
    const fieldMap = {
      name: 'int-name',
      kind: 'int-kind',
      service: 'int-service',
      group_by: 'int-group-by',
      heartbeat_interval_seconds: 'int-hb-interval',
      heartbeat_grace_seconds: 'int-hb-grace',
      mapping: 'int-mapping',
    };

    function describeKind() {
      const k = kind.value;
      tid('int-kind-hint').textContent = (KIND_INFO[k] || {}).hint || '';
      q('[data-field="heartbeat-fields"]').hidden = k !== 'heartbeat';
      q('[data-field="mapping-field"]').hidden = k !== 'webhook';
      q('[data-field="group-by-field"]').hidden = k === 'heartbeat';
      groupBy.placeholder = defaultGroupBy(k).join(', ');
    }
    kind.addEventListener('change', describeKind);
    describeKind();

    tid('integration-new').addEventListener('click', () => {
      name.scrollIntoView({ block: 'center' });
      name.focus();
    });

    tid('created-dismiss').addEventListener('click', () => {
      tid('integration-created').hidden = true;
      tid('created-urls').replaceChildren();
      name.focus();
    });

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const errors = [];
      const body = { name: name.value.trim(), kind: kind.value };
      if (!body.name) errors.push({ field: '/name', message: 'is required' });
      if (service.value) body.service = Number(service.value);
      if (kind.value !== 'heartbeat') {
        const labels = parseLabelList(groupBy.value);
        if (labels.length) body.group_by = labels;
      }
      if (kind.value === 'heartbeat') {
        const interval = unitValue(q('#int-hb-interval'), q('#int-hb-interval-unit'));
        if (interval === null) errors.push({ field: '/heartbeat_interval_seconds', message: 'must be a whole number' });
        else body.heartbeat_interval_seconds = interval;
        const grace = unitValue(q('#int-hb-grace'), q('#int-hb-grace-unit'));
        if (grace === null) errors.push({ field: '/heartbeat_grace_seconds', message: 'must be a whole number' });
        else if (grace > 0) body.heartbeat_grace_seconds = grace;
      }
      if (kind.value === 'webhook' && mapping.value.trim()) {
        try {
          body.mapping = JSON.parse(mapping.value);
          if (!body.mapping || typeof body.mapping !== 'object' || Array.isArray(body.mapping)) throw new Error('not an object');
        } catch {
          errors.push({ field: '/mapping', message: 'must be a JSON object' });
        }
      }
      if (errors.length) {
        showError({ status: 0, problem: { title: 'Cannot create the integration yet', errors } }, fieldMap);
        return;
      }
      const created = await act(event.submitter || tid('int-submit'), () => api('POST', '/integrations', body), fieldMap);
      if (!created || !ctx.alive) return;
      name.value = '';
      groupBy.value = '';
      mapping.value = '';
      announce(`Created integration ${created.name}.`);
      showCreated(created);
      load();
    });

    function showCreated(integration) {
      const box = tid('integration-created');
      tid('created-name').textContent = integration.name;
      tid('created-urls').replaceChildren(...integrationUrlFields(integration, 'created'));
      const open = tid('created-open');
      open.href = `/ui/integrations/${integration.id}`;
      box.dataset.integrationId = String(integration.id);
      box.hidden = false;
      box.scrollIntoView({ block: 'nearest' });
      q('.secret-title').focus();
    }

    function row(integration) {
      const activity = integration.activity || {};
      const revoked = !!integration.revoked_at;
      const svc = ctx.services.find((s) => s.id === integration.service_id);
      const settings = integration.settings || {};
      const lastRequest = activity.last_request_at
        ? el(
            'span',
            {},
            (() => {
              const t = el('time', { dataset: { age: '' } });
              fillTime(t, activity.last_request_at);
              return t;
            })(),
            activity.last_status ? el('span', { className: 'muted', text: ` · ${activity.last_status}` }) : null,
          )
        : el('span', { className: 'muted', text: 'never' });
      const errorCount = Number(activity.errors || 0);
      return el(
        'tr',
        {
          dataset: {
            testid: 'integration-row',
            integrationId: String(integration.id),
            state: revoked ? 'revoked' : 'active',
            kind: integration.kind,
          },
        },
        el(
          'td',
          { dataset: { label: 'Name' } },
          el('a', { href: `/ui/integrations/${integration.id}`, dataset: { link: '', testid: 'integration-name' }, text: integration.name }),
        ),
        el(
          'td',
          { dataset: { label: 'Kind' } },
          el(
            'span',
            {},
            el('span', { className: 'badge kind', text: kindLabel(integration.kind), dataset: { testid: 'integration-kind' } }),
            integration.kind === 'heartbeat' && settings.heartbeat_interval_seconds
              ? el('span', { className: 'muted', text: ` every ${formatSeconds(settings.heartbeat_interval_seconds)}` })
              : null,
          ),
        ),
        el('td', { dataset: { label: 'Service', testid: 'integration-service' }, text: svc ? svc.name : '—' }),
        el(
          'td',
          { dataset: { label: 'State' } },
          el('span', {
            className: 'badge int-state',
            text: revoked ? 'Revoked' : 'Active',
            title: revoked ? `Revoked ${formatTime(integration.revoked_at)}` : null,
            dataset: { state: revoked ? 'revoked' : 'active', testid: 'integration-state' },
          }),
        ),
        el('td', { className: 'num', dataset: { label: 'Requests', testid: 'integration-requests' }, text: String(activity.requests ?? 0) }),
        el('td', {
          className: `num${errorCount ? ' error-count' : ''}`,
          dataset: { label: 'Errors', testid: 'integration-errors' },
          text: String(errorCount),
        }),
        el('td', { dataset: { label: 'Last request', testid: 'integration-last-request' } }, lastRequest),
        el('td', {
          className: 'error-text',
          title: activity.last_error_at ? `At ${formatTime(activity.last_error_at)}` : null,
          dataset: { label: 'Last error', testid: 'integration-last-error' },
          text: activity.last_error || '',
        }),
      );
    }

    async function load() {
      try {
        const [data, services] = await Promise.all([api('GET', '/integrations'), loadServices().catch(() => [])]);
        if (!ctx.alive) return;
        if (!ctx.loaded) fillServiceSelect(service, services, 'None (from the alert\'s service label)');
        ctx.services = services;
        const items = (data.items || [])
          .slice()
          .sort((a, b) => Number(!!a.revoked_at) - Number(!!b.revoked_at) || String(a.name).localeCompare(String(b.name)));
        tid('integration-list').replaceChildren(...items.map(row));
        tid('integration-table').closest('.table-wrap').hidden = items.length === 0;
        tid('integrations-empty').hidden = items.length > 0;
        if (!ctx.loaded) {
          ctx.loaded = true;
          focusHeading();
        }
      } catch (err) {
        if (!ctx.alive || (err && err.sessionEnded)) return;
        if (isForbidden(err)) {
          ctx.alive = false;
          adminsOnlyView();
          return;
        }
        showError(err);
      }
    }
    return liveView(ctx, load, { kinds: /^(integration|service)\./, everyMs: 30000 });
  }

  // ---------------------------------------------------------------- integration page

  function integrationView(id) {
    if (!isAdmin()) return adminsOnlyView();
    document.title = 'Integration · Klaxon';
    const ctx = { alive: true, integration: null, services: [], expanded: new Set(), confirm: null, dirty: false, generation: 0 };
    main().replaceChildren(el('p', { className: 'loading', text: 'Loading integration…' }));
    const path = `/integrations/${encodeURIComponent(id)}`;
    let page = null;
    const q = (sel) => page.querySelector(sel);
    const tid = (testid) => page.querySelector(`[data-testid="${testid}"]`);
    const fieldMap = {
      name: 'edit-name',
      service: 'edit-service',
      group_by: 'edit-group-by',
      auto_resolve: 'edit-auto-resolve',
      flap_window_seconds: 'edit-flap',
      heartbeat_interval_seconds: 'edit-hb-interval',
      heartbeat_grace_seconds: 'edit-hb-grace',
      mapping: 'edit-mapping',
    };

    function build() {
      main().replaceChildren(cloneTemplate('tpl-integration'));
      page = main().querySelector('[data-testid="integration-detail"]');
      tid('requests-refresh').addEventListener('click', async () => {
        const button = tid('requests-refresh');
        button.disabled = true;
        try {
          await Promise.all([loadRequests(), loadIntegration()]);
          announce('Recent requests refreshed.');
        } finally {
          if (button.isConnected) button.disabled = false;
        }
      });
      tid('rotate-key').addEventListener('click', () =>
        askConfirm(
          tid('rotate-key'),
          'Rotate the key? The current key and URLs stop working at once (401): every sender must get the new URL.',
          'Rotate key',
          false,
          rotate,
        ),
      );
      tid('revoke').addEventListener('click', () =>
        askConfirm(
          tid('revoke'),
          `Revoke ${ctx.integration ? ctx.integration.name : 'this integration'}? Its URLs answer 401 from now on and it cannot be used again.`,
          'Revoke integration',
          true,
          revoke,
        ),
      );
      tid('confirm-yes').addEventListener('click', async () => {
        const action = ctx.confirm;
        hideConfirm();
        if (action) await action.run(tid('confirm-yes'));
      });
      tid('confirm-no').addEventListener('click', () => {
        const trigger = ctx.confirm && ctx.confirm.trigger;
        hideConfirm();
        if (trigger && !trigger.hidden) trigger.focus();
      });
      const form = q('#int-edit-form');
      form.addEventListener('input', () => {
        ctx.dirty = true;
      });
      form.addEventListener('submit', save);
    }

    function askConfirm(trigger, text, yesLabel, danger, run) {
      ctx.confirm = { trigger, run };
      tid('confirm-text').textContent = text;
      const yes = tid('confirm-yes');
      yes.textContent = yesLabel;
      yes.className = danger ? 'button-danger' : '';
      tid('confirm').hidden = false;
      tid('confirm-text').focus();
    }

    function hideConfirm() {
      tid('confirm').hidden = true;
      ctx.confirm = null;
    }

    async function rotate(button) {
      const updated = await act(button, () => api('POST', `${path}/rotate-key`));
      if (!updated || !ctx.alive) return;
      fill(updated);
      const list = tid('url-list');
      list.classList.remove('flash');
      void list.offsetWidth; // restart the highlight
      list.classList.add('flash');
      announce('The key was rotated: the old URLs now answer 401. Give every sender the new URL.');
      const primary = list.querySelector('.copy-field.primary textarea') || list.querySelector('input');
      if (primary) primary.focus();
    }

    async function revoke(button) {
      const ok = await act(button, async () => {
        await api('DELETE', path);
        return true;
      });
      if (!ok || !ctx.alive) return;
      announce('The integration was revoked: its URLs now answer 401.');
      await loadIntegration();
      focusHeading();
    }

    function fillHeader(integration) {
      const revoked = !!integration.revoked_at;
      document.title = `${integration.name} · Integrations · Klaxon`;
      page.dataset.integrationId = String(integration.id);
      page.dataset.state = revoked ? 'revoked' : 'active';
      tid('integration-title').textContent = integration.name;
      tid('integration-kind').textContent = kindLabel(integration.kind);
      const badge = tid('integration-state');
      badge.textContent = revoked ? 'Revoked' : 'Active';
      badge.dataset.state = revoked ? 'revoked' : 'active';
      badge.title = revoked ? `Revoked ${formatTime(integration.revoked_at)}` : `Created ${formatTime(integration.created_at)}`;
      const svc = ctx.services.find((s) => s.id === integration.service_id);
      tid('integration-service').textContent = svc ? `Service: ${svc.name}` : 'No service (alerts name theirs with a service label)';
    }

    function fillUrls(integration) {
      const revoked = !!integration.revoked_at;
      tid('send-hint').textContent = (KIND_INFO[integration.kind] || {}).hint || '';
      const list = tid('url-list');
      // Keep the URLs (and a focused input) when nothing changed.
      const signature = JSON.stringify([integration.urls, integration.key]);
      if (list.dataset.signature !== signature) {
        list.replaceChildren(...integrationUrlFields(integration, 'int'));
        list.dataset.signature = signature;
        tid('integration-snippet').textContent = integrationSnippet(integration);
      }
      list.classList.toggle('revoked', revoked);
      tid('integration-revoked-note').hidden = !revoked;
      q('[data-field="key-actions"]').hidden = revoked;
      if (revoked) hideConfirm();
    }

    function fillForm(integration) {
      const revoked = !!integration.revoked_at;
      const settings = integration.settings || {};
      q('#edit-name').value = integration.name || '';
      fillServiceSelect(q('#edit-service'), ctx.services, 'None (from the alert\'s service label)');
      const svc = integration.service_id === null || integration.service_id === undefined ? '' : String(integration.service_id);
      if (svc && ![...q('#edit-service').options].some((o) => o.value === svc)) {
        q('#edit-service').append(el('option', { value: svc, text: `service ${svc}` }));
      }
      q('#edit-service').value = svc;
      q('#edit-group-by').value = (integration.group_by || []).join(', ');
      q('#edit-group-by').placeholder = defaultGroupBy(integration.kind).join(', ');
      q('[data-field="edit-group-by-field"]').hidden = integration.kind === 'heartbeat';
      q('#edit-flap').value = String(integration.flap_window_seconds ?? '');
      q('#edit-auto-resolve').checked = !!integration.auto_resolve;
      const heartbeat = integration.kind === 'heartbeat';
      q('[data-field="edit-heartbeat-fields"]').hidden = !heartbeat;
      if (heartbeat) {
        q('#edit-hb-interval').value = String(settings.heartbeat_interval_seconds ?? '');
        q('#edit-hb-grace').value = String(settings.heartbeat_grace_seconds ?? 0);
        tid('edit-hb-hint').textContent = settings.heartbeat_interval_seconds
          ? `Now every ${formatSeconds(settings.heartbeat_interval_seconds)}. A new interval counts from now.`
          : 'A new interval counts from now.';
      }
      const webhook = integration.kind === 'webhook';
      q('[data-field="edit-mapping-field"]').hidden = !webhook;
      if (webhook) q('#edit-mapping').value = JSON.stringify(settings.mapping || {}, null, 2);
      q('[data-field="edit-fieldset"]').disabled = revoked;
      tid('settings-revoked').hidden = !revoked;
      ctx.dirty = false;
    }

    function fill(integration) {
      const first = !ctx.integration;
      const changed = !ctx.integration || JSON.stringify(ctx.integration) !== JSON.stringify(integration);
      ctx.integration = integration;
      fillHeader(integration);
      fillUrls(integration);
      if (first || (changed && !ctx.dirty) || integration.revoked_at) fillForm(integration);
      if (integration.activity) fillActivity(integration.activity);
    }

    async function save(event) {
      event.preventDefault();
      const current = ctx.integration;
      if (!current || current.revoked_at) return;
      const settings = current.settings || {};
      const body = {};
      const errors = [];
      const name = q('#edit-name').value.trim();
      if (!name) errors.push({ field: '/name', message: 'is required' });
      else if (name !== current.name) body.name = name;
      const svc = q('#edit-service').value ? Number(q('#edit-service').value) : null;
      if (svc !== (current.service_id ?? null)) body.service = svc;
      if (current.kind !== 'heartbeat') {
        const labels = parseLabelList(q('#edit-group-by').value);
        if (labels.join(',') !== (current.group_by || []).join(',')) body.group_by = labels;
      }
      const flap = q('#edit-flap').value.trim();
      if (!/^\d+$/.test(flap)) errors.push({ field: '/flap_window_seconds', message: 'must be a whole number of seconds' });
      else if (Number(flap) !== current.flap_window_seconds) body.flap_window_seconds = Number(flap);
      const autoResolve = q('#edit-auto-resolve').checked;
      if (autoResolve !== !!current.auto_resolve) body.auto_resolve = autoResolve;
      if (current.kind === 'heartbeat') {
        const interval = q('#edit-hb-interval').value.trim();
        const grace = q('#edit-hb-grace').value.trim();
        if (!/^\d+$/.test(interval)) errors.push({ field: '/heartbeat_interval_seconds', message: 'must be a whole number of seconds' });
        else if (Number(interval) !== settings.heartbeat_interval_seconds) body.heartbeat_interval_seconds = Number(interval);
        if (!/^\d+$/.test(grace)) errors.push({ field: '/heartbeat_grace_seconds', message: 'must be a whole number of seconds' });
        else if (Number(grace) !== Number(settings.heartbeat_grace_seconds ?? 0)) body.heartbeat_grace_seconds = Number(grace);
      }
      if (current.kind === 'webhook') {
        const text = q('#edit-mapping').value.trim() || '{}';
        try {
          const parsed = JSON.parse(text);
          if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
          if (JSON.stringify(parsed) !== JSON.stringify(settings.mapping || {})) body.mapping = parsed;
        } catch {
          errors.push({ field: '/mapping', message: 'must be a JSON object' });
        }
      }
      if (errors.length) {
        showError({ status: 0, problem: { title: 'Cannot save the settings yet', errors } }, fieldMap);
        return;
      }
      if (!Object.keys(body).length) {
        clearAlert();
        announce('Nothing to save.');
        return;
      }
      const updated = await act(event.submitter || tid('edit-save'), () => api('PATCH', path, body), fieldMap);
      if (!updated || !ctx.alive) return;
      ctx.dirty = false;
      ctx.integration = null; // refill the form from the answer
      fill(updated);
      announce('Settings saved.');
    }

    function fillActivity(stats) {
      setText(tid('activity-requests'), String(stats.requests ?? 0));
      const errors = tid('activity-errors');
      setText(errors, String(stats.errors ?? 0));
      errors.classList.toggle('error-count', Number(stats.errors || 0) > 0);
      const last = tid('activity-last-request');
      if (stats.last_request_at) {
        const t = el('time', { dataset: { age: '' } });
        fillTime(t, stats.last_request_at);
        last.replaceChildren(t, stats.last_status ? ` · ${stats.last_status}` : '');
        last.classList.remove('empty-value');
      } else {
        setText(last, '', 'never');
      }
      const lastError = tid('activity-last-error');
      if (stats.last_error_at) {
        const t = el('time', { dataset: { age: '' } });
        fillTime(t, stats.last_error_at);
        lastError.replaceChildren(t, ': ', el('span', { className: 'error-text', text: stats.last_error || '' }));
        lastError.classList.remove('empty-value');
      } else {
        setText(lastError, '', 'none');
      }
    }

    function statusClass(status) {
      const n = Number(status) || 0;
      return n >= 500 ? '5xx' : n >= 400 ? '4xx' : n >= 300 ? '3xx' : n >= 200 ? '2xx' : 'other';
    }

    function requestRows(r, index) {
      const key = r.request_id || `${r.at}-${index}`;
      const detailId = `request-detail-${index}`;
      const open = ctx.expanded.has(key);
      const toggle = el(
        'button',
        {
          type: 'button',
          className: 'expander',
          'aria-expanded': open ? 'true' : 'false',
          'aria-controls': detailId,
          title: 'Show the body and the answer',
          dataset: { testid: 'request-toggle' },
        },
        el('span', { className: 'expander-icon', 'aria-hidden': 'true', text: '▸' }),
        el('time', { dateTime: r.at, title: formatAge(r.at), text: formatTime(r.at) }),
      );
      const duration = Number(r.duration_ms);
      const row = el(
        'tr',
        { className: `request-row${open ? ' open' : ''}`, dataset: { testid: 'request-row', status: String(r.status), requestId: String(r.request_id || '') } },
        el('td', { dataset: { label: 'Time' } }, toggle),
        el('td', { dataset: { label: 'Method', testid: 'request-method' }, text: r.method || '' }),
        el(
          'td',
          { dataset: { label: 'Status' } },
          el('span', { className: 'badge http-status', text: String(r.status), dataset: { class: statusClass(r.status), testid: 'request-status' } }),
        ),
        el('td', {
          className: 'num',
          dataset: { label: 'Duration', testid: 'request-duration' },
          text: Number.isFinite(duration) ? `${duration < 10 ? duration.toFixed(1) : Math.round(duration)} ms` : '',
        }),
        el('td', { className: 'error-text', dataset: { label: 'Error', testid: 'request-error' }, text: r.error || '' }),
      );
      const body = prettyBody(r.body);
      const answer = prettyBody(r.response);
      const size = Number(r.body_bytes || 0);
      const detail = el(
        'tr',
        { id: detailId, className: 'request-detail', hidden: !open, dataset: { testid: 'request-detail' } },
        el(
          'td',
          { colspan: '5' },
          el(
            'dl',
            { className: 'details request-meta' },
            el('dt', { text: 'Route' }),
            el('dd', {}, el('code', { text: r.route || '' })),
            el('dt', { text: 'Content type' }),
            el('dd', { text: r.content_type || '—' }),
            el('dt', { text: 'From' }),
            el('dd', { text: r.remote || '—' }),
            el('dt', { text: 'Request id' }),
            el('dd', {}, el('code', { text: r.request_id || '—' })),
            el('dt', { text: 'Body size' }),
            el('dd', { text: `${size} byte${size === 1 ? '' : 's'}${body.json ? ' of JSON' : ''}` }),
          ),
          el('h3', { text: 'Body' }),
          el('pre', { className: `code-block${body.empty ? ' muted' : ''}`, dataset: { testid: 'request-body', format: body.json ? 'json' : 'text' }, text: body.text }),
          el('h3', { text: 'Answer' }),
          el('pre', { className: `code-block${answer.empty ? ' muted' : ''}`, dataset: { testid: 'request-response', format: answer.json ? 'json' : 'text' }, text: answer.text }),
        ),
      );
      toggle.addEventListener('click', () => {
        const nowOpen = detail.hidden;
        detail.hidden = !nowOpen;
        toggle.setAttribute('aria-expanded', nowOpen ? 'true' : 'false');
        row.classList.toggle('open', nowOpen);
        if (nowOpen) ctx.expanded.add(key);
        else ctx.expanded.delete(key);
      });
      return [row, detail];
    }

    async function loadRequests() {
      const generation = ++ctx.generation;
      try {
        const data = await api('GET', `${path}/requests`);
        if (!ctx.alive || generation !== ctx.generation) return;
        const items = data.items || [];
        const list = tid('request-list');
        const focused = list.contains(document.activeElement) ? document.activeElement.closest('tr') : null;
        const focusedId = focused ? focused.dataset.requestId : null;
        list.replaceChildren(...items.flatMap((r, i) => requestRows(r, i)));
        list.dataset.count = String(items.length);
        tid('request-table').hidden = items.length === 0;
        tid('requests-empty').hidden = items.length > 0;
        if (data.stats) fillActivity(data.stats);
        if (focusedId) {
          const again = [...list.querySelectorAll('tr[data-request-id]')].find((tr) => tr.dataset.requestId === focusedId);
          if (again) again.querySelector('[data-testid="request-toggle"]').focus();
        }
      } catch (err) {
        if (ctx.alive && !(err && err.sessionEnded)) showError(err);
      }
    }

    async function loadIntegration() {
      try {
        const integration = await api('GET', path);
        if (ctx.alive) fill(integration);
      } catch (err) {
        if (ctx.alive && !(err && err.sessionEnded)) showError(err);
      }
    }

    async function load() {
      try {
        const [integration, services] = await Promise.all([api('GET', path), loadServices().catch(() => [])]);
        if (!ctx.alive) return;
        ctx.services = services;
        const first = !page;
        if (first) build();
        fill(integration);
        if (first) focusHeading();
        await loadRequests();
      } catch (err) {
        if (!ctx.alive || (err && err.sessionEnded)) return;
        if (err instanceof ApiError && err.status === 404 && !page) {
          ctx.alive = false;
          notFoundView(`There is no integration ${id}.`);
        } else if (isForbidden(err)) {
          ctx.alive = false;
          adminsOnlyView();
        } else {
          if (!page) main().replaceChildren(el('p', { className: 'empty', text: 'The integration could not be loaded.' }));
          showError(err);
        }
      }
    }
    const reload = debounce(load, 200);

    load();
    return {
      cleanup() {
        ctx.alive = false;
        reload.cancel();
      },
      onEvent(event) {
        const kind = String(event.kind || '');
        if (!page || !ctx.integration) return;
        if (kind.startsWith('service.')) reload();
        if (!kind.startsWith('integration.')) return;
        const data = event.data || {};
        if (String(data.integration_id) === String(ctx.integration.id)) loadIntegration();
      },
      onStreamOpen() {
        if (page) reload();
      },
    };
  }

  // ---------------------------------------------------------------- silences

  const MATCHER_OPS = ['=', '!=', '=~', '!~'];

  function matcherText(m) {
    const value = m.value === '' ? '""' : m.value;
    return `${m.name}${m.op || '='}${value}`;
  }

  function matcherChips(matchers) {
    return el(
      'ul',
      { className: 'chips', 'aria-label': 'Matchers' },
      ...(matchers || []).map((m) =>
        el('li', { className: 'chip', dataset: { op: m.op || '=', testid: 'matcher-chip' } }, el('code', { text: matcherText(m) })),
      ),
    );
  }

  function silencesView() {
    document.title = 'Silences · Klaxon';
    const ctx = { alive: true, loaded: false, rowSeq: 0 };
    const canAct = canRespond();
    main().replaceChildren(cloneTemplate('tpl-silences'));
    const root = main().querySelector('[data-testid="silences"]');
    const q = (sel) => root.querySelector(sel);
    const tid = (id) => root.querySelector(`[data-testid="${id}"]`);
    const form = q('#silence-form');
    const rows = tid('matcher-rows');
    const EXPIRED_SHOWN = 20;

    tid('silence-form-panel').hidden = !canAct;
    tid('silences-readonly').hidden = canAct;

    function matcherRow(values = {}) {
      const n = (ctx.rowSeq += 1);
      const nameId = `matcher-${n}-name`;
      const opId = `matcher-${n}-op`;
      const valueId = `matcher-${n}-value`;
      const name = el('input', {
        id: nameId,
        type: 'text',
        autocapitalize: 'none',
        spellcheck: 'false',
        autocomplete: 'off',
        placeholder: 'alertname',
        dataset: { testid: 'matcher-name' },
      });
      name.value = values.name || '';
      const op = el('select', { id: opId, dataset: { testid: 'matcher-op' } }, ...MATCHER_OPS.map((o) => el('option', { value: o, text: o })));
      op.value = values.op || '=';
      const value = el('input', {
        id: valueId,
        type: 'text',
        autocapitalize: 'none',
        spellcheck: 'false',
        autocomplete: 'off',
        dataset: { testid: 'matcher-value' },
      });
      value.value = values.value || '';
      const { row } = removableRow({
        className: 'matcher-row',
        dataset: { testid: 'matcher-row', names: `${nameId} ${opId} ${valueId}` },
        fields: [labelledField('Label', name), labelledField('Match', op), labelledField('Value', value)],
        removeTestid: 'matcher-remove',
        onRemoved: (next) => {
          if (!rows.children.length) rows.append(matcherRow());
          numberRows();
          const target = next ? next.querySelector('input') : rows.querySelector('input');
          if (target) target.focus();
        },
      });
      return row;
    }

    function numberRows() {
      [...rows.children].forEach((row, i) => {
        const remove = row.querySelector('[data-testid="matcher-remove"]');
        const name = row.querySelector('[data-testid="matcher-name"]').value.trim();
        remove.setAttribute('aria-label', `Remove matcher ${i + 1}${name ? ` (${name})` : ''}`);
      });
    }

    function resetForm() {
      rows.replaceChildren(matcherRow());
      numberRows();
      q('#silence-comment').value = '';
      q('#silence-start').value = '';
      q('#silence-duration').value = '2';
      q('#silence-duration-unit').value = '60';
      q('#silence-end').value = '';
      q('input[name="silence-ends"][value="duration"]').checked = true;
      describeEnds();
    }

    function endMode() {
      const checked = q('input[name="silence-ends"]:checked');
      return checked ? checked.value : 'duration';
    }

    function describeEnds() {
      const byTime = endMode() === 'time';
      q('[data-field="duration-row"]').hidden = byTime;
      q('#silence-end').hidden = !byTime;
      if (byTime && !q('#silence-end').value) {
        const end = new Date(Date.now() + 2 * 3600000);
        end.setMinutes(Math.ceil(end.getMinutes() / 15) * 15, 0, 0);
        q('#silence-end').value = toLocalInput(end);
      }
    }

    for (const radio of form.querySelectorAll('input[name="silence-ends"]')) radio.addEventListener('change', describeEnds);
    tid('matcher-add').addEventListener('click', () => {
      const row = matcherRow();
      rows.append(row);
      numberRows();
      row.querySelector('input').focus();
    });
    rows.addEventListener('change', numberRows);
    resetForm();

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const fieldMap = {
        comment: 'silence-comment',
        starts_at: 'silence-start',
        ends_at: endMode() === 'time' ? 'silence-end' : 'silence-duration',
        duration_minutes: 'silence-duration',
        matchers: 'silence-matchers',
      };
      const errors = [];
      const matchers = [];
      for (const row of rows.children) {
        const name = row.querySelector('[data-testid="matcher-name"]');
        const op = row.querySelector('[data-testid="matcher-op"]');
        const value = row.querySelector('[data-testid="matcher-value"]');
        if (!name.value.trim() && !value.value) continue; // an unused row
        const i = matchers.length;
        fieldMap[`matchers/${i}`] = name.id;
        fieldMap[`matchers/${i}/name`] = name.id;
        fieldMap[`matchers/${i}/op`] = op.id;
        fieldMap[`matchers/${i}/value`] = value.id;
        if (!name.value.trim()) errors.push({ field: `/matchers/${i}/name`, message: 'is required' });
        matchers.push({ name: name.value.trim(), op: op.value, value: value.value });
      }
      if (!matchers.length) errors.push({ field: '/matchers', message: 'add at least one matcher' });
      const body = { matchers };
      const startText = q('#silence-start').value;
      const start = startText ? parseTime(startText) : null;
      if (startText && !start) errors.push({ field: '/starts_at', message: 'is not a valid time' });
      if (start) body.starts_at = start.toISOString();
      if (endMode() === 'time') {
        const end = parseTime(q('#silence-end').value);
        if (!end) errors.push({ field: '/ends_at', message: 'is required' });
        else if (end <= (start || new Date())) errors.push({ field: '/ends_at', message: `must be after ${start ? 'the start' : 'now'}` });
        else body.ends_at = end.toISOString();
      } else {
        const minutes = unitValue(q('#silence-duration'), q('#silence-duration-unit'));
        if (!minutes) errors.push({ field: '/duration_minutes', message: 'must be a whole number above 0' });
        else body.duration_minutes = minutes;
      }
      const comment = q('#silence-comment').value.trim();
      if (comment) body.comment = comment;
      if (errors.length) {
        showError({ status: 0, problem: { title: 'Cannot create the silence yet', errors } }, fieldMap);
        return;
      }
      const created = await act(event.submitter || tid('silence-submit'), () => api('POST', '/silences', body), fieldMap);
      if (!created || !ctx.alive) return;
      announce(`Silence created: ${(created.matchers || []).map(matcherText).join(', ')}, until ${formatDayTime(created.ends_at)}.`);
      resetForm();
      load();
    });

    function silenceItem(s) {
      const labels = { active: 'Active', pending: 'Starts later', expired: 'Expired' };
      const text = (s.matchers || []).map(matcherText).join(', ');
      const expire =
        canAct && s.state !== 'expired'
          ? el('button', {
              type: 'button',
              className: 'button-danger small',
              text: 'Expire',
              'aria-label': `Expire the silence ${text}`,
              dataset: { testid: 'silence-expire' },
            })
          : null;
      if (expire) {
        expire.addEventListener('click', async () => {
          const ok = await act(expire, async () => {
            await api('DELETE', `/silences/${s.id}`);
            return true;
          });
          if (!ok || !ctx.alive) return;
          announce(`Silence ${text} expired.`);
          load();
        });
      }
      const time = (value) => el('time', { dateTime: value, title: formatTime(value), text: formatDayTime(value) });
      const when =
        s.state === 'pending'
          ? ['Starts ', time(s.starts_at), ` (${formatRelative(s.starts_at)}), ends `, time(s.ends_at)]
          : s.state === 'active'
            ? ['Since ', time(s.starts_at), ', ends ', time(s.ends_at), ` (${formatRelative(s.ends_at)})`]
            : [time(s.starts_at), ' → ', time(s.ends_at)];
      return el(
        'li',
        { className: 'item', dataset: { testid: 'silence', silenceId: String(s.id), state: s.state } },
        el(
          'div',
          { className: 'item-main' },
          el(
            'div',
            { className: 'item-title' },
            el('span', { className: 'badge silence-state', text: labels[s.state] || s.state, dataset: { state: s.state, testid: 'silence-state' } }),
            matcherChips(s.matchers),
          ),
          el(
            'p',
            { className: 'item-sub', dataset: { testid: 'silence-when' } },
            ...when,
            s.created_by ? el('span', { dataset: { testid: 'silence-creator' }, text: ` · by ${s.created_by}` }) : null,
          ),
          s.comment ? el('p', { className: 'prose silence-comment', dataset: { testid: 'silence-comment' }, text: s.comment }) : null,
        ),
        expire ? el('div', { className: 'item-actions' }, expire) : null,
      );
    }

    async function load() {
      try {
        const data = await api('GET', '/silences');
        if (!ctx.alive) return;
        const items = data.items || [];
        const of = (st) => items.filter((s) => s.state === st);
        const active = of('active').sort((a, b) => String(a.ends_at).localeCompare(String(b.ends_at)));
        const pending = of('pending').sort((a, b) => String(a.starts_at).localeCompare(String(b.starts_at)));
        const expired = of('expired');
        tid('silence-list-active').replaceChildren(...active.map(silenceItem));
        tid('silences-active-empty').hidden = active.length > 0;
        tid('silence-list-pending').replaceChildren(...pending.map(silenceItem));
        tid('silences-pending-panel').hidden = pending.length === 0;
        tid('silence-list-expired').replaceChildren(...expired.slice(0, EXPIRED_SHOWN).map(silenceItem));
        tid('silences-expired-empty').hidden = expired.length > 0;
        const more = tid('silences-expired-more');
        more.hidden = expired.length <= EXPIRED_SHOWN;
        more.textContent = `And ${expired.length - EXPIRED_SHOWN} older (GET /api/v1/silences lists them all).`;
        if (!ctx.loaded) {
          ctx.loaded = true;
          focusHeading();
        }
      } catch (err) {
        if (ctx.alive && !(err && err.sessionEnded)) showError(err);
      }
    }
    return liveView(ctx, load, { kinds: /^silence\./, everyMs: 30000 });
  }

  // ---------------------------------------------------------------- maintenance windows

  const WEEKDAYS = [
    ['mon', 'Mon'],
    ['tue', 'Tue'],
    ['wed', 'Wed'],
    ['thu', 'Thu'],
    ['fri', 'Fri'],
    ['sat', 'Sat'],
    ['sun', 'Sun'],
  ];

  function maintenanceView() {
    document.title = 'Maintenance · Klaxon';
    const ctx = { alive: true, loaded: false, services: [] };
    const canAct = canRespond();
    main().replaceChildren(cloneTemplate('tpl-maintenance'));
    const root = main().querySelector('[data-testid="maintenance"]');
    const q = (sel) => root.querySelector(sel);
    const tid = (id) => root.querySelector(`[data-testid="${id}"]`);
    const form = q('#mw-form');
    const fieldMap = {
      service: 'mw-service',
      name: 'mw-name',
      starts_at: 'mw-starts',
      ends_at: 'mw-ends',
      weekdays: 'mw-weekdays',
      start: 'mw-start-time',
      duration_minutes: 'mw-duration',
      time_zone: 'mw-tz',
    };

    tid('mw-form-panel').hidden = !canAct;
    tid('maintenance-readonly').hidden = canAct;

    q('[data-field="weekday-boxes"]').replaceChildren(
      ...WEEKDAYS.map(([value, label]) =>
        el('label', {}, el('input', { type: 'checkbox', name: 'weekday', value, dataset: { testid: `mw-day-${value}` } }), ` ${label}`),
      ),
    );
    fillZoneList(q('#mw-tz-list'));
    q('#mw-tz').value = browserTimeZone() || 'UTC';

    function defaultTimes() {
      const start = new Date();
      start.setMinutes(0, 0, 0);
      start.setHours(start.getHours() + 1);
      q('#mw-starts').value = toLocalInput(start);
      q('#mw-ends').value = toLocalInput(new Date(start.getTime() + 2 * 3600000));
    }
    defaultTimes();

    const weekly = () => q('input[name="mw-kind"]:checked').value === 'weekly';
    function describeKind() {
      q('[data-field="once-fields"]').hidden = weekly();
      q('[data-field="weekly-fields"]').hidden = !weekly();
    }
    for (const radio of form.querySelectorAll('input[name="mw-kind"]')) radio.addEventListener('change', describeKind);
    describeKind();

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const errors = [];
      const body = { name: q('#mw-name').value.trim() };
      if (!q('#mw-service').value) errors.push({ field: '/service', message: ctx.services.length ? 'is required' : 'create a service first' });
      else body.service = Number(q('#mw-service').value);
      if (!body.name) errors.push({ field: '/name', message: 'is required' });
      if (weekly()) {
        body.weekdays = [...form.querySelectorAll('input[name="weekday"]:checked')].map((box) => box.value);
        if (!body.weekdays.length) errors.push({ field: '/weekdays', message: 'pick at least one day' });
        body.start = q('#mw-start-time').value.slice(0, 5);
        if (!/^\d{2}:\d{2}$/.test(body.start)) errors.push({ field: '/start', message: 'is required (HH:MM)' });
        const minutes = unitValue(q('#mw-duration'), q('#mw-duration-unit'));
        if (!minutes) errors.push({ field: '/duration_minutes', message: 'must be a whole number above 0' });
        else body.duration_minutes = minutes;
        body.time_zone = q('#mw-tz').value.trim();
        if (!body.time_zone) errors.push({ field: '/time_zone', message: 'is required' });
      } else {
        const start = parseTime(q('#mw-starts').value);
        const end = parseTime(q('#mw-ends').value);
        if (!start) errors.push({ field: '/starts_at', message: 'is required' });
        if (!end) errors.push({ field: '/ends_at', message: 'is required' });
        else if (start && end <= start) errors.push({ field: '/ends_at', message: 'must be after the start' });
        if (start) body.starts_at = start.toISOString();
        if (end) body.ends_at = end.toISOString();
      }
      if (errors.length) {
        showError({ status: 0, problem: { title: 'Cannot schedule the maintenance yet', errors } }, fieldMap);
        return;
      }
      const created = await act(event.submitter || tid('mw-submit'), () => api('POST', '/maintenance', body), fieldMap);
      if (!created || !ctx.alive) return;
      announce(`Maintenance ${created.name} scheduled.`);
      q('#mw-name').value = '';
      load();
    });

    function scheduleText(w) {
      if (Array.isArray(w.weekdays)) {
        const order = WEEKDAYS.map(([v]) => v);
        const days = w.weekdays
          .slice()
          .sort((a, b) => order.indexOf(a) - order.indexOf(b))
          .map((d) => (WEEKDAYS.find(([v]) => v === d) || [d, d])[1]);
        const every = days.length === 7 ? 'Every day' : `Every ${days.join(', ')}`;
        return `${every} at ${w.start} for ${formatMinutes(w.duration_minutes)} (${w.time_zone} time)`;
      }
      return `${formatDayTime(w.starts_at)} → ${formatDayTime(w.ends_at)}`;
    }

    function windowItem(w) {
      const recurring = Array.isArray(w.weekdays);
      const over = !w.active && !w.next_start;
      const status = w.active ? 'active' : over ? 'over' : 'scheduled';
      const statusText = { active: 'In progress', over: 'Over', scheduled: 'Scheduled' }[status];
      const cancel = canAct
        ? el('button', {
            type: 'button',
            className: 'button-danger small',
            text: over ? 'Delete' : 'Cancel',
            'aria-label': `${over ? 'Delete' : 'Cancel'} maintenance window ${w.name}`,
            dataset: { testid: 'mw-cancel' },
          })
        : null;
      if (cancel) {
        cancel.addEventListener('click', async () => {
          const ok = await act(cancel, async () => {
            await api('DELETE', `/maintenance/${w.id}`);
            return true;
          });
          if (!ok || !ctx.alive) return;
          announce(`Maintenance window ${w.name} cancelled.`);
          load();
        });
      }
      let next = null;
      if (w.active && !recurring) {
        next = el('p', { className: 'item-sub', dataset: { testid: 'mw-next' } }, `Ends ${formatRelative(w.ends_at)}.`);
      } else if (w.next_start) {
        next = el(
          'p',
          { className: 'item-sub', dataset: { testid: 'mw-next' } },
          w.active ? 'In progress. Next start: ' : 'Next start: ',
          el('time', { dateTime: w.next_start, title: formatTime(w.next_start), text: formatDayTime(w.next_start) }),
          ` (${formatRelative(w.next_start)}, your time)`,
        );
      }
      return el(
        'li',
        { className: 'item', dataset: { testid: 'mw-window', windowId: String(w.id), status, kind: recurring ? 'weekly' : 'once' } },
        el(
          'div',
          { className: 'item-main' },
          el(
            'p',
            { className: 'item-title' },
            el('strong', { text: w.name, dataset: { testid: 'mw-name-text' } }),
            el('span', { className: 'badge mw-state', text: statusText, dataset: { state: status, testid: 'mw-state' } }),
            el('span', { className: 'badge kind', text: recurring ? 'Weekly' : 'Once' }),
          ),
          el('p', { className: 'item-sub', dataset: { testid: 'mw-schedule' }, text: scheduleText(w) }),
          next,
        ),
        cancel ? el('div', { className: 'item-actions' }, cancel) : null,
      );
    }

    function rank(w) {
      return w.active ? 0 : w.next_start ? 1 : 2;
    }

    async function load() {
      try {
        const [data, services] = await Promise.all([api('GET', '/maintenance'), loadServices().catch(() => ctx.services)]);
        if (!ctx.alive) return;
        ctx.services = services;
        fillServiceSelect(q('#mw-service'), services);
        if (!services.length) q('#mw-service').append(el('option', { value: '', text: 'No services yet' }));
        const items = data.items || [];
        const byService = new Map();
        for (const w of items) {
          const key = String(w.service_id);
          if (!byService.has(key)) byService.set(key, []);
          byService.get(key).push(w);
        }
        const nameOf = (sid) => {
          const svc = services.find((s) => String(s.id) === sid);
          return svc ? svc.name : `service ${sid}`;
        };
        const groups = [...byService.keys()].sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
        tid('maintenance-list').replaceChildren(
          ...groups.map((sid) => {
            const windows = byService
              .get(sid)
              .slice()
              .sort((a, b) => rank(a) - rank(b) || String(a.next_start || a.ends_at || '').localeCompare(String(b.next_start || b.ends_at || '')));
            const headingId = `mw-service-${sid.replace(/[^0-9a-z_-]/gi, '')}`;
            const active = windows.some((w) => w.active);
            return el(
              'section',
              { className: 'panel', 'aria-labelledby': headingId, dataset: { testid: 'mw-service-group', serviceId: sid } },
              el(
                'h2',
                { id: headingId, className: 'item-title' },
                el('span', { text: nameOf(sid) }),
                active ? el('span', { className: 'badge mw-state', text: 'In maintenance', dataset: { state: 'active' } }) : null,
              ),
              el('ul', { className: 'item-list', 'aria-labelledby': headingId }, ...windows.map(windowItem)),
            );
          }),
        );
        tid('maintenance-empty').hidden = items.length > 0;
        if (!ctx.loaded) {
          ctx.loaded = true;
          focusHeading();
        }
      } catch (err) {
        if (ctx.alive && !(err && err.sessionEnded)) showError(err);
      }
    }
    return liveView(ctx, load, { kinds: /^(maintenance|service)\./, everyMs: 30000 });
  }

  // ---------------------------------------------------------------- status page (admin side)

  const COMPONENT_STATUSES = [
    ['operational', 'Operational'],
    ['degraded_performance', 'Degraded performance'],
    ['partial_outage', 'Partial outage'],
    ['major_outage', 'Major outage'],
    ['under_maintenance', 'Under maintenance'],
  ];
  const SP_INCIDENT_STATUSES = [
    ['investigating', 'Investigating'],
    ['identified', 'Identified'],
    ['monitoring', 'Monitoring'],
    ['resolved', 'Resolved'],
    ['postmortem', 'Postmortem'],
  ];
  const SP_MAINTENANCE_STATUSES = [
    ['scheduled', 'Scheduled'],
    ['in_progress', 'In progress'],
    ['verifying', 'Verifying'],
    ['completed', 'Completed'],
  ];
  const SP_IMPACTS = [
    ['none', 'None'],
    ['minor', 'Minor'],
    ['major', 'Major'],
    ['critical', 'Critical'],
  ];
  const COMPONENT_RANK = { operational: 0, under_maintenance: 1, degraded_performance: 2, partial_outage: 3, major_outage: 4 };

  const labelOf = (pairs, value) => (pairs.find(([v]) => v === value) || [value, humanize(String(value || ''))])[1];
  const componentStatusLabel = (status) => labelOf(COMPONENT_STATUSES, status);
  const isMaintenance = (i) => i && i.kind === 'maintenance';
  const spStatusLabel = (i, status) => labelOf(isMaintenance(i) ? SP_MAINTENANCE_STATUSES : SP_INCIDENT_STATUSES, status);
  const spIsOpen = (i) => (isMaintenance(i) ? i.status !== 'completed' : i.status !== 'resolved' && i.status !== 'postmortem');
  // Components are addressed by their public id: a row id could also be some component's name.
  const componentPath = (c) => `/status/components/${encodeURIComponent(c.public_id)}`;
  const statusIncidentPath = (id) => `/status/incidents/${encodeURIComponent(id)}`;

  function fillOptions(select, pairs, value) {
    select.replaceChildren(...pairs.map(([v, label]) => el('option', { value: v, text: label })));
    if (value !== undefined) select.value = value;
  }

  function componentStatusBadge(status, testid = 'sp-component-status-text') {
    return el('span', { className: 'badge sp-comp-status', text: componentStatusLabel(status), dataset: { status, testid } });
  }

  function spStatusBadge(i, testid = 'sp-incident-status') {
    return el('span', { className: 'badge sp-status', text: spStatusLabel(i, i.status), dataset: { status: i.status, testid } });
  }

  function spImpactBadge(i) {
    if (isMaintenance(i)) return el('span', { className: 'badge sp-impact', text: 'Maintenance', dataset: { impact: 'maintenance', testid: 'sp-incident-impact' } });
    return el('span', {
      className: 'badge sp-impact',
      text: `${labelOf(SP_IMPACTS, i.impact)} impact`,
      dataset: { impact: i.impact, testid: 'sp-incident-impact' },
    });
  }

  const timeTag = (value) => el('time', { dateTime: value, title: formatTime(value), text: formatDayTime(value) });

  // "Group › Component" for pickers; the component alone at the top level.
  function componentLabel(c, components) {
    const group = c.group ? components.find((g) => g.id === c.group.id) : null;
    return group ? `${group.name} › ${c.name}` : c.name;
  }

  // The worst status of a group's components (what the public page shows for the group).
  function groupStatus(group, components) {
    let worst = 'operational';
    for (const c of components) {
      if (c.group && c.group.id === group.id && (COMPONENT_RANK[c.status] || 0) > (COMPONENT_RANK[worst] || 0)) worst = c.status;
    }
    return worst;
  }

  // One row per component (groups excluded): a label and a select with "" = no change.
  // Keeps what was picked across rebuilds (keyed by public id).
  function fillComponentPicks(container, components, idPrefix, { emptyText, first = [] } = {}) {
    const previous = new Map();
    for (const select of container.querySelectorAll('select')) previous.set(select.dataset.publicId, { value: select.value, auto: select.dataset.auto });
    const leaves = components.filter((c) => !c.is_group);
    const ordered = [...leaves.filter((c) => first.includes(c.id)), ...leaves.filter((c) => !first.includes(c.id))];
    container.replaceChildren(
      ...ordered.map((c) => {
        const id = `${idPrefix}-${c.id}`;
        const select = el(
          'select',
          { id, dataset: { publicId: c.public_id, componentId: String(c.id), testid: 'sp-pick-status' } },
          el('option', { value: '', text: emptyText }),
          ...COMPONENT_STATUSES.map(([v, label]) => el('option', { value: v, text: label })),
        );
        const before = previous.get(c.public_id);
        if (before) {
          select.value = before.value;
          if (before.auto) select.dataset.auto = before.auto;
        }
        return el(
          'div',
          { className: 'sp-pick', dataset: { testid: 'sp-pick', publicId: c.public_id, affected: first.includes(c.id) ? 'true' : 'false' } },
          el('label', { for: id }, el('bdi', { text: componentLabel(c, components) }), el('span', { className: 'muted sp-pick-now', text: ` (now ${componentStatusLabel(c.status).toLowerCase()})` })),
          select,
        );
      }),
    );
    return ordered.length;
  }

  // {public_id: status} of the picks that are set, and the field map entries for errors.
  function readComponentPicks(container, fieldMap) {
    const out = {};
    for (const select of container.querySelectorAll('select')) {
      if (!select.value) continue;
      out[select.dataset.publicId] = select.value;
      fieldMap[`components/${select.dataset.publicId}`] = select.id;
    }
    return out;
  }

  function internalIncidentRef(value) {
    const text = String(value || '').trim();
    const match = /^(?:INC-)?(\d+)$/i.exec(text);
    return match ? Number(match[1]) : null;
  }

  // The overall line of the public page, from its JSON (public, same origin).
  async function publicOverall() {
    const response = await fetch('/api/v2/status.json', { cache: 'no-store', credentials: 'omit' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const data = await response.json();
    return data && data.status ? data.status : null;
  }

  function statusPageView() {
    document.title = 'Status page · Klaxon';
    const admin = isAdmin();
    const responder = canRespond();
    const ctx = {
      alive: true,
      loaded: false,
      components: [],
      services: [],
      incidents: [],
      page: null,
      settingsDirty: false,
      editing: null, // {id, node} of the component whose edit form is open
      confirming: null, // component id whose delete is being confirmed
      linkSeq: 0,
    };
    main().replaceChildren(cloneTemplate('tpl-status'));
    const root = main().querySelector('[data-testid="status-admin"]');
    const q = (sel) => root.querySelector(sel);
    const tid = (id) => root.querySelector(`[data-testid="${id}"]`);

    tid('status-readonly').hidden = responder;
    tid('status-responder-note').hidden = !responder || admin;
    tid('sp-publish-panel').hidden = !responder;
    tid('sp-mt-panel').hidden = !responder;
    tid('sp-settings-panel').hidden = !admin;
    tid('sp-subscribers-panel').hidden = !admin;
    q('#sp-component-form').hidden = !admin;

    fillOptions(q('#sp-inc-impact'), SP_IMPACTS, 'minor');
    fillOptions(q('#sp-inc-status'), SP_INCIDENT_STATUSES.filter(([v]) => v !== 'postmortem'), 'investigating');
    fillZoneList(q('#sp-page-tz-list'));

    const params = new URLSearchParams(location.search);
    const fromIncident = internalIncidentRef(params.get('incident'));
    if (fromIncident) q('#sp-inc-internal').value = `INC-${fromIncident}`;

    // ------------------------------------------------------------ components

    function withFocusKept(container, rebuild) {
      const active = document.activeElement;
      const id = active && container.contains(active) ? active.id : '';
      rebuild();
      if (id) {
        const again = document.getElementById(id);
        if (again) again.focus();
      }
    }

    function serviceBoxes(container, idPrefix, checked) {
      container.replaceChildren(
        ...ctx.services.map((svc) =>
          el(
            'label',
            {},
            el('input', {
              type: 'checkbox',
              id: `${idPrefix}-${svc.id}`,
              value: String(svc.id),
              checked: checked.includes(svc.id),
              dataset: { testid: 'sp-service-box' },
            }),
            ' ',
            el('bdi', { text: svc.name }),
          ),
        ),
      );
      if (!ctx.services.length) container.append(el('span', { className: 'muted', text: 'No services yet.' }));
    }

    const checkedValues = (container) => [...container.querySelectorAll('input[type="checkbox"]:checked')].map((box) => box.value);

    function groupOptions(select, current) {
      const groups = ctx.components.filter((c) => c.is_group);
      select.replaceChildren(
        el('option', { value: '', text: 'None (top level)' }),
        ...groups.map((g) => el('option', { value: g.public_id, text: g.name })),
      );
      select.value = current || '';
    }

    function componentEditForm(c) {
      const p = `sp-edit-${c.id}`;
      const name = el('input', { id: `${p}-name`, type: 'text', maxlength: '200', autocomplete: 'off', dataset: { testid: 'sp-edit-name' } });
      name.value = c.name;
      const description = el('input', { id: `${p}-description`, type: 'text', maxlength: '2000', autocomplete: 'off', dataset: { testid: 'sp-edit-description' } });
      description.value = c.description || '';
      const position = el('input', { id: `${p}-position`, type: 'number', min: '0', max: '100000', step: '1', inputmode: 'numeric', dataset: { testid: 'sp-edit-position' } });
      position.value = String(c.position ?? 0);
      const rows = [el('div', { className: 'field-row' }, labelledField('Name', name), labelledField('Description', description))];
      let group = null;
      let services = null;
      let showcase = null;
      let onlyDegraded = null;
      if (!c.is_group) {
        group = el('select', { id: `${p}-group`, dataset: { testid: 'sp-edit-group' } });
        const currentGroup = c.group ? ctx.components.find((g) => g.id === c.group.id) : null;
        groupOptions(group, currentGroup ? currentGroup.public_id : '');
        rows.push(el('div', { className: 'field-row' }, labelledField('In group', group), labelledField('Position', position)));
        const boxes = el('div', { className: 'radio-row' });
        serviceBoxes(boxes, `${p}-svc`, c.services || []);
        services = el('fieldset', { className: 'field-group', id: `${p}-services` }, el('legend', { text: 'Services' }), boxes);
        rows.push(services);
        showcase = el('input', { type: 'checkbox', id: `${p}-showcase`, checked: c.showcase, dataset: { testid: 'sp-edit-showcase' } });
        onlyDegraded = el('input', { type: 'checkbox', id: `${p}-only-degraded`, checked: c.only_show_if_degraded, dataset: { testid: 'sp-edit-only-degraded' } });
        rows.push(
          el('div', { className: 'field check' }, el('label', {}, showcase, ' Show its 90-day uptime bar')),
          el('div', { className: 'field check' }, el('label', {}, onlyDegraded, ' Only show it while it is not operational')),
        );
      } else {
        rows.push(el('div', { className: 'field-row' }, labelledField('Position', position)));
      }
      const save = el('button', { type: 'submit', className: 'small', text: 'Save', dataset: { testid: 'sp-edit-save' } });
      const cancel = el('button', { type: 'button', className: 'button-secondary small', text: 'Cancel', dataset: { testid: 'sp-edit-cancel' } });
      const form = el(
        'form',
        { className: 'sp-edit', id: `${p}-form`, novalidate: true, 'aria-label': `Edit ${c.name}`, dataset: { testid: 'sp-edit-form' } },
        ...rows,
        el('div', { className: 'actions' }, save, cancel),
      );
      cancel.addEventListener('click', () => closeEdit(true));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const fieldMap = { name: name.id, description: description.id, position: position.id };
        const body = {};
        const errors = [];
        if (name.value.trim() !== c.name) body.name = name.value.trim();
        if (!name.value.trim()) errors.push({ field: '/name', message: 'is required' });
        if (description.value !== (c.description || '')) body.description = description.value;
        const pos = position.value.trim() === '' ? 0 : Number(position.value);
        if (!Number.isInteger(pos) || pos < 0) errors.push({ field: '/position', message: 'must be a whole number from 0' });
        else if (pos !== c.position) body.position = pos;
        if (group) {
          fieldMap.group = group.id;
          fieldMap.services = services.id;
          fieldMap.showcase = showcase.id;
          fieldMap.only_show_if_degraded = onlyDegraded.id;
          const currentGroup = c.group ? ctx.components.find((g) => g.id === c.group.id) : null;
          if (group.value !== (currentGroup ? currentGroup.public_id : '')) body.group = group.value || null;
          const picked = checkedValues(services).map(Number).sort((a, b) => a - b);
          const had = (c.services || []).slice().sort((a, b) => a - b);
          if (picked.join(',') !== had.join(',')) body.services = picked;
          if (showcase.checked !== !!c.showcase) body.showcase = showcase.checked;
          if (onlyDegraded.checked !== !!c.only_show_if_degraded) body.only_show_if_degraded = onlyDegraded.checked;
        }
        if (errors.length) {
          showError({ status: 0, problem: { title: `Cannot save ${c.name} yet`, errors } }, fieldMap);
          return;
        }
        if (!Object.keys(body).length) {
          closeEdit(true);
          return;
        }
        const saved = await act(event.submitter || save, () => api('PATCH', componentPath(c), body), fieldMap);
        if (!saved || !ctx.alive) return;
        announce(`Saved ${saved.name}.`);
        closeEdit(false);
        await load();
        const again = root.querySelector(`[data-testid="sp-component"][data-component-id="${saved.id}"] [data-testid="sp-component-edit"]`);
        if (again) again.focus();
      });
      return form;
    }

    function closeEdit(refocus) {
      if (!ctx.editing) return;
      const id = ctx.editing.id;
      ctx.editing.node.remove();
      ctx.editing = null;
      clearInvalid();
      const item = root.querySelector(`[data-testid="sp-component"][data-component-id="${id}"]`);
      if (item) {
        const button = item.querySelector('[data-testid="sp-component-edit"]');
        button.setAttribute('aria-expanded', 'false');
        if (refocus) button.focus();
      }
    }

    function componentItem(c) {
      const children = c.is_group ? ctx.components.filter((x) => x.group && x.group.id === c.id) : [];
      const shown = c.is_group ? groupStatus(c, ctx.components) : c.status;
      const serviceNames = (c.services || []).map((sid) => {
        const svc = ctx.services.find((s) => s.id === sid);
        return svc ? svc.name : `service ${sid}`;
      });
      let control;
      if (c.is_group) {
        control = el(
          'span',
          { className: 'sp-status-control' },
          componentStatusBadge(shown, 'sp-group-status'),
          el('span', { className: 'muted small-text', text: ' follows its components' }),
        );
      } else if (responder) {
        const id = `sp-st-${c.id}`;
        const select = el(
          'select',
          { id, dataset: { testid: 'sp-component-status', status: c.status } },
          ...COMPONENT_STATUSES.map(([v, label]) => el('option', { value: v, text: label })),
        );
        select.value = c.status;
        select.addEventListener('change', async () => {
          const want = select.value;
          const saved = await act(select, () => api('PATCH', componentPath(c), { status: want }));
          if (!ctx.alive) return;
          if (!saved) {
            select.value = c.status;
            return;
          }
          c.status = saved.status;
          select.dataset.status = saved.status;
          announce(`${saved.name} is now ${componentStatusLabel(saved.status).toLowerCase()} on the public page.`);
          view.reload();
        });
        control = el(
          'span',
          { className: 'sp-status-control' },
          el('label', { for: id, className: 'visually-hidden', text: `Status of ${c.name}` }),
          select,
        );
      } else {
        control = el('span', { className: 'sp-status-control' }, componentStatusBadge(c.status));
      }
      const flags = [];
      if (c.is_group) flags.push(el('span', { className: 'badge kind', text: 'Group', dataset: { testid: 'sp-component-group-badge' } }));
      if (!c.is_group && !c.showcase) flags.push(el('span', { className: 'badge kind', text: 'No uptime bar' }));
      if (!c.is_group && c.only_show_if_degraded) flags.push(el('span', { className: 'badge kind', text: 'Shown only when not operational' }));

      let actions = null;
      if (admin) {
        const edit = el('button', {
          type: 'button',
          className: 'button-secondary small',
          text: 'Edit',
          'aria-expanded': 'false',
          'aria-controls': `sp-edit-${c.id}-form`,
          'aria-label': `Edit ${c.name}`,
          dataset: { testid: 'sp-component-edit' },
        });
        const remove = el('button', {
          type: 'button',
          className: 'button-danger small',
          text: 'Delete',
          'aria-label': `Delete ${c.name}`,
          dataset: { testid: 'sp-component-delete' },
        });
        edit.addEventListener('click', () => {
          if (ctx.editing && ctx.editing.id === c.id) {
            closeEdit(true);
            return;
          }
          closeEdit(false);
          const node = componentEditForm(c);
          ctx.editing = { id: c.id, node };
          edit.setAttribute('aria-expanded', 'true');
          item.append(node);
          node.querySelector('input').focus();
        });
        remove.addEventListener('click', () => {
          ctx.confirming = c.id;
          showDeleteConfirm();
        });
        actions = el('div', { className: 'item-actions' }, edit, remove);
      }

      const item = el(
        'li',
        {
          className: `item sp-component${c.group ? ' in-group' : ''}${c.is_group ? ' sp-group' : ''}`,
          dataset: { testid: 'sp-component', componentId: String(c.id), publicId: c.public_id, status: shown, kind: c.is_group ? 'group' : 'component' },
        },
        el(
          'div',
          { className: 'item-main' },
          el('p', { className: 'item-title' }, el('strong', { dataset: { testid: 'sp-component-name' } }, el('bdi', { text: c.name })), ...flags),
          c.description ? el('p', { className: 'item-sub', text: c.description, dataset: { testid: 'sp-component-description' } }) : null,
          serviceNames.length ? el('p', { className: 'item-sub', text: `Services: ${serviceNames.join(', ')}`, dataset: { testid: 'sp-component-services' } }) : null,
          c.is_group && !children.length ? el('p', { className: 'item-sub', text: 'No components yet: an empty group is not shown.' }) : null,
        ),
        control,
        actions,
      );

      function showDeleteConfirm() {
        const existing = item.querySelector('.confirm-box');
        if (existing) {
          existing.querySelector('.confirm-text').focus();
          return;
        }
        const yes = el('button', { type: 'button', className: 'button-danger small', text: 'Delete', dataset: { testid: 'sp-delete-yes' } });
        const no = el('button', { type: 'button', className: 'button-secondary small', text: 'Cancel', dataset: { testid: 'sp-delete-no' } });
        const text = c.is_group
          ? `Delete the group ${c.name}? Move or delete its components first.`
          : `Delete ${c.name}? It leaves the public page with its uptime history.`;
        const boxId = `sp-del-${c.id}-text`;
        const box = el(
          'div',
          { className: 'confirm-box', role: 'group', 'aria-labelledby': boxId, dataset: { testid: 'sp-delete-confirm' } },
          el('p', { id: boxId, className: 'confirm-text', tabindex: '-1', text }),
          el('div', { className: 'actions' }, yes, no),
        );
        no.addEventListener('click', () => {
          ctx.confirming = null;
          box.remove();
          const again = item.querySelector('[data-testid="sp-component-delete"]');
          if (again) again.focus();
        });
        yes.addEventListener('click', async () => {
          const ok = await act(yes, async () => {
            await api('DELETE', componentPath(c));
            return true;
          });
          if (!ok || !ctx.alive) return;
          ctx.confirming = null;
          if (ctx.editing && ctx.editing.id === c.id) ctx.editing = null;
          announce(`Deleted ${c.name}.`);
          await load();
          const heading = document.getElementById('sp-components-heading');
          heading.tabIndex = -1;
          heading.focus();
        });
        item.append(box);
        box.querySelector('.confirm-text').focus();
      }
      item.showDeleteConfirm = showDeleteConfirm;
      return item;
    }

    function renderComponents() {
      withFocusKept(root, () => renderComponentsNow());
    }

    function renderComponentsNow() {
      const list = tid('sp-component-list');
      {
        const items = ctx.components.map(componentItem);
        list.replaceChildren(...items);
        if (ctx.editing) {
          const item = items.find((li) => li.dataset.componentId === String(ctx.editing.id));
          if (item) {
            item.append(ctx.editing.node);
            item.querySelector('[data-testid="sp-component-edit"]').setAttribute('aria-expanded', 'true');
          } else {
            ctx.editing = null;
          }
        }
        if (ctx.confirming !== null) {
          const item = items.find((li) => li.dataset.componentId === String(ctx.confirming));
          if (item) item.showDeleteConfirm();
          else ctx.confirming = null;
        }
      }
      tid('sp-components-empty').hidden = ctx.components.length > 0;

      // The pickers of the forms follow the components.
      const picks = q('#sp-inc-components [data-field="component-picks"]');
      const count = fillComponentPicks(picks, ctx.components, 'sp-inc-comp', { emptyText: 'Not affected' });
      q('#sp-inc-components [data-field="no-components"]').hidden = count > 0;
      const boxes = q('#sp-mt-components [data-field="component-boxes"]');
      const checked = new Set(checkedValues(boxes));
      const leaves = ctx.components.filter((c) => !c.is_group);
      boxes.replaceChildren(
        ...leaves.map((c) =>
          el(
            'label',
            {},
            el('input', {
              type: 'checkbox',
              id: `sp-mt-comp-${c.id}`,
              value: c.public_id,
              checked: checked.has(c.public_id),
              dataset: { testid: 'sp-mt-component' },
            }),
            ' ',
            el('bdi', { text: componentLabel(c, ctx.components) }),
          ),
        ),
      );
      q('#sp-mt-components [data-field="no-components"]').hidden = leaves.length > 0;
      if (admin) {
        const groupSelect = q('#sp-comp-group');
        groupOptions(groupSelect, groupSelect.value);
        const serviceContainer = q('#sp-comp-services [data-field="service-boxes"]');
        serviceBoxes(serviceContainer, 'sp-comp-svc', checkedValues(serviceContainer).map(Number));
      }
    }

    const describeIsGroup = () => {
      const isGroup = q('#sp-comp-is-group').checked;
      for (const node of q('#sp-component-form').querySelectorAll('[data-field="component-only"]')) node.hidden = isGroup;
      tid('sp-comp-submit').textContent = isGroup ? 'Add group' : 'Add component';
    };
    q('#sp-comp-is-group').addEventListener('change', describeIsGroup);
    describeIsGroup();

    q('#sp-component-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const fieldMap = {
        name: 'sp-comp-name',
        description: 'sp-comp-description',
        group: 'sp-comp-group',
        position: 'sp-comp-position',
        services: 'sp-comp-services',
        showcase: 'sp-comp-showcase',
        only_show_if_degraded: 'sp-comp-only-degraded',
        is_group: 'sp-comp-is-group',
      };
      const errors = [];
      const isGroup = q('#sp-comp-is-group').checked;
      const body = { name: q('#sp-comp-name').value.trim() };
      if (!body.name) errors.push({ field: '/name', message: 'is required' });
      const description = q('#sp-comp-description').value.trim();
      if (description) body.description = description;
      const position = q('#sp-comp-position').value.trim();
      if (position) {
        if (!/^\d+$/.test(position)) errors.push({ field: '/position', message: 'must be a whole number from 0' });
        else body.position = Number(position);
      }
      if (isGroup) {
        body.is_group = true;
      } else {
        if (q('#sp-comp-group').value) body.group = q('#sp-comp-group').value;
        const services = checkedValues(q('#sp-comp-services')).map(Number);
        if (services.length) body.services = services;
        if (!q('#sp-comp-showcase').checked) body.showcase = false;
        if (q('#sp-comp-only-degraded').checked) body.only_show_if_degraded = true;
      }
      if (errors.length) {
        showError({ status: 0, problem: { title: 'Cannot add it yet', errors } }, fieldMap);
        return;
      }
      const created = await act(event.submitter || tid('sp-comp-submit'), () => api('POST', '/status/components', body), fieldMap);
      if (!created || !ctx.alive) return;
      announce(created.is_group ? `Added the group ${created.name}.` : `Added ${created.name}.`);
      q('#sp-comp-name').value = '';
      q('#sp-comp-description').value = '';
      q('#sp-comp-position').value = '';
      q('#sp-comp-group').value = '';
      for (const box of q('#sp-comp-services').querySelectorAll('input:checked')) box.checked = false;
      q('#sp-comp-showcase').checked = true;
      q('#sp-comp-only-degraded').checked = false;
      await load();
      q('#sp-comp-name').focus();
    });

    // ------------------------------------------------------------ incidents and maintenances

    function incidentItem(i) {
      const maint = isMaintenance(i);
      const names = (i.components || [])
        .map((cid) => ctx.components.find((c) => c.id === cid))
        .filter(Boolean)
        .map((c) => c.name);
      const latest = (i.updates || [])[0];
      const when = maint
        ? el('p', { className: 'item-sub', dataset: { testid: 'sp-incident-when' } }, timeTag(i.scheduled_for), ' → ', timeTag(i.scheduled_until), i.auto_transition ? '' : ' · moved by hand')
        : el(
            'p',
            { className: 'item-sub', dataset: { testid: 'sp-incident-when' } },
            'Started ',
            timeTag(i.started_at),
            i.resolved_at ? el('span', {}, ' · resolved ', timeTag(i.resolved_at)) : ` · updated ${formatAge(i.updated_at)}`,
          );
      return el(
        'li',
        {
          className: 'item sp-incident',
          dataset: { testid: 'sp-incident', kind: i.kind, status: i.status, incidentId: String(i.id), publicId: i.public_id },
        },
        el(
          'div',
          { className: 'item-main' },
          el(
            'p',
            { className: 'item-title' },
            el('a', { href: `/ui/status/incidents/${i.id}`, dataset: { link: '', testid: 'sp-incident-name' } }, el('bdi', { text: i.name })),
            spImpactBadge(i),
            spStatusBadge(i),
          ),
          when,
          names.length
            ? el('p', { className: 'item-sub', dataset: { testid: 'sp-incident-affected' } }, 'Affected: ', ...names.flatMap((n, k) => (k ? [', ', el('bdi', { text: n })] : [el('bdi', { text: n })])))
            : null,
          latest && latest.body ? el('p', { className: 'item-sub sp-latest', text: latest.body, dataset: { testid: 'sp-incident-latest' } }) : null,
          i.incident
            ? el(
                'p',
                { className: 'item-sub' },
                'From ',
                el('a', { href: `/ui/incidents/${i.incident}`, dataset: { link: '', testid: 'sp-incident-internal' }, text: `INC-${i.incident}` }),
                ' (internal)',
              )
            : null,
        ),
        el(
          'div',
          { className: 'item-actions' },
          el('a', { className: 'button button-secondary small', href: i.url, 'aria-label': `${i.name} on the public page`, text: 'Public page', dataset: { testid: 'sp-incident-public' } }),
        ),
      );
    }

    function renderIncidents() {
      const open = ctx.incidents.filter(spIsOpen);
      const order = (i) => (isMaintenance(i) ? (i.status === 'scheduled' ? 2 : 1) : 0);
      open.sort((a, b) => order(a) - order(b) || (order(a) === 2 ? String(a.scheduled_for).localeCompare(String(b.scheduled_for)) : 0));
      const done = ctx.incidents.filter((i) => !spIsOpen(i)).slice(0, 20);
      patchChildren(tid('sp-open-list'), open.map(incidentItem));
      tid('sp-open-empty').hidden = open.length > 0;
      patchChildren(tid('sp-recent-list'), done.map(incidentItem));
      tid('sp-recent-empty').hidden = done.length > 0;
    }

    q('#sp-publish-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const fieldMap = { name: 'sp-inc-name', body: 'sp-inc-body', impact: 'sp-inc-impact', status: 'sp-inc-status', incident: 'sp-inc-internal', components: 'sp-inc-components' };
      const errors = [];
      const body = {
        name: q('#sp-inc-name').value.trim(),
        body: q('#sp-inc-body').value.trim(),
        impact: q('#sp-inc-impact').value,
        status: q('#sp-inc-status').value,
      };
      if (!body.name) errors.push({ field: '/name', message: 'is required' });
      if (!body.body) errors.push({ field: '/body', message: 'is required' });
      const internal = q('#sp-inc-internal').value.trim();
      if (internal) {
        const ref = internalIncidentRef(internal);
        if (ref === null) errors.push({ field: '/incident', message: 'must be an incident reference such as INC-12' });
        else body.incident = ref;
      }
      const components = readComponentPicks(q('#sp-inc-components'), fieldMap);
      if (Object.keys(components).length) body.components = components;
      if (errors.length) {
        showError({ status: 0, problem: { title: 'Cannot publish the incident yet', errors } }, fieldMap);
        return;
      }
      const created = await act(event.submitter || tid('sp-inc-submit'), () => api('POST', '/status/incidents', body), fieldMap);
      if (!created || !ctx.alive) return;
      announce(`Published ${created.name} on the status page.`);
      navigate(`/ui/status/incidents/${created.id}`);
    });

    function defaultWindow() {
      const start = new Date();
      start.setMinutes(0, 0, 0);
      start.setHours(start.getHours() + 1);
      q('#sp-mt-start').value = toLocalInput(start);
      q('#sp-mt-end').value = toLocalInput(new Date(start.getTime() + 2 * 3600000));
    }
    defaultWindow();

    q('#sp-mt-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const fieldMap = { name: 'sp-mt-name', body: 'sp-mt-body', scheduled_for: 'sp-mt-start', scheduled_until: 'sp-mt-end', components: 'sp-mt-components', auto_transition: 'sp-mt-auto' };
      const errors = [];
      const body = { name: q('#sp-mt-name').value.trim() };
      if (!body.name) errors.push({ field: '/name', message: 'is required' });
      const start = parseTime(q('#sp-mt-start').value);
      const end = parseTime(q('#sp-mt-end').value);
      if (!start) errors.push({ field: '/scheduled_for', message: 'is required' });
      if (!end) errors.push({ field: '/scheduled_until', message: 'is required' });
      else if (start && end <= start) errors.push({ field: '/scheduled_until', message: 'must be after the start' });
      if (start) body.scheduled_for = start.toISOString();
      if (end) body.scheduled_until = end.toISOString();
      const components = checkedValues(q('#sp-mt-components'));
      if (components.length) body.components = components;
      const message = q('#sp-mt-body').value.trim();
      if (message) body.body = message;
      body.auto_transition = q('#sp-mt-auto').checked;
      if (errors.length) {
        showError({ status: 0, problem: { title: 'Cannot schedule the maintenance yet', errors } }, fieldMap);
        return;
      }
      const created = await act(event.submitter || tid('sp-mt-submit'), () => api('POST', '/status/maintenances', body), fieldMap);
      if (!created || !ctx.alive) return;
      announce(`Scheduled ${created.name}: ${formatDayTime(created.scheduled_for)} to ${formatDayTime(created.scheduled_until)}.`);
      q('#sp-mt-name').value = '';
      q('#sp-mt-body').value = '';
      for (const box of q('#sp-mt-components').querySelectorAll('input:checked')) box.checked = false;
      q('#sp-mt-auto').checked = true;
      defaultWindow();
      await load();
    });

    // ------------------------------------------------------------ page settings

    const normalizeColor = (value) => {
      const text = String(value || '').toLowerCase();
      if (/^#[0-9a-f]{3}$/.test(text)) return `#${text[1]}${text[1]}${text[2]}${text[2]}${text[3]}${text[3]}`;
      return /^#[0-9a-f]{6}$/.test(text) ? text : '#2563eb';
    };

    function linkRow(values = {}) {
      const n = (ctx.linkSeq += 1);
      const labelId = `sp-link-${n}-label`;
      const urlId = `sp-link-${n}-url`;
      const label = el('input', { id: labelId, type: 'text', maxlength: '50', autocomplete: 'off', placeholder: 'Support', dataset: { testid: 'sp-link-label' } });
      label.value = values.label || '';
      const url = el('input', { id: urlId, type: 'url', maxlength: '500', autocomplete: 'off', spellcheck: 'false', placeholder: 'https://', dataset: { testid: 'sp-link-url' } });
      url.value = values.url || '';
      const { row, remove } = removableRow({
        className: 'matcher-row sp-link-row',
        dataset: { testid: 'sp-link-row' },
        fields: [labelledField('Label', label), labelledField('URL', url)],
        removeTestid: 'sp-link-remove',
        onRemoved: (next) => {
          ctx.settingsDirty = true;
          (next ? next.querySelector('input') : tid('sp-link-add')).focus();
        },
      });
      remove.setAttribute('aria-label', `Remove link ${values.label || ''}`.trim());
      return row;
    }

    function fillSettings(page) {
      ctx.page = page;
      q('#sp-page-name').value = page.name || '';
      q('#sp-page-url').value = page.url || '';
      q('#sp-page-tz').value = page.time_zone || '';
      q('#sp-page-logo').value = page.logo_url || '';
      q('#sp-page-accent').value = normalizeColor(page.accent_color);
      q('[data-field="accent-text"]').textContent = normalizeColor(page.accent_color);
      q('#sp-page-about').value = page.about || '';
      tid('sp-link-rows').replaceChildren(...(page.links || []).map(linkRow));
      ctx.settingsDirty = false;
      const publicUrl = page.public_url || '/status';
      for (const link of [tid('status-public-link'), tid('status-public-url')]) link.href = publicUrl;
      tid('status-public-url').textContent = publicUrl;
    }

    const settingsForm = q('#sp-settings-form');
    settingsForm.addEventListener('input', () => {
      ctx.settingsDirty = true;
      q('[data-field="accent-text"]').textContent = q('#sp-page-accent').value;
    });
    tid('sp-link-add').addEventListener('click', () => {
      const rows = tid('sp-link-rows');
      if (rows.children.length >= 10) {
        showError({ status: 0, problem: { title: 'At most 10 links', errors: [{ field: '/links', message: 'at most 10' }] } }, { links: 'sp-page-links' });
        return;
      }
      const row = linkRow();
      rows.append(row);
      ctx.settingsDirty = true;
      row.querySelector('input').focus();
    });

    settingsForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const page = ctx.page || {};
      const fieldMap = { name: 'sp-page-name', url: 'sp-page-url', time_zone: 'sp-page-tz', logo_url: 'sp-page-logo', accent_color: 'sp-page-accent', about: 'sp-page-about', links: 'sp-page-links' };
      const errors = [];
      const body = {};
      const text = (id) => q(id).value.trim();
      if (!text('#sp-page-name')) errors.push({ field: '/name', message: 'is required' });
      if (text('#sp-page-name') !== (page.name || '')) body.name = text('#sp-page-name');
      // Only what changed: the URL shown may be the server's default, not a setting.
      if (text('#sp-page-url') !== (page.url || '')) body.url = text('#sp-page-url');
      if (text('#sp-page-tz') !== (page.time_zone || '')) body.time_zone = text('#sp-page-tz');
      if (!text('#sp-page-tz')) errors.push({ field: '/time_zone', message: 'is required' });
      if (text('#sp-page-logo') !== (page.logo_url || '')) body.logo_url = text('#sp-page-logo');
      if (q('#sp-page-accent').value.toLowerCase() !== normalizeColor(page.accent_color)) body.accent_color = q('#sp-page-accent').value.toLowerCase();
      if (q('#sp-page-about').value !== (page.about || '')) body.about = q('#sp-page-about').value;
      const links = [];
      for (const row of tid('sp-link-rows').children) {
        const label = row.querySelector('[data-testid="sp-link-label"]');
        const url = row.querySelector('[data-testid="sp-link-url"]');
        if (!label.value.trim() && !url.value.trim()) continue;
        const i = links.length;
        fieldMap[`links/${i}`] = label.id;
        fieldMap[`links/${i}/label`] = label.id;
        fieldMap[`links/${i}/url`] = url.id;
        if (!label.value.trim()) errors.push({ field: `/links/${i}/label`, message: 'is required' });
        if (!url.value.trim()) errors.push({ field: `/links/${i}/url`, message: 'is required' });
        links.push({ label: label.value.trim(), url: url.value.trim() });
      }
      if (JSON.stringify(links) !== JSON.stringify((page.links || []).map((l) => ({ label: l.label, url: l.url })))) body.links = links;
      if (errors.length) {
        showError({ status: 0, problem: { title: 'Cannot save the settings yet', errors } }, fieldMap);
        return;
      }
      if (!Object.keys(body).length) {
        announce('Nothing changed.');
        return;
      }
      const saved = await act(event.submitter || tid('sp-page-save'), () => api('PATCH', '/status/page', body), fieldMap);
      if (!saved || !ctx.alive) return;
      announce('Status page settings saved.');
      try {
        fillSettings(await api('GET', '/status/page'));
      } catch (err) {
        if (!(err && err.sessionEnded)) showError(err);
      }
      refreshOverall();
    });

    // ------------------------------------------------------------ loading

    async function refreshOverall() {
      try {
        const overall = await publicOverall();
        if (!ctx.alive || !overall) return;
        const box = tid('status-overall');
        box.dataset.indicator = overall.indicator || 'none';
        tid('status-overall-text').textContent = overall.description || '';
        box.hidden = false;
      } catch {
        // The line stays as it was; the public page itself is the reference.
      }
    }

    // ------------------------------------------------------------ subscribers (admins)

    function renderSubscribers(items) {
      const list = tid('sp-subs-list');
      tid('sp-subs-empty').hidden = items.length > 0;
      list.replaceChildren(
        ...items.map((sub) => {
          const who = sub.kind === 'webhook' ? sub.webhook : sub.email;
          const components = (sub.components || []).map((c) => c.name).join(', ') || 'everything';
          const remove = el('button', { type: 'button', className: 'button-secondary small', text: 'Remove', dataset: { testid: 'sp-sub-remove' } });
          const item = el(
            'li',
            { className: 'item', dataset: { testid: 'sp-sub', state: sub.state } },
            el(
              'p',
              { className: 'item-title' },
              el('span', { className: 'badge kind', text: sub.kind }),
              ' ',
              el('bdi', { text: who, dataset: { testid: 'sp-sub-address' } }),
              ' ',
              el('span', { className: 'badge', text: sub.state, dataset: { testid: 'sp-sub-state' } }),
            ),
            el('p', { className: 'muted', text: `About ${components} · since ${formatTime(sub.created_at)}` }),
            el('div', { className: 'actions' }, remove),
          );
          // Armed (asking) survives a re-render by a live reload.
          const arm = () => {
            remove.dataset.armed = 'yes';
            remove.textContent = `Remove ${who}?`;
          };
          if (ctx.armedSubscriber === sub.id) arm();
          remove.addEventListener('click', async () => {
            if (remove.dataset.armed !== 'yes') {
              ctx.armedSubscriber = sub.id;
              arm();
              return;
            }
            ctx.armedSubscriber = null;
            const ok = await act(remove, async () => {
              await api('DELETE', `/status/subscribers/${encodeURIComponent(sub.id)}`);
              return true;
            });
            if (!ok || !ctx.alive) return;
            announce(`Removed ${who}.`);
            await loadSubscribers();
          });
          return item;
        }),
      );
    }

    async function loadSubscribers() {
      if (!admin) return;
      try {
        const data = await api('GET', '/status/subscribers');
        if (ctx.alive) renderSubscribers(data.items || []);
      } catch (err) {
        if (ctx.alive && !(err && err.sessionEnded)) showError(err);
      }
    }

    async function load() {
      loadSubscribers();
      try {
        const [components, incidents, services, page] = await Promise.all([
          api('GET', '/status/components'),
          api('GET', '/status/incidents'),
          loadServices().catch(() => ctx.services),
          ctx.page && ctx.settingsDirty ? Promise.resolve(null) : api('GET', '/status/page'),
        ]);
        if (!ctx.alive) return;
        ctx.components = components.items || [];
        ctx.incidents = incidents.items || [];
        ctx.services = services || [];
        if (page && !ctx.settingsDirty) fillSettings(page);
        renderComponents();
        renderIncidents();
        refreshOverall();
        if (!ctx.loaded) {
          ctx.loaded = true;
          if (fromIncident && responder) {
            q('#sp-inc-name').scrollIntoView({ block: 'center' });
            q('#sp-inc-name').focus();
          } else {
            focusHeading();
          }
          loadOpenIncidents();
        }
      } catch (err) {
        if (ctx.alive && !(err && err.sessionEnded)) showError(err);
      }
    }

    // Suggestions for the internal incident field: the open ones.
    async function loadOpenIncidents() {
      if (!responder) return;
      try {
        const data = await api('GET', '/incidents?status=open&limit=50');
        if (!ctx.alive) return;
        q('#sp-inc-internal-list').replaceChildren(
          ...(data.items || []).map((inc) => el('option', { value: `INC-${inc.id}`, text: inc.title })),
        );
      } catch {
        // Only suggestions.
      }
    }

    const view = liveView(ctx, load, { kinds: /^(status|service)\./, everyMs: 60000 });
    return view;
  }

  // ---------------------------------------------------------------- status page incident

  function statusIncidentView(id) {
    document.title = 'Status page · Klaxon';
    const responder = canRespond();
    const ctx = { alive: true, loaded: false, incident: null, components: [], dirty: false };
    main().replaceChildren(el('p', { className: 'loading', text: 'Loading…' }));
    let root = null;
    const q = (sel) => root.querySelector(sel);
    const tid = (testid) => root.querySelector(`[data-testid="${testid}"]`);

    function build() {
      main().replaceChildren(cloneTemplate('tpl-status-incident'));
      root = main().querySelector('[data-testid="sp-incident-detail"]');
      tid('sp-update-panel').hidden = !responder;
      fillOptions(q('#sp-up-impact'), SP_IMPACTS);
      const form = q('#sp-update-form');
      form.addEventListener('input', () => {
        ctx.dirty = true;
      });
      q('#sp-up-status').addEventListener('change', describeStatus);
      form.addEventListener('submit', submit);
    }

    // Resolving suggests operational for the affected components still set to "no change";
    // picking another status takes the suggestion back.
    function describeStatus() {
      const i = ctx.incident;
      if (!i) return;
      const status = q('#sp-up-status').value;
      const closing = !isMaintenance(i) && (status === 'resolved' || status === 'postmortem');
      for (const select of q('#sp-up-components').querySelectorAll('select')) {
        const affected = (i.components || []).includes(Number(select.dataset.componentId));
        const current = ctx.components.find((c) => String(c.id) === select.dataset.componentId);
        if (closing && affected && !select.value && current && current.status !== 'operational') {
          select.value = 'operational';
          select.dataset.auto = '1';
        } else if (!closing && select.dataset.auto) {
          select.value = '';
          delete select.dataset.auto;
        }
      }
      q('[data-field="postmortem-field"]').hidden = status !== 'postmortem';
    }

    function fill(i) {
      const maint = isMaintenance(i);
      document.title = `${i.name} · Status page · Klaxon`;
      setText(tid('sp-detail-name'), i.name);
      const kind = tid('sp-detail-kind');
      kind.textContent = maint ? 'Maintenance' : 'Incident';
      const impact = tid('sp-detail-impact');
      impact.hidden = maint;
      impact.textContent = maint ? '' : `${labelOf(SP_IMPACTS, i.impact)} impact`;
      impact.dataset.impact = i.impact;
      const status = tid('sp-detail-status');
      status.textContent = spStatusLabel(i, i.status);
      status.dataset.status = i.status;
      const link = tid('sp-detail-public');
      link.href = i.url;
      const internal = q('[data-field="internal"]');
      internal.replaceChildren();
      if (i.incident) {
        internal.append(' · from ', el('a', { href: `/ui/incidents/${i.incident}`, dataset: { link: '', testid: 'sp-detail-internal' }, text: `INC-${i.incident}` }), ' (internal, not shown)');
      }
      q('[data-field="window-label"]').textContent = maint ? 'Window' : 'Started';
      const windowCell = q('[data-field="window"]');
      windowCell.replaceChildren(
        ...(maint
          ? [timeTag(i.scheduled_for), ' → ', timeTag(i.scheduled_until), i.auto_transition ? ' (moves on time by itself)' : ' (moved by hand)']
          : [timeTag(i.started_at)]),
      );
      q('[data-field="resolved-label"]').textContent = maint ? 'Completed' : 'Resolved';
      const resolved = q('[data-field="resolved"]');
      resolved.classList.toggle('empty-value', !i.resolved_at);
      resolved.replaceChildren(i.resolved_at ? timeTag(i.resolved_at) : maint ? 'Not completed' : 'Not yet');
      q('[data-field="maintenance-note"]').hidden = !maint;
      const affected = (i.components || []).map((cid) => ctx.components.find((c) => c.id === cid)).filter(Boolean);
      const comps = q('[data-field="components"]');
      comps.classList.toggle('empty-value', !affected.length);
      comps.replaceChildren(
        affected.length
          ? el(
              'ul',
              { className: 'sp-affected' },
              ...affected.map((c) =>
                el('li', { dataset: { testid: 'sp-detail-component', publicId: c.public_id } }, el('bdi', { text: c.name }), ' ', componentStatusBadge(c.status)),
              ),
            )
          : 'None',
      );

      // The update form.
      const statusSelect = q('#sp-up-status');
      const statuses = maint ? SP_MAINTENANCE_STATUSES : SP_INCIDENT_STATUSES;
      if (!ctx.dirty || statusSelect.options.length !== statuses.length) fillOptions(statusSelect, statuses, i.status);
      const impactSelect = q('#sp-up-impact');
      const keep = labelOf(SP_IMPACTS, i.impact);
      const previousImpact = ctx.dirty ? impactSelect.value : '';
      impactSelect.replaceChildren(
        el('option', { value: '', text: `${keep} (unchanged)` }),
        ...SP_IMPACTS.filter(([v]) => v !== i.impact).map(([v, label]) => el('option', { value: v, text: label })),
      );
      impactSelect.value = previousImpact;
      if (impactSelect.value !== previousImpact) impactSelect.value = '';
      q('[data-field="impact-field"]').hidden = maint;
      q('#sp-up-components').hidden = maint;
      if (!maint) {
        fillComponentPicks(q('#sp-up-components [data-field="component-picks"]'), ctx.components, 'sp-up-comp', {
          emptyText: 'No change',
          first: i.components || [],
        });
      }
      q('[data-field="postmortem-field"]').hidden = statusSelect.value !== 'postmortem';
      if (!ctx.dirty && i.postmortem) q('#sp-up-postmortem').value = i.postmortem;

      // Updates, newest first.
      tid('sp-update-list').replaceChildren(
        ...(i.updates || []).map((u) =>
          el(
            'li',
            { className: 'item sp-update', dataset: { testid: 'sp-update', status: u.status } },
            el(
              'div',
              { className: 'item-main' },
              el(
                'p',
                { className: 'item-title' },
                el('span', { className: 'badge sp-status', text: spStatusLabel(i, u.status), dataset: { status: u.status, testid: 'sp-update-status' } }),
                el('span', { className: 'muted' }, timeTag(u.created_at), ` (${formatAge(u.created_at)})`),
              ),
              el('p', { className: 'prose sp-update-body', text: u.body, dataset: { testid: 'sp-update-body' } }),
              (u.affected_components || []).length
                ? el(
                    'ul',
                    { className: 'sp-affected item-sub', 'aria-label': 'Components' },
                    ...u.affected_components.map((a) =>
                      el(
                        'li',
                        { dataset: { testid: 'sp-update-component' } },
                        el('bdi', { text: a.name }),
                        a.old_status === a.new_status
                          ? `: ${componentStatusLabel(a.new_status).toLowerCase()}`
                          : `: ${componentStatusLabel(a.old_status).toLowerCase()} → ${componentStatusLabel(a.new_status).toLowerCase()}`,
                      ),
                    ),
                  )
                : null,
            ),
          ),
        ),
      );
    }

    async function submit(event) {
      event.preventDefault();
      const i = ctx.incident;
      if (!i) return;
      const maint = isMaintenance(i);
      const fieldMap = { status: 'sp-up-status', body: 'sp-up-body', impact: 'sp-up-impact', components: 'sp-up-components', postmortem: 'sp-up-postmortem' };
      const errors = [];
      const body = { status: q('#sp-up-status').value, body: q('#sp-up-body').value.trim() };
      if (!body.body) errors.push({ field: '/body', message: 'is required' });
      if (!maint) {
        if (q('#sp-up-impact').value) body.impact = q('#sp-up-impact').value;
        const components = readComponentPicks(q('#sp-up-components'), fieldMap);
        if (Object.keys(components).length) body.components = components;
        const postmortem = q('#sp-up-postmortem').value;
        if (body.status === 'postmortem' && postmortem.trim() && postmortem !== (i.postmortem || '')) body.postmortem = postmortem;
      }
      if (errors.length) {
        showError({ status: 0, problem: { title: 'Cannot post the update yet', errors } }, fieldMap);
        return;
      }
      const saved = await act(event.submitter || tid('sp-up-submit'), () => api('POST', `${statusIncidentPath(i.id)}/updates`, body), fieldMap);
      if (!saved || !ctx.alive) return;
      announce(`Update posted: ${spStatusLabel(saved, saved.status)}.`);
      q('#sp-up-body').value = '';
      for (const select of q('#sp-up-components').querySelectorAll('select')) {
        select.value = '';
        delete select.dataset.auto;
      }
      ctx.dirty = false;
      ctx.incident = saved;
      try {
        ctx.components = (await api('GET', '/status/components')).items || [];
      } catch {
        // The list refreshes with the next event.
      }
      if (!ctx.alive) return;
      fill(saved);
      q('#sp-up-body').focus();
    }

    async function load() {
      try {
        const [incident, components] = await Promise.all([api('GET', statusIncidentPath(id)), api('GET', '/status/components')]);
        if (!ctx.alive) return;
        ctx.incident = incident;
        ctx.components = components.items || [];
        if (!root) build();
        fill(incident);
        if (!ctx.loaded) {
          ctx.loaded = true;
          focusHeading();
        }
      } catch (err) {
        if (!ctx.alive || (err && err.sessionEnded)) return;
        if (err instanceof ApiError && err.status === 404 && !ctx.loaded) {
          ctx.alive = false;
          notFoundView('There is no such status page incident or maintenance.');
          return;
        }
        showError(err);
      }
    }

    return liveView(ctx, load, { kinds: /^status\./ });
  }

  // ---------------------------------------------------------------- start

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
