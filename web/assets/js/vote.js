// The voting booth (/vote/{id}#CREDENTIAL), opened from the invitation e-mail.
//
// The credential is read from the address's fragment, which browsers never send to a server,
// and removed from the address bar at once. The page then checks the election's public board
// up to its seal against what the server hands the booth (urna-wasm verifySetup), shows the
// ballot with each contest's rules and live validation, a review step, encrypts in
// WebAssembly, and lets the voter either cast the encrypted ballot or audit it (Benaloh: the
// encryption is opened, checked here, offered as a file for other tools, and never cast).
// After casting: the tracking code, how to find it on the board, and that the vote is final.

import { startPage } from "./page.js";
import { t, textOf, formatDateTime, onLanguageChange } from "./i18n.js";
import { api, forEachBoardPage } from "./api.js";
import { el, replace, showError, errorText, download } from "./ui.js";
import { loadUrna } from "./wasm.js";

// The fragment is read and removed before anything else (it must not stay on screen, in the
// history entry or in a screenshot).
const fragment = decodeURIComponent(location.hash.replace(/^#/, "")).trim();
if (location.hash) history.replaceState(null, "", location.pathname + location.search);

await startPage(["booth"]);

const $ = (id) => document.getElementById(id);
const id = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
const enc = encodeURIComponent(id);

const STEPS = ["choose", "review", "encrypted", "receipt"];

const state = {
  urna: null,
  summary: null,
  infoJson: null,
  info: null,
  booth: null,
  rules: [],
  weight: 1,
  /** null | "checking" | "ok" | {error} */
  setup: null,
  /** A ballot with this credential is already on the board. */
  votedBefore: false,
  /** "blocked": no ballot can be cast (closed, not open, already voted under "final", …). */
  blocked: null,
  /** Per contest, per selection (blank last): the values the voter chose. */
  choices: [],
  /** Whether the voter tried to go on with invalid choices (then every problem is shown). */
  triedNext: false,
  step: null,
  /** The encrypted ballot (urna-wasm EncryptedBallot) while neither cast nor audited. */
  ballot: null,
  trackingCode: null,
  /** The choices the current encryption holds. */
  encrypted: null,
  encryptMs: null,
  /** The cast body, kept until the server's receipt arrives (a retry sends the same ballot). */
  castBody: null,
  /** null | "sending" | {error} */
  cast: null,
  receipt: null,
  /** {json, outcome, error, code, votes} of the last audit. */
  audit: null,
  copied: false,
};

// ---------------------------------------------------------------------------------------------
// Helpers

const manifest = () => state.info.manifest;

function selectionLabels(contest) {
  const labels = contest.options.map((o) => textOf(o.label));
  if (contest.blank) labels.push(textOf(contest.blank));
  return labels;
}

const sum = (values) => values.reduce((a, b) => a + b, 0);

/** Options' total (without the blank selection) and whether the blank box is ticked. */
function tally(i) {
  const r = state.rules[i];
  const values = state.choices[i];
  const options = values.slice(0, r.options);
  return { total: sum(options), blank: r.blank && values[r.options] === 1, chosen: options.filter((v) => v > 0).length };
}

/** Whether the contest's values pass urna-wasm's check (exactly what the proofs enforce). */
function contestValid(i) {
  try {
    state.booth.checkContest(i, JSON.stringify(state.choices[i]));
    return true;
  } catch {
    return false;
  }
}

/** {ok, text} describing contest i's current choice for its live message. */
function contestStatus(i) {
  const r = state.rules[i];
  const { total, blank, chosen } = tally(i);
  const points = r.option_max > 1;
  if (contestValid(i)) {
    if (blank) return { ok: true, text: t("booth.status.blank") };
    if (total === 0) return { ok: true, text: t("booth.status.none") };
    if (points) return { ok: true, text: t("booth.status.points", { points: total, max: r.total_max }) };
    if (r.kind === "single") return { ok: true, text: t("booth.status.one") };
    return { ok: true, text: t("booth.status.chosen", { count: chosen, max: r.total_max }) };
  }
  if (blank && total > 0) return { ok: false, text: t("booth.status.blank_and_options") };
  if (total > r.total_max) {
    return {
      ok: false,
      text: points
        ? t("booth.status.too_many_points", { points: total, max: r.total_max })
        : t(r.total_max === 1 ? "booth.status.too_many_one" : "booth.status.too_many", {
            count: chosen,
            max: r.total_max,
          }),
    };
  }
  if (total < r.total_min) {
    if (total === 0 && !blank) {
      return { ok: false, text: t(r.blank ? "booth.status.empty_blank" : "booth.status.empty"), empty: true };
    }
    return {
      ok: false,
      text: t(r.total_min === 1 ? "booth.status.too_few_one" : "booth.status.too_few", { count: chosen, min: r.total_min }),
    };
  }
  return { ok: false, text: t("common.errors.invalid_vote") };
}

/** The rules of contest i as sentences. */
function rulesText(i) {
  const r = state.rules[i];
  const parts = [];
  switch (r.kind) {
    case "single":
      parts.push(t("booth.rules.single"));
      break;
    case "select":
      if (r.total_min === r.total_max) parts.push(t("booth.rules.exactly", { n: r.total_max }));
      else if (r.total_min === 0) parts.push(t(r.total_max === 1 ? "booth.rules.at_most_one" : "booth.rules.at_most", { n: r.total_max }));
      else if (r.total_max >= r.options) parts.push(t("booth.rules.at_least", { n: r.total_min }));
      else parts.push(t("booth.rules.between", { min: r.total_min, max: r.total_max }));
      break;
    case "approval":
      parts.push(t("booth.rules.approval"));
      break;
    case "cumulative":
      parts.push(t("booth.rules.cumulative", { budget: r.total_max, max: r.option_max }));
      break;
    case "score":
      parts.push(t("booth.rules.score", { max: r.option_max }));
      break;
    default:
      parts.push(t("booth.rules.other", { min: r.total_min, max: r.total_max }));
  }
  parts.push(t(r.blank ? "booth.rules.blank" : "booth.rules.no_blank"));
  return parts.join(" ");
}

/** What a contest's values say, as a list of texts (for the review and the audit). */
function describeVote(contest, r, values) {
  const labels = selectionLabels(contest);
  if (r.blank && values[r.options] === 1) return [{ text: t("booth.review.blank"), blank: true }];
  const items = [];
  for (let k = 0; k < r.options; k++) {
    if (values[k] > 0) {
      items.push({
        text: r.option_max > 1 ? t("booth.review.points", { option: labels[k], points: values[k] }) : labels[k],
      });
    }
  }
  if (items.length === 0) return [{ text: t("booth.review.nothing"), blank: true }];
  return items;
}

function sameVotes(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Moves the focus to the current step's heading (announced by screen readers). */
function focusHeading() {
  const heading = $("step-heading");
  if (heading) heading.focus();
}

// ---------------------------------------------------------------------------------------------
// The frame: election, period, setup check, step list

function renderHead() {
  const s = state.summary;
  if (!s) return;
  $("booth-head").hidden = false;
  replace($("election-event"), textOf(s.manifest.event));
  replace($("election-title"), textOf(s.manifest.title));
  document.title = `${textOf(s.manifest.title)} — ${t("booth.title")}`;
  const rows = [];
  const zone = s.manifest.voting_period?.time_zone;
  rows.push(el("dt", {}, t("booth.facts.period")));
  rows.push(
    el(
      "dd",
      { id: "voting-period" },
      s.opens_at && s.closes_at
        ? t("booth.facts.period_value", { opens: formatDateTime(s.opens_at, zone), closes: formatDateTime(s.closes_at, zone) })
        : t("booth.facts.no_period"),
    ),
  );
  rows.push(el("dt", {}, t("booth.facts.state")));
  rows.push(el("dd", { id: "election-state", "data-state": s.state }, t(`common.state.${s.state}`)));
  if (state.weight !== 1 && state.setup === "ok") {
    rows.push(el("dt", {}, t("booth.facts.weight")));
    rows.push(el("dd", { id: "voter-weight" }, t("booth.facts.weight_value", { weight: state.weight })));
  }
  replace($("booth-facts"), rows);
}

function renderSetup() {
  const box = $("setup-status");
  const s = state.setup;
  if (!s) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  box.removeAttribute("role");
  if (s === "checking") {
    box.className = "notice";
    box.dataset.setup = "checking";
    replace(box, el("span", { class: "spinner", "aria-hidden": "true" }), t("booth.setup.checking"));
    return;
  }
  if (s === "ok") {
    // In full while choosing; one line afterwards, so that each later step starts near the top.
    const full = !state.step || state.step === "choose";
    box.className = full ? "notice ok" : "notice ok compact";
    box.dataset.setup = "ok";
    replace(
      box,
      el("p", { id: "setup-ok" }, el("span", { class: "check", "aria-hidden": "true" }), el("strong", {}, t("booth.setup.ok"))),
      full && el("p", {}, t("booth.setup.ok_detail")),
      el(
        "details",
        {},
        el("summary", {}, t("common.fingerprint")),
        el("p", {}, el("code", { class: "fingerprint", id: "fingerprint" }, state.booth.fingerprint)),
        el("p", { class: "muted" }, t("common.fingerprint_help")),
      ),
    );
    return;
  }
  box.className = "notice bad";
  box.dataset.setup = "failed";
  box.setAttribute("role", "alert");
  replace(
    box,
    el("p", {}, el("strong", {}, t("booth.setup.failed"))),
    el("p", { id: "setup-error", "data-code": s.error.code || "" }, errorText(s.error)),
    el("p", {}, t("booth.setup.failed_advice")),
  );
}

function renderSteps() {
  const nav = $("progress-nav");
  const current = STEPS.indexOf(state.step === "audited" || state.step === "encrypting" ? "encrypted" : state.step);
  if (current < 0 || state.blocked) {
    nav.hidden = true;
    return;
  }
  nav.hidden = false;
  replace(
    $("steps"),
    STEPS.map((s, i) =>
      el(
        "li",
        { "aria-current": i === current ? "step" : null, class: i < current ? "done" : null },
        t("booth.steps.item", { n: i + 1, name: t(`booth.steps.${s}`) }),
      ),
    ),
  );
}

function stepFrame(headingKey, ...children) {
  return [el("h2", { id: "step-heading", tabindex: "-1" }, t(headingKey)), ...children];
}

// ---------------------------------------------------------------------------------------------
// Blocked: not open, closed, already voted

function electionLink(code) {
  const query = code ? `?code=${encodeURIComponent(code)}` : "";
  return el("a", { href: `/elections/${enc}${query}`, id: "election-link" }, t("booth.links.election_page"));
}

function renderBlocked() {
  const b = state.blocked;
  const s = state.summary;
  const zone = s?.manifest.voting_period?.time_zone;
  const body = [];
  let heading = "booth.blocked.not_open_heading";
  if (b === "scheduled") {
    body.push(
      el(
        "p",
        {},
        s.opens_at ? t("booth.blocked.opens_at", { opens: formatDateTime(s.opens_at, zone) }) : t("booth.blocked.not_yet"),
      ),
      el("p", {}, t("booth.blocked.keep_link")),
    );
  } else if (b === "closed") {
    heading = "booth.blocked.closed_heading";
    body.push(el("p", {}, t("booth.blocked.closed")), el("p", {}, electionLink()));
  } else if (b === "voted") {
    heading = "booth.blocked.voted_heading";
    body.push(
      el("p", { class: "notice warn", id: "already-voted" }, t("common.errors.already_voted")),
      el("p", {}, t("booth.blocked.voted_check")),
      el("p", {}, electionLink()),
    );
  } else {
    body.push(el("p", {}, t("booth.blocked.unavailable")), el("p", {}, electionLink()));
  }
  return el("section", { class: "card", id: "blocked", "data-reason": b }, stepFrame(heading, ...body));
}

// ---------------------------------------------------------------------------------------------
// Step 1: the ballot

function updateContest(i) {
  const status = contestStatus(i);
  const box = $(`contest-status-${i}`);
  if (box) {
    // Before the first attempt to go on, an untouched contest only repeats its rules.
    const quiet = status.empty && !state.triedNext && !state.touched?.[i];
    box.className = `contest-status ${status.ok ? "ok" : quiet ? "" : "bad"}`;
    box.dataset.valid = String(status.ok);
    replace(box, status.text);
    const fieldset = $(`contest-${i}`);
    if (fieldset) fieldset.dataset.valid = String(status.ok);
  }
  updateNext();
}

function invalidContests() {
  return state.rules.map((_, i) => i).filter((i) => !contestValid(i));
}

function updateNext() {
  const button = $("to-review");
  const reason = $("next-reason");
  if (!button || !reason) return;
  const bad = invalidContests();
  const c = manifest().contests;
  button.setAttribute("aria-disabled", String(bad.length > 0));
  if (bad.length === 0) {
    reason.className = "muted";
    replace(reason, t("booth.ballot.ready"));
  } else {
    reason.className = state.triedNext ? "next-reason bad" : "next-reason muted";
    replace(reason, t("booth.ballot.blocked", { contests: bad.map((i) => textOf(c[i].title)).join(", ") }));
  }
}

function setValue(i, k, value) {
  const r = state.rules[i];
  const values = state.choices[i];
  values[k] = value;
  state.touched = state.touched || [];
  state.touched[i] = true;
  // A radio group (single): one selection at a time, blank included.
  if (r.kind === "single" && value > 0) {
    for (let j = 0; j < values.length; j++) if (j !== k) values[j] = 0;
  }
  updateContest(i);
}

function choiceInput(i, k, r, label, isBlank) {
  const inputId = `c${i}-${k}`;
  const value = state.choices[i][k];
  const describedBy = `contest-rules-${i} contest-status-${i}`;
  if (!isBlank && r.option_max > 1) {
    return el(
      "div",
      { class: "choice points" },
      el("label", { for: inputId }, label),
      el("input", {
        type: "number",
        id: inputId,
        min: 0,
        max: r.option_max,
        step: 1,
        inputmode: "numeric",
        value: String(value),
        "aria-describedby": describedBy,
        "data-contest": i,
        "data-selection": k,
        oninput: (event) => {
          const n = Number(event.target.value);
          const clean = Number.isInteger(n) && n >= 0 ? n : -1;
          // An unreadable number keeps the contest invalid until it is corrected.
          setValue(i, k, clean < 0 ? r.option_max + 1 : clean);
        },
      }),
    );
  }
  const radio = r.kind === "single";
  return el(
    "div",
    { class: isBlank ? "choice blank-choice" : "choice" },
    el("input", {
      type: radio ? "radio" : "checkbox",
      id: inputId,
      name: radio ? `contest-${i}` : null,
      checked: value > 0,
      "aria-describedby": describedBy,
      "data-contest": i,
      "data-selection": k,
      onchange: (event) => {
        if (radio) {
          for (const other of document.querySelectorAll(`input[name="contest-${i}"]`)) {
            setValue(i, Number(other.dataset.selection), other.checked ? 1 : 0);
          }
        } else {
          setValue(i, k, event.target.checked ? 1 : 0);
        }
      },
    }),
    el("label", { for: inputId }, label),
  );
}

function renderChoose() {
  const contests = manifest().contests;
  const fieldsets = contests.map((contest, i) => {
    const r = state.rules[i];
    const labels = selectionLabels(contest);
    return el(
      "fieldset",
      { id: `contest-${i}`, class: "contest", "data-contest": contest.id },
      el("legend", {}, textOf(contest.title)),
      el("p", { class: "contest-rules", id: `contest-rules-${i}` }, rulesText(i)),
      labels.map((label, k) => choiceInput(i, k, r, label, r.blank && k === r.options)),
      el("p", { class: "contest-status", id: `contest-status-${i}`, "aria-live": "polite" }),
    );
  });
  const section = el(
    "section",
    { class: "card", id: "ballot" },
    stepFrame(
      "booth.ballot.heading",
      el("p", {}, t("booth.ballot.intro")),
      state.votedBefore && el("p", { class: "notice warn", id: "revote-note" }, t("booth.ballot.revote")),
      el(
        "form",
        {
          id: "ballot-form",
          novalidate: true,
          onsubmit: (event) => {
            event.preventDefault();
            goReview();
          },
        },
        fieldsets,
        el(
          "div",
          { class: "actions" },
          el("button", { type: "submit", class: "primary", id: "to-review", "aria-describedby": "next-reason" }, t("booth.ballot.next")),
        ),
        el("p", { id: "next-reason", "aria-live": "polite" }),
      ),
    ),
  );
  return section;
}

function afterChooseRendered() {
  state.rules.forEach((_, i) => updateContest(i));
}

function goReview() {
  const bad = invalidContests();
  if (bad.length > 0) {
    state.triedNext = true;
    state.rules.forEach((_, i) => updateContest(i));
    // The first contest to fix gets the focus, on its first input.
    const first = document.querySelector(`#contest-${bad[0]} input`);
    if (first) first.focus();
    return;
  }
  show("review");
}

// ---------------------------------------------------------------------------------------------
// Step 2: review

function voteList(values, idPrefix) {
  const contests = manifest().contests;
  return el(
    "dl",
    { class: "review-list", id: idPrefix },
    contests.flatMap((contest, i) => [
      el("dt", {}, textOf(contest.title)),
      el(
        "dd",
        { "data-contest": contest.id },
        el(
          "ul",
          {},
          describeVote(contest, state.rules[i], values[i]).map((item) => el("li", { class: item.blank ? "blank" : null }, item.text)),
        ),
      ),
    ]),
  );
}

function renderReview() {
  return el(
    "section",
    { class: "card", id: "review" },
    stepFrame(
      "booth.review.heading",
      el("p", {}, t("booth.review.intro")),
      voteList(state.choices, "review-list"),
      el("p", {}, t("booth.review.next_info")),
      el(
        "div",
        { class: "actions" },
        el("button", { type: "button", id: "review-back", onclick: () => show("choose") }, t("booth.review.back")),
        el("button", { type: "button", class: "primary", id: "encrypt", onclick: () => encrypt() }, t("booth.review.encrypt")),
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Encrypting

function renderEncrypting() {
  return el(
    "section",
    { class: "card", id: "encrypting", "aria-busy": "true" },
    stepFrame(
      "booth.encrypting.heading",
      el(
        "p",
        { role: "status", class: "progress-line" },
        el("span", { class: "spinner", "aria-hidden": "true" }),
        t("booth.encrypting.status"),
      ),
      el("p", { class: "muted" }, t("booth.encrypting.detail")),
    ),
  );
}

/** Waits until the browser has painted what was just rendered. */
const afterPaint = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

async function encrypt() {
  show("encrypting");
  await afterPaint();
  const votes = state.choices.map((v) => v.slice());
  try {
    const started = performance.now();
    const ballot = state.booth.encrypt(JSON.stringify(votes));
    state.encryptMs = performance.now() - started;
    $("main").dataset.encryptMs = String(state.encryptMs);
    if (state.ballot) state.ballot.free?.();
    state.ballot = ballot;
    state.trackingCode = ballot.trackingCode;
    state.encrypted = votes;
    state.castBody = null;
    state.cast = null;
    show("encrypted");
  } catch (e) {
    state.encryptError = e;
    show("review");
  }
}

// ---------------------------------------------------------------------------------------------
// Step 3: cast or audit

function trackingCodeBox(code, boxId) {
  return el("p", {}, el("span", { class: "tracking-code", id: boxId }, code));
}

function renderEncrypted() {
  const c = state.cast;
  const failed = c && c !== "sending" ? c.error : null;
  const sending = c === "sending";
  const children = [
    el("p", { class: "notice ok", id: "encrypted-ok" }, t("booth.encrypted.done")),
    el("p", {}, t("booth.encrypted.code_intro")),
    trackingCodeBox(state.trackingCode, "pending-code"),
    el("p", { class: "muted" }, t("booth.encrypted.code_note")),
  ];
  if (failed) {
    const uncertain = failed.status === 0 || failed.status >= 500 || failed.code === "rate_limited";
    const box = el("div", { class: "error", id: "cast-error", role: "alert", "data-code": failed.code || "" });
    replace(
      box,
      el("p", {}, el("strong", {}, t(uncertain ? "booth.cast.uncertain" : "booth.cast.refused"))),
      el("p", {}, errorText(failed)),
      uncertain && el("p", {}, t("booth.cast.retry_same", { code: state.trackingCode })),
    );
    children.push(box);
  }
  const canCast = !failed || failed.retryable;
  // Refused for good (e.g. the ballot does not verify): only a new encryption can help.
  const refused = failed && !failed.retryable;
  children.push(
    el("h3", {}, t("booth.encrypted.choice_heading")),
    el(
      "ul",
      { class: "explain" },
      el("li", {}, t("booth.encrypted.cast_explain")),
      !state.castBody && el("li", {}, t("booth.encrypted.audit_explain")),
    ),
    el(
      "div",
      { class: "actions" },
      canCast &&
        el(
          "button",
          { type: "button", class: "primary", id: "cast", disabled: sending, "aria-busy": sending ? "true" : null, onclick: () => cast() },
          t(state.castBody ? "booth.encrypted.cast_again" : "booth.encrypted.cast"),
        ),
      !state.castBody &&
        el("button", { type: "button", id: "audit", disabled: sending, onclick: () => audit() }, t("booth.encrypted.audit")),
      (!state.castBody || refused) &&
        el("button", { type: "button", class: "link", id: "encrypted-back", disabled: sending, onclick: () => discardAndChange() }, t("booth.encrypted.change")),
    ),
    el("p", { id: "cast-status", "aria-live": "polite" }, sending ? t("booth.cast.sending") : ""),
  );
  return el("section", { class: "card", id: "encrypted", "aria-busy": sending ? "true" : null }, stepFrame("booth.encrypted.heading", ...children));
}

function discardAndChange() {
  if (state.ballot) state.ballot.free?.();
  state.ballot = null;
  state.trackingCode = null;
  state.castBody = null;
  state.cast = null;
  show("choose");
}

async function cast() {
  if (!state.castBody) {
    try {
      // From here on the randomness is gone: this encryption can only be cast.
      state.castBody = state.ballot.castBody();
    } catch (e) {
      state.cast = { error: e };
      show("encrypted");
      return;
    }
  }
  state.cast = "sending";
  renderStep(false);
  $("cast")?.focus();
  try {
    const receipt = await api(`/elections/${enc}/ballots`, { text: state.castBody });
    castDone(receipt);
  } catch (e) {
    if (e.code === "already_voted" || e.code === "conflict") {
      // A retry after a lost answer: this very ballot may be on the board already.
      try {
        const found = await api(`/elections/${enc}/ballots/${encodeURIComponent(state.trackingCode)}`);
        castDone({ tracking_code: found.tracking_code, seq: found.seq, entry_hash: found.entry_hash });
        return;
      } catch {
        state.cast = null;
        state.blocked = "voted";
        render();
        return;
      }
    }
    if (e.code === "wrong_state") {
      state.blocked = "closed";
      render();
      return;
    }
    e.retryable = e.status === 0 || e.status >= 500 || e.code === "rate_limited";
    state.cast = { error: e };
    renderStep(false);
    ($("cast") || $("encrypted-back") || $("step-heading"))?.focus();
  }
}

function castDone(receipt) {
  state.receipt = receipt;
  state.castAt = new Date();
  state.cast = null;
  state.castBody = null;
  state.ballot = null;
  show("receipt");
}

function audit() {
  let json;
  try {
    json = state.ballot.audit();
  } catch (e) {
    state.cast = { error: e };
    show("encrypted");
    return;
  }
  state.ballot = null;
  const a = { json, code: state.trackingCode, votes: state.encrypted, outcome: null, error: null };
  try {
    a.outcome = JSON.parse(state.urna.verifyAudit(state.infoJson, json));
  } catch (e) {
    a.error = e;
  }
  state.audit = a;
  show("audited");
}

function renderAudited() {
  const a = state.audit;
  const matches = a.outcome && a.outcome.tracking_code === a.code && sameVotes(a.outcome.votes, a.votes);
  const file = `urna-audit-${id}-${a.code}.json`;
  const record = `record-${id.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const commands = [
    `urna record --server ${location.origin} --election ${id} --out ${record}`,
    `urna verify --partial ${record} --audit ${file}`,
  ].join("\n");
  return el(
    "section",
    { class: "card", id: "audited" },
    stepFrame(
      "booth.audit.heading",
      el("p", { class: "notice warn", id: "spoiled" }, t("booth.audit.spoiled", { code: a.code })),
      el(
        "div",
        { id: "audit-check", "data-ok": String(!!matches), class: matches ? "notice ok" : "notice bad", role: matches ? null : "alert" },
        matches
          ? [el("p", {}, el("strong", {}, t("booth.audit.ok"))), el("p", {}, t("booth.audit.ok_detail"))]
          : [
              el("p", {}, el("strong", {}, t("booth.audit.failed"))),
              el("p", {}, a.error ? errorText(a.error) : t("booth.audit.mismatch")),
            ],
      ),
      el("h3", {}, t("booth.audit.contents_heading")),
      el("p", {}, t("booth.audit.contents_intro")),
      voteList(a.outcome ? a.outcome.votes : a.votes, "audit-list"),
      el("h3", {}, t("booth.audit.file_heading")),
      el("p", {}, t("booth.audit.file_intro")),
      el(
        "div",
        { class: "actions" },
        el(
          "button",
          { type: "button", id: "audit-download", onclick: () => download(file, a.json) },
          t("booth.audit.download"),
        ),
      ),
      el("p", {}, t("booth.audit.commands_intro")),
      el("pre", { class: "commands" }, el("code", { id: "audit-commands" }, commands)),
      el("h3", {}, t("booth.audit.next_heading")),
      el("p", {}, t("booth.audit.next_intro")),
      el(
        "div",
        { class: "actions" },
        el("button", { type: "button", class: "primary", id: "start-over", onclick: () => startOver() }, t("booth.audit.start_over")),
      ),
    ),
  );
}

function startOver() {
  state.trackingCode = null;
  state.encrypted = null;
  show("choose");
}

// ---------------------------------------------------------------------------------------------
// Step 4: receipt

function receiptText() {
  const r = state.receipt;
  const s = state.summary;
  return [
    t("booth.receipt.file_title"),
    "",
    t("booth.receipt.file_election", { event: textOf(s.manifest.event), title: textOf(s.manifest.title) }),
    t("booth.receipt.file_code", { code: r.tracking_code }),
    t("booth.receipt.file_entry", { seq: r.seq, hash: r.entry_hash }),
    t("booth.receipt.file_time", { time: formatDateTime(state.castAt || new Date()) }),
    t("booth.receipt.file_check", { url: `${location.origin}/elections/${enc}?code=${encodeURIComponent(r.tracking_code)}` }),
    "",
    t("booth.receipt.file_final"),
    "",
  ].join("\n");
}

async function copyCode() {
  const code = state.receipt.tracking_code;
  try {
    await navigator.clipboard.writeText(code);
    state.copied = true;
  } catch {
    // Without clipboard access, select the code so the voter can copy it by hand.
    const range = document.createRange();
    range.selectNodeContents($("tracking-code"));
    const selection = getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    state.copied = false;
  }
  replace($("copy-status"), state.copied ? t("common.copied") : t("booth.receipt.copy_manual"));
}

function renderReceipt() {
  const r = state.receipt;
  const checkUrl = `/elections/${enc}?code=${encodeURIComponent(r.tracking_code)}`;
  return el(
    "section",
    { class: "card", id: "receipt" },
    stepFrame(
      "booth.receipt.heading",
      el("p", { class: "notice ok", id: "cast-ok" }, el("strong", {}, t("booth.receipt.final"))),
      el("p", {}, t("booth.receipt.code_intro")),
      el(
        "div",
        { class: "code-row" },
        el("span", { class: "tracking-code", id: "tracking-code" }, r.tracking_code),
        el(
          "button",
          { type: "button", id: "copy-code", "aria-label": t("booth.receipt.copy_label", { code: r.tracking_code }), onclick: () => copyCode() },
          t("common.copy"),
        ),
      ),
      el("p", { id: "copy-status", class: "muted", "aria-live": "polite" }),
      el("p", { class: "muted" }, t("booth.receipt.entry", { seq: r.seq })),
      el("h3", {}, t("booth.receipt.check_heading")),
      el("p", {}, t("booth.receipt.check_intro")),
      el("p", {}, el("a", { href: checkUrl, id: "check-link", class: "button primary" }, t("booth.receipt.check_link"))),
      el("p", {}, t("booth.receipt.secret")),
      el(
        "div",
        { class: "actions" },
        el(
          "button",
          { type: "button", id: "receipt-download", onclick: () => download(`urna-receipt-${id}-${r.tracking_code}.txt`, receiptText(), "text/plain;charset=utf-8") },
          t("booth.receipt.download"),
        ),
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Rendering

function renderStep(focus) {
  const host = $("step");
  let node = null;
  if (state.blocked) node = renderBlocked();
  else if (state.step === "choose") node = renderChoose();
  else if (state.step === "review") node = renderReview();
  else if (state.step === "encrypting") node = renderEncrypting();
  else if (state.step === "encrypted") node = renderEncrypted();
  else if (state.step === "audited") node = renderAudited();
  else if (state.step === "receipt") node = renderReceipt();
  replace(host, node);
  host.dataset.step = state.blocked ? "blocked" : state.step || "";
  if (!state.blocked && state.step === "choose") afterChooseRendered();
  if (!state.blocked && state.step === "review" && state.encryptError) {
    const box = el("div", { class: "error", id: "encrypt-error" });
    showError(box, state.encryptError);
    $("review").append(box);
  }
  renderSteps();
  if (focus) focusHeading();
}

function show(step) {
  state.step = step;
  renderSetup();
  if (step !== "review") state.encryptError = null;
  state.copied = false;
  renderStep(true);
}

function render() {
  renderHead();
  renderSetup();
  renderStep(true);
}

function fail(error) {
  $("loading").hidden = true;
  const box = $("page-error");
  showError(box, error);
  box.dataset.code = error.code || "";
  onLanguageChange(() => showError(box, error));
}

// ---------------------------------------------------------------------------------------------

async function checkSetup() {
  state.setup = "checking";
  renderSetup();
  const lines = [];
  await forEachBoardPage(id, (page) => {
    lines.push(...page);
  });
  const weight = state.booth.verifySetup(lines);
  // A ballot already cast with this credential (its public key is on every ballot it signs).
  const credential = state.booth.publicCredential;
  const voted = lines.some((line) => {
    if (!line.includes('"type":"ballot"') || !line.includes(credential)) return false;
    try {
      return JSON.parse(line).payload.ballot.credential === credential;
    } catch {
      return false;
    }
  });
  return { weight, voted };
}

async function main() {
  let urna;
  try {
    urna = await loadUrna();
  } catch (e) {
    fail(e);
    return;
  }
  state.urna = urna;
  if (!fragment || !urna.credentialIsWellFormed(fragment)) {
    fail({ code: "bad_credential" });
    return;
  }
  try {
    state.summary = await api(`/elections/${enc}`);
  } catch (e) {
    if (e.status === 404) {
      $("loading").hidden = true;
      const box = $("page-error");
      const show404 = () => {
        box.hidden = false;
        box.setAttribute("role", "alert");
        replace(box, t("booth.not_found"));
      };
      show404();
      onLanguageChange(show404);
      return;
    }
    fail(e);
    return;
  }
  $("loading").hidden = true;
  const s = state.summary.state;
  onLanguageChange(render);
  if (s !== "open") {
    state.blocked = s === "scheduled" ? "scheduled" : s === "tallying" || s === "published" ? "closed" : "unavailable";
    render();
    return;
  }
  try {
    state.infoJson = await api(`/elections/${enc}/booth`, { raw: true });
    state.info = JSON.parse(state.infoJson);
    state.booth = new urna.Booth(state.infoJson, fragment);
    state.rules = JSON.parse(state.booth.rules());
  } catch (e) {
    fail(e);
    renderHead();
    return;
  }
  renderHead();
  try {
    const { weight, voted } = await checkSetup();
    state.weight = weight;
    state.setup = "ok";
    state.votedBefore = voted;
    if (voted && state.info.manifest.revote !== "last-counts") state.blocked = "voted";
  } catch (e) {
    state.setup = { error: e };
    render();
    return;
  }
  state.choices = state.rules.map((r) => new Array(r.options + (r.blank ? 1 : 0)).fill(0));
  state.step = "choose";
  render();
}

// Another voting link opened in this tab differs only in its fragment: no new page load
// happens by itself, so start afresh with the new credential.
addEventListener("hashchange", () => {
  if (location.hash.length > 1) location.reload();
});

// Leaving while a cast ballot's fate is unknown would lose it silently: the browser asks first.
addEventListener("beforeunload", (event) => {
  const pending = state.cast === "sending" || state.cast?.error?.retryable;
  if (state.castBody && !state.receipt && !state.blocked && pending) event.preventDefault();
});

main();
