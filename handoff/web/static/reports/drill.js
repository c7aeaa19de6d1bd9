// Reports page drill-down: the cases behind a number, from /api/reports/cases with that
// number's filters (and metric), 50 at a time ("Show more" follows `next`). A case with a
// conversation id links to its transcript.
import { $, el } from "/static/shared/ui.js";
import { LABELS, count, money, getReport, table } from "./format.js";

const PAGE = 50;
const state = { params: null, next: null, shown: 0, total: 0, rows: [] };

function when(ts) {
  if (ts == null) return "—";
  const d = new Date((typeof ts === "number" ? ts * 1000 : ts));
  return isNaN(d) ? String(ts) : d.toISOString().slice(0, 16).replace("T", " ");
}

function describe(filters, metric) {
  const parts = Object.entries(filters).filter(([, v]) => v).map(([k, v]) => `${LABELS[k] || k}: ${v}`);
  if (metric) parts.push("metric: " + metric);
  return parts.length ? parts.join(" · ") : "all cases";
}

function caseRow(c) {
  const conv = c.conversation_id
    ? el("a", { href: "/console/reports/transcript?conversation=" + encodeURIComponent(c.conversation_id),
                text: c.conversation_id })
    : "—";
  return [c.case_id, when(c.created_at), conv, c.order_id || "—", c.country || "—", c.sku || "—",
          c.issue_type || "—", c.resolution || "—", money(c.refund_amount, c.currency || "EUR"),
          c.channel || "—", c.supplier || "—", c.warehouse || "—", c.carrier || "—", c.resolved_by || "—"];
}

const HEAD = ["Case", "Opened (UTC)", "Conversation", "Order", "Country", "Product", "Issue type",
              "Resolution", "Refund", "Channel", "Supplier", "Warehouse", "Carrier", "Resolved by"];

function render() {
  const caption = `${count(state.total)} cases · showing ${count(state.rows.length)}`;
  $("drill-table").replaceChildren(state.rows.length
    ? table(caption, HEAD, state.rows.map(caseRow))
    : el("p", { class: "hint", text: "No cases behind this number." }));
  $("drill-more").hidden = !state.next;
}

async function load() {
  const params = { ...state.params, limit: PAGE, after: state.next || undefined };
  const data = await getReport("cases", params);
  if (!data) {
    $("drill-what").textContent = "The case list is not available on this server yet.";
    return;
  }
  state.rows.push(...data.cases);
  state.next = data.next || null;
  state.total = data.total;
  $("drill").dataset.total = String(data.total);
  render();
}

/** Open the drill-down for `filters` (+ `metric`), titled `title`; focus moves to it. */
export async function openDrill(filters, title, metric) {
  const section = $("drill");
  state.params = { ...filters, metric: metric || undefined };
  state.next = null; state.rows = []; state.total = 0;
  section.hidden = false;
  section.dataset.loading = "1";
  $("h-drill").textContent = "Cases: " + title;
  $("drill-what").textContent = describe(filters, metric);
  $("drill-table").replaceChildren(el("p", { class: "hint", text: "Loading…" }));
  section.focus();
  section.scrollIntoView({ block: "start" });
  try {
    await load();
  } catch (err) {
    $("drill-table").replaceChildren(el("p", { class: "error", text: err.message }));
  } finally {
    delete section.dataset.loading;
  }
}

export function bindDrill() {
  $("drill-close").addEventListener("click", () => { $("drill").hidden = true; });
  $("drill-more").addEventListener("click", async () => {
    $("drill-more").disabled = true;
    try { await load(); } finally { $("drill-more").disabled = false; }
  });
}
