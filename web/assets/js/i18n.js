// Translations, language choice and locale formatting for every page.
//
// Every text a person reads comes from assets/i18n/{en,sv}/<namespace>.json; nothing is
// hard-wired in the HTML or the scripts. Elements carry `data-i18n="key"` (text content) and
// `data-i18n-attr="attr:key;attr:key"` (attributes such as aria-label or placeholder);
// `translate(root)` fills them. Keys are `namespace.path.to.text`; `{name}` placeholders are
// replaced from the variables given to `t`.

export const LANGUAGES = ["sv", "en"];
const STORAGE_KEY = "urna.lang";

let current = "en";
let messages = {};
const listeners = [];

function pickLanguage() {
  const fromQuery = new URLSearchParams(location.search).get("lang");
  if (LANGUAGES.includes(fromQuery)) {
    localStorage.setItem(STORAGE_KEY, fromQuery);
    return fromQuery;
  }
  const saved = localStorage.getItem(STORAGE_KEY);
  if (LANGUAGES.includes(saved)) return saved;
  const preferred = (navigator.languages || [navigator.language || "en"]).map((l) =>
    l.toLowerCase().slice(0, 2),
  );
  return preferred.find((l) => LANGUAGES.includes(l)) || "en";
}

async function load(lang, namespaces) {
  const loaded = {};
  await Promise.all(
    namespaces.map(async (ns) => {
      const response = await fetch(`/assets/i18n/${lang}/${ns}.json`);
      if (!response.ok) throw new Error(`missing translations ${lang}/${ns}`);
      loaded[ns] = await response.json();
    }),
  );
  return loaded;
}

let loadedNamespaces = [];

/** Loads the page's namespaces (plus "common") in the chosen language and translates the page. */
export async function initI18n(namespaces) {
  loadedNamespaces = ["common", ...namespaces.filter((n) => n !== "common")];
  current = pickLanguage();
  messages = await load(current, loadedNamespaces);
  document.documentElement.lang = current;
  translate(document);
  return current;
}

/** Switches language, remembers it, re-translates and tells the page (for dynamic parts). */
export async function setLanguage(lang) {
  if (!LANGUAGES.includes(lang) || lang === current) return;
  messages = await load(lang, loadedNamespaces);
  current = lang;
  localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang;
  translate(document);
  for (const f of listeners) f(lang);
}

/** Calls `f(lang)` after every language switch (pages re-render what they built in code). */
export function onLanguageChange(f) {
  listeners.push(f);
}

export function lang() {
  return current;
}

function lookup(key) {
  let node = messages;
  for (const part of key.split(".")) {
    if (node == null || typeof node !== "object") return undefined;
    node = node[part];
  }
  return typeof node === "string" ? node : undefined;
}

/** The text of `key` in the current language with `{var}` replaced. A missing key shows as
 * the key itself in brackets, so a test (and a person) sees it at once. */
export function t(key, vars = {}) {
  const text = lookup(key);
  if (text === undefined) {
    console.warn(`missing translation ${current}:${key}`);
    return `[${key}]`;
  }
  return text.replace(/\{(\w+)\}/g, (m, name) => {
    if (!(name in vars)) return m;
    const v = vars[name];
    return typeof v === "number" ? formatNumber(v) : String(v);
  });
}

/** Whether a key exists (for optional texts such as error codes). */
export function has(key) {
  return lookup(key) !== undefined;
}

/** Fills `data-i18n` and `data-i18n-attr` elements under `root`. */
export function translate(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":").map((s) => s.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
  const title = document.querySelector("title[data-i18n]");
  if (title) document.title = title.textContent;
}

/** A bilingual manifest text ({sv, en}) in the current language. */
export function textOf(text) {
  if (!text) return "";
  return text[current] || text.en || text.sv || "";
}

const locale = () => (current === "sv" ? "sv-SE" : "en-GB");

export function formatNumber(n, options = {}) {
  return new Intl.NumberFormat(locale(), options).format(n);
}

export function formatPercent(fraction, digits = 1) {
  return new Intl.NumberFormat(locale(), {
    style: "percent",
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(fraction);
}

/** An RFC 3339 moment as a local date and time in the chosen language. */
export function formatDateTime(value, timeZone) {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat(locale(), {
    dateStyle: "long",
    timeStyle: "short",
    ...(timeZone ? { timeZone } : {}),
  }).format(date);
}
