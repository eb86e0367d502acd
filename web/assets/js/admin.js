// The admin page (/admin): sign-in, the elections this admin runs, a new election (form or
// imported manifest), and one election from the roll through ceremony, approval, voting and
// count to the result document. Hash routes: #/ (list), #/new, #/created, #/elections/ID.

import { startPage } from "./page.js";
import { t, textOf, onLanguageChange, formatDateTime, formatNumber, formatPercent } from "./i18n.js";
import { api, setCsrf, API } from "./api.js";
import { el, replace, showError, clearError, busy } from "./ui.js";
import { newDraft, validate, toRequest, fromJson, renderForm, fieldOfServerMessage } from "./admin-form.js";

const $ = (id) => document.getElementById(id);
const VIEWS = ["login-view", "list-view", "new-view", "created-view", "detail-view"];
const STEPS = ["draft", "key_ceremony", "awaiting_approval", "scheduled", "open", "tallying", "published"];
const POLLED = new Set(["key_ceremony", "awaiting_approval", "scheduled", "open", "tallying"]);
const POLL_MS = 2000;

const state = {
  session: null,
  view: null,
  elections: [],
  selected: new Set(),
  draft: newDraft(),
  formErrors: new Map(),
  created: null,
  createdOrderer: null,
  detail: null,
  roll: null, // {id, ok: RollImported} or {id, errors: [LineError]} — the last import's outcome
  confirmClose: false,
  poll: null,
};

/** Shows a sentence (already translated) in an alert element. */
function showMessage(container, text) {
  container.hidden = false;
  container.setAttribute("role", "alert");
  replace(container, text);
}

function show(view) {
  state.view = view;
  $("page-loading").hidden = true;
  for (const v of VIEWS) $(v).hidden = v !== view;
}

/** Moves the focus to a view's heading (a new "page" for screen readers). */
function focusHeading(id) {
  const h = $(id);
  if (h) {
    if (!h.hasAttribute("tabindex")) h.setAttribute("tabindex", "-1");
    h.focus();
  }
}

// ---- Session -----------------------------------------------------------------------------

function setSession(session) {
  state.session = session;
  setCsrf(session ? session.csrf_token : null);
  $("session-bar").hidden = !session;
  replace($("session-user"), session ? t("admin.session.user", { name: session.username }) : "");
}

/** After a 401 or a CSRF refusal: back to the sign-in form, saying why. True if handled. */
function sessionLost(error) {
  if (!(error && (error.status === 401 || error.code === "csrf"))) return false;
  setSession(null);
  stopPolling();
  show("login-view");
  showMessage($("login-notice"), t("admin.session.expired"));
  $("login-notice").setAttribute("role", "status");
  $("login-username").focus();
  return true;
}

async function checkSession() {
  try {
    setSession(await api("/admin/session"));
  } catch (e) {
    if (e.status !== 401) throw e;
    setSession(null);
  }
}

async function login(event) {
  event.preventDefault();
  const error = $("login-error");
  clearError(error);
  const username = $("login-username").value.trim();
  const password = $("login-password").value;
  if (!username || !password) {
    showMessage(error, t("admin.login.missing"));
    (username ? $("login-password") : $("login-username")).focus();
    return;
  }
  await busy($("login-submit"), async () => {
    try {
      setSession(await api("/admin/login", { json: { username, password } }));
      $("login-password").value = "";
      $("login-notice").hidden = true;
      await route();
    } catch (e) {
      if (e.status === 401) showMessage(error, t("admin.login.wrong"));
      else if (e.code === "rate_limited" && e.retryAfter) {
        showMessage(error, t("admin.login.rate_limited", { seconds: e.retryAfter }));
      } else showError(error, e);
      $("login-password").select();
      $("login-password").focus();
    }
  });
}

async function logout() {
  try {
    await api("/admin/logout", { method: "POST" });
  } catch (e) {
    if (e.status !== 401) {
      showError($("page-error"), e);
      return;
    }
  }
  setSession(null);
  state.elections = [];
  state.detail = null;
  state.created = null;
  location.hash = "#/";
  await route();
}

// ---- Routing -----------------------------------------------------------------------------

function stopPolling() {
  if (state.poll) clearTimeout(state.poll);
  state.poll = null;
}

