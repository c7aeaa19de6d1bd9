// Support console: queue, claim, translated transcript with originals, order panel,
// canned replies, transfer / release / close / hand back. Everything shoppers wrote is
// put on the page with textContent only — never as HTML. An ES module (strict, scoped):
// the DOM helpers, login and the reconnecting socket come from /static/shared/ui.js.
import { $, el, fillSelect, bindLoginForm, currentAccount, logOut, hasRole, reconnectingSocket,
  requestJson } from "/static/shared/ui.js";

const state = { account: null, socket: null, queue: [], mine: [], now: 0, skew: 0,
                current: null, transcripts: new Map(), meta: new Map(), order: new Map(),
                reasons: new Map(), refs: 0, hello: null, typingTimer: 0,
                lastTypingSent: 0, wantStatus: null };

function flash(text, ok) {
  const f = $("flash");
  f.textContent = text || "";
  f.className = ok ? "flash ok" : "flash";
}
function money(v) { return v == null ? "—" : "$" + Number(v).toFixed(0); }
function fmtSecs(s) {
  const neg = s < 0; s = Math.abs(Math.round(s));
  const m = Math.floor(s / 60), r = s % 60;
  return (neg ? "−" : "") + m + ":" + String(r).padStart(2, "0");
}
function serverNow() { return Date.now() / 1000 + state.skew; }

// ---------- login ----------
bindLoginForm(start);
$("logout").addEventListener("click", async () => {
  await logOut();
  location.reload();
});

function start(account) {
  if (!hasRole(account, "agent") && !hasRole(account, "lead")) {
    $("login").hidden = false;
    $("login-error").textContent = "This console is for agents and leads; your account has neither role.";
    return;
  }
  state.account = account;
  $("login").hidden = true;
  $("app").hidden = false;
  $("reports-link").hidden = !hasRole(account, "lead");
  $("me").textContent = account.name + " · " + account.languages.join(", ") + " · " + account.teams.join(", ");
  document.documentElement.lang = account.language;
  if (hasRole(account, "lead")) loadAlerts();
  connect();
}

// ---------- socket ----------
function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  state.socket = reconnectingSocket(() => proto + "//" + location.host + "/ws/agent", {
    connecting: () => { $("conn").textContent = "connecting…"; },
    open: () => { $("conn").textContent = "connected"; },
    message: handle,
    close: () => { $("conn").textContent = "reconnecting…"; },
  });
}
function send(body) {
  const ref = state.refs + 1;
  if (!state.socket || !state.socket.send({ ...body, ref })) { flash("Not connected — retrying…"); return 0; }
  state.refs = ref;
  return ref;
}

function handle(m) {
  if (!m || typeof m !== "object") return;
  switch (m.type) {
    case "hello": onHello(m); break;
    case "queue":
      state.queue = m.items; state.mine = m.mine; state.skew = m.now - Date.now() / 1000;
      $("status").value = state.wantStatus || m.status; renderLists(); renderHead(); break;
    case "transcript":
      state.transcripts.set(m.conversation_id, m.entries);
      state.meta.set(m.conversation_id, { ...m.meta, mine: m.mine });
      state.order.set(m.conversation_id, m.order);
      state.reasons.set(m.conversation_id, m.reasons || []);
      if (!state.current || m.mine) state.current = m.conversation_id;
      if (state.current === m.conversation_id) renderChat();
      break;
    case "entry": {
      const list = state.transcripts.get(m.conversation_id);
      if (!list) break;
      if (list.some((e) => e.seq === m.entry.seq)) break; // once
      list.push(m.entry);
      if (m.conversation_id === state.current) {
        appendEntry(m.entry); $("typing").hidden = true;
        const meta = state.meta.get(m.conversation_id) || {};
        if (m.entry.speaker === "shopper" && meta.channel === "email") loadEmails(m.conversation_id, true);
      }
      break;
    }
    case "typing":
      if (m.conversation_id === state.current) {
        $("typing").textContent = "The shopper is typing…"; $("typing").hidden = false;
        clearTimeout(state.typingTimer);
        state.typingTimer = setTimeout(() => { $("typing").hidden = true; }, 4000);
      }
      break;
    case "mode": {
      const meta = state.meta.get(m.conversation_id);
      if (meta) meta.mode = m.mode;
      if (m.conversation_id === state.current) renderHead();
      break;
    }
    case "assigned": flash("A colleague transferred a chat to you.", true); break;
    case "alert": addAlert(m.alert); break;
    case "ok":
      if (m.op === "close") flash("Closed · case " + m.case_id, true);
      else if (m.op === "handback") flash("Handed back to the bot.", true);
      else if (m.op === "claim") flash("Claimed.", true);
      if (["close", "handback", "release", "transfer"].includes(m.op)) forgetCurrent();
      break;
    case "error": flash(m.message || m.code); break;
  }
}

