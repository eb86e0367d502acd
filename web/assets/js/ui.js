// Small DOM helpers shared by the pages, and the common page frame (language switch,
// error display).

import { t, has, lang, setLanguage, LANGUAGES } from "./i18n.js";

/** Creates an element: el("button", {class: "primary", onclick: f}, "text", child…). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      node.className = value;
    } else if (key === "style") {
      // Through the CSSOM, which a style-src without 'unsafe-inline' still allows.
      node.style.cssText = String(value);
    } else if (key === "dataset") {
      Object.assign(node.dataset, value);
    } else if (value === true) {
      node.setAttribute(key, "");
    } else {
      node.setAttribute(key, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replaces the children of `node`. */
export function replace(node, ...children) {
  node.replaceChildren();
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return node;
}

/** The sentence for an error from the API or from WebAssembly: "errors.<code>" if
 * translated, else the generic message with the error's own (English) text. */
export function errorText(error) {
  const code = error && error.code;
  if (code && has(`common.errors.${code}`)) return t(`common.errors.${code}`);
  return t("common.errors.unexpected", { detail: (error && error.message) || String(error) });
}

/** Shows an error in an element with role="alert" (announced by screen readers). */
export function showError(container, error) {
  container.hidden = false;
  container.setAttribute("role", "alert");
  replace(container, errorText(error));
}

export function clearError(container) {
  container.hidden = true;
  replace(container);
}

/** Runs `work` with `button` disabled and aria-busy set. */
export async function busy(button, work) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

/** Fills the page header's language switch (#lang-switch): one button per other language. */
export function mountLanguageSwitch() {
  const host = document.getElementById("lang-switch");
  if (!host) return;
  const render = () => {
    replace(
      host,
      LANGUAGES.filter((l) => l !== lang()).map((l) =>
        el(
          "button",
          {
            type: "button",
            class: "link",
            lang: l,
            "data-lang": l,
            onclick: async () => {
              await setLanguage(l);
              render();
            },
          },
          t(`common.language.${l}`),
        ),
      ),
    );
  };
  render();
}

/** Offers `text` as a file download named `name`. */
export function download(name, text, type = "application/json") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Waits `ms` milliseconds. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
