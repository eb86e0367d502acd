// The "new election" form of the admin page: a model of the manifest being written, the form
// rendered from it, client-side checks for obvious mistakes, import of a manifest JSON (or a
// whole CreateElection), and the manifest + orderer the server wants (urna-api CreateElection).

import { t } from "./i18n.js";
import { el, replace } from "./ui.js";

export const KINDS = ["single", "select", "approval", "cumulative", "score"];

function newOption() {
  return { id: "", idFixed: false, label: { sv: "", en: "" } };
}

function newContest() {
  return {
    id: "",
    idFixed: false,
    title: { sv: "", en: "" },
    type: "single",
    min: 0,
    max: 1,
    per_option_max: 1,
    budget: 1,
    blank: false,
    blankText: { sv: "", en: "" },
    options: [newOption(), newOption()],
  };
}

export function newDraft() {
  return {
    event: { sv: "", en: "" },
    title: { sv: "", en: "" },
    election_id: "",
    idEdited: false,
    revote: "final",
    weighted: false,
    period: { enabled: false, opens: "", closes: "", time_zone: "Europe/Stockholm" },
    contests: [newContest()],
    trustees: [{ name: "" }, { name: "" }, { name: "" }],
    threshold: 2,
    orderer: { name: "", email: "" },
  };
}

/** An identifier (a–z, 0–9, -) made from a label: "Per Sjögren" → "per-sjogren". */
export function slug(text) {
  return String(text || "")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 48)
    .replace(/-+$/g, "");
}

function unique(base, taken, fallback) {
  let id = base || fallback;
  let n = 2;
  while (taken.has(id)) id = `${base || fallback}-${n++}`;
  taken.add(id);
  return id;
}

/** Fills the generated identifiers (election, contests, options) that were not set by hand. */
function assignIds(d) {
  if (!d.idEdited) d.election_id = slug(d.title.en || d.title.sv);
  const contestIds = new Set(d.contests.filter((c) => c.idFixed).map((c) => c.id));
  d.contests.forEach((c, i) => {
    if (!c.idFixed) c.id = unique(slug(c.title.en || c.title.sv), contestIds, `contest-${i + 1}`);
    const optionIds = new Set(c.options.filter((o) => o.idFixed).map((o) => o.id));
    c.options.forEach((o, j) => {
      if (!o.idFixed) o.id = unique(slug(o.label.en || o.label.sv), optionIds, `option-${j + 1}`);
    });
  });
}

const trimmed = (text) => ({ sv: text.sv.trim(), en: text.en.trim() });
const EMAIL = /^[^\s@,;<>]+@[^\s@,;<>]+\.[^\s@,;<>]+$/;
const ID = /^[a-z0-9_-]{1,64}$/;
const whole = (v) => Number.isInteger(v) && v >= 0;

