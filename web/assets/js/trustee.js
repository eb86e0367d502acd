// A trustee's page (/trustee/{id}#TOKEN): the key ceremony and the partial decryption in the
// browser, the alternative to `urna trustee`. Every piece of cryptography is urna-wasm's:
// the ceremony state between rounds and the key share afterwards are sealed under the
// trustee's passphrase, which stays in this page's memory only. The sealed files live in
// localStorage (one key per election and trustee), so a reload or a crash resumes; the token
// lives in sessionStorage and leaves the address bar at once.

import { startPage } from "./page.js";
import { t, textOf, formatDateTime, formatNumber, onLanguageChange } from "./i18n.js";
import { api, forEachBoardPage } from "./api.js";
import { el, replace, errorText, busy, download, sleep } from "./ui.js";
import { loadUrna } from "./wasm.js";

await startPage(["trustee"]);

const $ = (id) => document.getElementById(id);
const id = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
const enc = encodeURIComponent(id);
const SEALED_FORMAT = "urna-sealed/v1";
const POLL_ACTIVE_MS = 1000;
const POLL_IDLE_MS = 5000;
const BOARD_PAGE = 200;

const S = {
  token: null,
  urna: null,
  view: null,
  summary: null,
  setup: null, // {ok: true, title} | {ok: false, error}
  passphrase: null, // in memory only, never stored
  status: null, // {key, vars}
  complaints: [],
  errors: {}, // element id → {error} | {key, vars}
  working: false,
  stopped: false,
  decrypt: null, // {phase: "running"|"done", events, total, statusKey}
};

// ---------------------------------------------------------------------------------------------
// Storage: the token per tab, the sealed files per election and trustee.

const tokenKey = `urna.trustee.token.${id}`;
const storeKey = (what) => `urna.trustee.${id}.${S.view.index}.${what}`;
const stored = (what) => localStorage.getItem(storeKey(what));
const store = (what, value) => localStorage.setItem(storeKey(what), value);
const unstore = (what) => localStorage.removeItem(storeKey(what));