async function route() {
  stopPolling();
  clearError($("page-error"));
  if (!state.session) {
    show("login-view");
    $("login-username").focus();
    return;
  }
  const hash = location.hash || "#/";
  if (hash !== "#/created") {
    // The one-time links are gone once the admin leaves them.
    state.created = null;
    state.createdOrderer = null;
  }
  if (hash === "#/new") {
    show("new-view");
    drawForm();
    focusHeading("new-heading");
    return;
  }
  if (hash === "#/created" && state.created) {
    show("created-view");
    renderCreated();
    focusHeading("created-heading");
    return;
  }
  const m = hash.match(/^#\/elections\/([A-Za-z0-9_-]+)$/);
  if (m) {
    show("detail-view");
    if (!state.detail || state.detail.summary.id !== m[1]) {
      state.detail = null;
      state.confirmClose = false;
      replace($("detail-body"), el("p", {}, t("common.loading")));
    }
    await loadDetail(m[1], true);
    return;
  }
  show("list-view");
  await loadList();
  focusHeading("list-heading");
}

// ---- The list ----------------------------------------------------------------------------

function badge(s) {
  return el("span", { class: `state-badge ${s}`, "data-state": s }, t(`common.state.${s}`));
}

/** The election's own time zone (times are shown as the manifest states them). */
function zoneOf(s) {
  return (s.manifest.voting_period && s.manifest.voting_period.time_zone) || undefined;
}

function trusteeName(manifest, index) {
  return manifest.trustees.names[index - 1] || t("admin.trustee_n", { n: index });
}

async function loadList() {
  clearError($("list-error"));
  try {
    state.elections = await api("/admin/elections");
  } catch (e) {
    if (!sessionLost(e)) showError($("list-error"), e);
    return;
  }
  const ids = new Set(state.elections.map((a) => a.summary.id));
  for (const id of [...state.selected]) if (!ids.has(id)) state.selected.delete(id);
  renderList();
}

function renderList() {
  const host = $("elections");
  if (state.elections.length === 0) {
    replace(host, el("p", { class: "notice", id: "no-elections" }, t("admin.list.empty")));
    renderDocuments();
    return;
  }
  // Parallel elections (staff groups) of one event together.
  const groups = new Map();
  for (const a of state.elections) {
    const key = JSON.stringify(a.summary.manifest.event);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(a);
  }
  replace(
    host,
    [...groups.values()].map((list) =>
      el(
        "section",
        { class: "event-group" },
        el("h2", {}, textOf(list[0].summary.manifest.event)),
        el(
          "ul",
          { class: "admin-list" },
          list.map((a) => {
            const s = a.summary;
            const published = s.state === "published";
            return el(
              "li",
              { "data-election": s.id, "data-state": s.state },
              el("h3", {}, el("a", { href: `#/elections/${s.id}` }, textOf(s.manifest.title))),
              el("p", {}, badge(s.state)),
              el(
                "p",
                { class: "muted" },
                t("admin.list.facts", {
                  voters: a.roll_voters,
                  ballots: s.ballots,
                  contests: s.manifest.contests.length,
                }),
              ),
              s.opens_at
                ? el("p", { class: "muted" }, t("admin.list.period", {
                    opens: formatDateTime(s.opens_at, zoneOf(s)),
                    closes: formatDateTime(s.closes_at, zoneOf(s)),
                  }))
                : null,
              a.mail.failed.length
                ? el("p", { class: "notice warn" }, t("admin.mail.failed_count", { n: a.mail.failed.length }))
                : null,
              published
                ? el(
                    "div",
                    { class: "check" },
                    el("input", {
                      type: "checkbox",
                      id: `doc-${s.id}`,
                      class: "doc-select",
                      value: s.id,
                      checked: state.selected.has(s.id),
                      onchange: (e) => {
                        if (e.target.checked) state.selected.add(s.id);
                        else state.selected.delete(s.id);
                        renderDocuments();
                      },
                    }),
                    el("label", { for: `doc-${s.id}` }, t("admin.documents.include")),
                  )
                : null,
            );
          }),
        ),
      ),
    ),
  );
  renderDocuments();
}

function documentLinks(ids) {
  const list = ids.map(encodeURIComponent).join(",");
  return {
    html: `${API}/results.html?elections=${list}`,
    csv: `${API}/results.csv?elections=${list}`,
  };
}

function renderDocuments() {
  const published = state.elections.filter((a) => a.summary.state === "published");
  $("documents").hidden = published.length === 0;
  // In list order, so the document lists the groups as the page does.
  const ids = state.elections.map((a) => a.summary.id).filter((id) => state.selected.has(id));
  replace(
    $("documents-selection"),
    ids.length ? t("admin.documents.selected", { n: ids.length }) : t("admin.documents.none"),
  );
  const links = documentLinks(ids);
  for (const [id, href] of [["documents-html", links.html], ["documents-csv", links.csv]]) {
    const a = $(id);
    if (ids.length) {
      a.setAttribute("href", href);
      a.setAttribute("aria-disabled", "false");
    } else {
      a.removeAttribute("href");
      a.setAttribute("aria-disabled", "true");
    }
  }
}

// ---- New election ------------------------------------------------------------------------

function drawForm(focusId) {
  renderForm($("create-form-body"), state.draft, state.formErrors, (next) => {
    // After a failed submit, the marks follow the form as it changes.
    if (state.formErrors.size) state.formErrors = validate(state.draft);
    drawForm(next);
  });
  if (focusId) {
    const f = $(focusId);
    if (f) f.focus();
  }
}

function showFormErrors(summaryText) {
  const box = $("create-error");
  box.hidden = false;
  box.setAttribute("role", "alert");
  const items = [...state.formErrors.entries()].map(([id, message]) =>
    el("li", {}, el("button", {
      type: "button",
      class: "link",
      onclick: () => $(id) && $(id).focus(),
    }, message)),
  );
  replace(box, el("p", {}, summaryText), items.length ? el("ul", {}, items) : null);
}

async function createElection(event) {
  event.preventDefault();
  clearError($("create-error"));
  state.formErrors = validate(state.draft);
  if (state.formErrors.size) {
    drawForm();
    showFormErrors(t("admin.create.fix", { n: state.formErrors.size }));
    $("create-error").scrollIntoView({ block: "center" });
    return;
  }
  drawForm();
  const request = toRequest(state.draft);
  await busy($("create-submit"), async () => {
    try {
      const created = await api("/admin/elections", { json: request });
      state.created = created;
      state.createdOrderer = request.orderer;
      state.draft = newDraft();
      state.formErrors = new Map();
      location.hash = "#/created";
    } catch (e) {
      if (sessionLost(e)) return;
      if (e.status === 400 || e.status === 422) {
        const field = fieldOfServerMessage(e.message);
        state.formErrors = new Map();
        if (field) state.formErrors.set(field, t("admin.create.server_field", { message: e.message }));
        drawForm();
        showFormErrors(t("admin.create.server_refused", { message: e.message }));
      } else {
        showError($("create-error"), e);
      }
    }
  });
}

async function importManifest() {
  const error = $("import-error");
  clearError(error);
  $("import-done").hidden = true;
  const text = $("import-text").value.trim();
  if (!text) {
    showMessage(error, t("admin.import.empty"));
    $("import-text").focus();
    return;
  }
  try {
    const keepOrderer = state.draft.orderer;
    const draft = fromJson(text);
    if (!draft.orderer.name && !draft.orderer.email) draft.orderer = keepOrderer;
    state.draft = draft;
  } catch (e) {
    showMessage(error, t(e.code === "bad_json" ? "admin.import.bad_json" : "admin.import.not_manifest"));
    return;
  }
  state.formErrors = new Map();
  drawForm();
  $("import-done").hidden = false;
  replace($("import-done"), t("admin.import.done", { title: textOf(state.draft.title) }));
}

async function readImportFile(e) {
  const file = e.target.files && e.target.files[0];
  if (!file) return;
  $("import-text").value = await file.text();
  await importManifest();
}

// ---- The one-time links ------------------------------------------------------------------

function copyButton(id, text) {
  const button = el("button", { type: "button", class: "small", id, "aria-live": "polite" }, t("common.copy"));
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      replace(button, t("common.copied"));
    } catch {
      // No clipboard (insecure context or refused): select the text so Ctrl+C copies it.
      const code = button.previousElementSibling;
      if (code) window.getSelection().selectAllChildren(code);
      replace(button, t("admin.created.select_copy"));
    }
  });
  return button;
}

