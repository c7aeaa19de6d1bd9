// Reports page sections: the cases-by-week table, trend, issue-type share, loss, KPIs and
// alerts. Each `render*` takes the API answer and the page's filters and fills its section;
// every number is a drill-down button (format.num) carrying the filters behind it.
import { $, el } from "/static/shared/ui.js";
import { LABELS, count, pct, duration, money, num, table, weekRange } from "./format.js";
import { lineChart, pieChart, barChart, clearChart } from "./charts.js";

/** The cases table shows this many rows (the largest); the server sends only those. */
export const MAX_ROWS = 40;

function put(id, ...nodes) { $(id).replaceChildren(...nodes); }
function note(text) { return el("p", { class: "hint", text }); }

/**
 * Issue type (or product, country, or all three) × week, from the grouped
 * /api/reports/summary answer (`group`, `top`): the largest rows with their weekly cells,
 * plus the weekly and overall totals of every row.
 */
export function renderCasesTable(data, filters) {
  const rows = (data && data.rows) || [];
  if (!rows.length) { put("cases-table", note("No cases for these filters.")); return; }
  const dims = data.group, weeks = data.weeks;
  const head = [dims.map((d) => LABELS[d]).join(" · "), ...weeks, "Total"];
  const body = rows.map((r) => {
    const key = dims.map((d) => r[d] ?? "").join(" · ");
    const rowFilters = { ...filters, ...Object.fromEntries(dims.map((d) => [d, r[d]])) };
    const cells = weeks.map((w) => {
      const n = r.by_week[w] || 0;
      const b = num(count(n), n ? weekRange(rowFilters, w) : null, `${key}, week of ${w}`);
      b.dataset.row = key; b.dataset.week = w;
      return b;
    });
    const total = num(count(r.total), rowFilters, `${key}, all weeks`);
    total.dataset.row = key; total.dataset.week = "total";
    return [key || "—", ...cells, total];
  });
  const weekTotal = (w) => data.week_totals[w] || 0;
  const foot = ["All", ...weeks.map((w) => num(count(weekTotal(w)), weekRange(filters, w), `all cases, week of ${w}`)),
                num(count(data.total), filters, "all cases")];
  const parts = [table(`Cases per ${head[0].toLowerCase()} and week (columns: the Monday of each week)`, head, body, { foot })];
  if (data.total_rows > rows.length) parts.push(note(`Showing the ${rows.length} largest of ${data.total_rows} rows; the totals count all.`));
  put("cases-table", ...parts);
}

/** Share of cases per issue type (the reasons pie) from the grouped summary's `issue_types`. */
export function renderReasons(data, filters) {
  const items = ((data && data.issue_types) || []).map((t) => [t.issue_type, t.cases]);
  const all = items.reduce((s, [, n]) => s + n, 0);
  if (!all) { clearChart("reasons-chart"); put("reasons-table", note("No cases for these filters.")); return; }
  pieChart("reasons-chart", items.map(([k]) => k || "—"), items.map(([, n]) => n));
  const body = items.map(([k, n]) => [k || "—", num(count(n), { ...filters, issue_type: k }, `${k} cases`),
                                      num(pct(n / all), { ...filters, issue_type: k }, `${k} cases`)]);
  put("reasons-table", table("Cases per issue type", ["Issue type", "Cases", "Share"], body));
}

/** /api/reports/trend: lines per key and week, and the same as a table. */
export function renderTrend(data, filters) {
  if (!data || !data.series || !data.series.length) {
    clearChart("trend-chart");
    put("trend-table", note(data ? "No cases for these filters." : "The trend is not available on this server yet."));
    return;
  }
  lineChart("trend-chart", data.weeks, data.series);
  const by = data.by;
  const body = data.series.map((s) => [s.key, ...s.counts.map((n, i) => num(count(n),
    s.key !== "other" && n ? weekRange({ ...filters, [by]: s.key }, data.weeks[i]) : null,
    `${s.key}, week of ${data.weeks[i]}`))]);
  put("trend-table", table(`Weekly cases per ${LABELS[by].toLowerCase()}`,
                           [LABELS[by], ...data.weeks], body));
}

const LOSS_PARTS = [["refund", "Refunds"], ["compensation", "Compensation"], ["reship", "Reship cost"]];