function takeToken() {
  const fragment = decodeURIComponent(location.hash.replace(/^#/, "")).trim();
  if (fragment) {
    sessionStorage.setItem(tokenKey, fragment);
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(tokenKey);
}

const backupName = () => `urna-${id}-trustee-${S.view.index}.key.json`;

// ---------------------------------------------------------------------------------------------
// Errors and status: kept as codes and keys, rendered (again on a language switch).

function setError(elId, value) {
  if (value) S.errors[elId] = value;
  else delete S.errors[elId];
  renderError(elId);
}

function renderError(elId) {
  const box = $(elId);
  const value = S.errors[elId];
  if (!value) {
    box.hidden = true;
    replace(box);
    return;
  }
  box.hidden = false;
  box.setAttribute("role", "alert");
  replace(box, value.key ? t(value.key, value.vars || {}) : errorText(value.error));
}

function renderErrors() {
  for (const elId of Object.keys(S.errors)) renderError(elId);
}

const own = (key, vars) => ({ key, vars });

function setStatus(key, vars = {}) {
  S.status = key ? { key, vars } : null;
  replace($("ceremony-status"), key ? t(key, vars) : "");
}

// ---------------------------------------------------------------------------------------------
// The server

const trusteeApi = (path = "", options = {}) =>
  api(`/trustee/elections/${enc}${path}`, { ...options, bearer: S.token });

async function refreshView() {
  S.view = await trusteeApi();
}

async function post(round, json) {
  try {
    await trusteeApi(`/${round}`, { text: json });
  } catch (e) {
    // Posted before a crash or a reload: the board already holds it.
    if (e.code !== "conflict") throw e;
  }
  await refreshView();
}

const SEALED_STATES = ["awaiting_approval", "scheduled", "open", "tallying", "published", "rejected"];
const isSealed = (v) => SEALED_STATES.includes(v.state);
const posted = (v, round, index = v.index) => v[`round${round}`].some((p) => p.from === index);
const roundFull = (v, round) => v[`round${round}`].length >= v.trustees;

// ---------------------------------------------------------------------------------------------
// Rendering

function trusteeName(index) {
  const names = S.summary?.manifest?.trustees?.names || [];
  return names[index - 1] || t("trustee.table.unnamed", { index });
}

function renderHeader() {
  const m = S.summary.manifest;
  replace($("election-event"), textOf(m.event));
  replace($("election-title"), textOf(m.title));
  document.title = `${textOf(m.title)} — ${t("trustee.title")}`;
  replace(
    $("role"),
    t("trustee.role", {
      index: S.view.index,
      name: trusteeName(S.view.index),
      trustees: S.view.trustees,
      threshold: S.view.threshold,
    }),
  );
}

function renderFacts() {
  const v = S.view;
  const rows = [];
  const row = (key, value, attrs = {}) => rows.push(el("dt", {}, t(key)), el("dd", attrs, value));
  row("trustee.facts.state", el("span", { class: `state-badge ${v.state}`, id: "election-state" }, t(`common.state.${v.state}`)));
  row("trustee.facts.threshold", t("trustee.facts.threshold_value", { threshold: v.threshold, trustees: v.trustees }));
  row("trustee.facts.you", t("trustee.facts.you_value", { index: v.index, name: trusteeName(v.index) }));
  if (S.summary.opens_at && S.summary.closes_at) {
    const zone = S.summary.manifest.voting_period?.time_zone;
    row(
      "trustee.facts.period",
      t("trustee.facts.period_value", {
        opens: formatDateTime(S.summary.opens_at, zone),
        closes: formatDateTime(S.summary.closes_at, zone),
      }),
    );
  }
  rows.push(el("dt", {}, t("common.fingerprint")));
  rows.push(
    el(
      "dd",
      {},
      v.fingerprint
        ? el("code", { class: "fingerprint", id: "fingerprint" }, v.fingerprint)
        : el("span", { id: "fingerprint" }, t("trustee.facts.not_sealed")),
      el("p", { class: "muted hint" }, t("common.fingerprint_help")),
    ),
  );
  replace($("facts"), rows);
}

function mark(done) {
  return el("span", { class: done ? "mark done" : "mark" }, t(done ? "trustee.table.done" : "trustee.table.not_yet"));
}

function renderTrustees() {
  const v = S.view;
  const rows = [];
  for (let i = 1; i <= v.trustees; i++) {
    const you = i === v.index;
    rows.push(
      el(
        "tr",
        { class: you ? "you" : undefined, "data-trustee": i },
        el(
          "th",
          { scope: "row" },
          t("trustee.table.name", { index: i, name: trusteeName(i) }),
          you ? el("span", { class: "you-tag" }, t("trustee.table.you")) : null,
        ),
        el("td", {}, mark(posted(v, 1, i))),
        el("td", {}, mark(posted(v, 2, i))),
        el("td", {}, mark(posted(v, 3, i))),
        el("td", {}, mark(v.decrypted_by.includes(i))),
      ),
    );
  }
  replace($("trustee-rows"), rows);
}

function renderSetup() {
  const box = $("setup-check");
  if (!S.setup) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  box.className = S.setup.ok ? "notice ok" : "notice bad";
  box.setAttribute("role", S.setup.ok ? "status" : "alert");
  replace(box, S.setup.ok ? t("trustee.setup.ok") : errorText(S.setup.error));
}

const STEPS = ["passphrase", "round1", "round2", "round3", "seal", "backup"];

function stepState(step) {
  const v = S.view;
  const hasKey = !!stored("key");
  const downloaded = !!stored("downloaded");
  switch (step) {
    case "passphrase":
      return stored("state") || hasKey || posted(v, 1) ? "done" : "active";
    case "round1":
    case "round2":
    case "round3": {
      const round = Number(step.slice(5));
      if (posted(v, round) && (roundFull(v, round) || hasKey)) return "done";
      if (posted(v, round)) return "waiting";
      return round === 1 || roundFull(v, round - 1) ? "active" : "todo";
    }
    case "seal":
      if (hasKey) return "done";
      return roundFull(v, 3) || isSealed(v) ? "active" : "todo";
    default:
      if (downloaded) return "done";
      return hasKey ? "active" : "todo";
  }
}

function stepDetail(step, state) {
  const v = S.view;
  if (step.startsWith("round") && state === "waiting") {
    const round = Number(step.slice(5));
    return t("trustee.steps.waiting_for", { have: v[`round${round}`].length, trustees: v.trustees });
  }
  return t(`trustee.steps.${state}`);
}

function renderSteps() {
  const items = STEPS.map((step) => {
    const state = stepState(step);
    return el(
      "li",
      {
        "data-step": step,
        "data-state": state,
        "aria-current": state === "active" ? "step" : undefined,
      },
      el("span", { class: "step-name" }, t(`trustee.steps.${step}`)),
      el("span", { class: "step-state" }, stepDetail(step, state)),
    );
  });
  replace($("ceremony-steps"), items);
}

function renderComplaints() {
  const box = $("complaints");
  box.hidden = S.complaints.length === 0;
  replace(
    box,
    S.complaints.map((against) => el("p", {}, t("trustee.ceremony.complaint", { index: against, name: trusteeName(against) }))),
  );
}

function renderBackup() {
  const info = JSON.parse(stored("info") || "null");
  const section = $("backup");
  section.hidden = !info;
  if (!info) return;
  const rows = [];
  const row = (key, value, attrs) => rows.push(el("dt", {}, t(key)), el("dd", {}, el("code", { class: "fingerprint", ...attrs }, value)));
  row("trustee.backup.fingerprint", info.fingerprint, { id: "key-fingerprint" });
  row("trustee.backup.verification_key", info.verification_key, { id: "verification-key" });
  row("trustee.backup.election_key", info.election_key, { id: "election-key" });
  replace($("key-facts"), rows);
  const blame = $("blame");
  blame.hidden = !info.blame || info.blame.length === 0;
  replace(blame, info.blame?.length ? [el("p", {}, t("trustee.backup.blame")), el("ul", {}, info.blame.map((b) => el("li", { lang: "en" }, b)))] : []);
  const downloaded = !!stored("downloaded");
  $("backup-required").hidden = downloaded;
  $("backup-download").textContent = t(downloaded ? "trustee.backup.download_again" : "trustee.backup.download");
  $("backup-done").hidden = !downloaded;
  if (downloaded) {
    replace($("backup-done-text"), t("trustee.backup.done", { file: backupName() }));
    replace($("backup-command"), `urna trustee decrypt --server ${location.origin} --election ${id} --key ${backupName()}`);
  }
}

function renderWaiting() {
  const v = S.view;
  const box = $("waiting");
  const key = {
    awaiting_approval: "trustee.waiting.awaiting_approval",
    scheduled: "trustee.waiting.scheduled",
    open: "trustee.waiting.open",
    rejected: "trustee.waiting.rejected",
  }[v.state];
  // Right after the ceremony the one thing to do is the download; while this browser still
  // holds the ceremony state, the key share is derived first (which needs the passphrase).
  const show = !!key && (!!stored("downloaded") || (!stored("key") && !stored("state") && posted(v, 3)));
  box.hidden = !show;
  if (show) replace($("waiting-text"), t(key));
}

function renderDecrypt() {
  const v = S.view;
  const section = $("decrypt");
  const mine = v.decrypted_by.includes(v.index);
  section.hidden = !(v.state === "tallying" || (v.state === "published" && (mine || S.decrypt)));
  if (section.hidden) return;
  const done = $("decrypt-done");
  done.hidden = !mine;
  $("decrypt-form").hidden = mine || S.decrypt?.phase === "running";
  if (mine) {
    replace(
      done,
      el("p", {}, t("trustee.decrypt.done", { count: v.decrypted_by.length, threshold: v.threshold })),
      el(
        "p",
        {},
        v.state === "published"
          ? el("a", { href: `/elections/${enc}` }, t("trustee.decrypt.see_result"))
          : t("trustee.decrypt.waiting_others", { missing: Math.max(0, v.threshold - v.decrypted_by.length) }),
      ),
    );
  }
  const local = !!stored("key");
  $("key-source").hidden = !local;
  if (!local) $("source-file").checked = true;
  $("file-row").hidden = local && $("source-local").checked;
  const run = $("decrypt-run");
  run.hidden = !S.decrypt || S.decrypt.phase !== "running";
  if (S.decrypt) {
    const p = $("decrypt-progress");
    p.max = Math.max(1, S.decrypt.total || 1);
    p.value = Math.min(p.max, S.decrypt.events || 0);
    replace(
      $("decrypt-status"),
      t(S.decrypt.statusKey, { events: S.decrypt.events || 0, total: S.decrypt.total || 0 }),
    );
  }
}

function renderCeremony() {
  const v = S.view;
  const running = ["draft", "key_ceremony", "failed"].includes(v.state);
  const unfinished = !!stored("state") || (!!stored("key") && !stored("downloaded"));
  $("ceremony").hidden = !(running || unfinished || S.errors["ceremony-error"]);
  renderSteps();
  renderComplaints();
  if (S.status) replace($("ceremony-status"), t(S.status.key, S.status.vars));
}

function render() {
  renderHeader();
  renderFacts();
  renderTrustees();
  renderSetup();
  renderCeremony();
  renderBackup();
  renderWaiting();
  renderDecrypt();
  renderErrors();
}

onLanguageChange(() => S.view && render());

// ---------------------------------------------------------------------------------------------
// The ceremony: one step per view, driven by polling.

function showForm(which) {
  $("start-form").hidden = which !== "start";
  $("unlock-form").hidden = which !== "unlock";
}

async function checkSetup() {
  if (S.setup || !S.view.setup_hash) return;
  try {
    const page = await api(`/elections/${enc}/board?from=0&limit=1`);
    const title = S.urna.trusteeCheckSetup(JSON.stringify(S.view), page.lines[0] || "");
    S.setup = { ok: true, title };
  } catch (e) {
    S.setup = { ok: false, error: e };
  }
  renderSetup();
}

/** Does the next thing the view allows; returns whether the ceremony is still under way. */
async function advance() {
  const v = S.view;
  if (v.state === "failed") {
    setError("ceremony-error", { error: { code: "ceremony_failed" } });
    setStatus(null);
    showForm(null);
    return false;
  }
  if (!v.setup_hash) {
    setStatus("trustee.status.not_started");
    showForm(null);
    return true;
  }
  if (S.setup && !S.setup.ok) {
    setStatus(null);
    showForm(null);
    return false;
  }
  if (stored("key")) {
    showForm(null);
    setStatus(stored("downloaded") ? null : "trustee.status.download");
    return false;
  }
  const state = stored("state");
  if (!posted(v, 1)) {
    if (!state) {
      if (roundFull(v, 1) || isSealed(v)) {
        setError("ceremony-error", own("trustee.errors.went_on"));
        showForm(null);
        return false;
      }
      showForm("start");
      setStatus("trustee.status.choose_passphrase");
      return true;
    }
    if (!S.passphrase) return needPassphrase();
    setStatus("trustee.status.posting", { round: 1 });
    const pkg = S.urna.trusteeRound1(JSON.stringify(v), state, S.passphrase);
    await post("round1", pkg);
    return true;
  }
  if (!state) {
    // Posted from another browser or with `urna trustee`: only that copy can go on.
    if (v.state === "key_ceremony") {
      setError("ceremony-error", own("trustee.errors.state_missing"));
      showForm(null);
    }
    return false;
  }
  if (!S.passphrase) return needPassphrase();
  showForm(null);
  if (!posted(v, 2)) {
    if (!roundFull(v, 1)) {
      setStatus("trustee.status.waiting", { round: 1, have: v.round1.length, trustees: v.trustees });
      return true;
    }
    setStatus("trustee.status.posting", { round: 2 });
    await post("round2", S.urna.trusteeDeal(JSON.stringify(v), state, S.passphrase));
    return true;
  }
  if (!posted(v, 3)) {
    if (!roundFull(v, 2)) {
      setStatus("trustee.status.waiting", { round: 2, have: v.round2.length, trustees: v.trustees });
      return true;
    }
    setStatus("trustee.status.posting", { round: 3 });
    const checked = JSON.parse(S.urna.trusteeCheck(JSON.stringify(v), state, S.passphrase));
    S.complaints = checked.complaints;
    renderComplaints();
    await post("round3", JSON.stringify(checked.package));
    return true;
  }
  if (!roundFull(v, 3) || !isSealed(v)) {
    setStatus("trustee.status.waiting", { round: 3, have: v.round3.length, trustees: v.trustees });
    return true;
  }
  setStatus("trustee.status.finishing");
  const booth = await api(`/elections/${enc}/booth`, { raw: true });
  const finished = JSON.parse(S.urna.trusteeFinish(JSON.stringify(v), booth, state, S.passphrase));
  store("key", JSON.stringify(finished.sealed_key));
  const { sealed_key: _, ...info } = finished;
  store("info", JSON.stringify(info));
  unstore("state");
  S.summary = await api(`/elections/${enc}`);
  setStatus("trustee.status.download");
  render();
  $("backup-heading").focus?.();
  return false;
}

function needPassphrase() {
  showForm("unlock");
  setStatus("trustee.status.locked");
  return true;
}

let timer = null;

function schedule(ms) {
  clearTimeout(timer);
  timer = setTimeout(tick, ms);
}

async function tick() {
  if (S.stopped) return;
  if (S.working) {
    schedule(200);
    return;
  }
  S.working = true;
  let active = false;
  try {
    await refreshView();
    setError("ceremony-error", null);
    await checkSetup();
    render();
    active = await advance();
    render();
  } catch (e) {
    active = true;
    if (e.code === "cannot_open" || e.code === "wrong_state_file") {
      S.passphrase = null;
      setError("unlock-error", { error: e });
      needPassphrase();
    } else if (e.code === "key_mismatch" || e.code === "bad_setup" || e.code === "ceremony_failed") {
      S.stopped = true;
      setError("ceremony-error", { error: e });
    } else {
      setError("ceremony-error", { error: e });
    }
  } finally {
    S.working = false;
  }
  const terminal = ["published", "failed", "rejected"].includes(S.view?.state);
  if (!S.stopped && !terminal) schedule(active ? POLL_ACTIVE_MS : POLL_IDLE_MS);
}

// ---------------------------------------------------------------------------------------------
// Forms

$("start-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const first = $("passphrase").value;
  const second = $("passphrase-again").value;
  setError("start-error", null);
  if (first !== second) {
    setError("start-error", own("trustee.errors.mismatch"));
    $("passphrase-again").focus();
    return;
  }
  await busy($("start-submit"), async () => {
    while (S.working) await sleep(50);
    S.working = true;
    try {
      await refreshView();
      if (stored("state") || posted(S.view, 1)) return;
      setStatus("trustee.status.sealing");
      const started = JSON.parse(S.urna.trusteeStart(JSON.stringify(S.view), first));
      // The state is kept before anything is posted: a crash now resumes from it.
      store("state", JSON.stringify(started.sealed_state));
      S.passphrase = first;
      $("passphrase").value = "";
      $("passphrase-again").value = "";
      showForm(null);
      setStatus("trustee.status.posting", { round: 1 });
      await post("round1", JSON.stringify(started.package));
      render();
    } catch (e) {
      setStatus(null);
      setError("start-error", { error: e });
      $("passphrase").focus();
    } finally {
      S.working = false;
    }
  });
  schedule(0);
});

$("unlock-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const passphrase = $("unlock-passphrase").value;
  setError("unlock-error", null);
  await busy($("unlock-submit"), async () => {
    while (S.working) await sleep(50);
    try {
      // Opening the state checks the passphrase; the package it makes is thrown away.
      S.urna.trusteeRound1(JSON.stringify(S.view), stored("state"), passphrase);
      S.passphrase = passphrase;
      $("unlock-passphrase").value = "";
      showForm(null);
      setStatus("trustee.status.resumed");
    } catch (e) {
      setError("unlock-error", { error: e });
      $("unlock-passphrase").focus();
    }
  });
  if (S.passphrase) schedule(0);
});

$("backup-download").addEventListener("click", () => {
  const sealed = stored("key");
  if (!sealed) return;
  download(backupName(), JSON.stringify(JSON.parse(sealed), null, 2) + "\n");
  store("downloaded", new Date().toISOString());
  setStatus(null);
  render();
  $("backup-done").focus?.();
});

for (const radio of document.querySelectorAll("input[name=source]")) {
  radio.addEventListener("change", () => renderDecrypt());
}

async function readBackup() {
  if (!$("key-source").hidden && $("source-local").checked) return stored("key");
  const file = $("decrypt-file").files[0];
  if (!file) throw own("trustee.errors.no_file");
  const text = await file.text();
  let parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  if (!parsed || parsed.format !== SEALED_FORMAT) throw own("trustee.errors.not_backup");
  return text;
}

/** A board that does not check out says which check failed and where. */
function decryptFailure(e) {
  if (e.code !== "check_failed") return { error: e };
  const seq = e.seq === null || e.seq === undefined ? "?" : formatNumber(e.seq);
  return own("trustee.errors.check_failed", { check: e.check || "?", seq });
}

const nextFrame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));

