// Trainer console. Plain JS, no framework; every text from data is set with textContent.
// An ES module (strict, scoped): DOM helpers and login come from /static/shared/ui.js.
import { $, el, fillSelect, requestJson, ApiError, bindLoginForm, currentAccount, logOut, hasRole }
  from "/static/shared/ui.js";

const API = "/api/trainer";
const state = { meta: null, versions: {}, lastInput: null, job: null, source: null,
                replyVersion: null };

// ------------------------------------------------------------ helpers
/** JSON API call: trainer paths are relative to /api/trainer/; a 401 shows the login. */
async function api(method, path, body) {
  try {
    return await requestJson(method, path.startsWith("/") ? path : `${API}/${path}`, body);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401 && !path.startsWith("/api/auth")) showLogin();
    throw err;
  }
}

function say(target, text, isError, problems) {
  const box = $(target);
  box.replaceChildren();
  box.classList.toggle("error", Boolean(isError));
  if (!text) return;
  box.append(el("span", { text }));
  if (problems && problems.length > 1) {
    box.append(el("ul", {}, problems.map((p) => el("li", { text: p.message }))));
  }
}

function fail(target, err) {
  say(target, err.message || String(err), true, err.problems);
  return err;
}

function fmt(x, digits = 3) {
  return typeof x === "number" ? x.toFixed(digits) : "–";
}

function when(ts) {
  return new Date(ts * 1000).toLocaleString();
}

// ------------------------------------------------------------ login
function showLogin(message) {
  $("app").hidden = true;
  $("logout").hidden = true;
  $("who").textContent = "";
  $("login-view").hidden = false;
  $("login-error").textContent = message || "";
}

async function start() {
  try {
    const account = await currentAccount();
    if (!account) { showLogin(); return; }
    if (!hasRole(account, "trainer")) {
      showLogin(`${account.name} has no trainer role: log in as a trainer`);
      return;
    }
    state.meta = await api("GET", "meta");
  } catch (err) {
    showLogin(err.status === 401 ? "" : err.message);
    return;
  }
  $("login-view").hidden = true;
  $("app").hidden = false;
  $("logout").hidden = false;
  $("who").textContent = `${state.meta.account.name} (${state.meta.account.login})`;
  setupSelects();
  showTab("coverage");
}

bindLoginForm(() => start());

$("logout").addEventListener("click", async () => {
  await logOut();
  showLogin();
});

// ------------------------------------------------------------ tabs
const loaders = {
  coverage: loadCoverage, examples: loadExamples, replies: loadReplies,
  inbox: loadInbox, analyze: () => {}, train: loadTrain,
};

function showTab(name) {
  for (const b of document.querySelectorAll(".tabs button")) {
    b.classList.toggle("active", b.dataset.tab === name);
  }
  for (const section of document.querySelectorAll(".tab")) {
    section.hidden = section.id !== `tab-${name}`;
  }
  loaders[name]();
}

for (const b of document.querySelectorAll(".tabs button")) {
  b.addEventListener("click", () => showTab(b.dataset.tab));
}

function setupSelects() {
  const m = state.meta;
  fillSelect($("ex-lang"), m.languages, { current: $("ex-lang").value || "en" });
  fillSelect($("ex-intent"), m.intents, { current: $("ex-intent").value });
  fillSelect($("ex-entity"), m.entities);
  fillSelect($("rep-lang"), m.languages, { current: $("rep-lang").value || "en" });
  const box = $("train-langs");
  box.replaceChildren(el("span", { text: "Languages:" }), ...m.languages.map((lang) =>
    el("label", { class: "check" },
      el("input", { type: "checkbox", value: lang, checked: true, "data-lang": lang }), lang)));
}

