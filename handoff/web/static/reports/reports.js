// Reports page (/console/reports, role lead or admin): filters that combine, the cases
// table, trend, issue-type share, loss analysis, KPIs and open alerts (read-only). All
// numbers drill down to their cases (drill.js). An ES module under the strict CSP: no
// inline handlers, data only ever set as text.
import { $, fillSelect, bindLoginForm, currentAccount, logOut, hasRole } from "/static/shared/ui.js";
import { FILTERS, getReport, setDrillHandler } from "./format.js";
import { MAX_ROWS, renderCasesTable, renderReasons, renderTrend, renderLoss, renderKpis, renderAlerts }
  from "./sections.js";
import { openDrill, bindDrill } from "./drill.js";
import { loadKeywords } from "./keywords.js";

const CHANNELS = ["chat", "email", "import"];
const ALL_KEYS = 5000; // the API's largest `top`: every product or country for the filter lists
const state = { summary: null, loaded: 0 };

function isLead(account) { return hasRole(account, "lead"); }

function showLogin(message) {
  $("app").hidden = true;
  $("logout").hidden = true;
  $("who").textContent = "";
  $("login").hidden = false;
  $("login-error").textContent = message || "";
}

async function start(account) {
  if (!account) { showLogin(); return; }
  if (!isLead(account)) {
    showLogin(`${account.name} has no lead role: reports are for team leads and admins.`);
    return;
  }
  $("login").hidden = true;
  $("app").hidden = false;
  $("logout").hidden = false;
  $("who").textContent = account.name + " · " + account.roles.join(", ");
  await loadOptions();
  await refresh();
}

/** The active filters from the form (empty ones left out). */
function filters() {
  const f = {};
  for (const name of FILTERS) {
    const v = $("f-" + name).value;
    if (v) f[name] = v;
  }
  return f;
}

function options(id, values) {
  const select = $(id);
  const current = select.value;
  const list = [...new Set(values.filter((v) => v !== null && v !== undefined && v !== ""))].sort();
  fillSelect(select, ["", ...list], { label: (v) => v || "All", current });
}

async function keysOf(path, params) {
  const data = await getReport(path, params).catch(() => null);
  return data && data.rows ? data.rows.map((r) => r.key) : [];
}

/** Filter choices from the unfiltered data (grouped by product, and by country). */
async function loadOptions() {
  const [bySku, byCountry] = await Promise.all([
    getReport("summary", { group: "sku", top: ALL_KEYS }), getReport("summary", { group: "country", top: ALL_KEYS })]);
  state.total = bySku ? bySku.total : 0;
  options("f-country", ((byCountry && byCountry.rows) || []).map((r) => r.country));
  options("f-sku", ((bySku && bySku.rows) || []).map((r) => r.sku));
  options("f-issue_type", ((bySku && bySku.issue_types) || []).map((r) => r.issue_type));
  options("f-channel", CHANNELS);
  const [suppliers, warehouses, carriers, teams, agents] = await Promise.all([
    keysOf("loss", { by: "supplier" }), keysOf("loss", { by: "warehouse" }),
    keysOf("loss", { by: "carrier" }), keysOf("kpis", { by: "team" }), keysOf("kpis", { by: "agent" })]);
  options("f-supplier", suppliers);
  options("f-warehouse", warehouses);
  options("f-carrier", carriers);
  options("f-team", teams);
  options("f-agent", agents);
}

function status(text, isError) {
  $("status").textContent = text;
  $("status").classList.toggle("error", Boolean(isError));
}

async function section(load, render, f) {
  try { render(await load(), f); } catch (err) { status(err.message, true); }
}

async function refresh() {
  const f = filters();
  status("Loading…");
  document.body.dataset.loading = "1";
  const empty = state.total === 0;
  $("empty").hidden = !empty;
  $("empty").textContent = empty ? "No cases yet: reports fill in as chats are closed or past cases are imported." : "";
  try {
    state.summary = await getReport("summary", { ...f, group: $("table-rows").value, top: MAX_ROWS });
    renderCasesTable(state.summary, f);
    renderReasons(state.summary, f);
    await Promise.all([
      section(() => getReport("trend", { ...f, by: $("trend-by").value }), renderTrend, f),
      section(() => getReport("loss", { ...f, by: $("loss-by").value }), renderLoss, f),
      section(() => getReport("kpis", { ...f, by: $("kpi-by").value }), renderKpis, f),
      section(() => getReport("alerts", {}), renderAlerts, f),
      loadKeywords(f),
    ]);
    const n = state.summary ? state.summary.total : 0;
    if (!$("status").classList.contains("error")) status(`${n.toLocaleString("en")} cases match these filters.`);
  } catch (err) {
    status(err.message, true);
  } finally {
    state.loaded += 1;
    document.body.dataset.loaded = String(state.loaded);
    delete document.body.dataset.loading;
  }
}

setDrillHandler(openDrill);
bindDrill();
bindLoginForm(start);
$("logout").addEventListener("click", async () => { await logOut(); showLogin(); });
$("filters").addEventListener("submit", (ev) => { ev.preventDefault(); refresh(); });
$("f-reset").addEventListener("click", () => {
  for (const name of FILTERS) $("f-" + name).value = "";
  refresh();
});
for (const id of ["table-rows", "trend-by", "loss-by", "kpi-by"]) $(id).addEventListener("change", () => refresh());

currentAccount().then(start).catch((err) => showLogin(err.message));
