// Shared by the staff pages (agent console, trainer console): DOM helpers, login, and a
// websocket that reconnects with jittered exponential backoff. A plain ES module served
// from /static/shared/ui.js: no build step, and it runs under the gateway's strict CSP
// (script-src 'self', no inline script, no eval).
//
// Text from data only ever goes into the page as text (textContent / text nodes): nothing
// here parses HTML, and event handlers are functions, never strings.
//
// The storefront widget (static/widget.js) can't import this file: it is a classic script
// embedded on foreign shop pages. It keeps a copy of backoffDelay(); keep the two in step
// (tests/unit/web/test_frontend_modules.py checks the constants).

// ------------------------------------------------------------------ DOM

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/**
 * A new element. `attrs` is either a class name (string) or an object:
 *   class -> className, text -> textContent, value -> .value, on<event> -> listener
 *   (a function), a property of the element with a non-string value (checked: true) ->
 *   that property, anything else -> an attribute (true -> ""). null/undefined/false skip.
 * Children are nodes or values (made text nodes); null and undefined are skipped and
 * arrays are flattened.
 */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  const props = typeof attrs === "string" ? { class: attrs } : attrs || {};
  for (const [k, v] of Object.entries(props)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = String(v);
    else if (k === "value") node.value = v;
    else if (k.startsWith("on")) {
      if (typeof v !== "function") throw new TypeError(`el: ${k} must be a function`);
      node.addEventListener(k.slice(2), v);
    } else if (k in node && typeof v !== "string") node[k] = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replace a <select>'s options: `label(value)` is the text shown (default: the value). */
export function fillSelect(select, values, { label, current } = {}) {
  select.replaceChildren(
    ...values.map((v) => el("option", { value: v, text: label ? label(v) : v })),
  );
  if (current && values.includes(current)) select.value = current;
}

// ------------------------------------------------------------------ JSON over HTTP

/** A non-2xx answer: the gateway's {"error": {"code", "message", "problems"}} body. */
export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || `request failed (${status})`);
    this.name = "ApiError";
    this.status = status;
    this.code = err.code;
    this.problems = err.problems || [];
    this.body = body;
  }
}

/** fetch() with the session cookie and a JSON body; the parsed answer or an ApiError. */
export async function requestJson(method, path, body) {
  const opts = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const resp = await fetch(path, opts);
  let data = null;
  try { data = await resp.json(); } catch (e) { data = null; }
  if (!resp.ok) throw new ApiError(resp.status, data);
  return data;
}

// ------------------------------------------------------------------ login

/** The logged-in account, or null without a session (401). Other failures throw. */
export async function currentAccount() {
  try {
    return (await requestJson("GET", "/api/auth/me")).account;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

/** Log in (sets the session cookie); the account, or an ApiError ("wrong login or password"). */
export async function logIn(login, password) {
  return (await requestJson("POST", "/api/auth/login", { login, password })).account;
}

/** End the session; never throws (the page shows its login form either way). */
export async function logOut() {
  try { await requestJson("POST", "/api/auth/logout"); } catch (e) { /* already gone */ }
}

/** Admins have every role. */
export function hasRole(account, role) {
  return Boolean(account && account.roles &&
    (account.roles.includes(role) || account.roles.includes("admin")));
}

/**
 * Wire the standard login form (#login-form, #login-name, #login-password, #login-error):
 * on submit, log in and `await onAccount(account)`; any error's message goes to
 * #login-error. The password field is cleared after a successful login.
 */
export function bindLoginForm(onAccount, ids = {}) {
  const form = $(ids.form || "login-form");
  const name = $(ids.name || "login-name");
  const password = $(ids.password || "login-password");
  const error = $(ids.error || "login-error");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    try {
      const account = await logIn(name.value, password.value);
      password.value = "";
      await onAccount(account);
    } catch (err) {
      error.textContent = (err && err.message) || "Login failed";
    }
  });
}

// ------------------------------------------------------------------ reconnecting socket

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 15000;

/**
 * Exponential backoff with full jitter: a random delay in [0, min(cap, base * 2^attempt)).
 * Full jitter spreads the reconnects of many clients that lost the same server apart.
 */
export function backoffDelay(attempt, base = BACKOFF_BASE_MS, cap = BACKOFF_CAP_MS,
                             random = Math.random) {
  return Math.floor(random() * Math.min(cap, base * Math.pow(2, attempt)));
}

/**
 * A websocket to `urlFn()` (called on every attempt) that reconnects after it closes,
 * waiting backoffDelay(attempt) between attempts; the attempt count resets on open.
 * handlers (all optional):
 *   connecting()        before each attempt
 *   open(socket)        connected
 *   message(data, ev)   each frame, parsed as JSON (frames that aren't JSON are dropped)
 *   close(ev, delayMs)  lost; the next attempt is in delayMs
 * Returns { send(obj) -> bool, isOpen() -> bool, reconnectNow(), close() }.
 * options: { base, cap, random, WebSocket } (defaults: 500 ms, 15 s, Math.random, global).
 */
export function reconnectingSocket(urlFn, handlers = {}, options = {}) {
  const base = options.base || BACKOFF_BASE_MS;
  const cap = options.cap || BACKOFF_CAP_MS;
  const random = options.random || Math.random;
  const Socket = options.WebSocket || globalThis.WebSocket;
  const call = (name, ...args) => { if (handlers[name]) handlers[name](...args); };
  let ws = null, attempt = 0, timer = null, stopped = false;

  function schedule() {
    const delay = backoffDelay(attempt, base, cap, random);
    attempt = Math.min(attempt + 1, 30); // 2^30 * base is far past any cap
    timer = setTimeout(connect, delay);
    return delay;
  }

  function connect() {
    clearTimeout(timer);
    timer = null;
    if (stopped || ws) return;
    call("connecting");
    let sock;
    try {
      sock = new Socket(urlFn());
    } catch (err) {
      call("close", null, schedule());
      return;
    }
    ws = sock;
    sock.onopen = () => {
      if (ws !== sock) return;
      attempt = 0;
      call("open", sock);
    };
    sock.onmessage = (ev) => {
      if (ws !== sock) return;
      let data;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      call("message", data, ev);
    };
    sock.onclose = (ev) => {
      if (ws !== sock) return;
      ws = null;
      if (stopped) return;
      call("close", ev, schedule());
    };
  }

  connect();
  return {
    send(obj) {
      if (!ws || ws.readyState !== 1) return false; // 1: OPEN
      ws.send(JSON.stringify(obj));
      return true;
    },
    isOpen() { return Boolean(ws && ws.readyState === 1); },
    reconnectNow() { if (!ws && !stopped) connect(); },
    close() {
      stopped = true;
      clearTimeout(timer);
      timer = null;
      if (ws) { const sock = ws; ws = null; sock.close(); }
    },
  };
}