function renderCreated() {
  const c = state.created;
  const base = c.orderer_link.slice(0, c.orderer_link.lastIndexOf("/orderer/"));
  const orderer = state.createdOrderer || { name: "", email: "" };
  replace(
    $("created-body"),
    el("div", { class: "notice warn", id: "created-warning" },
      el("p", {}, el("strong", {}, t("admin.created.once"))),
      el("p", {}, t("admin.created.why"))),
    el("section", { class: "card" },
      el("h2", {}, t("admin.created.trustees")),
      el("p", {}, t("admin.created.trustees_help")),
      el("ul", { class: "secret-list", id: "trustee-links" },
        c.trustees.map((tr) => {
          const link = `${base}/trustee/${encodeURIComponent(c.id)}#${tr.token}`;
          return el("li", { "data-trustee": tr.index },
            el("p", { class: "secret-name" }, t("admin.created.trustee", { n: tr.index, name: tr.name })),
            el("div", { class: "secret-row" },
              el("code", { class: "secret-link", id: `trustee-link-${tr.index}` }, link),
              copyButton(`copy-trustee-${tr.index}`, link)));
        }))),
    el("section", { class: "card" },
      el("h2", {}, t("admin.created.orderer")),
      el("p", {}, t("admin.created.orderer_help", { name: orderer.name, email: orderer.email })),
      el("div", { class: "secret-row" },
        el("code", { class: "secret-link", id: "orderer-link" }, c.orderer_link),
        copyButton("copy-orderer", c.orderer_link))),
    el("div", { class: "actions" },
      el("a", { class: "button primary", href: `#/elections/${c.id}`, id: "created-continue" }, t("admin.created.continue"))),
  );
}