function onHello(m) {
  state.hello = m;
  sendWantedStatus();
  const canned = $("canned");
  canned.replaceChildren();
  for (const c of m.canned) {
    const b = el("button", "", c.title);
    b.type = "button"; b.title = c.text;
    b.addEventListener("click", () => state.current && send({ type: "canned", conversation_id: state.current, id: c.id }));
    canned.append(b);
  }
  fill($("resolution"), m.resolutions);
  fill($("issue-type"), m.issue_types);
  fill($("to-team"), ["", ...m.teams]);
  fill($("to-agent"), ["", ...m.agents.filter((a) => a.login !== m.account.login).map((a) => a.login)],
       (v) => { const a = m.agents.find((x) => x.login === v); return a ? a.name + " (" + a.languages.join(", ") + ")" : "—"; });
}
function fill(select, values, label) {
  fillSelect(select, values, { label: label || ((v) => v || "—") });
}

// ---------- lists ----------
function itemNode(item, mine) {
  const li = el("li", "item" + (item.conversation_id === state.current ? " active" : ""));
  li.tabIndex = 0;
  li.dataset.conv = item.conversation_id;
  const top = el("div", "line");
  top.append(el("span", "pill prio-" + item.priority, item.priority),
             el("span", "", (item.language || "?").toUpperCase() + " · " + (item.country || "—")),
             el("span", "", money(item.order_value_usd)));
  if (item.customer_tier && item.customer_tier !== "new") top.append(el("span", "pill", item.customer_tier));
  const reasons = el("div", "line");
  for (const r of item.reasons || []) { const p = el("span", "pill reason", r.code); p.title = r.detail; reasons.append(p); }
  const sla = el("span", "sla", "");
  sla.dataset.due = item.sla_due;
  sla.dataset.first = item.first_response_at || "";
  reasons.append(sla);
  li.append(top, reasons, el("div", "text", item.last_text || ""));
  if (!mine && !item.claimable) li.append(el("div", "route", item.route_note));
  if (!mine && item.needs_translation && item.claimable) li.append(el("div", "route", "you'll read it translated"));
  const open = () => { state.current = item.conversation_id; send({ type: "open", conversation_id: item.conversation_id }); renderLists(); };
  li.addEventListener("click", open);
  li.addEventListener("keydown", (ev) => { if (ev.key === "Enter") open(); });
  return li;
}
function renderLists() {
  $("queue").replaceChildren(...state.queue.map((i) => itemNode(i, false)));
  $("mine").replaceChildren(...state.mine.map((i) => itemNode(i, true)));
  $("queue-count").textContent = "(" + state.queue.length + ")";
  $("mine-count").textContent = "(" + state.mine.length + ")";
  tickSla();
}
function tickSla() {
  const now = serverNow();
  for (const node of document.querySelectorAll(".sla")) {
    const due = Number(node.dataset.due), first = Number(node.dataset.first) || 0;
    if (first) { node.textContent = first > due ? "SLA missed" : "answered"; node.classList.toggle("breached", first > due); continue; }
    const left = due - now;
    node.textContent = left < 0 ? "SLA breached " + fmtSecs(left) : "SLA " + fmtSecs(left);
    node.classList.toggle("breached", left < 0);
  }
}
setInterval(tickSla, 1000);