/** Checks the draft for obvious mistakes: a Map from field id to a sentence. */
export function validate(d) {
  assignIds(d);
  const errors = new Map();
  const bilingual = (text, prefix) => {
    if (!text.sv.trim()) errors.set(`${prefix}-sv`, t("admin.form.errors.required_sv"));
    if (!text.en.trim()) errors.set(`${prefix}-en`, t("admin.form.errors.required_en"));
  };
  bilingual(d.event, "f-event");
  bilingual(d.title, "f-title");
  if (!ID.test(d.election_id)) errors.set("f-election-id", t("admin.form.errors.bad_id"));
  if (d.period.enabled) {
    if (!d.period.opens) errors.set("f-opens", t("admin.form.errors.required"));
    if (!d.period.closes) errors.set("f-closes", t("admin.form.errors.required"));
    if (d.period.opens && d.period.closes && d.period.closes <= d.period.opens) {
      errors.set("f-closes", t("admin.form.errors.closes_before_opens"));
    }
    if (!d.period.time_zone) errors.set("f-time-zone", t("admin.form.errors.required"));
  }
  if (d.contests.length === 0) errors.set("add-contest", t("admin.form.errors.no_contests"));
  d.contests.forEach((c, i) => {
    const p = `c${i}`;
    bilingual(c.title, `${p}-title`);
    const n = c.options.length;
    if (n === 0) errors.set(`${p}-add-option`, t("admin.form.errors.no_options"));
    const seen = new Map();
    c.options.forEach((o, j) => {
      bilingual(o.label, `${p}-o${j}`);
      const key = o.label.en.trim().toLowerCase();
      if (key && seen.has(key)) {
        errors.set(`${p}-o${j}-en`, t("admin.form.errors.duplicate_option", { n: seen.get(key) + 1 }));
      } else if (key) {
        seen.set(key, j);
      }
    });
    if (c.type === "single" && n < 2) errors.set(`${p}-add-option`, t("admin.form.errors.single_needs_two"));
    if (c.type === "select") {
      if (!whole(c.min)) errors.set(`${p}-min`, t("admin.form.errors.whole_number"));
      if (!whole(c.max) || c.max < 1) errors.set(`${p}-max`, t("admin.form.errors.positive"));
      else if (c.max > n) errors.set(`${p}-max`, t("admin.form.errors.max_above_options", { n }));
      else if (whole(c.min) && c.min > c.max) errors.set(`${p}-min`, t("admin.form.errors.min_above_max"));
    }
    if (c.type === "cumulative" || c.type === "score") {
      if (!whole(c.per_option_max) || c.per_option_max < 1) {
        errors.set(`${p}-pom`, t("admin.form.errors.positive"));
      }
    }
    if (c.type === "cumulative" && (!whole(c.budget) || c.budget < 1)) {
      errors.set(`${p}-budget`, t("admin.form.errors.positive"));
    }
    if (c.blank) bilingual(c.blankText, `${p}-blank`);
  });
  if (d.trustees.length === 0) errors.set("add-trustee", t("admin.form.errors.no_trustees"));
  d.trustees.forEach((tr, k) => {
    if (!tr.name.trim()) errors.set(`t${k}-name`, t("admin.form.errors.required"));
  });
  const count = d.trustees.length;
  if (!Number.isInteger(d.threshold) || d.threshold < 1 || d.threshold > count) {
    errors.set("f-threshold", t("admin.form.errors.threshold", { count }));
  }
  if (!d.orderer.name.trim()) errors.set("f-orderer-name", t("admin.form.errors.required"));
  if (!EMAIL.test(d.orderer.email.trim())) errors.set("f-orderer-email", t("admin.form.errors.email"));
  return errors;
}

/** The CreateElection request for a (validated) draft. */
export function toRequest(d) {
  assignIds(d);
  const contests = d.contests.map((c) => {
    const out = { id: c.id, title: trimmed(c.title), type: c.type };
    if (c.type === "select") Object.assign(out, { min: c.min, max: c.max });
    if (c.type === "cumulative") Object.assign(out, { per_option_max: c.per_option_max, budget: c.budget });
    if (c.type === "score") out.per_option_max = c.per_option_max;
    out.options = c.options.map((o) => ({ id: o.id, label: trimmed(o.label) }));
    if (c.blank) out.blank = trimmed(c.blankText);
    return out;
  });
  const manifest = {
    version: 1,
    event: trimmed(d.event),
    election_id: d.election_id,
    title: trimmed(d.title),
    contests,
    trustees: {
      count: d.trustees.length,
      threshold: d.threshold,
      names: d.trustees.map((tr) => tr.name.trim()),
    },
    revote: d.revote,
    weighted: d.weighted,
  };
  if (d.period.enabled) {
    const seconds = (v) => (v.length === 16 ? `${v}:00` : v);
    manifest.voting_period = {
      opens: seconds(d.period.opens),
      closes: seconds(d.period.closes),
      time_zone: d.period.time_zone,
    };
  }
  return { manifest, orderer: { name: d.orderer.name.trim(), email: d.orderer.email.trim() } };
}

