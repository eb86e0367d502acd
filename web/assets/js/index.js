// The public list of elections (GET /elections), grouped by election event.

import { startPage } from "./page.js";
import { t, textOf, formatDateTime, formatNumber, onLanguageChange } from "./i18n.js";
import { api } from "./api.js";
import { el, replace, showError } from "./ui.js";

await startPage(["observer"]);

const host = document.getElementById("elections");
const errorBox = document.getElementById("page-error");
let elections = null;

function period(e) {
  if (!e.opens_at || !e.closes_at) return null;
  const zone = e.manifest.voting_period?.time_zone;
  return t("observer.index.period", {
    opens: formatDateTime(e.opens_at, zone),
    closes: formatDateTime(e.closes_at, zone),
  });
}

function render() {
  if (!elections) return;
  if (elections.length === 0) {
    replace(host, el("p", { class: "notice", id: "elections-empty" }, t("observer.index.empty")));
    return;
  }
  const groups = new Map();
  for (const e of elections) {
    const key = JSON.stringify(e.manifest.event);
    if (!groups.has(key)) groups.set(key, { event: e.manifest.event, items: [] });
    groups.get(key).items.push(e);
  }
  const sections = [...groups.values()].map((g) => {
    const items = [...g.items].sort((a, b) => textOf(a.manifest.title).localeCompare(textOf(b.manifest.title)));
    return el(
      "section",
      { class: "event-group" },
      el("h2", {}, textOf(g.event)),
      el(
        "ul",
        { class: "election-list" },
        items.map((e) =>
          el(
            "li",
            { "data-election": e.id },
            el(
              "h3",
              {},
              el("a", { href: `/elections/${encodeURIComponent(e.id)}` }, textOf(e.manifest.title)),
            ),
            el(
              "p",
              {},
              t("observer.index.state_label"),
              " ",
              el("span", { class: `state-badge ${e.state}` }, t(`common.state.${e.state}`)),
            ),
            period(e) && el("p", { class: "muted" }, period(e)),
            el("p", {}, t("observer.index.ballots", { count: formatNumber(e.ballots) })),
          ),
        ),
      ),
    );
  });
  replace(host, sections);
}

try {
  elections = await api("/elections");
  render();
} catch (e) {
  replace(host);
  showError(errorBox, e);
}
onLanguageChange(render);