// ---------- chat ----------
function forgetCurrent() {
  state.current = null; $("chat-view").hidden = true; $("empty").hidden = false;
  $("order-panel").replaceChildren(); renderLists();
}
function renderHead() {
  const id = state.current; if (!id) return;
  const meta = state.meta.get(id) || {};
  const mine = meta.mode === "agent" && meta.owner === state.account.login;
  $("chat-title").textContent = id + " · " + (meta.language || "?").toUpperCase() + " · " + (meta.country || "—") + " · " + (meta.mode || "");
  $("claim").hidden = meta.mode !== "queued";
  for (const b of ["release", "handback"]) $(b).hidden = !mine;
  $("composer-area").hidden = !mine;
}
function renderChat() {
  const id = state.current;
  $("empty").hidden = true; $("chat-view").hidden = false;
  const meta = state.meta.get(id) || {};
  const inMine = state.mine.some((i) => i.conversation_id === id);
  if (inMine) { meta.mode = "agent"; meta.owner = state.account.login; }
  renderHead();
  const reasons = $("chat-reasons");
  reasons.replaceChildren(...(state.reasons.get(id) || []).map((r) => { const p = el("span", "pill reason", r.code + ": " + r.detail); return p; }));
  if (meta.csat_rating) { // the shopper's "How did we do?" answer on this case
    const c = el("span", "pill csat", "CSAT " + meta.csat_rating + "/5" + (meta.csat_comment ? ": " + meta.csat_comment : ""));
    c.title = "Shopper rating after " + (meta.csat_agent || "the bot");
    reasons.append(c);
  }
  $("transcript").replaceChildren();
  for (const e of state.transcripts.get(id) || []) appendEntry(e);
  renderOrder(state.order.get(id));
  renderLists();
  loadEmails(id, meta.channel === "email");
}