// ---- One election ------------------------------------------------------------------------

async function loadDetail(id, first) {
  stopPolling();
  try {
    state.detail = await api(`/admin/elections/${encodeURIComponent(id)}`);
    clearError($("detail-error"));
  } catch (e) {
    if (sessionLost(e)) return;
    showError($("detail-error"), e);
    if (!state.detail) replace($("detail-body"));
  }
  if (state.view !== "detail-view" || !location.hash.endsWith(`/${id}`)) return;
  announceState(id);
  if (state.detail) renderDetail();
  if (first) focusHeading("detail-title");
  if (state.detail && POLLED.has(state.detail.summary.state)) {
    state.poll = setTimeout(() => loadDetail(id, false), POLL_MS);
  }
}

/** Tells screen readers when the election moves on while the page is open. */
let lastState = null;
function announceState(id) {
  const s = state.detail && state.detail.summary;
  if (!s || s.id !== id) return;
  const key = `${id}:${s.state}`;
  if (lastState && lastState.startsWith(`${id}:`) && lastState !== key) {
    replace($("detail-live"), t("admin.detail.state_now", { state: t(`common.state.${s.state}`) }));
  }
  lastState = key;
}

function renderDetail() {
  const host = $("detail-body");
  const focused = document.activeElement && document.activeElement.id;
  const next = el("div", {}, detailParts(state.detail));
  // Replace only when something changed, so live regions do not repeat themselves.
  if (host.firstChild && host.firstChild.innerHTML === next.innerHTML && host.dataset.lang === document.documentElement.lang) return;
  replace(host, next);
  host.dataset.lang = document.documentElement.lang;
  if (focused && focused !== "detail-title" && $(focused)) $(focused).focus();
}

function stepper(current) {
  const stopped = current === "rejected" || current === "failed";
  const reached = stopped ? (current === "rejected" ? 2 : 1) : STEPS.indexOf(current);
  return el(
    "ol",
    { class: "steps", id: "stepper", "aria-label": t("admin.detail.steps") },
    STEPS.map((s, i) =>
      el(
        "li",
        {
          "data-step": s,
          class: i < reached ? "done" : null,
          "aria-current": !stopped && s === current ? "step" : null,
        },
        el("span", { class: "visually-hidden" }, i < reached ? t("admin.detail.step_done") : ""),
        t(`common.state.${s}`),
      ),
    ),
  );
}

function card(id, heading, ...children) {
  return el("section", { class: "card", id, "aria-labelledby": `${id}-heading` },
    el("h2", { id: `${id}-heading` }, heading), ...children);
}