function decryptProgress(statusKey, events, total) {
  S.decrypt = { phase: "running", statusKey, events, total };
  renderDecrypt();
}

$("decrypt-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  setError("decrypt-error", null);
  const passphrase = $("decrypt-passphrase").value;
  await busy($("decrypt-submit"), async () => {
    try {
      const sealed = await readBackup();
      decryptProgress("trustee.decrypt.opening", 0, 0);
      await nextFrame();
      // Opening the backup first: a wrong passphrase or file stops before the long part.
      const info = JSON.parse(S.urna.trusteeKeyInfo(sealed, passphrase));
      if (info.index !== S.view.index) throw { code: "wrong_key" };
      await refreshView();
      if (S.view.state !== "tallying") throw { code: "wrong_state" };
      const summary = await api(`/elections/${enc}`);
      const total = summary.head.entries;
      const verifier = new S.urna.Verifier();
      decryptProgress("trustee.decrypt.verifying", 0, total);
      await forEachBoardPage(
        id,
        async (lines) => {
          verifier.pushLines(lines, (events) => (S.decrypt.events = events), 50);
          decryptProgress("trustee.decrypt.verifying", verifier.events, Math.max(total, verifier.events));
          await nextFrame();
        },
        BOARD_PAGE,
      );
      // The verifier is used up by the decryption: keep its count for the progress bar.
      const checked = verifier.events;
      decryptProgress("trustee.decrypt.decrypting", checked, checked);
      await nextFrame();
      const decryption = verifier.trusteeDecrypt(JSON.stringify(S.view), sealed, passphrase);
      decryptProgress("trustee.decrypt.posting", checked, checked);
      await trusteeApi("/decryption", { text: decryption });
      $("decrypt-passphrase").value = "";
      S.decrypt = { ...S.decrypt, phase: "done" };
      await refreshView();
      render();
      $("decrypt-done").focus?.();
    } catch (e) {
      S.decrypt = null;
      setError("decrypt-error", e.key ? e : decryptFailure(e));
      renderDecrypt();
      $("decrypt-passphrase").focus();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Start

function pageError(value) {
  $("loading").hidden = true;
  setError("page-error", value);
}

async function main() {
  S.token = takeToken();
  if (!id || !S.token) {
    pageError(own("trustee.errors.no_token"));
    return;
  }
  try {
    S.urna = await loadUrna();
    await refreshView();
    S.summary = await api(`/elections/${enc}`);
  } catch (e) {
    pageError(e.status === 401 || e.code === "unauthorized" ? own("trustee.errors.bad_token") : { error: e });
    return;
  }
  $("loading").hidden = true;
  $("trustee").hidden = false;
  render();
  await tick();
}

await main();