// ------------------------------------------------------------ coverage
async function loadCoverage() {
  let cov;
  try { cov = await api("GET", "coverage"); } catch (err) { return; }
  $("coverage-model").textContent = cov.evaluated_model || "none yet";
  const head = el("tr", {}, el("th", { text: "intent" }),
    cov.languages.map((l) => el("th", { text: `${l} (≥${cov.minimum[l]})` })));
  const rows = cov.intents.map((intent) => el("tr", {},
    el("th", { class: "intent", text: intent }),
    cov.languages.map((lang) => {
      const cell = cov.cells[intent][lang];
      const f1 = cell.f1 === null || cell.f1 === undefined ? null : cell.f1;
      return el("td", {
        class: cell.below_minimum ? "low" : "",
        "data-intent": intent, "data-lang": lang,
        title: `${intent} / ${lang}: ${cell.examples} examples` +
          (f1 === null ? "" : `, F1 ${fmt(f1)}`),
        onclick: () => { openExamples(lang, intent); },
      }, String(cell.examples),
      f1 === null ? null : el("span", { class: f1 < 0.8 ? "f1 weak" : "f1", text: `F1 ${fmt(f1, 2)}` }));
    })));
  const total = el("tr", {}, el("th", { text: "macro-F1" }),
    cov.languages.map((l) => el("td", { text: fmt(cov.macro_f1[l]) })));
  $("coverage-table").replaceChildren(head, ...rows, total);
}

function openExamples(lang, intent) {
  $("ex-lang").value = lang;
  $("ex-intent").value = intent;
  showTab("examples");
}

// ------------------------------------------------------------ examples
function exPath() {
  return `nlu/${encodeURIComponent($("ex-lang").value)}/${encodeURIComponent($("ex-intent").value)}`;
}

async function loadExamples() {
  let data;
  try { data = await api("GET", exPath()); } catch (err) { fail("ex-message", err); return; }
  state.versions = data.versions;
  state.targetFile = data.target_file;
  $("ex-count").textContent = `${data.examples.length} examples (minimum ${data.minimum}) · new ones go to ${data.language}/${data.target_file}.yml`;
  $("ex-list").replaceChildren(...data.examples.map((ex) => exampleRow(ex)));
}

function exampleRow(ex) {
  const input = el("input", { value: ex.text, maxlength: "500", "data-file": ex.file,
    "data-index": String(ex.index),
    onfocus: () => { state.lastInput = input; } });
  const save = el("button", { type: "button", class: "secondary", text: "Save",
    onclick: () => saveExample(ex, input.value) });
  const del = el("button", { type: "button", class: "secondary", text: "Delete",
    onclick: () => deleteExample(ex) });
  return el("li", {}, el("div", { class: "line" }, input,
    el("span", { class: "file", text: ex.file }), save, del));
}

async function afterSave(promise, okText) {
  try {
    const res = await promise;
    state.versions[res.file] = res.version; // the next save builds on this one
    await loadExamples();
    say("ex-message", okText(res));
    return res;
  } catch (err) {
    if (err.status === 409 && err.code === "conflict") {
      say("ex-message", `${err.message}. The list below is reloaded.`, true);
      await loadExamples();
    } else {
      fail("ex-message", err);
    }
    return null;
  }
}

async function addExample() {
  const text = $("ex-new").value;
  const file = state.targetFile;
  const res = await afterSave(api("POST", exPath(), { text, file, version: state.versions[file] }),
    (r) => `Added to ${r.language}/${r.file}.yml: ${r.example.text}`);
  if (res) $("ex-new").value = "";
}

function saveExample(ex, text) {
  return afterSave(api("PUT", `${exPath()}/${ex.file}/${ex.index}`,
    { text, previous: ex.text, version: state.versions[ex.file] }),
  (r) => `Saved: ${r.example.text}`);
}

function deleteExample(ex) {
  return afterSave(api("DELETE", `${exPath()}/${ex.file}/${ex.index}`,
    { previous: ex.text, version: state.versions[ex.file] }),
  (r) => `Deleted: ${r.deleted}`);
}