/** A draft from a manifest (or a CreateElection {manifest, orderer}); throws "not_manifest". */
export function fromJson(source) {
  let value;
  try {
    value = JSON.parse(source);
  } catch {
    throw Object.assign(new Error("json"), { code: "bad_json" });
  }
  const orderer = value && value.manifest ? value.orderer : null;
  const m = value && value.manifest ? value.manifest : value;
  const isText = (x) => x && typeof x.sv === "string" && typeof x.en === "string";
  if (!m || m.version !== 1 || !isText(m.title) || !Array.isArray(m.contests) || !m.trustees) {
    throw Object.assign(new Error("manifest"), { code: "not_manifest" });
  }
  const text = (x) => (isText(x) ? { sv: x.sv, en: x.en } : { sv: "", en: "" });
  const num = (x, fallback) => (Number.isInteger(x) ? x : fallback);
  const d = newDraft();
  d.event = text(m.event);
  d.title = text(m.title);
  d.election_id = typeof m.election_id === "string" ? m.election_id : "";
  d.idEdited = !!d.election_id;
  d.revote = m.revote === "last-counts" ? "last-counts" : "final";
  d.weighted = !!m.weighted;
  if (m.voting_period) {
    d.period = {
      enabled: true,
      opens: String(m.voting_period.opens || "").slice(0, 16),
      closes: String(m.voting_period.closes || "").slice(0, 16),
      time_zone: m.voting_period.time_zone || "Europe/Stockholm",
    };
  }
  d.contests = m.contests.map((c) => ({
    ...newContest(),
    id: String(c.id || ""),
    idFixed: !!c.id,
    title: text(c.title),
    type: KINDS.includes(c.type) ? c.type : "single",
    min: num(c.min, 0),
    max: num(c.max, 1),
    per_option_max: num(c.per_option_max, 1),
    budget: num(c.budget, 1),
    blank: !!c.blank,
    blankText: text(c.blank),
    options: (Array.isArray(c.options) ? c.options : []).map((o) => ({
      id: String(o.id || ""),
      idFixed: !!o.id,
      label: text(o.label),
    })),
  }));
  const count = num(m.trustees.count, 0);
  const names = Array.isArray(m.trustees.names) ? m.trustees.names : [];
  d.trustees = Array.from({ length: Math.max(count, names.length) }, (_, k) => ({
    name: String(names[k] || ""),
  }));
  d.threshold = num(m.trustees.threshold, 1);
  if (orderer) d.orderer = { name: String(orderer.name || ""), email: String(orderer.email || "") };
  return d;
}

// ---- Rendering ---------------------------------------------------------------------------

let timeZones = null;
function zones() {
  if (!timeZones) {
    try {
      timeZones = Intl.supportedValuesOf("timeZone");
    } catch {
      timeZones = ["Europe/Stockholm", "UTC"];
    }
    if (!timeZones.includes("Europe/Stockholm")) timeZones.unshift("Europe/Stockholm");
  }
  return timeZones;
}

/**
 * Renders the form for `d` into `host`. `errors` (field id → sentence) are shown next to their
 * fields; `onChange()` is called after a structural change (add/remove/kind) so the caller
 * re-renders; `focusId` is focused afterwards.
 */
