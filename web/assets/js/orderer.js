// The orderer's page (/orderer/{token}): the whole construction of the election as sealed —
// titles, period, contests with their rules and options in both languages, the roll's size and
// weight, the trustees and the key ceremony's outcome, the election fingerprint — then approve
// (echoing the fingerprint shown) or reject with a reason. A later visit shows the decision.

import { startPage } from "./page.js";
import { t, textOf, onLanguageChange, formatDateTime } from "./i18n.js";
import { api, forEachBoardPage } from "./api.js";
import { loadUrna } from "./wasm.js";
import { el, replace, showError, clearError, busy } from "./ui.js";

const $ = (id) => document.getElementById(id);
const token = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
const base = `/orderer/${encodeURIComponent(token)}`;
const APPROVED = new Set(["scheduled", "open", "tallying", "published"]);

const state = { view: null, name: null, reason: "", confirmed: false, check: null };

/** Checks the public board in this browser (WebAssembly verifier): the ceremony's proofs and
 * the seal, and that the seal's fingerprint is the one shown here. */
async function checkBoard() {
  const s = state.view.summary;
  if (!s.fingerprint) return;
  state.check = { status: "running" };
  renderCheck();
  try {
    const urna = await loadUrna();
    const verifier = new urna.Verifier();
    await forEachBoardPage(s.id, (lines) => verifier.pushLines(lines, null, 0));
    const verdict = JSON.parse(verifier.finish(false, []));
    const found = verdict.report && verdict.report.fingerprint;
    state.check = { status: found === s.fingerprint ? "ok" : "mismatch" };
  } catch (e) {
    state.check = { status: e && e.code === "check_failed" ? "failed" : "error", error: e };
  }
  renderCheck();
  renderDecide();
}

function renderCheck() {
  const host = $("fingerprint-check");
  if (!host || !state.check) return;
  const status = state.check.status;
  const cls = { running: "notice", ok: "notice ok", mismatch: "notice bad", failed: "notice bad", error: "notice warn" }[status];
  host.className = cls;
  host.dataset.check = status;
  replace(host, t(`orderer.check.${status}`));
}

/** 64 hex digits as 16 groups of 4, so a person can compare them group by group. */
function grouped(hex) {
  return (hex.match(/.{1,4}/g) || []).join(" ");
}

function bilingual(text) {
  return [
    el("span", { lang: "sv", class: "in-sv" }, text.sv),
    el("span", { class: "muted" }, " / "),
    el("span", { lang: "en", class: "in-en" }, text.en),
  ];
}

function rule(c) {
  const n = c.options.length;
  switch (c.type) {
    case "single":
      return t("orderer.rules.single");
    case "select":
      return c.min === c.max ? t("orderer.rules.select_exactly", { max: c.max, n }) : t("orderer.rules.select", { min: c.min, max: c.max, n });
    case "approval":
      return t("orderer.rules.approval", { n });
    case "cumulative":
      return t("orderer.rules.cumulative", { budget: c.budget, per: c.per_option_max });
    case "score":
      return t("orderer.rules.score", { per: c.per_option_max });
    default:
      return c.type;
  }
}

function trusteeName(m, i) {
  return m.trustees.names[i - 1] || t("orderer.trustee_n", { n: i });
}

function renderStatus() {
  const v = state.view;
  const s = v.summary.state;
  const host = $("decision-status");
  let box;
  if (s === "awaiting_approval") {
    box = el("div", { class: "notice", "data-decision": "pending" },
      el("p", {}, t("orderer.status.pending", { name: v.orderer.name })));
  } else if (APPROVED.has(s)) {
    box = el("div", { class: "notice ok", "data-decision": "approved" },
      el("p", {}, el("strong", {}, v.approved_by ? t("orderer.status.approved_by", { name: v.approved_by }) : t("orderer.status.approved"))),
      el("p", {}, t("orderer.status.now", { state: t(`common.state.${s}`) })));
  } else if (s === "rejected") {
    box = el("div", { class: "notice bad", "data-decision": "rejected" },
      el("p", {}, el("strong", {}, t("orderer.status.rejected"))),
      el("p", {}, t("orderer.status.rejected_next")));
  } else if (s === "failed") {
    box = el("div", { class: "notice bad", "data-decision": "failed" }, el("p", {}, t("orderer.status.failed")));
  } else {
    box = el("div", { class: "notice warn", "data-decision": "not_ready" }, el("p", {}, t("orderer.status.not_ready")));
  }
  replace(host, box);
}

