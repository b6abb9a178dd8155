// Grants (定向发放): issue a template's coupon to listed users and show what happened to each.
// Granting a list is one Intent: chunk n goes under the key `<key>.<n>`, so a second click grants
// nothing more and a retry after a lost answer replays what was granted and carries on.
import { Intent } from "./api.js";
import { badge, dataTable, h, say } from "./dom.js";
import { clearErrors, field, showErrors } from "./forms.js";
import { formatCount } from "./format.js";
import { templatePicker } from "./pickers.js";

const PER_REQUEST = 1000;
// The API reports a refused user by error code; these say it in words.
const REFUSALS = {
  SOLD_OUT: "the stock is used up",
  LIMIT_REACHED: "the user already holds the per-user limit",
  NOT_CLAIMABLE: "the template is not published or outside its claim window",
};

export function grantsView(api) {
  const picker = templatePicker(api);
  const users = h("textarea", { rows: 5, spellcheck: "false", placeholder: "alice\nbob\ncarol" });
  const form = h("form", { id: "grant-form", novalidate: true },
    h("div", { class: "form-grid" },
      field("template", "Template", picker.select),
      field("user_ids", "User ids (one per line, or separated by commas)", users)),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Grant")));
  const progress = h("progress", { max: 1, value: 0, hidden: true });
  const status = h("p", { class: "notice", role: "status" });
  const results = h("div", { id: "grant-results" });
  const granting = new Intent();

  async function grant() {
    clearErrors(form);
    const ids = users.value.split(/[\s,]+/).filter(Boolean);
    if (!ids.length) {
      showErrors(form, status, {
        message: "Check the highlighted fields.",
        details: [{ field: "user_ids", message: "List at least one user id." }],
      });
      return;
    }
    const templateId = picker.select.value;
    const submit = form.querySelector("button[type=submit]");
    if (granting.inFlight) return;
    progress.hidden = ids.length <= PER_REQUEST;
    progress.max = ids.length;
    progress.value = 0;
    const outcomes = [];
    try {
      await granting.run([templateId, ids], async (key) => {
        for (let start = 0; start < ids.length; start += PER_REQUEST) {
          const report = await api.postWithKey(`admin/templates/${templateId}/grant`,
            { user_ids: ids.slice(start, start + PER_REQUEST) }, `${key}.${start / PER_REQUEST}`);
          outcomes.push(...report.results);
          progress.value = outcomes.length;
        }
      }, submit);
      const granted = outcomes.filter((r) => r.status === "granted").length;
      say(status, `Granted to ${formatCount(granted)} of ${formatCount(ids.length)} users.`, granted ? "ok" : "error");
    } catch (error) {
      showErrors(form, status, error);
    } finally {
      results.replaceChildren(dataTable([
        { label: "User", cell: (r) => r.user_id },
        { label: "Result", cell: (r) => (r.status === "granted" ? badge("granted")
          : [badge("refused"), " ", REFUSALS[r.status] ?? r.status]) },
        { label: "Coupon", cell: (r) => r.coupon_id ?? "" },
      ], outcomes, ""));
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    grant();
  });

  const element = h("section", { id: "view-grants" },
    h("div", { class: "card" }, h("h2", {}, "Grant coupons to users"), form, progress, status, results));

  async function show() {
    try {
      await picker.refresh();
    } catch (error) {
      say(status, error.message, "error");
    }
  }

  return { id: "grants", title: "Grants", element, show };
}
