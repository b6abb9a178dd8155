// A rule's preview (POST /admin/rebate-rules/{id}/preview {from, to}): what the rule would have
// returned on the payments and refunds of a past window, had it been live from its start, after
// the rules live then and within the return cap. It changes nothing. A dialog: the window (at
// most 93 days), then the answer's figures.
import { figure, h, openDialog, say } from "./dom.js";
import { Reader, clearErrors, dateTimeInput, field, localDateTime, showErrors, showProblems } from "./forms.js";
import { formatCount, formatFen, formatTime } from "./format.js";
import { t } from "./i18n.js";

const DAY_MS = 24 * 3600 * 1000;
const MAX_DAYS = 93; // preview_models.MAX_WINDOW

export function rulePreview(api) {
  const now = new Date();
  const form = h("form", { id: "preview-form", method: "dialog", novalidate: true },
    h("div", { class: "form-grid" },
      field("from", t("preview.from"), dateTimeInput({ value: localDateTime(new Date(now.getTime() - 7 * DAY_MS)) })),
      // the next minute: the field has no seconds, and a payment of this minute belongs in the window
      field("to", t("preview.to"), dateTimeInput({ value: localDateTime(new Date(now.getTime() + 60000)) }))),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("preview.run"))));
  const status = h("p", { class: "notice", role: "status" });
  const answer = h("div", { id: "preview-answer", "aria-live": "polite" });
  let rule = null;

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const read = new Reader(form);
    const body = { from: read.time("from"), to: read.time("to") };
    if (!read.text("from").trim()) read.problems.push({ field: "from", message: "@field.required" });
    if (!read.text("to").trim()) read.problems.push({ field: "to", message: "@field.required" });
    if (body.from && body.to && body.to <= body.from) read.problems.push({ field: "to", message: "@preview.order" });
    else if (body.from && body.to && new Date(body.to) - new Date(body.from) > MAX_DAYS * DAY_MS) {
      read.problems.push({ field: "to", message: "@preview.tooLong" });
    }
    if (read.problems.length) {
      showProblems(form, status, read.problems);
      return;
    }
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    say(status, t("common.loading"));
    try {
      const result = await api.post(`admin/rebate-rules/${rule.id}/preview`, body);
      answer.replaceChildren(...render(result));
      say(status, "");
    } catch (error) {
      showErrors(form, status, error);
    } finally {
      submit.disabled = false;
    }
  });

  function render(p) {
    const assets = (figures) => [
      figures.balance ? formatFen(figures.balance) : null,
      figures.points ? t("common.points", { n: formatCount(figures.points) }) : null,
      figures.vouchers ? t(figures.vouchers === 1 ? "cart.voucher1" : "cart.vouchers", { n: figures.vouchers }) : null,
    ].filter(Boolean).join(t("list.sep")) || t("preview.nothing");
    return [
      h("p", {}, t("preview.window", { from: formatTime(p.window.from), until: formatTime(p.window.to) })),
      h("div", { class: "figures" },
        figure(t("preview.payments"), t("common.of", { part: formatCount(p.payments), whole: formatCount(p.scanned) })),
        figure(t("preview.cost"), assets(p.cost)),
        figure(t("preview.granted"), assets(p.granted)),
        figure(t("preview.takenBack"), assets(p.taken_back))),
      h("p", { class: p.budget_exhausted_at ? "notice error" : "sub" }, p.budget_exhausted_at
        ? t("preview.budgetOut", { time: formatTime(p.budget_exhausted_at) }) : t("preview.budgetLasts")),
    ];
  }

  function open(chosen) {
    rule = chosen;
    clearErrors(form);
    answer.replaceChildren();
    say(status, "");
    openDialog({ id: "rule-preview", title: t("preview.title", { name: chosen.name }), body: [form, status, answer] });
  }

  return { open };
}
