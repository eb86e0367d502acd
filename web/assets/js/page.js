// The frame every page starts with: translations, the language switch, the footer.

import { initI18n, t, onLanguageChange } from "./i18n.js";
import { mountLanguageSwitch, replace } from "./ui.js";

const VERSION = "0.1.0";

/** Loads the translations of `namespaces` (plus common) and fills the page frame. */
export async function startPage(namespaces) {
  await initI18n(namespaces);
  mountLanguageSwitch();
  const footer = document.getElementById("footer");
  const renderFooter = () => footer && replace(footer, t("common.footer", { version: VERSION }));
  renderFooter();
  onLanguageChange(renderFooter);
}