function renderReview() {
  const v = state.view;
  const s = v.summary;
  const m = s.manifest;
  const sealed = !!s.fingerprint;
  const period = s.opens_at
    ? t("orderer.period.value", {
        opens: formatDateTime(s.opens_at, m.voting_period && m.voting_period.time_zone),
        closes: formatDateTime(s.closes_at, m.voting_period && m.voting_period.time_zone),
        zone: (m.voting_period && m.voting_period.time_zone) || "",
      })
    : t("orderer.period.manual");
  const facts = [
    [t("orderer.facts.event"), bilingual(m.event)],
    [t("orderer.facts.title"), bilingual(m.title)],
    [t("orderer.facts.period"), period],
    [t("orderer.facts.revote"), t(m.revote === "last-counts" ? "orderer.revote.last_counts" : "orderer.revote.final")],
    [t("orderer.facts.voters"), sealed ? el("span", { id: "roll-size" }, t("orderer.facts.voters_value", { voters: s.voters })) : t("orderer.facts.not_sealed")],
    [t("orderer.facts.weight"), el("span", { id: "roll-weight" }, m.weighted
      ? t("orderer.facts.weight_value", { weight: v.total_weight })
      : t("orderer.facts.unweighted", { weight: v.total_weight }))],
  ];
  const contests = m.contests.map((c, i) =>
    el("section", { class: "card contest-review", "data-contest": c.id, "aria-labelledby": `contest-${i}` },
      el("h3", { id: `contest-${i}` }, t("orderer.contest_n", { n: i + 1 }), " ", bilingual(c.title)),
      el("p", { class: "rule" }, rule(c)),
      c.blank ? el("p", {}, t("orderer.blank"), " ", bilingual(c.blank)) : el("p", { class: "muted" }, t("orderer.no_blank")),
      el("div", { class: "table-wrap" }, el("table", { class: "option-table" },
        el("caption", { class: "visually-hidden" }, t("orderer.options_caption", { n: i + 1 })),
        el("thead", {}, el("tr", {},
          el("th", { scope: "col", class: "num" }, t("orderer.number")),
          el("th", { scope: "col" }, t("orderer.in_sv")),
          el("th", { scope: "col" }, t("orderer.in_en")))),
        el("tbody", {}, c.options.map((o, j) => el("tr", { "data-option": o.id },
          el("td", { class: "num" }, String(j + 1)),
          el("td", { lang: "sv" }, o.label.sv),
          el("td", { lang: "en" }, o.label.en))))))),
  );
  const qualified = v.qualified_trustees || [];
  const ceremony = !sealed
    ? el("p", { id: "ceremony-result" }, t("orderer.ceremony.not_done"))
    : el("p", { id: "ceremony-result", class: "notice ok" },
        qualified.length === m.trustees.count
          ? t("orderer.ceremony.all", { count: m.trustees.count, threshold: m.trustees.threshold })
          : t("orderer.ceremony.some", {
              names: qualified.map((i) => trusteeName(m, i)).join(", "),
              count: m.trustees.count,
              threshold: m.trustees.threshold,
            }));
  replace(
    $("review"),
    el("p", {}, t("orderer.intro", { name: v.orderer.name })),
    el("section", { class: "card", "aria-labelledby": "facts-heading" },
      el("h2", { id: "facts-heading" }, t("orderer.facts.heading")),
      el("dl", { class: "facts" }, facts.flatMap(([k, val]) => [el("dt", {}, k), el("dd", {}, val)]))),
    el("h2", {}, t("orderer.contests")),
    contests,
    el("section", { class: "card", "aria-labelledby": "trustees-heading" },
      el("h2", { id: "trustees-heading" }, t("orderer.trustees")),
      el("p", {}, t("orderer.threshold", { count: m.trustees.count, threshold: m.trustees.threshold })),
      el("ol", { id: "trustee-list" }, Array.from({ length: m.trustees.count }, (_, k) => el("li", {}, trusteeName(m, k + 1)))),
      el("h3", {}, t("orderer.ceremony.heading")),
      ceremony),
    el("section", { class: "card", "aria-labelledby": "fingerprint-heading" },
      el("h2", { id: "fingerprint-heading" }, t("common.fingerprint")),
      sealed
        ? el("code", { class: "fingerprint-grouped", id: "fingerprint", "data-fingerprint": s.fingerprint }, grouped(s.fingerprint))
        : el("p", { id: "fingerprint" }, t("orderer.facts.not_sealed")),
      el("p", { class: "muted" }, t("common.fingerprint_help")),
      sealed ? el("p", { class: "muted" }, t("orderer.fingerprint_compare")) : null,
      sealed ? el("p", { id: "fingerprint-check", role: "status" }) : null),
  );
}