/** /api/reports/loss: stacked bars per key and the table with share of orders shipped. */
export function renderLoss(data, filters) {
  if (!data || !data.rows || !data.rows.length) {
    clearChart("loss-chart");
    put("loss-table", note(data ? "No losses for these filters." : "Loss analysis is not available on this server yet."));
    return;
  }
  const cur = data.currency, by = data.by;
  const top = data.rows.slice(0, 15);
  barChart("loss-chart", top.map((r) => r.key ?? "unknown"),
           LOSS_PARTS.map(([f, label]) => ({ label, values: top.map((r) => r[f] || 0) })), cur);
  const row = (r, f, label) => {
    const n = (text) => num(text, f, label);
    return [r.key ?? "unknown", n(count(r.cases)), n(money(r.refund, cur)), n(money(r.compensation, cur)),
            n(money(r.reship, cur)), n(money(r.total, cur)), n(count(r.orders_shipped)),
            n(pct(r.complaint_rate)), n(pct(r.share_of_loss))];
  };
  const body = data.rows.map((r) => row(r, r.key == null ? null : { ...filters, [by]: r.key }, `${r.key} losses`));
  const head = [LABELS[by], "Cases", "Refunds", "Compensation", "Reship cost", "Total", "Orders shipped",
                "Complaint rate", "Share of loss"];
  const foot = data.total ? row({ ...data.total, key: "All" }, filters, "all losses") : null;
  put("loss-table", table(`Loss per ${LABELS[by].toLowerCase()} (${cur})`, head, body, { foot }));
}

const pair = (p) => (p && p.n ? `${duration(p.median)} / ${duration(p.p90)}` : "—");

/** /api/reports/kpis: one row per key (everyone, a team or an agent). */
export function renderKpis(data, filters) {
  if (!data || !data.rows || !data.rows.length) {
    put("kpi-table", note(data ? "No conversations for these filters." : "KPIs are not available on this server yet."));
    return;
  }
  const by = data.by;
  const head = ["Who", "Conversations", "Handed off", "Handoff rate", "Bot containment",
                "First response", "First response (business hours)", "Resolution",
                "Resolution (business hours)", "Reply time", "FCR", "SLA hit rate", "CSAT",
                "CSAT response rate", "Complaint rate", "Cases"];
  const body = data.rows.map((r) => {
    const f = by === "all" ? filters : { ...filters, [by]: r.key };
    const who = by === "all" ? "Everyone" : r.key;
    const n = (text, metric, what) => num(text, f, `${who}: ${what}`, metric);
    const csat = r.csat || {};
    return [who, n(count(r.conversations), null, "conversations"), n(count(r.handed_off), "handed_off", "handed off"),
            n(pct(r.handoff_rate), "handed_off", "handoff rate"), n(pct(r.bot_containment), "bot_resolved", "bot containment"),
            n(pair(r.first_response_s), null, "first response"), n(pair(r.first_response_bh_s), null, "first response"),
            n(pair(r.resolution_s), null, "resolution time"), n(pair(r.resolution_bh_s), null, "resolution time"),
            n(pair(r.reply_s), null, "reply time"), n(pct(r.fcr), "fcr_miss", "FCR misses"),
            n(pct(r.sla_hit_rate), "sla_miss", "SLA misses"),
            n(csat.score == null ? "—" : csat.score.toFixed(2) + " / 5", "csat_low", "low CSAT"),
            n(pct(csat.response_rate), null, "CSAT response rate"), n(pct(r.complaint_rate), null, "complaint rate"),
            n(count(r.cases), null, "cases")];
  });
  put("kpi-table", table("KPIs (times: median / p90)", head, body));
}

function daysAgo(n) {
  const d = new Date();
  d.setDate(d.getDate() - n);
  return [d.getFullYear(), d.getMonth() + 1, d.getDate()].map((x) => String(x).padStart(2, "0")).join("-");
}

/** Open alerts, read-only: the sentence and the cases behind it. */
export function renderAlerts(list) {
  if (!list || !list.length) { put("alerts", note(list ? "No open alerts." : "Alerts are not available.")); return; }
  const items = list.map((a) => {
    const from = a.week_start || a.week || a.from || daysAgo(6); // the alert's week: the last 7 days
    const f = { from, issue_type: a.issue_type };
    for (const k of ["sku", "country", "supplier"]) if (a[k]) f[k] = a[k];
    return el("li", {}, el("span", { text: a.text + (a.state && a.state !== "open" ? ` (${a.state})` : "") }), " ",
              num(count(a.count) + " cases", f, a.text));
  });
  put("alerts", el("ul", { class: "alerts" }, items));
}