function action(id, textKey, path, cls = "primary") {
  const error = el("div", { class: "error", id: `${id}-error`, hidden: true });
  const button = el("button", { type: "button", class: cls, id }, t(textKey));
  button.addEventListener("click", () =>
    busy(button, async () => {
      clearError(error);
      try {
        await api(path, { method: "POST" });
        state.confirmClose = false;
        await loadDetail(state.detail.summary.id, false);
      } catch (e) {
        if (!sessionLost(e)) showError(error, e);
      }
    }),
  );
  return [button, error];
}

function rollCard(a) {
  const s = a.summary;
  const id = s.id;
  const parts = [
    el("p", { id: "roll-stats" }, a.roll_voters
      ? t(s.manifest.weighted ? "admin.roll.stats_weighted" : "admin.roll.stats", { voters: a.roll_voters, weight: a.roll_weight })
      : t("admin.roll.none")),
  ];
  if (s.state === "draft") {
    const text = el("textarea", { id: "roll-text", class: "mono", spellcheck: "false", rows: "8", "aria-describedby": "roll-format" });
    if (state.roll && state.roll.id === id && state.roll.text !== undefined) text.value = state.roll.text;
    text.addEventListener("input", () => {
      state.roll = { ...(state.roll && state.roll.id === id ? state.roll : { id }), text: text.value };
    });
    const file = el("input", { type: "file", id: "roll-file", accept: ".csv,text/csv,text/plain" });
    file.addEventListener("change", async () => {
      const f = file.files && file.files[0];
      if (!f) return;
      text.value = await f.text();
      state.roll = { id, text: text.value };
      await importRoll(id, text.value);
    });
    const submit = el("button", { type: "button", class: "primary", id: "roll-submit" }, t("admin.roll.submit"));
    submit.addEventListener("click", () => busy(submit, () => importRoll(id, text.value)));
    parts.push(
      el("p", { class: "hint muted", id: "roll-format" }, t(s.manifest.weighted ? "admin.roll.format_weighted" : "admin.roll.format")),
      el("label", { for: "roll-file" }, t("admin.roll.file")),
      file,
      el("label", { for: "roll-text" }, t("admin.roll.text")),
      text,
      el("div", { class: "actions" }, submit),
    );
  }
  parts.push(rollOutcome(id));
  return card("roll", t("admin.roll.heading"), parts);
}

const ROLL_REASONS = [
  [/^invalid e-mail address$/, "invalid_email"],
  [/^missing e-mail$/, "missing_email"],
  [/^duplicate e-mail \(same as line (\d+)\)$/, "duplicate", (m) => ({ line: Number(m[1]) })],
  [/^missing name$/, "missing_name"],
  [/^weight must be a positive integer$/, "weight_not_positive"],
  [/^weight is larger than (\d+)$/, "weight_too_large", (m) => ({ max: Number(m[1]) })],
  [/^weight is not a number$/, "weight_not_number"],
  [/^too many fields$/, "too_many_fields"],
  [/^weights are not allowed/, "weight_unweighted"],
  [/^the roll has more than (\d+) voters$/, "too_many_voters", (m) => ({ max: Number(m[1]) })],
  [/^the first line must be the header/, "header"],
  [/^the file is empty/, "empty"],
  [/^the roll has no voters$/, "no_voters"],
  [/UTF-8/, "not_utf8"],
  [/^cannot read this line/, "unreadable"],
];

/** A roll problem in the page's language (the server sends English sentences). */
function rollReason(reason) {
  for (const [re, key, vars] of ROLL_REASONS) {
    const m = reason.match(re);
    if (m) return el("span", { "data-reason": key }, t(`admin.roll.reasons.${key}`, vars ? vars(m) : {}));
  }
  return el("span", { lang: "en", "data-reason": "other" }, reason);
}

function rollWarning(text) {
  const m = text.match(/^(\d+) of these addresses are also on the roll of the parallel election (\S+) \((.*)\)/);
  if (m) {
    const other = state.elections.find((a) => a.summary.id === m[2]);
    return t("admin.roll.overlap", { n: Number(m[1]), title: other ? textOf(other.summary.manifest.title) : m[3] });
  }
  return el("span", { lang: "en" }, text);
}

