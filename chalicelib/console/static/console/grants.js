// Grants (定向发放): issue a template's coupon to listed users and show what happened to each.
// Granting a list is one Intent: chunk n goes under the key `<key>.<n>`, so a second click grants
// nothing more and a retry after a lost answer replays what was granted and carries on.
import { Intent } from "./api.js";
import { badge, dataTable, h, say, sayError } from "./dom.js";
import { clearErrors, field, showErrors, showProblems } from "./forms.js";
import { formatCount } from "./format.js";
import { t, tOr } from "./i18n.js";
import { templatePicker } from "./pickers.js";

const PER_REQUEST = 1000;
// The API reports a refused user by error code; grants.refusal.<code> says it in words.
// A user id as the API takes it (chalicelib/auth.py USER_ID): checked here, so a list is corrected in one round.
const USER_ID = /^[A-Za-z0-9_.@:\-]{1,128}$/;

export function grantsView(api) {
  const picker = templatePicker(api);
  const users = h("textarea", { rows: 5, spellcheck: "false", placeholder: t("grants.usersPlaceholder") });
  const form = h("form", { id: "grant-form", novalidate: true },
    h("div", { class: "form-grid" },
      field("template", t("col.template"), picker.select),
      field("user_ids", t("grants.users"), users)),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("grants.grant"))));
  const progress = h("progress", { max: 1, value: 0, hidden: true });
  const status = h("p", { class: "notice", role: "status" });
  const results = h("div", { id: "grant-results" });
  const granting = new Intent();

  async function grant() {
    clearErrors(form);
    const ids = users.value.split(/[\s,]+/).filter(Boolean);
    if (!ids.length) {
      showProblems(form, status, [{ field: "user_ids", message: "@grants.noUsers" }]);
      return;
    }
    const bad = ids.filter((id) => !USER_ID.test(id));
    if (bad.length) {
      showProblems(form, status, [{ field: "user_ids", message: "@field.user_ids.pattern" }]);
      status.textContent += ` ${t("grants.badIds", { ids: bad.slice(0, 5).join(t("list.sep")) })}`;
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
      say(status, t("grants.done", { granted: formatCount(granted), total: formatCount(ids.length) }), granted ? "ok" : "error");
    } catch (error) {
      showErrors(form, status, error);
    } finally {
      results.replaceChildren(dataTable([
        { label: t("col.user"), cell: (r) => r.user_id },
        { label: t("col.result"), cell: (r) => (r.status === "granted" ? badge("granted")
          : [badge("refused"), " ", tOr("grants.refusal", r.status)]) },
        { label: t("col.coupon"), cell: (r) => r.coupon_id ?? "" },
      ], outcomes, ""));
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    grant();
  });

  const element = h("section", { id: "view-grants" },
    h("div", { class: "card" }, h("h2", {}, t("grants.heading")), form, progress, status, results));

  async function show() {
    try {
      await picker.refresh();
    } catch (error) {
      sayError(status, error);
    }
  }

  return { id: "grants", title: t("grants.title"), element, show };
}