function markEntity() {
  const input = state.lastInput && document.body.contains(state.lastInput)
    ? state.lastInput : $("ex-new");
  const start = input.selectionStart, end = input.selectionEnd;
  if (start === null || end === null || start === end) {
    say("ex-message", "Select the part of the example that is the entity first.", true);
    return;
  }
  const v = input.value;
  const selected = v.slice(start, end);
  if (/[[\]()]/.test(selected)) {
    say("ex-message", "The selection already contains an annotation.", true);
    return;
  }
  const wrapped = `[${selected}](${$("ex-entity").value})`;
  input.value = v.slice(0, start) + wrapped + v.slice(end);
  input.focus();
  input.setSelectionRange(start + wrapped.length, start + wrapped.length);
  say("ex-message", "");
}

$("ex-new").addEventListener("focus", () => { state.lastInput = $("ex-new"); });
$("ex-new").addEventListener("keydown", (ev) => { if (ev.key === "Enter") addExample(); });
$("ex-add").addEventListener("click", addExample);
$("ex-mark").addEventListener("mousedown", (ev) => ev.preventDefault()); // keep the selection
$("ex-mark").addEventListener("click", markEntity);
$("ex-lang").addEventListener("change", () => { say("ex-message", ""); loadExamples(); });
$("ex-intent").addEventListener("change", () => { say("ex-message", ""); loadExamples(); });

// ------------------------------------------------------------ replies
async function loadReplies() {
  const lang = $("rep-lang").value;
  let data;
  try { data = await api("GET", `responses/${encodeURIComponent(lang)}`); } catch (err) {
    fail("rep-message", err); return;
  }
  state.replyVersion = data.version;
  const rows = data.responses.map((r) => {
    const area = el("textarea", { value: r.text === null ? "" : r.text, "data-key": r.key });
    const save = el("button", { type: "button", class: "secondary", text: "Save",
      onclick: () => saveReply(lang, r.key, area.value) });
    return el("tr", {}, el("th", { text: r.key }), el("td", { text: lang === "en" ? "" : (r.english || "") }),
      el("td", {}, area), el("td", {}, save));
  });
  $("rep-table").replaceChildren(
    el("tr", {}, el("th", { text: "key" }), el("th", { text: "English" }),
      el("th", { text: lang }), el("th", {})), ...rows);
}

async function saveReply(lang, key, text) {
  try {
    const res = await api("PUT", `responses/${encodeURIComponent(lang)}/${encodeURIComponent(key)}`,
      { text, version: state.replyVersion });
    state.replyVersion = res.version;
    say("rep-message", `Saved ${key}. ${res.note}`);
  } catch (err) {
    fail("rep-message", err);
    if (err.status === 409 && err.code === "conflict") await loadReplies();
  }
}

$("rep-lang").addEventListener("change", () => { say("rep-message", ""); loadReplies(); });

// ------------------------------------------------------------ inbox
async function loadInbox() {
  let data;
  try { data = await api("GET", "inbox"); } catch (err) { fail("inbox-message", err); return; }
  $("inbox-total").textContent = `${data.total} message(s) waiting · threshold ${data.threshold}`;
  $("inbox-groups").replaceChildren(...data.groups.map(groupBox));
  if (!data.groups.length) $("inbox-groups").append(el("p", { class: "hint", text: "Nothing to review." }));
}

function groupBox(g) {
  const dismissAll = el("button", { type: "button", class: "secondary", text: `Dismiss all ${g.size}`,
    onclick: () => dismiss(g.items.map((i) => i.id)) });
  return el("div", { class: "group", "data-group": g.id },
    el("header", {}, el("b", { text: `${g.size} message(s)` }),
      el("span", { text: g.languages.join(", ") }),
      el("span", { text: `bot guessed: ${g.bot_guess || "–"}` }),
      el("span", { text: `newest ${when(g.newest_at)}` }), dismissAll),
    g.items.map(itemRow));
}