function rollOutcome(id) {
  const r = state.roll && state.roll.id === id ? state.roll : null;
  if (!r || (!r.ok && !r.errors)) return null;
  if (r.errors) {
    return el("div", { class: "error", id: "roll-result", "data-ok": "false", role: "alert" },
      el("p", { id: "roll-errors-summary" }, t("admin.roll.errors", { n: r.errors.length })),
      el("ol", { id: "roll-errors", class: "line-errors" },
        r.errors.map((e) => el("li", { "data-line": e.line },
          el("strong", {}, t("admin.roll.line", { line: e.line })), " ", rollReason(e.reason)))));
  }
  return el("div", { class: "notice ok", id: "roll-result", "data-ok": "true", role: "status" },
    el("p", {}, t("admin.roll.imported", { voters: r.ok.voters, weight: r.ok.total_weight })),
    r.ok.warnings && r.ok.warnings.length
      ? el("div", { class: "notice warn" },
          el("p", {}, t("admin.roll.warnings")),
          el("ul", { id: "roll-warnings" }, r.ok.warnings.map((w) => el("li", {}, rollWarning(w)))))
      : null);
}

async function importRoll(id, text) {
  if (!text.trim()) {
    state.roll = { id, text, errors: [{ line: 1, reason: "the file is empty" }] };
    renderDetail();
    return;
  }
  try {
    const ok = await api(`/admin/elections/${encodeURIComponent(id)}/roll`, {
      method: "PUT",
      text,
      contentType: "text/csv; charset=utf-8",
    });
    state.roll = { id, ok, text: "" };
    await loadDetail(id, false);
  } catch (e) {
    if (sessionLost(e)) return;
    if (e.code === "invalid_roll" && e.details.length) {
      state.roll = { id, text, errors: e.details };
      renderDetail();
    } else {
      state.roll = { id, text };
      renderDetail();
      showError($("detail-error"), e);
    }
  }
  const result = $("roll-result");
  if (result) result.scrollIntoView({ block: "nearest" });
}

function ceremonyCard(a) {
  const s = a.summary;
  const m = s.manifest;
  const parts = [];
  if (s.state === "draft") {
    parts.push(el("p", {}, t("admin.ceremony.explain", { count: m.trustees.count, threshold: m.trustees.threshold })));
    if (!a.roll_voters) parts.push(el("p", { class: "notice warn", id: "ceremony-needs-roll" }, t("admin.ceremony.needs_roll")));
    const [button, error] = action("ceremony-start", "admin.ceremony.start", `/admin/elections/${s.id}/ceremony`);
    button.disabled = !a.roll_voters;
    parts.push(el("div", { class: "actions" }, button), error);
  } else if (s.state === "failed") {
    parts.push(el("p", { class: "error", id: "ceremony-failed" }, t("admin.ceremony.failed", { reason: a.error || "" })));
  } else {
    const done = s.state !== "key_ceremony";
    const rounds = [0, 1, 2];
    const posted = (r, i) => (a.ceremony_progress[r] || []).includes(i);
    if (done) {
      parts.push(el("p", { class: "notice ok", id: "ceremony-done" }, t("admin.ceremony.done")));
    } else {
      const round = rounds.find((r) => (a.ceremony_progress[r] || []).length < m.trustees.count) ?? 2;
      parts.push(el("p", { id: "ceremony-status", "aria-live": "polite" },
        t("admin.ceremony.waiting", { round: round + 1, posted: (a.ceremony_progress[round] || []).length, count: m.trustees.count })));
      parts.push(el("p", { class: "hint muted" }, t("admin.ceremony.refresh")));
    }
    parts.push(el("div", { class: "table-wrap" }, el("table", { id: "ceremony-progress" },
      el("caption", { class: "visually-hidden" }, t("admin.ceremony.caption")),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("admin.ceremony.trustee")),
        rounds.map((r) => el("th", { scope: "col" }, t("admin.ceremony.round", { n: r + 1 }))))),
      el("tbody", {}, Array.from({ length: m.trustees.count }, (_, k) => k + 1).map((i) =>
        el("tr", { "data-trustee": i },
          el("th", { scope: "row" }, trusteeName(m, i)),
          rounds.map((r) => el("td", { "data-posted": posted(r, i) ? "true" : "false", class: posted(r, i) ? "posted" : "pending" },
            t(posted(r, i) ? "admin.ceremony.posted" : "admin.ceremony.not_posted")))))))));
  }
  return card("ceremony", t("admin.ceremony.heading"), parts);
}

