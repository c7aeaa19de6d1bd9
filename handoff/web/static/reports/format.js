// Reports page: number formatting (units: s/min/h, %, currency), the reports API client and
// the drill-down number button. Every number on the page is such a button: it carries the
// filters of the cases behind it, and Enter / Space / click opens the drill-down.
import { el, requestJson, ApiError } from "/static/shared/ui.js";

const INT = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });

export const FILTERS = ["from", "to", "country", "sku", "issue_type", "supplier", "warehouse",
                        "carrier", "channel", "team", "agent"];

export const LABELS = { issue_type: "Issue type", sku: "Product", country: "Country",
  supplier: "Supplier", warehouse: "Warehouse", carrier: "Carrier", channel: "Channel",
  team: "Team", agent: "Agent", from: "From", to: "To", week: "Week" };

export function count(n) { return n == null ? "—" : INT.format(n); }

export function pct(rate) {
  return rate == null ? "—" : (Math.round(rate * 1000) / 10).toFixed(1) + " %";
}

/** Seconds as "45 s", "12.5 min" or "3.2 h". */
export function duration(s) {
  if (s == null) return "—";
  if (s < 90) return Math.round(s) + " s";
  if (s < 5400) return (s / 60).toFixed(1) + " min";
  return (s / 3600).toFixed(1) + " h";
}

export function money(amount, currency) {
  if (amount == null) return "—";
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency: currency || "EUR",
                                         maximumFractionDigits: 0 }).format(amount);
  } catch (e) {
    return INT.format(amount) + " " + (currency || "");
  }
}

/** The query string of a filters object (empty values left out). */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== null && v !== undefined && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? "?" + s : "";
}

/** GET a reports endpoint; null when the gateway has no such endpoint (404). */
export async function getReport(path, params) {
  try {
    return await requestJson("GET", "/api/reports/" + path + query(params));
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/** Add a week (a Monday, YYYY-MM-DD) as from/to, kept inside the page's own date range. */
export function weekRange(filters, week) {
  const end = new Date(week + "T00:00:00Z");
  end.setUTCDate(end.getUTCDate() + 6);
  const to = end.toISOString().slice(0, 10);
  return { ...filters,
           from: filters.from && filters.from > week ? filters.from : week,
           to: filters.to && filters.to < to ? filters.to : to };
}

let onDrill = () => {};
/** Set what a number button does: `fn(filters, title, metric)`. */
export function setDrillHandler(fn) { onDrill = fn; }

/**
 * A number that drills down: a <button> (keyboard-usable) showing `text`, opening the cases
 * for `filters` (and `metric`). `title` names the number for the drill-down heading.
 */
export function num(text, filters, title, metric) {
  if (!filters) return el("span", { class: "num plain", text });
  const b = el("button", { type: "button", class: "num", text,
                           title: "List the cases behind " + title });
  b.dataset.filters = JSON.stringify(filters);
  if (metric) b.dataset.metric = metric;
  b.addEventListener("click", () => onDrill(filters, title, metric));
  return b;
}

/** A table: `head` is a list of column titles, `rows` lists of cells (nodes or text). */
export function table(caption, head, rows, { rowHeaders = 1, foot } = {}) {
  const th = (t, scope) => el("th", { scope }, t);
  const body = rows.map((r) => el("tr", {}, r.map((c, i) => (i < rowHeaders ? th(c, "row") : el("td", {}, c)))));
  return el("table", { class: "grid-table" },
    el("caption", { text: caption }),
    el("thead", {}, el("tr", {}, head.map((h) => th(h, "col")))),
    el("tbody", {}, body),
    foot ? el("tfoot", {}, el("tr", {}, foot.map((c, i) => (i < rowHeaders ? th(c, "row") : el("td", {}, c))))) : null);
}
