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
    'escalation.started',
    'escalation.step_fired',
    'escalation.stopped',
    'escalation.exhausted',
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
  };

  const $ = (sel, root = document) => root.querySelector(sel);
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

  async function api(method, path, body) {
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
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
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
      list.append(el('li', { dataset: { field } }, el('strong', { text: field || 'request' }), `: ${item.message || 'is invalid'}`));
      const input = fieldMap && fieldMap[field] ? document.getElementById(fieldMap[field]) : null;
      if (input) input.setAttribute('aria-invalid', 'true');
    }
    alert.hidden = false;
  }

  function clearAlert() {
    const alert = document.getElementById('alert');
    alert.hidden = true;
    document.getElementById('alert-title').textContent = '';
    document.getElementById('alert-detail').textContent = '';
    document.getElementById('alert-errors').replaceChildren();
    clearInvalid();
  }

  function clearInvalid() {
    for (const node of document.querySelectorAll('[aria-invalid="true"]')) node.removeAttribute('aria-invalid');
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

  async function boot() {
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
    if (path === '/ui/profile') return { name: 'profile' };
    if (path === '/ui/oncall' || path === '/ui/schedules') return { name: 'oncall' };
    const schedule = /^\/ui\/schedules\/([^/]+)$/.exec(path);
    if (schedule) return { name: 'schedule', id: decodeURIComponent(schedule[1]), nav: 'oncall' };
    if (path === '/ui/policies') return { name: 'policies' };
    if (path === '/ui/notifications') return { name: 'notifications' };
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
    else if (route.name === 'profile') state.view = profileView();
    else if (route.name === 'oncall') state.view = oncallView();
    else if (route.name === 'schedule') state.view = scheduleView(route.id);
    else if (route.name === 'policies') state.view = policiesView();
    else if (route.name === 'notifications') state.view = notificationsView();
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

  // {summary, text}: one line saying what happened, and optional free text to quote.
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
      case 'incident.note_added':
        return { summary: `${who} added a note`, text: pick(data, 'text', 'note') };
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
    const { summary, text } = describeEvent(event);
    const time = el('time', { dateTime: event.at, title: formatTime(event.at), text: formatTime(event.at) });
    time.dateTime = event.at || '';
    const li = el(
      'li',
      {
        className: `timeline-entry${isNew ? ' new' : ''}`,
        dataset: { seq: String(event.seq), kind: event.kind || '', testid: 'timeline-entry' },
      },
      el('p', { className: 'timeline-summary', text: summary }),
      el('p', { className: 'timeline-meta' }, time),
      text ? el('p', { className: 'timeline-text', text }) : null,
    );
    return li;
  }

  function incidentView(id) {
    document.title = 'Incident · Klaxon';
    const ctx = { alive: true, incident: null, seqs: new Set(), first: true };
    main().replaceChildren(el('p', { className: 'loading', text: 'Loading incident…' }));

    let page = null;
    const q = (sel) => page.querySelector(sel);

    function build() {
      main().replaceChildren(cloneTemplate('tpl-incident'));
      page = main().querySelector('[data-testid="incident-detail"]');
      const canAct = state.user && state.user.role !== 'viewer';
      q('[data-field="readonly-note"]').hidden = canAct;
      for (const control of page.querySelectorAll('.incident-side .control')) {
        if (!canAct) control.hidden = true;
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
          () => api('POST', `${incidentPath(id)}/notes`, { text: textarea.value }),
          { text: 'note-text' },
        );
        if (created) {
          textarea.value = '';
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
      const timeText = (v) => (v ? `${formatTime(v)} (${formatAge(v)})` : '');
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
        const when = `${formatRelative(esc.next_at)} (${formatTime(esc.next_at)})`;
        nextText = esc.next_step ? `Step ${esc.next_step} ${when}` : `None left; paging ends ${when}`;
      }
      setText(q('[data-field="esc-next"]'), nextText, esc.state === 'exhausted' ? 'None: all steps paged' : '—');
    }

    function fillRoles(data) {
      if (!page) return;
      const list = q('[data-testid="role-list"]');
      const items = (data && data.items) || [];
      list.replaceChildren(
        ...items.map((item) =>
          el(
            'li',
            { className: 'role-item', dataset: { testid: 'role-item', role: item.role } },
            el('span', { className: 'role-name', text: item.role, dataset: { testid: 'role-item-name' } }),
            el('span', { className: 'role-user', text: userLabel(item.user), dataset: { testid: 'role-item-user' } }),
          ),
        ),
      );
      q('[data-testid="roles-empty"]').hidden = items.length > 0;
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
        const incident = await api('GET', incidentPath(id));
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
      },
      onEvent(event) {
        if (event.incident_id === null || event.incident_id === undefined) return;
        if (String(event.incident_id) !== String(ctx.incident ? ctx.incident.id : id)) return;
        if (ctx.incident && event.seq !== undefined && event.kind) addTimeline([event]);
        const kind = String(event.kind || '');
        const paging = kind.startsWith('escalation.') || kind.startsWith('notification.');
        if (!paging) refresh();
        if (paging || kind.startsWith('incident.')) refreshPanels();
      },
      onStreamOpen() {
        if (ctx.incident) {
          refresh();
          refreshPanels();
        }
      },
    };
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
        const status = li.querySelector('[data-field="test-status"]');
        status.textContent = m.verified
          ? 'Test message queued.'
          : 'Test message queued: enter the 6-digit code from it below, or open its verify link.';
        announce(status.textContent);
        const code = li.querySelector('input[name="code"]');
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

      li.append(el('p', { className: 'hint', role: 'status', dataset: { field: 'test-status', testid: 'method-test-status' } }));

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
          note: li.querySelector('[data-field="test-status"]').textContent,
          focused: li.contains(document.activeElement) ? document.activeElement.dataset.testid : null,
        });
      }
      tid('method-list').replaceChildren(...methods.map(methodItem));
      for (const li of tid('method-list').children) {
        const old = kept.get(li.dataset.methodId);
        if (!old) continue;
        const code = li.querySelector('input[name="code"]');
        if (code) code.value = old.code;
        if (li.dataset.verified === 'false') li.querySelector('[data-field="test-status"]').textContent = old.note;
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
    const reload = debounce(load, 200);
    load();
    return {
      cleanup() {
        ctx.alive = false;
        reload.cancel();
      },
      onEvent(event) {
        if (String(event.kind || '').startsWith('notification.') || event.kind === 'escalation.step_fired') reload();
      },
      onStreamOpen() {
        reload();
      },
    };
  }

  // ---------------------------------------------------------------- start

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