function approvalCard(a) {
  const s = a.summary;
  if (["draft", "key_ceremony", "failed"].includes(s.state)) return null;
  const parts = [];
  if (s.state === "awaiting_approval") {
    parts.push(el("p", { class: "notice", id: "approval-status", "data-approval": "waiting" }, t("admin.approval.waiting")));
  } else if (s.state === "rejected") {
    const reason = (a.error || "").replace(/^rejected by the orderer:\s*/, "");
    parts.push(el("div", { class: "error", id: "approval-status", "data-approval": "rejected" },
      el("p", {}, t("admin.approval.rejected")),
      reason ? el("blockquote", { id: "rejection-reason" }, reason) : null,
      el("p", {}, t("admin.approval.rejected_next"))));
  } else {
    parts.push(el("p", { class: "notice ok", id: "approval-status", "data-approval": "approved" }, t("admin.approval.approved")));
  }
  if (s.fingerprint) {
    parts.push(el("p", {}, t("common.fingerprint"), el("br"), el("code", { class: "fingerprint", id: "detail-fingerprint" }, s.fingerprint)));
  }
  return card("approval", t("admin.approval.heading"), parts);
}

function turnoutText(s) {
  const percent = s.voters ? formatPercent(s.ballots / s.voters) : formatPercent(0);
  return t("admin.voting.turnout", { cast: s.ballots, eligible: s.voters, percent });
}

function votingCard(a) {
  const s = a.summary;
  if (!["scheduled", "open", "tallying", "published"].includes(s.state)) return null;
  const parts = [];
  if (s.opens_at) {
    parts.push(el("p", { id: "voting-period" }, t("admin.voting.period", {
      opens: formatDateTime(s.opens_at, zoneOf(s)),
      closes: formatDateTime(s.closes_at, zoneOf(s)),
      zone: zoneOf(s) || "",
    })));
  }
  if (s.state === "scheduled") {
    parts.push(el("p", {}, t(s.opens_at ? "admin.voting.scheduled_auto" : "admin.voting.scheduled_manual")));
    const [button, error] = action("open-voting", "admin.voting.open", `/admin/elections/${s.id}/open`);
    parts.push(el("div", { class: "actions" }, button), error);
  } else {
    parts.push(el("p", { class: "turnout", id: "turnout", "aria-live": "polite", "data-ballots": s.ballots, "data-voters": s.voters }, turnoutText(s)));
    parts.push(el("progress", { max: String(Math.max(s.voters, 1)), value: String(s.ballots), "aria-labelledby": "turnout" }));
  }
  if (s.state === "open") {
    parts.push(el("p", { class: "hint muted" }, t("admin.voting.refresh")));
    if (state.confirmClose) {
      const [confirm, error] = action("close-confirm", "admin.voting.close_confirm", `/admin/elections/${s.id}/close`, "danger");
      const cancel = el("button", { type: "button", id: "close-cancel" }, t("admin.voting.close_cancel"));
      cancel.addEventListener("click", () => {
        state.confirmClose = false;
        renderDetail();
        $("close-voting").focus();
      });
      parts.push(el("div", { class: "notice warn", role: "alert", id: "close-warning" },
        el("p", {}, t("admin.voting.close_warning")),
        el("div", { class: "actions" }, confirm, cancel), error));
    } else {
      const close = el("button", { type: "button", class: "danger", id: "close-voting" }, t("admin.voting.close"));
      close.addEventListener("click", () => {
        state.confirmClose = true;
        renderDetail();
        $("close-cancel").focus();
      });
      parts.push(el("div", { class: "actions" }, close));
    }
  }
  return card("voting", t("admin.voting.heading"), parts);
}