export function renderForm(host, d, errors, onChange) {
  const field = (id, labelKey, input, hintKey, vars) => {
    const error = errors.get(id);
    const describedBy = [hintKey ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ");
    input.id = id;
    if (describedBy) input.setAttribute("aria-describedby", describedBy);
    if (error) input.setAttribute("aria-invalid", "true");
    return el(
      "div",
      { class: error ? "field invalid" : "field" },
      el("label", { for: id }, t(labelKey, vars || {})),
      hintKey ? el("p", { class: "hint muted", id: `${id}-hint` }, t(hintKey, vars || {})) : null,
      input,
      error ? el("p", { class: "field-error", id: `${id}-error` }, error) : null,
    );
  };
  const textInput = (value, set, attrs = {}) =>
    el("input", { type: "text", value, ...attrs, oninput: (e) => set(e.target.value) });
  const numberInput = (value, set) =>
    el("input", {
      type: "number",
      min: "0",
      step: "1",
      inputmode: "numeric",
      value: String(value),
      oninput: (e) => set(e.target.value === "" ? NaN : Number(e.target.value)),
    });
  // A Swedish + English pair of inputs.
  const pair = (prefix, text, labelKey, vars) =>
    el(
      "div",
      { class: "pair" },
      field(`${prefix}-sv`, "admin.form.in_sv", textInput(text.sv, (v) => (text.sv = v), { lang: "sv" }), null),
      field(`${prefix}-en`, "admin.form.in_en", textInput(text.en, (v) => (text.en = v), { lang: "en" }), null),
    );
  const labelledPair = (prefix, text, labelKey, vars) =>
    el("div", { class: "pair-group", role: "group", "aria-labelledby": `${prefix}-label` },
      el("p", { class: "pair-label", id: `${prefix}-label` }, t(labelKey, vars || {})),
      pair(prefix, text));
  const structural = (focusId, f) => () => {
    f();
    onChange(focusId);
  };

  const election = el(
    "fieldset",
    {},
    el("legend", {}, t("admin.form.election")),
    labelledPair("f-event", d.event, "admin.form.event"),
    el("p", { class: "hint muted" }, t("admin.form.event_hint")),
    labelledPair("f-title", d.title, "admin.form.title"),
    field(
      "f-election-id",
      "admin.form.election_id",
      textInput(d.election_id, (v) => {
        d.election_id = v.trim();
        d.idEdited = v.trim() !== "";
      }, { class: "mono", autocomplete: "off", spellcheck: "false" }),
      "admin.form.election_id_hint",
    ),
    field(
      "f-revote",
      "admin.form.revote",
      el(
        "select",
        { onchange: (e) => (d.revote = e.target.value) },
        ["final", "last-counts"].map((v) =>
          el("option", { value: v, selected: d.revote === v }, t(`admin.form.revote_${v.replace("-", "_")}`)),
        ),
      ),
    ),
    el(
      "div",
      { class: "check" },
      el("input", {
        type: "checkbox",
        id: "f-weighted",
        checked: d.weighted,
        onchange: (e) => (d.weighted = e.target.checked),
      }),
      el("label", { for: "f-weighted" }, t("admin.form.weighted")),
    ),
  );

  const period = el(
    "fieldset",
    {},
    el("legend", {}, t("admin.form.period")),
    el(
      "div",
      { class: "check" },
      el("input", {
        type: "checkbox",
        id: "f-period",
        checked: d.period.enabled,
        onchange: structural("f-period", () => (d.period.enabled = !d.period.enabled)),
      }),
      el("label", { for: "f-period" }, t("admin.form.period_enabled")),
    ),
    d.period.enabled
      ? el(
          "div",
          { class: "pair" },
          field("f-opens", "admin.form.opens", el("input", {
            type: "datetime-local",
            value: d.period.opens,
            oninput: (e) => (d.period.opens = e.target.value),
          })),
          field("f-closes", "admin.form.closes", el("input", {
            type: "datetime-local",
            value: d.period.closes,
            oninput: (e) => (d.period.closes = e.target.value),
          })),
        )
      : el("p", { class: "hint muted" }, t("admin.form.period_manual")),
    d.period.enabled
      ? field(
          "f-time-zone",
          "admin.form.time_zone",
          el(
            "select",
            { onchange: (e) => (d.period.time_zone = e.target.value) },
            zones().map((z) => el("option", { value: z, selected: d.period.time_zone === z }, z)),
          ),
        )
      : null,
  );

  const contests = d.contests.map((c, i) => {
    const p = `c${i}`;
    const rules = [];
    if (c.type === "select") {
      rules.push(
        el("div", { class: "pair" },
          field(`${p}-min`, "admin.form.min", numberInput(c.min, (v) => (c.min = v))),
          field(`${p}-max`, "admin.form.max", numberInput(c.max, (v) => (c.max = v)))),
      );
    }
    if (c.type === "cumulative" || c.type === "score") {
      rules.push(
        el("div", { class: "pair" },
          field(`${p}-pom`, "admin.form.per_option_max", numberInput(c.per_option_max, (v) => (c.per_option_max = v))),
          c.type === "cumulative"
            ? field(`${p}-budget`, "admin.form.budget", numberInput(c.budget, (v) => (c.budget = v)))
            : null),
      );
    }
    const options = c.options.map((o, j) =>
      el(
        "li",
        { class: "option-row" },
        el("div", { class: "pair-group", role: "group", "aria-labelledby": `${p}-o${j}-label` },
          el("p", { class: "pair-label", id: `${p}-o${j}-label` }, t("admin.form.option_n", { n: j + 1 })),
          el("div", { class: "pair with-remove" },
            pair(`${p}-o${j}`, o.label),
            el("button", {
              type: "button",
              class: "danger small",
              id: `${p}-o${j}-remove`,
              "aria-label": t("admin.form.remove_option_n", { n: j + 1 }),
              onclick: structural(`${p}-add-option`, () => c.options.splice(j, 1)),
            }, t("admin.form.remove")))),
      ),
    );
    return el(
      "fieldset",
      { class: "contest", "data-contest": i },
      el("legend", {}, t("admin.form.contest_n", { n: i + 1 })),
      labelledPair(`${p}-title`, c.title, "admin.form.contest_title"),
      field(
        `${p}-type`,
        "admin.form.kind",
        el(
          "select",
          { onchange: structural(`${p}-type`, function () {
            c.type = document.getElementById(`${p}-type`).value;
            if (c.type === "select" && c.max < 1) c.max = 1;
          }) },
          KINDS.map((k) => el("option", { value: k, selected: c.type === k }, t(`admin.kinds.${k}`))),
        ),
      ),
      el("p", { class: "hint muted", id: `${p}-kind-help` }, t(`admin.kinds_help.${c.type}`)),
      rules,
      el(
        "div",
        { class: "check" },
        el("input", {
          type: "checkbox",
          id: `${p}-blank`,
          checked: c.blank,
          onchange: structural(`${p}-blank`, () => (c.blank = !c.blank)),
        }),
        el("label", { for: `${p}-blank` }, t("admin.form.blank")),
      ),
      c.blank ? labelledPair(`${p}-blank`, c.blankText, "admin.form.blank_label") : null,
      el("h3", {}, t("admin.form.options")),
      el("ol", { class: "options" }, options),
      el("div", { class: "actions" },
        el("button", {
          type: "button",
          id: `${p}-add-option`,
          "aria-describedby": errors.has(`${p}-add-option`) ? `${p}-add-option-error` : null,
          onclick: structural(`${p}-o${c.options.length}-sv`, () => c.options.push(newOption())),
        }, t("admin.form.add_option")),
        el("button", {
          type: "button",
          class: "danger",
          id: `${p}-remove`,
          onclick: structural("add-contest", () => d.contests.splice(i, 1)),
        }, t("admin.form.remove_contest_n", { n: i + 1 }))),
      errors.has(`${p}-add-option`)
        ? el("p", { class: "field-error", id: `${p}-add-option-error` }, errors.get(`${p}-add-option`))
        : null,
    );
  });

  const trustees = el(
    "fieldset",
    {},
    el("legend", {}, t("admin.form.trustees")),
    el("p", { class: "hint muted" }, t("admin.form.trustees_help")),
    el("ol", { class: "trustee-rows" },
      d.trustees.map((tr, k) =>
        el("li", {},
          el("div", { class: "with-remove" },
            field(`t${k}-name`, "admin.form.trustee_n", textInput(tr.name, (v) => (tr.name = v)), null, { n: k + 1 }),
            el("button", {
              type: "button",
              class: "danger small",
              id: `t${k}-remove`,
              "aria-label": t("admin.form.remove_trustee_n", { n: k + 1 }),
              onclick: structural("add-trustee", () => d.trustees.splice(k, 1)),
            }, t("admin.form.remove")))))),
    el("div", { class: "actions" },
      el("button", {
        type: "button",
        id: "add-trustee",
        onclick: structural(`t${d.trustees.length}-name`, () => d.trustees.push({ name: "" })),
      }, t("admin.form.add_trustee"))),
    errors.has("add-trustee") ? el("p", { class: "field-error" }, errors.get("add-trustee")) : null,
    field("f-threshold", "admin.form.threshold", numberInput(d.threshold, (v) => (d.threshold = v)),
      "admin.form.threshold_help", { count: d.trustees.length }),
  );

  const orderer = el(
    "fieldset",
    {},
    el("legend", {}, t("admin.form.orderer")),
    el("p", { class: "hint muted" }, t("admin.form.orderer_help")),
    field("f-orderer-name", "admin.form.orderer_name", textInput(d.orderer.name, (v) => (d.orderer.name = v), { autocomplete: "off" })),
    field("f-orderer-email", "admin.form.orderer_email", el("input", {
      type: "email",
      value: d.orderer.email,
      autocomplete: "off",
      oninput: (e) => (d.orderer.email = e.target.value),
    })),
  );

  replace(
    host,
    election,
    period,
    el("h2", {}, t("admin.form.contests")),
    contests,
    el("div", { class: "actions" },
      el("button", {
        type: "button",
        id: "add-contest",
        onclick: structural(`c${d.contests.length}-title-sv`, () => d.contests.push(newContest())),
      }, t("admin.form.add_contest"))),
    errors.has("add-contest") ? el("p", { class: "field-error" }, errors.get("add-contest")) : null,
    trustees,
    orderer,
  );
}

/** Where in the form a server message about the manifest points (its path), if anywhere. */
export function fieldOfServerMessage(message) {
  const text = String(message || "");
  let m = text.match(/contests\[(\d+)\]\.options\[(\d+)\]/);
  if (m) return `c${m[1]}-o${m[2]}-en`;
  m = text.match(/contests\[(\d+)\]\.(title|type|blank|options|id)/);
  if (m) {
    const i = m[1];
    return { title: `c${i}-title-en`, type: `c${i}-type`, blank: `c${i}-blank-en`, options: `c${i}-add-option`, id: `c${i}-title-en` }[m[2]];
  }
  if (/orderer's e-mail/.test(text)) return "f-orderer-email";
  if (/name the orderer/.test(text)) return "f-orderer-name";
  if (/voting period|time zone|opens|closes/.test(text)) return "f-opens";
  if (/at trustees/.test(text)) return "f-threshold";
  if (/at election_id/.test(text)) return "f-election-id";
  if (/at event/.test(text)) return "f-event-en";
  if (/at title/.test(text)) return "f-title-en";
  return null;
}
