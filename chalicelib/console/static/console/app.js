// The operators' console: sign in with a token, then one view per section, chosen by the #hash.
import { accountsView } from "./accounts.js";
import { Api } from "./api.js";
import { codesView } from "./codes.js";
import { h } from "./dom.js";
import { grantsView } from "./grants.js";
import { rulesView } from "./rules.js";
import { startSession } from "./session.js";
import { statsView } from "./stats.js";
import { templatesView } from "./templates.js";
import { withdrawalsView } from "./withdrawals.js";

const api = new Api("mall.console.token");
const views = [templatesView, codesView, grantsView, rulesView, withdrawalsView, accountsView, statsView].map((view) => view(api));
const tabs = views.map((view) => h("a", { href: `#${view.id}`, "data-view": view.id }, view.title));
let signedIn = false;

function route() {
  if (!signedIn) return;
  const current = views.find((view) => `#${view.id}` === location.hash) ?? views[0];
  for (const view of views) view.element.hidden = view !== current;
  for (const tab of tabs) tab.toggleAttribute("aria-current", tab.dataset.view === current.id);
  current.show();
}

document.getElementById("tabs").append(...tabs);
document.getElementById("views").append(...views.map((view) => view.element));
window.addEventListener("hashchange", route);
startSession({
  api,
  check: () => api.get("admin/templates", { limit: 1 }),
  onSignedIn: () => {
    signedIn = true;
    route();
  },
});