function itemRow(item) {
  const pick = el("select", { "data-item": item.id });
  fillSelect(pick, state.meta.intents,
    { current: item.intent && item.intent !== "nlu_fallback" ? item.intent : "out_of_scope" });
  const tags = item.why.map((w) => el("span", { class: w === "escalated" ? "tag escalated" : "tag", text: w }));
  return el("div", { class: "item", "data-item": item.id },
    el("span", { class: "text", text: item.text }),
    el("span", { class: "tag", text: item.language }), tags,
    el("span", { class: "tag", text: item.confidence === null ? "no confidence" : `conf ${fmt(item.confidence, 2)}` }),
    item.reasons.length ? el("span", { class: "tag escalated", text: item.reasons.join(", ") }) : null,
    el("button", { type: "button", class: "secondary", text: "Conversation",
      onclick: () => showConversation(item) }),
    pick,
    el("button", { type: "button", text: "Assign", "data-assign": item.id,
      onclick: () => assign(item, pick.value) }),
    el("button", { type: "button", class: "secondary", text: "Dismiss",
      onclick: () => dismiss([item.id]) }));
}

async function assign(item, intent) {
  try {
    const res = await api("POST", `inbox/${item.id}/assign`, { intent });
    say("inbox-message", `Added to ${res.language}/${res.file}.yml as ${res.intent}: ${res.example.text}`);
  } catch (err) { fail("inbox-message", err); return; }
  await loadInbox();
}

async function dismiss(ids) {
  try {
    const res = await api("POST", "inbox/dismiss", { ids });
    say("inbox-message", `Dismissed ${res.dismissed} message(s) as noise.`);
  } catch (err) { fail("inbox-message", err); return; }
  await loadInbox();
}

async function showConversation(item) {
  let data;
  try { data = await api("GET", `conversations/${encodeURIComponent(item.conversation_id)}`); } catch (err) {
    fail("inbox-message", err); return;
  }
  $("conv-id").textContent = item.conversation_id;
  $("conv-transcript").replaceChildren(...data.transcript.map((e) => el("li", {
    class: `${e.speaker}${e.speaker === "shopper" && (e.seq === item.seq || e.text === item.text || e.translation_en === item.text) ? " hit" : ""}`,
  }, el("span", { class: "speaker", text: `${e.speaker} · ${when(e.at)}${e.intent ? " · " + e.intent : ""}` }), e.text)));
  $("conversation").hidden = false;
}

$("conv-close").addEventListener("click", () => { $("conversation").hidden = true; });
$("inbox-refresh").addEventListener("click", loadInbox);

// ------------------------------------------------------------ analyze
async function analyze() {
  say("an-message", "");
  let r;
  try { r = await api("POST", "/api/analyze", { text: $("an-text").value }); } catch (err) {
    fail("an-message", err); return;
  }
  $("an-result").hidden = false;
  $("an-lang").textContent = `${r.language} (${fmt(r.language_confidence, 2)})`;
  $("an-sentiment").textContent = fmt(r.sentiment, 2);
  $("an-intent").textContent = `${r.intent} (${fmt(r.intent_confidence, 3)})`;
  $("an-ranking").replaceChildren(...(r.intent_ranking || []).map((x) => el("tr", {},
    el("td", { text: x.name }),
    el("td", {}, el("progress", { max: "1", value: String(x.confidence) })),
    el("td", { text: fmt(x.confidence, 3) }))));
  $("an-entities").textContent = (r.entities || []).length
    ? r.entities.map((e) => `${e.entity}=${e.value}`).join(", ") : "none";
  const esc = r.escalation || {};
  $("an-escalation").textContent = esc.escalate
    ? `yes (score ${fmt(esc.score, 2)}, ${esc.priority}): ` + esc.reasons.map((x) => `${x.code} – ${x.detail}`).join("; ")
    : `no (score ${fmt(esc.score, 2)})` + ((esc.reasons || []).length ? ": " + esc.reasons.map((x) => x.code).join(", ") : "");
}

