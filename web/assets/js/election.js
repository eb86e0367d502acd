// An election's public page (/elections/{id}): facts and fingerprint, tracking-code lookup,
// the published result, the record with the commands to verify it, the bulletin board page by
// page, and "Verify this election", which runs the WebAssembly verifier in a worker
// (verify-worker.js) and compares what it computes with the published result.

import { startPage } from "./page.js";
import {
  t,
  has,
  textOf,
  formatDateTime,
  formatNumber,
  formatPercent,
  onLanguageChange,
} from "./i18n.js";
import { api } from "./api.js";
import { el, replace, showError, errorText, busy } from "./ui.js";

await startPage(["observer"]);

const $ = (id) => document.getElementById(id);
const BOARD_PAGE = 50;
const id = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
const enc = encodeURIComponent(id);

const state = {
  summary: null,
  result: null,
  lookup: null, // {kind: "searching"|"found"|"not_found"|"bad_format"|"error", code, data, error}
  board: { from: 0, lines: null, error: null },
  verify: null, // {phase: "running"|"done"|"failed"|"error", events, verdict, error}
};

// ---------------------------------------------------------------------------------------------
// Facts

function periodText(summary) {
  if (!summary.opens_at || !summary.closes_at) return t("observer.facts.no_period");
  const zone = summary.manifest.voting_period?.time_zone;
  return t("observer.facts.period_value", {
    opens: formatDateTime(summary.opens_at, zone),
    closes: formatDateTime(summary.closes_at, zone),
  });
}

function renderHeader() {
  const s = state.summary;
  replace($("election-event"), textOf(s.manifest.event));
  replace($("election-title"), textOf(s.manifest.title));
  document.title = `${textOf(s.manifest.title)} — ${t("common.app")}`;
}

function renderFacts() {
  const s = state.summary;
  const rows = [];
  const row = (key, value, attrs = {}) =>
    rows.push(el("dt", {}, t(key)), el("dd", attrs, value));
  row("observer.facts.state", el("span", { class: `state-badge ${s.state}`, id: "election-state" }, t(`common.state.${s.state}`)));
  row("observer.facts.period", periodText(s));
  if (s.voters > 0) {
    row(
      "observer.facts.turnout",
      t("observer.facts.turnout_value", {
        ballots: formatNumber(s.ballots),
        voters: formatNumber(s.voters),
        percent: formatPercent(s.ballots / s.voters),
      }),
      { id: "turnout" },
    );
  } else {
    row("observer.facts.turnout", t("observer.facts.ballots_value", { ballots: formatNumber(s.ballots) }), {
      id: "turnout",
    });
  }
  row("observer.facts.entries", formatNumber(s.head.entries));
  rows.push(el("dt", {}, t("common.fingerprint")));
  rows.push(
    el(
      "dd",
      {},
      s.fingerprint
        ? el("code", { class: "fingerprint", id: "fingerprint" }, s.fingerprint)
        : el("span", { id: "fingerprint" }, t("observer.facts.not_sealed")),
      el("p", { class: "muted hint" }, t("common.fingerprint_help")),
    ),
  );
  replace($("facts"), rows);
}

// ---------------------------------------------------------------------------------------------
// Tracking-code lookup

/** What people type, as a tracking code (ABCD-EFGH-IJKL-MNOP), or null. */
function normaliseCode(text) {
  const cleaned = String(text || "").replace(/[^A-Za-z0-9]/g, "").toUpperCase();
  if (!/^[A-Z2-7]{16}$/.test(cleaned)) return null;
  return cleaned.match(/.{4}/g).join("-");
}

async function lookUp(text) {
  const code = normaliseCode(text);
  if (!code) {
    state.lookup = { kind: "bad_format" };
    renderLookup();
    return;
  }
  $("lookup-code").value = code;
  state.lookup = { kind: "searching", code };
  renderLookup();
  try {
    const data = await api(`/elections/${enc}/ballots/${encodeURIComponent(code)}`);
    state.lookup = { kind: "found", code, data };
  } catch (e) {
    state.lookup = e.status === 404 ? { kind: "not_found", code } : { kind: "error", code, error: e };
  }
  renderLookup();
}

