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
  }

  async function boot() {
    document.addEventListener('click', onLinkClick);
    window.addEventListener('popstate', () => render());
    document.getElementById('logout-button').addEventListener('click', logout);
    document.getElementById('alert-close').addEventListener('click', clearAlert);
    setInterval(() => refreshAges(document), 30000);
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
    return { name: 'not-found' };
  }

  function unmountView() {
    if (state.view && state.view.cleanup) state.view.cleanup();
    state.view = null;
  }

  function markCurrentNav(route) {
    for (const link of document.querySelectorAll('#nav a')) {
      const target = parseRoute(link.pathname).name;
      if (target === route.name) link.setAttribute('aria-current', 'page');
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

    return {
      cleanup() {
        ctx.alive = false;
        refresh.cancel();
      },
      onEvent(event) {
        if (event.incident_id === null || event.incident_id === undefined) return;
        if (String(event.incident_id) !== String(ctx.incident ? ctx.incident.id : id)) return;
        if (ctx.incident && event.seq !== undefined && event.kind) addTimeline([event]);
        refresh();
      },
      onStreamOpen() {
        if (ctx.incident) refresh();
      },
    };
  }

  // ---------------------------------------------------------------- start

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