// ---------- email originals ----------
// The mails as received, for email conversations: the new text, the whole message (quoted
// history) and any HTML source folded away — all as text, never parsed as markup — and
// the attachments as download links (the gateway serves them as attachments).
function kb(n) { return n < 1024 ? n + " B" : (n / 1024).toFixed(n < 10240 ? 1 : 0) + " KB"; }
function folded(summary, text, cls) {
  const d = el("details", "fold");
  d.append(el("summary", "", summary), el("pre", cls || "", text));
  return d;
}
function mailNode(convId, m) {
  const li = el("li", "mail");
  const at = m.at ? new Date(m.at * 1000).toISOString().slice(0, 16).replace("T", " ") : "";
  li.append(el("div", "mail-head", m.from + " · " + (m.subject || "(no subject)") + " · " + at));
  li.append(el("pre", "mail-new", m.text || m.original || ""));
  if (m.original && m.original !== m.text) li.append(folded("Whole message with quoted history", m.original, "mail-original"));
  if (m.html) li.append(folded("HTML source (shown as text, never run)", m.html, "source"));
  if ((m.attachments || []).length) {
    const files = el("ul", "files");
    for (const f of m.attachments) {
      const href = "/api/console/email/" + encodeURIComponent(convId) + "/files/" + encodeURIComponent(f.id);
      files.append(el("li", "file", el("a", { href, download: f.name, class: "download" }, f.name),
                      " · " + f.type + " · " + kb(f.size)));
    }
    li.append(files);
  }
  for (const r of m.refused || []) li.append(el("div", "refused", "Not kept: " + r.name + " (" + r.type + ", " + r.reason + ")"));
  return li;
}
async function loadEmails(convId, isEmail) {
  const view = $("email-view");
  view.hidden = true;
  $("email-mails").replaceChildren();
  if (!isEmail) return;
  let mails;
  try { mails = (await requestJson("GET", "/api/console/email/" + encodeURIComponent(convId))).mails; }
  catch (err) { flash("Could not load the emails: " + err.message); return; }
  if (state.current !== convId) return; // the agent opened another chat meanwhile
  $("email-mails").replaceChildren(...mails.map((m) => mailNode(convId, m)));
  $("email-count").textContent = "(" + mails.length + ")";
  view.hidden = mails.length === 0;
}
function appendEntry(e) {
  const who = e.speaker === "agent" ? (e.agent && e.agent.name) || "Agent"
    : e.speaker === "bot" ? "Bot" : e.speaker === "system" ? "" : "Shopper";
  const li = el("li", "msg " + e.speaker);
  if (who) li.append(el("span", "who", who + (e.translated ? " · translated from " + e.language : "")));
  li.append(el("span", "body", e.text));
  if (e.translated) {
    const orig = el("span", "orig", e.original);
    orig.hidden = true;
    orig.lang = e.language;
    if (e.language === "ar") orig.dir = "rtl";
    const t = el("button", "toggle", "Show original");
    t.type = "button";
    t.addEventListener("click", () => { orig.hidden = !orig.hidden; t.textContent = orig.hidden ? "Show original" : "Hide original"; });
    li.append(document.createTextNode(" "), t, orig);
  } else if (e.language === "ar") { li.dir = "rtl"; }
  const list = $("transcript");
  list.append(li);
  list.scrollTop = list.scrollHeight;
}
function dl(pairs) {
  const d = el("dl");
  for (const [k, v] of pairs) { if (v === undefined || v === null || v === "") continue; d.append(el("dt", "", k), el("dd", "", v)); }
  return d;
}
function renderOrder(o) {
  const panel = $("order-panel");
  panel.replaceChildren();
  if (!o) { panel.append(el("p", "empty", "No verified order in this chat yet.")); return; }
  panel.append(el("h3", "", "Order " + o.order_id),
    dl([["Status", o.status], ["Customer", o.customer_name + " <" + o.email + ">"],
        ["Country", o.country], ["Total", o.total + " " + o.currency],
        ["Placed", o.placed_at.slice(0, 10)], ["Ship by", o.ship_by.slice(0, 10)],
        ["Tier", o.customer ? o.customer.tier + " · " + o.customer.orders_count + " orders" : ""]]));
  const lines = el("ol");
  for (const l of o.lines) lines.append(el("li", "", l.quantity + " × " + l.name + (l.size ? " (" + l.size + ")" : "") + " — " + l.unit_price + " " + o.currency));
  panel.append(lines);
  if (o.shipment) {
    panel.append(el("h3", "", "Shipment"), dl([["Carrier", o.shipment.carrier + " · " + o.shipment.service],
      ["Tracking", o.shipment.tracking_number], ["State", o.tracking ? o.tracking.state : ""],
      ["Window", o.tracking && o.tracking.window ? o.tracking.window.map((d) => d.slice(0, 10)).join(" – ") : ""]]));
    const ev = el("ol");
    for (const e of o.shipment.events.slice().reverse()) ev.append(el("li", "", e.at.slice(0, 16).replace("T", " ") + " · " + e.code.replace(/_/g, " ") + " · " + e.place));
    panel.append(ev);
  }
  const p = o.policy;
  panel.append(el("h3", "", "Policy (" + o.country + ")"), dl([["Returns", p.return_window_days + " days"],
    ["Conditions", p.conditions.join(", ")], ["Return shipping", p.return_shipping_cost + " · paid by " + p.return_shipping_paid_by],
    ["Prefers", p.preferred_resolution], ["Refund in", p.refund_days.join("–") + " days"],
    ["Progress updates", p.progress_updates ? "expected" : "on request"]]));
  if (o.remedy) {
    const box = el("div", "remedy");
    box.append(el("strong", "", "Suggested remedy (" + o.remedy.issue_type.replace(/_/g, " ") + ")"),
      dl([["Options", o.remedy.options.join(" → ")], ["Keep item", o.remedy.keep_item ? "yes" : "no"],
          ["Partial refund", o.remedy.partial_refund_amount ? o.remedy.partial_refund_amount + " " + o.currency : ""],
          ["Coupon", o.remedy.coupon_pct ? o.remedy.coupon_pct + " %" : ""], ["Why", o.remedy.reason.replace(/_/g, " ")]]));
    panel.append(el("h3", "", "Remedy"), box);
  }
}