$("an-go").addEventListener("click", analyze);
$("an-text").addEventListener("keydown", (ev) => { if (ev.key === "Enter") analyze(); });

// ------------------------------------------------------------ train / evaluate / activate
async function loadTrain() {
  await loadModels();
  try {
    const { jobs } = await api("GET", "jobs");
    const running = jobs.find((j) => !["ready", "failed", "cancelled", "interrupted"].includes(j.state));
    if (running && (!state.job || state.job.id !== running.id)) follow(running);
    else if (!state.job && jobs.length) showJob(jobs[0]);
  } catch (err) { fail("train-message", err); }
}

function stage(text, cls) {
  const list = $("train-stages");
  list.append(el("li", { class: cls || "", text }));
  list.scrollTop = list.scrollHeight;
}

async function startTraining() {
  const languages = [...document.querySelectorAll("#train-langs input:checked")].map((i) => i.value);
  say("train-message", "");
  try {
    const { job } = await api("POST", "jobs", { languages });
    $("train-stages").replaceChildren();
    $("train-result").hidden = true;
    follow(job);
  } catch (err) { fail("train-message", err); }
}

function follow(job) {
  state.job = job;
  if (state.source) state.source.close();
  $("train-start").disabled = true;
  $("train-state").textContent = `job ${job.id}: ${job.state}`;
  $("train-epochs").hidden = true;
  const source = new EventSource(`${API}/jobs/${job.id}/events`);
  state.source = source;
  source.onmessage = (msg) => {
    const ev = JSON.parse(msg.data);
    onEvent(ev);
    if (ev.type === "end") {
      source.close();
      finished(job.id);
    }
  };
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) finished(job.id);
  };
}

function onEvent(ev) {
  switch (ev.type) {
    case "stage":
      $("train-state").textContent = `job ${state.job.id}: ${ev.stage}`;
      stage(ev.message, "stage"); break;
    case "component":
      stage(`${ev.state === "started" ? "training" : "trained"} ${ev.name} (${ev.part === "core" ? "Core" : "NLU"})`); break;
    case "epochs":
      $("train-epochs").hidden = false;
      $("train-epochs").max = ev.total; $("train-epochs").value = ev.done;
      $("train-state").textContent = `job ${state.job.id}: ${ev.component} epoch ${ev.done}/${ev.total}`;
      break;
    case "note": case "log": stage(ev.message); break;
    case "trained": stage("model saved", "good"); break;
    case "warnings": stage(`${ev.messages.length} data warning(s): ${ev.messages.slice(0, 3).join("; ")}`); break;
    case "failed":
      stage(`failed: ${ev.message}`, "bad");
      for (const d of ev.details || []) stage(d, "bad");
      break;
    case "ready": stage("evaluation done: compare, then activate", "good"); break;
    default: break;
  }
}

async function finished(jobId) {
  $("train-start").disabled = false;
  try {
    const { job } = await api("GET", `jobs/${jobId}`);
    showJob(job);
  } catch (err) { fail("train-message", err); }
  loadModels();
}

function showJob(job) {
  state.job = job;
  $("train-state").textContent = `job ${job.id}: ${job.state}` +
    (job.durations && job.durations.total_s ? ` in ${job.durations.total_s} s (train ${job.durations.train_s} s, evaluate ${job.durations.evaluate_s} s)` : "");
  if (job.state === "failed" || job.state === "interrupted") {
    say("train-message", job.error || `the job was ${job.state}`, true,
      (job.problems || []).map((p) => ({ message: p })));
  }
  if (job.state !== "ready" || !job.result) { $("train-result").hidden = true; return; }
  const res = job.result;
  $("train-model").textContent = res.model;
  $("train-active").textContent = res.active_model || "unknown";
  const rows = Object.entries(res.comparison).map(([lang, c]) => {
    const d = c.delta_macro_f1;
    const confused = (s) => (s && s.confused.length ? s.confused.map((p) => `${p.gold}→${p.predicted} (${p.count})`).join(", ") : "–");
    return el("tr", { "data-lang": lang }, el("th", { text: lang }),
      el("td", { class: "new-f1", text: fmt(c.new.macro_f1) }),
      el("td", { text: c.active ? fmt(c.active.macro_f1) : "–" }),
      el("td", { class: d > 0 ? "up" : d < 0 ? "down" : "", text: d === undefined ? "–" : (d > 0 ? "+" : "") + fmt(d) }),
      el("td", { text: fmt(c.new.accuracy) }),
      el("td", { text: confused(c.new) }), el("td", { text: confused(c.active) }));
  });
  $("train-compare").replaceChildren(el("tr", {}, ["language", "new macro-F1", "active macro-F1", "Δ",
    "new accuracy", "new: most confused", "active: most confused"].map((h) => el("th", { text: h }))), ...rows);
  $("train-result").hidden = false;
  $("train-activate").dataset.model = res.model;
  $("train-activate").hidden = res.model === res.active_model;
}