function renderDecide() {
  const v = state.view;
  const host = $("decide");
  if (v.summary.state !== "awaiting_approval") {
    replace(host);
    return;
  }
  const approveError = el("div", { class: "error", id: "approve-error", hidden: true });
  const bad = state.check && (state.check.status === "mismatch" || state.check.status === "failed");
  const nameInput = el("input", {
    type: "text",
    id: "approve-name",
    autocomplete: "name",
    value: state.name ?? v.orderer.name,
    "aria-describedby": "approve-name-hint",
  });
  nameInput.addEventListener("input", () => (state.name = nameInput.value));
  const confirm = el("input", { type: "checkbox", id: "approve-confirm", checked: state.confirmed });
  confirm.addEventListener("change", () => (state.confirmed = confirm.checked));
  const approve = el("button", { type: "submit", class: "primary", id: "approve", disabled: bad }, t("orderer.approve.submit"));
  const approveForm = el("form", { class: "card decision", id: "approve-form", novalidate: true, "aria-labelledby": "approve-heading" },
    el("h2", { id: "approve-heading" }, t("orderer.approve.heading")),
    el("p", {}, t("orderer.approve.help")),
    el("label", { for: "approve-name" }, t("orderer.approve.name")),
    el("p", { class: "hint muted", id: "approve-name-hint" }, t("orderer.approve.name_hint")),
    nameInput,
    el("div", { class: "check" }, confirm, el("label", { for: "approve-confirm" }, t("orderer.approve.confirm"))),
    approveError,
    el("div", { class: "actions" }, approve));
  approveForm.addEventListener("submit", (e) => {
    e.preventDefault();
    clearError(approveError);
    const name = nameInput.value.trim();
    if (!name) return fail(approveError, t("orderer.approve.need_name"), nameInput);
    if (!confirm.checked) return fail(approveError, t("orderer.approve.need_confirm"), confirm);
    busy(approve, () => decide("approve", { fingerprint: v.summary.fingerprint, name }, approveError));
  });

  const rejectError = el("div", { class: "error", id: "reject-error", hidden: true });
  const reason = el("textarea", { id: "reject-reason", rows: "4", "aria-describedby": "reject-reason-hint", required: true });
  reason.value = state.reason;
  reason.addEventListener("input", () => (state.reason = reason.value));
  const reject = el("button", { type: "submit", class: "danger", id: "reject" }, t("orderer.reject.submit"));
  const rejectForm = el("form", { class: "card decision", id: "reject-form", novalidate: true, "aria-labelledby": "reject-heading" },
    el("h2", { id: "reject-heading" }, t("orderer.reject.heading")),
    el("label", { for: "reject-reason" }, t("orderer.reject.reason")),
    el("p", { class: "hint muted", id: "reject-reason-hint" }, t("orderer.reject.hint")),
    reason,
    rejectError,
    el("div", { class: "actions" }, reject));
  rejectForm.addEventListener("submit", (e) => {
    e.preventDefault();
    clearError(rejectError);
    const text = reason.value.trim();
    if (!text) return fail(rejectError, t("orderer.reject.need_reason"), reason);
    busy(reject, () => decide("reject", { reason: text }, rejectError));
  });
  replace(host, approveForm, rejectForm);
}

function fail(box, text, field) {
  box.hidden = false;
  box.setAttribute("role", "alert");
  replace(box, text);
  field.setAttribute("aria-invalid", "true");
  field.focus();
}

async function decide(kind, body, errorBox) {
  try {
    await api(`${base}/${kind}`, { json: body });
  } catch (e) {
    if (e.code === "conflict" && kind === "approve") {
      // The sealed election differs from what was shown: show it afresh.
      await load();
      showError(errorBox, e);
      replace($("approve-error"), t("orderer.approve.changed"));
      $("approve-error").hidden = false;
      return;
    }
    showError(errorBox, e);
    if (e.code === "wrong_state") await load();
    return;
  }
  await load();
  $("decision-status").scrollIntoView({ block: "start" });
  $("orderer-heading").focus();
}

function renderAll() {
  if (!state.view) return;
  renderStatus();
  renderReview();
  renderCheck();
  renderDecide();
}

async function load() {
  try {
    state.view = await api(base);
  } catch (e) {
    $("page-loading").hidden = true;
    const box = $("page-error");
    if (e.status === 404) {
      box.hidden = false;
      box.setAttribute("role", "alert");
      replace(box, t("orderer.invalid_link"));
    } else {
      showError(box, e);
    }
    return;
  }
  $("page-loading").hidden = true;
  clearError($("page-error"));
  renderAll();
  if (!state.check || state.check.status !== "ok") checkBoard();
}

async function main() {
  await startPage(["orderer"]);
  onLanguageChange(renderAll);
  await load();
}

main();