// ---------- actions ----------
// A status picked while the socket is still connecting (or reconnecting) is sent once it is
// open; until then the server's queue frames must not put the old one back on screen.
function sendWantedStatus() {
  if (state.wantStatus && send({ type: "status", status: state.wantStatus })) state.wantStatus = null;
}
$("status").addEventListener("change", () => { state.wantStatus = $("status").value; sendWantedStatus(); });
$("claim").addEventListener("click", () => state.current && send({ type: "claim", conversation_id: state.current }));
$("release").addEventListener("click", () => state.current && send({ type: "release", conversation_id: state.current }));
$("handback").addEventListener("click", () => state.current && send({ type: "handback", conversation_id: state.current }));
$("composer").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = $("reply").value.trim();
  if (!text || !state.current) return;
  if (send({ type: "message", conversation_id: state.current, text })) $("reply").value = "";
});
$("reply").addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); $("composer").requestSubmit(); }
});
$("reply").addEventListener("input", () => {
  const now = Date.now();
  if (state.current && now - state.lastTypingSent > 2500) { state.lastTypingSent = now; send({ type: "typing", conversation_id: state.current }); }
});
$("transfer-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const toAgent = $("to-agent").value, toTeam = $("to-team").value;
  if (!toAgent && !toTeam) { flash("Pick an agent or a team."); return; }
  send({ type: "transfer", conversation_id: state.current, to_agent: toAgent || null, to_team: toAgent ? null : toTeam });
});
$("close-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  send({ type: "close", conversation_id: state.current, resolution: $("resolution").value,
         issue_type: $("issue-type").value, note: $("close-note").value });
});

currentAccount().catch(() => null)
  .then((account) => { if (account) start(account); else $("login").hidden = false; });

// ---------- red-light alerts (leads and admins): banner list fed by "alert" frames and
// GET /api/reports/alerts; the sentence is text, never HTML ----------
const shown = new Map(); // alert_id -> alert

function renderAlerts() {
  const box = $("alerts");
  const list = $("alert-list");
  const items = [...shown.values()].filter((a) => a.state !== "resolved");
  box.hidden = items.length === 0;
  $("alert-count").textContent = String(items.length);
  list.replaceChildren(...items.map(alertNode));
}

function alertNode(a) {
  const note = el("input", { class: "alert-note", maxlength: "2000", placeholder: "Note",
                             "aria-label": "Note" });
  const act = (verb) => async () => {
    const resp = await fetch(`/api/reports/alerts/${encodeURIComponent(a.alert_id)}/${verb}`, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ note: note.value }),
    });
    const body = await resp.json().catch(() => ({}));
    if (!resp.ok) { $("flash").textContent = (body.error && body.error.message) || "Could not update the alert."; return; }
    shown.set(a.alert_id, { ...a, ...body });
    renderAlerts();
  };
  const status = a.state === "acknowledged" ? ` · acknowledged by ${a.owner || "?"}` : "";
  return el("li", { class: "alert-item", "data-alert-id": a.alert_id },
    el("span", { class: "alert-text", text: a.text + status }),
    el("a", { href: a.cases_url || "#", text: `${a.count} cases` }),
    note,
    el("button", { "type": "button", class: "alert-ack", text: "Acknowledge", onclick: act("ack") }),
    el("button", { "type": "button", class: "alert-resolve", text: "Resolve", onclick: act("resolve") }),
  );
}

function addAlert(alert) {
  if (!alert || !alert.alert_id) return;
  shown.set(alert.alert_id, { ...(shown.get(alert.alert_id) || {}), ...alert });
  renderAlerts();
}

async function loadAlerts() {
  const resp = await fetch("/api/reports/alerts", { credentials: "same-origin" });
  if (!resp.ok) return;
  for (const a of await resp.json()) shown.set(a.alert_id, a);
  renderAlerts();
}
