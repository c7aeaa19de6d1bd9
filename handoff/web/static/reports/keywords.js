// Reports page: complaint keywords per product and issue type (/api/reports/keywords), as the
// shoppers wrote them (any language) beside an English gloss. Only the date, country, product
// and issue type filters apply to words. A keyword's count is the cases that mention it; it
// drills down to the cases of its product and issue type (the drill-down lists all of them).
// Without a date range it covers the last 8 weeks (words are about what goes wrong now, and
// the request then reads only those weeks' cases). Text only ever set as text (strict CSP).
import { $, el } from "/static/shared/ui.js";
import { LABELS, count, num, getReport, table } from "./format.js";

const APPLIES = ["from", "to", "country", "sku", "issue_type"];
const LIMIT = 30;
const DEFAULT_DAYS = 56;
const LANGUAGES = { en: "English", es: "Spanish", fr: "French", de: "German", it: "Italian",
  pt: "Portuguese", ar: "Arabic", ja: "Japanese", vi: "Vietnamese", th: "Thai" };

function put(...nodes) { $("keywords-table").replaceChildren(...nodes); }
function note(text, cls) { return el("p", { class: cls || "hint", text }); }

function row(r, filters) {
  const cell = { ...filters, sku: r.sku || undefined, issue_type: r.issue_type || undefined };
  const where = `${r.sku || "no product"} · ${r.issue_type || "no issue type"}`;
  return [
    el("span", { class: "keyword", lang: r.lang, dir: "auto", text: r.keyword }),
    r.gloss_en == null
      ? el("span", { class: "hint", text: "—", title: "No English translation available right now" })
      : el("span", { lang: "en", text: r.gloss_en }),
    LANGUAGES[r.lang] || r.lang,
    r.sku || "—",
    r.issue_type || "—",
    num(count(r.count), cell, `${where} (“${r.keyword}” is in ${count(r.count)} of them)`),
    el("span", { class: "hint", text: (r.example_case_ids || []).join(", ") || "—" }),
  ];
}

/** Fetch and show the keywords for the page's filters; errors stay inside the section. */
export async function loadKeywords(filters) {
  const params = { limit: LIMIT };
  for (const k of APPLIES) if (filters[k]) params[k] = filters[k];
  const recent = !params.from && !params.to;
  if (recent) params.from = new Date(Date.now() - DEFAULT_DAYS * 86400e3).toISOString().slice(0, 10);
  const ignored = Object.keys(filters).filter((k) => filters[k] && !APPLIES.includes(k));
  let data;
  try {
    data = await getReport("keywords", params);
  } catch (err) {
    put(note(err.message, "error"));
    return;
  }
  if (!data) { put(note("Complaint keywords are not available on this server.")); return; }
  const rows = data.rows || [];
  const shown = Object.fromEntries(APPLIES.filter((k) => params[k]).map((k) => [k, params[k]]));
  const nodes = [];
  if (recent) nodes.push(note(`Last ${DEFAULT_DAYS / 7} weeks (since ${params.from}); set From / To for another range.`));
  if (ignored.length) {
    nodes.push(note("Not applied to keywords: " + ignored.map((k) => LABELS[k] || k).join(", ") + "."));
  }
  if (!rows.length) {
    nodes.push(note("No distinctive complaint words for these filters (a word needs 3 cases or more)."));
  } else {
    nodes.push(table(`${count(rows.length)} most distinctive keywords`,
      ["Keyword", "English", "Language", "Product", "Issue type", "Cases", "Example cases"],
      rows.map((r) => row(r, shown))));
  }
  put(...nodes);
}
