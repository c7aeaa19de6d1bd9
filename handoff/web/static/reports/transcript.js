// Reports: one conversation's transcript, read-only (/console/reports/transcript?conversation=id),
// for leads and admins, from the gateway's own transcript API (GET /api/conversations/{id},
// which every staff session may read). An ES module under the strict CSP; every piece of
// data goes into the page as text (el() sets textContent), never as HTML.
import { $, el, bindLoginForm, currentAccount, hasRole, requestJson, ApiError } from "/static/shared/ui.js";

const META = [["channel", "Channel"], ["language", "Language"], ["country", "Country"],
              ["order_id", "Order"], ["status", "Status"], ["mode", "Mode"]];

function conversationId() {
  return new URLSearchParams(location.search).get("conversation") || "";
}

function showLogin(message) {
  $("app").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
}

function when(at) {
  if (at == null) return "";
  const d = new Date(typeof at === "number" ? at * 1000 : at);
  return isNaN(d) ? String(at) : d.toISOString().slice(0, 16).replace("T", " ");
}

function speaker(e) {
  if (e.speaker === "agent") return (e.agent && e.agent.name) || "Agent";
  if (e.speaker === "bot") return "Bot";
  if (e.speaker === "system") return "System";
  return "Shopper";
}

function entry(e) {
  const li = el("li", "msg " + (e.speaker || "shopper"));
  li.append(el("span", "who", speaker(e) + (e.at ? " · " + when(e.at) : "")));
  li.append(el("span", "body", e.text == null ? "" : String(e.text)));
  if (e.translated && e.original) {
    const orig = el("span", { class: "orig", text: "Original (" + (e.language || "?") + "): " + e.original });
    orig.lang = e.language || "";
    if (e.language === "ar") orig.dir = "rtl";
    li.append(orig);
  }
  return li;
}

async function show() {
  const id = conversationId();
  $("h-conv").textContent = "Conversation " + (id || "—");
  if (!id) { $("status").textContent = "No conversation given."; return; }
  try {
    const data = await requestJson("GET", "/api/conversations/" + encodeURIComponent(id));
    const meta = data.meta || {};
    $("meta").replaceChildren(...META.filter(([k]) => meta[k]).flatMap(([k, label]) =>
      [el("dt", { text: label }), el("dd", { text: meta[k] })]));
    const list = data.transcript || [];
    $("transcript").replaceChildren(...list.map(entry));
    $("status").textContent = list.length ? `${list.length} messages.` : "This conversation has no messages.";
  } catch (err) {
    const gone = err instanceof ApiError && (err.status === 404 || err.status === 400);
    $("status").textContent = gone
      ? "No transcript is stored for this conversation (imported or expired)."
      : err.message;
    $("status").classList.toggle("error", !gone);
  } finally {
    document.body.dataset.loaded = "1";
  }
}

async function start(account) {
  if (!account) { showLogin(); return; }
  if (!hasRole(account, "lead")) {
    showLogin(`${account.name} has no lead role: transcripts here are for team leads and admins.`);
    return;
  }
  $("login").hidden = true;
  $("app").hidden = false;
  $("who").textContent = account.name + " · " + account.roles.join(", ");
  await show();
}

bindLoginForm(start);
currentAccount().then(start).catch((err) => showLogin(err.message));
