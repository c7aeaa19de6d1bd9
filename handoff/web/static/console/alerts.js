// Red-light alerts for leads and admins in the console: a banner list fed by the agent
// socket ("alert" frames, pushed once per new alert) and, on start, by GET
// /api/reports/alerts. Each item shows the alert's one sentence (as text, never HTML), a
// link to its cases and Acknowledge / Resolve with a note; the owner is the lead acting.
import { $, el } from "/static/shared/ui.js";

const shown = new Map(); // alert_id -> alert

function render() {
  const box = $("alerts");
  const list = $("alert-list");
  const items = [...shown.values()].filter((a) => a.state !== "resolved");
  box.hidden = items.length === 0;
  $("alert-count").textContent = String(items.length);
  list.replaceChildren(...items.map(itemNode));
}

function itemNode(a) {
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
    render();
  };
  const status = a.state === "acknowledged" ? ` · acknowledged by ${a.owner || "?"}` : "";
  return el("li", { class: "alert-item", "data-alert-id": a.alert_id },
    el("span", { class: "alert-text", text: a.text + status }),
    el("a", { href: a.cases_url || "#", text: `${a.count} cases` }),
    note,
    el("button", { type: "button", class: "alert-ack", text: "Acknowledge", onclick: act("ack") }),
    el("button", { type: "button", class: "alert-resolve", text: "Resolve", onclick: act("resolve") }),
  );
}

export function addAlert(alert) {
  if (!alert || !alert.alert_id) return;
  shown.set(alert.alert_id, { ...(shown.get(alert.alert_id) || {}), ...alert });
  render();
}

export async function loadAlerts() {
  const resp = await fetch("/api/reports/alerts", { credentials: "same-origin" });
  if (!resp.ok) return;
  for (const a of await resp.json()) shown.set(a.alert_id, a);
  render();
}
