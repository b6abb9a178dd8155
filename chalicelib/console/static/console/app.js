// The operators' console: sign in with a token, then one view per section, chosen by the #hash.
// A section shows only for the roles whose token may read it (chalicelib/access.py decides; the
// API refuses anything else whatever the page shows).
import { accountsView } from "./accounts.js";
import { Api } from "./api.js";
import { auditView } from "./audit.js";
import { codesView } from "./codes.js";
import { h } from "./dom.js";
import { startI18n } from "./i18n.js";
import { grantsView } from "./grants.js";
import { rulesView } from "./rules.js";
import { startSession } from "./session.js";
import { settingsView } from "./settings.js";
import { statsView } from "./stats.js";
import { templatesView } from "./templates.js";
import { withdrawalsView } from "./withdrawals.js";

startI18n("console.title");
const api = new Api("mall.console.token");
const MARKETING_READS = ["operator", "marketing", "auditor"];
const FINANCE_READS = ["operator", "finance", "auditor"];
const ROLES_OF = { templates: MARKETING_READS, codes: MARKETING_READS, grants: MARKETING_READS,
  rules: MARKETING_READS, stats: MARKETING_READS, withdrawals: FINANCE_READS, accounts: FINANCE_READS };
const views = [templatesView, codesView, grantsView, rulesView, withdrawalsView, accountsView, statsView, settingsView, auditView]
  .map((view) => view(api));
const tabs = views.map((view) => h("a", { href: `#${view.id}`, "data-view": view.id }, view.title));
let open = []; // the views the signed-in token's roles may read

function route() {
  if (!open.length) return;
  const current = open.find((view) => `#${view.id}` === location.hash) ?? open[0];
  for (const view of views) view.element.hidden = view !== current;
  for (const tab of tabs) tab.toggleAttribute("aria-current", tab.dataset.view === current.id);
  current.show();
}

document.getElementById("tabs").append(...tabs);
document.getElementById("views").append(...views.map((view) => view.element));
window.addEventListener("hashchange", route);
startSession({
  api,
  check: () => api.get("admin/settings"), // every admin role reads the settings
  refusals: { FORBIDDEN: "console.forbidden" },
  onSignedIn: (claims) => {
    const roles = new Set(claims.roles ?? []);
    open = views.filter((view) => (view.roles ?? ROLES_OF[view.id]).some((role) => roles.has(role)));
    for (const view of open) view.signedIn?.(roles);
    for (const tab of tabs) tab.hidden = !open.some((view) => view.id === tab.dataset.view);
    route();
  },
});