function renderLookup() {
  const box = $("lookup-result");
  const l = state.lookup;
  if (!l) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  box.removeAttribute("role");
  delete box.dataset.found;
  box.dataset.state = l.kind;
  switch (l.kind) {
    case "searching":
      box.className = "notice";
      replace(box, t("observer.lookup.searching", { code: l.code }));
      break;
    case "found":
      box.className = l.data.counted ? "notice ok" : "notice warn";
      box.dataset.found = "true";
      box.dataset.counted = String(!!l.data.counted);
      replace(
        box,
        el("p", {}, t("observer.lookup.found", { code: l.data.tracking_code, seq: formatNumber(l.data.seq) })),
        el("p", {}, l.data.counted ? t("observer.lookup.counted") : t("observer.lookup.replaced")),
        el("p", { class: "muted" }, t("observer.lookup.entry_hash"), " ", el("code", {}, l.data.entry_hash)),
      );
      break;
    case "not_found":
      box.className = "notice bad";
      box.dataset.found = "false";
      replace(box, t("observer.lookup.not_found", { code: l.code }));
      break;
    case "bad_format":
      box.className = "notice bad";
      box.dataset.found = "false";
      replace(box, t("observer.lookup.bad_format"));
      break;
    default:
      box.className = "error";
      box.setAttribute("role", "alert");
      replace(box, errorText(l.error));
  }
}

// ---------------------------------------------------------------------------------------------
// Result

function trusteeNames(indices) {
  const names = state.summary.manifest.trustees?.names || [];
  return indices
    .map((i) => names[i - 1] || t("observer.result.trustee", { n: formatNumber(i) }))
    .join(", ");
}

function contestTable(contest, totals) {
  const labels = contest.options.map((o) => textOf(o.label));
  if (contest.blank) labels.push(textOf(contest.blank));
  const sum = totals.reduce((a, b) => a + b, 0);
  return el(
    "table",
    { class: "result-table", "data-contest": contest.id },
    el("caption", {}, textOf(contest.title)),
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        el("th", { scope: "col" }, t("observer.result.option")),
        el("th", { scope: "col", class: "num" }, t("observer.result.votes")),
        el("th", { scope: "col", class: "num" }, t("observer.result.share")),
        el("th", { scope: "col", "aria-hidden": "true", class: "bar-head" }, el("span", { class: "muted" }, t("observer.result.chart"))),
      ),
    ),
    el(
      "tbody",
      {},
      labels.map((label, i) => {
        const total = totals[i] ?? 0;
        const blank = contest.blank && i === contest.options.length;
        return el(
          "tr",
          { class: blank ? "blank" : null, "data-total": total },
          el("th", { scope: "row" }, label),
          el("td", { class: "num total" }, formatNumber(total)),
          el("td", { class: "num share" }, formatPercent(sum ? total / sum : 0)),
          el(
            "td",
            { class: "bar-cell", "aria-hidden": "true" },
            el("div", { class: "bar" }, el("span", { class: blank ? "blank" : null, style: `width: ${sum ? (100 * total) / sum : 0}%` })),
          ),
        );
      }),
    ),
  );
}