function tallyCard(a) {
  const s = a.summary;
  if (!["tallying", "published"].includes(s.state)) return null;
  const m = s.manifest;
  const parts = [];
  const names = a.decrypted_by.map((i) => trusteeName(m, i));
  if (s.state === "tallying") {
    parts.push(el("p", { id: "decryption", "aria-live": "polite" },
      t("admin.tally.progress", { done: a.decrypted_by.length, needed: m.trustees.threshold })));
    parts.push(el("p", { class: "hint muted" }, t("admin.tally.explain")));
  } else {
    parts.push(el("p", { class: "notice ok", id: "published" }, t("admin.tally.published")));
  }
  if (names.length) parts.push(el("p", { id: "decrypted-by" }, t("admin.tally.by", { names: names.join(", ") })));
  if (s.state === "published") {
    const links = documentLinks([s.id]);
    parts.push(el("div", { class: "actions" },
      el("a", { class: "button primary", id: "result-html", href: links.html, target: "_blank", rel: "noopener" }, t("admin.documents.html")),
      el("a", { class: "button", id: "result-csv", href: links.csv }, t("admin.documents.csv"))));
    parts.push(el("p", { class: "hint muted" }, t("admin.tally.several")));
  }
  return card("tally", t("admin.tally.heading"), parts);
}

function mailCard(a) {
  const s = a.summary;
  const m = a.mail;
  const parts = [
    el("p", { id: "mail-status" }, t("admin.mail.status", { queued: m.queued, invited: m.invited, failed: m.failed.length })),
  ];
  if (["draft", "key_ceremony", "awaiting_approval"].includes(s.state)) parts.push(el("p", { class: "hint muted" }, t("admin.mail.when")));
  if (m.failed.length) {
    parts.push(el("div", { class: "table-wrap" }, el("table", { id: "mail-failed" },
      el("thead", {}, el("tr", {},
        el("th", { scope: "col" }, t("admin.mail.recipient")),
        el("th", { scope: "col", class: "num" }, t("admin.mail.attempts")),
        el("th", { scope: "col" }, t("admin.mail.error")))),
      el("tbody", {}, m.failed.map((f) => el("tr", {},
        el("td", {}, f.recipient),
        el("td", { class: "num" }, formatNumber(f.attempts)),
        el("td", { lang: "en" }, f.error)))))));
    const [button, error] = action("mail-retry", "admin.mail.retry", `/admin/elections/${s.id}/mail/retry`, "");
    parts.push(el("div", { class: "actions" }, button), error);
  }
  return card("mail", t("admin.mail.heading"), parts);
}

function detailParts(a) {
  const s = a.summary;
  const m = s.manifest;
  const facts = [
    [t("admin.detail.id"), el("code", {}, s.id)],
    [t("admin.detail.contests"), m.contests.map((c) => textOf(c.title)).join(", ")],
    [t("admin.detail.trustees"), t("admin.detail.trustees_value", { count: m.trustees.count, threshold: m.trustees.threshold })],
    [t("admin.detail.revote"), t(m.revote === "last-counts" ? "admin.form.revote_last_counts" : "admin.form.revote_final")],
    [t("admin.detail.admins"), a.admins.join(", ")],
  ];
  return [
    el("p", { class: "event" }, textOf(m.event)),
    el("h1", { id: "detail-title", tabindex: "-1" }, textOf(m.title)),
    el("p", {}, badge(s.state)),
    stepper(s.state),
    el("dl", { class: "facts" }, facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
    s.state !== "draft"
      ? el("p", {}, el("a", { href: `/elections/${encodeURIComponent(s.id)}`, id: "public-page" }, t("admin.detail.public_page")))
      : null,
    rollCard(a),
    ceremonyCard(a),
    approvalCard(a),
    votingCard(a),
    tallyCard(a),
    mailCard(a),
  ];
}

// ---- Start -------------------------------------------------------------------------------

async function main() {
  await startPage(["admin"]);
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  $("create-form").addEventListener("submit", createElection);
  $("import-apply").addEventListener("click", importManifest);
  $("import-file").addEventListener("change", readImportFile);
  window.addEventListener("hashchange", route);
  onLanguageChange(() => {
    if (state.session) setSession(state.session);
    if (state.view === "list-view") renderList();
    if (state.view === "new-view") {
      if (state.formErrors.size) state.formErrors = validate(state.draft);
      drawForm();
    }
    if (state.view === "created-view" && state.created) renderCreated();
    if (state.view === "detail-view" && state.detail) renderDetail();
  });
  try {
    await checkSession();
  } catch (e) {
    show(null);
    showError($("page-error"), e);
    return;
  }
  await route();
}

main();