async function activate(name) {
  say("models-message", `Loading ${name} into the Rasa server…`);
  $("train-activate").disabled = true;
  try {
    const { activation: a } = await api("POST", `models/${encodeURIComponent(name)}/activate`);
    say("models-message", activationText(a), !a.confirmed);
  } catch (err) { fail("models-message", err); }
  $("train-activate").disabled = false;
  await loadModels();
}

function activationText(a) {
  return a.confirmed
    ? `${a.model} is active on every worker (${a.puts} load(s), ${a.polls} checks, ${a.seconds} s).`
    : `${a.model} was sent to Rasa but not every worker confirmed it after ${a.puts} load(s) and ${a.polls} checks; check the Rasa log.`;
}

async function evaluate(m) {
  say("train-message", "");
  try {
    const { job } = await api("POST", `models/${encodeURIComponent(m.name)}/evaluate`,
      m.languages ? { languages: m.languages } : {});
    $("train-stages").replaceChildren();
    $("train-result").hidden = true;
    follow(job);
  } catch (err) { fail("train-message", err); }
}

async function rollback() {
  say("models-message", "Rolling back…");
  try {
    const { activation: a } = await api("POST", "models/rollback");
    say("models-message", "Rolled back: " + activationText(a), !a.confirmed);
  } catch (err) { fail("models-message", err); }
  await loadModels();
}

async function loadModels() {
  let data;
  try { data = await api("GET", "models"); } catch (err) { fail("models-message", err); return; }
  $("models-active").textContent = data.active.model || (data.active.reachable ? "none" : "Rasa not reachable");
  $("models-rollback").disabled = !data.rollback_to;
  $("models-rollback-to").textContent = data.rollback_to ? `to ${data.rollback_to}` : "nothing to roll back to";
  const rows = data.models.map((m) => el("tr", { class: m.active ? "active" : "", "data-model": m.name },
    el("td", { text: m.name }),
    el("td", { text: m.languages ? m.languages.join(", ") : "all" }),
    el("td", { text: when(m.created_at) }),
    el("td", { text: Object.entries(m.evaluation).map(([l, e]) => `${l} ${fmt(e.macro_f1, 3)}`).join(" · ") || "not evaluated" }),
    el("td", { text: m.trained_by || "" }),
    el("td", {}, m.active ? el("b", { text: "active" }) : el("button", {
      type: "button", class: "secondary", text: "Activate", onclick: () => activate(m.name) }),
    el("button", { type: "button", class: "secondary", text: "Evaluate",
      title: "held-out evaluation of this model (its languages)", onclick: () => evaluate(m) }))));
  $("models-table").replaceChildren(el("tr", {}, ["model", "languages", "created", "held-out macro-F1",
    "trained by", ""].map((h) => el("th", { text: h }))), ...rows);
}

$("train-start").addEventListener("click", startTraining);
$("train-activate").addEventListener("click", () => activate($("train-activate").dataset.model));
$("models-rollback").addEventListener("click", rollback);

start();