function renderResult() {
  const body = $("result-body");
  const r = state.result;
  if (!r) {
    replace(body, el("p", { class: "muted", id: "result-pending" }, t("observer.result.pending")));
    return;
  }
  const manifest = state.summary.manifest;
  const tables = manifest.contests.map((contest, i) => {
    const found = r.contests.find((c) => c.contest === contest.id) || r.contests[i];
    return contestTable(contest, found ? found.totals : []);
  });
  replace(
    body,
    tables,
    el("p", { class: "muted" }, t("observer.result.share_note")),
    el("p", { id: "ballots-counted" }, t("observer.result.ballots_counted", { count: formatNumber(r.ballots_counted) })),
    manifest.weighted &&
      el("p", { id: "weight-counted" }, t("observer.result.weight_counted", { count: formatNumber(r.weight_counted) })),
    el("p", { id: "decrypted-by" }, t("observer.result.decrypted_by", { trustees: trusteeNames(r.decrypted_by) })),
    el("h3", {}, t("observer.result.documents")),
    el(
      "ul",
      {},
      el("li", {}, el("a", { href: `/api/v1/results.html?elections=${enc}`, id: "result-html" }, t("observer.result.html"))),
      el("li", {}, el("a", { href: `/api/v1/results.csv?elections=${enc}`, id: "result-csv" }, t("observer.result.csv"))),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// The record

function renderRecord() {
  const dir = `record-${id.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const partial = state.summary.state !== "published" ? " --partial" : "";
  const commands = [
    `urna record --server ${location.origin} --election ${id} --out ${dir}`,
    `urna verify${partial} ${dir}`,
  ].join("\n");
  replace(
    $("record-body"),
    el("p", {}, t("observer.record.intro")),
    el(
      "p",
      {},
      el(
        "a",
        { href: `/api/v1/elections/${enc}/board.jsonl`, download: `board-${id}.jsonl`, id: "record-download", class: "button" },
        t("observer.record.download"),
      ),
    ),
    el("p", {}, t("observer.record.commands")),
    el("pre", { class: "commands" }, el("code", { id: "record-commands" }, commands)),
  );
}

// ---------------------------------------------------------------------------------------------
// The board

function eventName(type) {
  const key = `observer.events.${String(type).replace(/-/g, "_")}`;
  return has(key) ? t(key) : t("observer.events.unknown");
}

async function loadBoard(from) {
  state.board = { from, lines: state.board.lines, error: null, loading: true };
  renderBoard();
  try {
    const page = await api(`/elections/${enc}/board?from=${from}&limit=${BOARD_PAGE}`);
    state.board = { from, lines: page.lines, error: null };
  } catch (e) {
    state.board = { from, lines: null, error: e };
  }
  renderBoard();
}

function renderBoard() {
  const body = $("board-body");
  const b = state.board;
  const total = state.summary.head.entries;
  const pages = Math.max(1, Math.ceil(total / BOARD_PAGE));
  const page = Math.floor(b.from / BOARD_PAGE) + 1;
  $("board-prev").disabled = !!b.loading || b.from <= 0;
  $("board-next").disabled = !!b.loading || b.from + BOARD_PAGE >= total;
  replace($("board-page"), t("observer.board.page", { page: formatNumber(page), pages: formatNumber(pages) }));
  if (b.error) {
    const box = el("div", { class: "error" });
    showError(box, b.error);
    replace(body, box);
    return;
  }
  if (!b.lines) return;
  if (b.lines.length === 0) {
    replace(body, el("p", { class: "muted" }, t("observer.board.empty")));
    return;
  }
  const entries = b.lines.map((line) => {
    try {
      return JSON.parse(line);
    } catch {
      return { seq: null, type: null, hash: "" };
    }
  });
  const first = entries[0].seq ?? b.from;
  const last = entries[entries.length - 1].seq ?? b.from + entries.length - 1;
  replace(
    body,
    el(
      "table",
      { class: "board-table", id: "board-table" },
      el(
        "caption",
        { class: "muted" },
        t("observer.board.caption", { from: formatNumber(first), to: formatNumber(last), total: formatNumber(total) }),
      ),
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          el("th", { scope: "col", class: "num" }, t("observer.board.seq")),
          el("th", { scope: "col" }, t("observer.board.type")),
          el("th", { scope: "col" }, t("observer.board.hash")),
        ),
      ),
      el(
        "tbody",
        {},
        entries.map((e) =>
          el(
            "tr",
            { "data-type": e.type },
            el("td", { class: "num" }, e.seq === null ? "" : formatNumber(e.seq)),
            el("td", {}, eventName(e.type)),
            el("td", {}, el("code", { title: e.hash }, String(e.hash || "").slice(0, 16))),
          ),
        ),
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Verify this election

function complete() {
  return state.summary.state === "published";
}

function sameResult(a, b) {
  if (!a || !b) return false;
  const nums = (x) => JSON.stringify(x ?? null);
  if (a.contests.length !== b.contests.length) return false;
  for (let i = 0; i < a.contests.length; i++) {
    if (a.contests[i].contest !== b.contests[i].contest) return false;
    if (nums(a.contests[i].totals) !== nums(b.contests[i].totals)) return false;
  }
  return (
    a.ballots_counted === b.ballots_counted &&
    a.weight_counted === b.weight_counted &&
    nums(a.decrypted_by) === nums(b.decrypted_by)
  );
}

function renderVerify() {
  $("verify-partial").hidden = complete();
  const v = state.verify;
  const run = $("verify-run");
  const verdict = $("verify-verdict");
  const button = $("verify-start");
  replace(button, t(v && v.phase !== "running" ? "observer.verify.again" : "observer.verify.start"));
  if (!v) {
    run.hidden = true;
    verdict.hidden = true;
    return;
  }
  run.hidden = false;
  const progress = $("verify-progress");
  const total = Math.max(v.total || 0, v.events || 0, 1);
  progress.max = total;
  progress.value = Math.min(v.events || 0, total);
  replace(
    $("verify-status"),
    v.events === null
      ? t("observer.verify.starting")
      : t("observer.verify.progress", { done: formatNumber(v.events), total: formatNumber(total) }),
  );
  if (v.phase === "running") {
    verdict.hidden = true;
    delete verdict.dataset.ok;
    return;
  }
  verdict.hidden = false;
  if (v.phase === "done") {
    const report = v.verdict.report;
    const partial = !report.complete;
    const items = [];
    items.push(
      el(
        "li",
        {},
        partial
          ? t("observer.verify.summary_partial", { events: formatNumber(report.events), ballots: formatNumber(report.ballots) })
          : t("observer.verify.summary", {
              events: formatNumber(report.events),
              ballots: formatNumber(report.ballots),
              counted: formatNumber(report.ballots_counted ?? report.result?.ballots_counted ?? 0),
            }),
      ),
    );
    let fingerprintOk = true;
    if (state.summary.fingerprint && report.fingerprint) {
      fingerprintOk = report.fingerprint === state.summary.fingerprint;
      items.push(
        el(
          "li",
          { class: fingerprintOk ? null : "bad", id: "verify-fingerprint" },
          t(fingerprintOk ? "observer.verify.fingerprint_match" : "observer.verify.fingerprint_mismatch"),
        ),
      );
    }
    let match = null;
    if (report.result) {
      if (state.result) {
        match = sameResult(report.result, state.result);
        items.push(
          el(
            "li",
            { id: "verify-compare", "data-match": String(match), class: match ? null : "bad" },
            el("strong", {}, t(match ? "observer.verify.match" : "observer.verify.mismatch")),
          ),
        );
      } else {
        items.push(el("li", { id: "verify-compare" }, t("observer.verify.no_published")));
      }
    }
    for (const blame of report.blame || []) items.push(el("li", {}, t("observer.verify.blame", { blame })));
    const ok = fingerprintOk && match !== false;
    verdict.dataset.ok = String(ok);
    verdict.dataset.partial = String(partial);
    verdict.className = `verdict notice ${ok ? "ok" : "bad"}`;
    replace(
      verdict,
      el("h3", {}, t(partial ? "observer.verify.ok_partial" : "observer.verify.ok")),
      el("ul", {}, items),
    );
    return;
  }
  verdict.dataset.ok = "false";
  verdict.className = "verdict notice bad";
  if (v.phase === "failed") {
    const e = v.error;
    const check = e.check || "unknown";
    replace(
      verdict,
      el("h3", {}, t("observer.verify.failed")),
      el(
        "ul",
        {},
        el(
          "li",
          { id: "verify-check", "data-check": check },
          t("observer.verify.failed_check", {
            check,
            description: has(`observer.checks.${check}`) ? t(`observer.checks.${check}`) : t("observer.checks.unknown"),
          }),
        ),
        e.seq !== null && e.seq !== undefined && el("li", { id: "verify-seq" }, t("observer.verify.failed_seq", { seq: formatNumber(e.seq) })),
        e.culprit && el("li", {}, t("observer.verify.failed_culprit", { culprit: e.culprit })),
        e.message && el("li", { class: "muted" }, t("observer.verify.failed_detail", { detail: e.message })),
      ),
    );
    return;
  }
  replace(verdict, el("h3", {}, t("observer.verify.error", { detail: errorText(v.error) })));
}

let worker = null;

function startVerify() {
  if (worker) worker.terminate();
  const total = state.summary.head.entries;
  state.verify = { phase: "running", events: null, total, verdict: null, error: null };
  renderVerify();
  const button = $("verify-start");
  return busy(
    button,
    () =>
      new Promise((resolve) => {
        worker = new Worker("/assets/js/verify-worker.js", { type: "module" });
        const end = () => {
          worker.terminate();
          worker = null;
          renderVerify();
          resolve();
        };
        worker.onmessage = (event) => {
          const m = event.data;
          if (m.type === "progress") {
            state.verify.events = m.events;
            renderVerify();
          } else if (m.type === "done") {
            state.verify.phase = "done";
            state.verify.verdict = m.verdict;
            state.verify.events = m.verdict.report.events;
            end();
          } else if (m.type === "error") {
            state.verify.phase = m.code === "check_failed" ? "failed" : "error";
            state.verify.error = m;
            end();
          }
        };
        worker.onerror = (event) => {
          event.preventDefault();
          state.verify.phase = "error";
          state.verify.error = { code: "unexpected", message: event.message || "worker" };
          end();
        };
        worker.postMessage({ id, requireComplete: complete() });
      }),
  );
}

// ---------------------------------------------------------------------------------------------

function renderAll() {
  if (!state.summary) return;
  renderHeader();
  renderFacts();
  renderLookup();
  renderResult();
  renderRecord();
  renderBoard();
  renderVerify();
}

async function main() {
  try {
    state.summary = await api(`/elections/${enc}`);
  } catch (e) {
    $("loading").hidden = true;
    if (e.status === 404) {
      const box = $("page-error");
      box.hidden = false;
      box.setAttribute("role", "alert");
      replace(box, t("observer.not_found"));
      onLanguageChange(() => replace(box, t("observer.not_found")));
    } else {
      showError($("page-error"), e);
    }
    return;
  }
  if (state.summary.state === "published") {
    try {
      state.result = await api(`/elections/${enc}/result`);
    } catch (e) {
      if (e.status !== 404) showError($("page-error"), e);
    }
  }
  $("loading").hidden = true;
  $("election").hidden = false;
  renderAll();
  onLanguageChange(renderAll);

  $("lookup-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("lookup-submit"), () => lookUp($("lookup-code").value));
  });
  $("board-prev").addEventListener("click", () => loadBoard(Math.max(0, state.board.from - BOARD_PAGE)));
  $("board-next").addEventListener("click", () => loadBoard(state.board.from + BOARD_PAGE));
  $("verify-start").addEventListener("click", () => startVerify());

  const code = new URLSearchParams(location.search).get("code");
  if (code) {
    $("lookup-code").value = code;
    lookUp(code);
  }
  loadBoard(0);
}

main();
