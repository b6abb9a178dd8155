// Templates: the form (create, edit a draft, duplicate) in a dialog opened from the toolbar or a
// row, the list with live counters, searched by name and filtered by status, a template's
// details, and the buttons each status allows.
// Creating a template is one Intent (one Idempotency-Key for the form as filled in); a row's
// buttons are disabled while one of its moves is in flight. Editing and deleting are for a draft
// that has issued nothing (the API refuses anything else with INVALID_STATE).
import { Intent } from "./api.js";
import { badge, dataTable, h, openDialog, say, sayError } from "./dom.js";
import { Reader, clearErrors, showErrors, showProblems } from "./forms.js";
import { formatCount } from "./format.js";
import { t, tOr } from "./i18n.js";
import { describeOffer } from "./offers.js";
import { bodyOf, createForm, crossChecks, fillForm, syncForm } from "./template-form.js";
import { templateDetail } from "./template-detail.js";

const ACTIONS = { draft: ["publish"], published: ["pause", "end"], paused: ["publish", "end"], ended: [] };
const REFRESH_MS = 10000;
const SEARCH_DELAY_MS = 300;

export function templatesView(api) {
  const form = createForm();
  const formStatus = h("p", { class: "notice", role: "status" });
  const submit = form.querySelector("button[type=submit]");
  const cancel = h("button", { type: "button", onclick: () => dialog?.close() }, t("templates.cancelEdit"));
  submit.after(cancel);
  let dialog = null; // the form's dialog while it is open
  const search = h("input", { type: "search", id: "template-search", placeholder: t("templates.searchPlaceholder"),
    "aria-label": t("templates.search"), maxlength: 64 });
  const statusFilter = h("select", { "aria-label": t("col.status") },
    ["all", "draft", "published", "paused", "ended"].map((s) => h("option", { value: s === "all" ? "" : s }, tOr("status", s))));
  const listStatus = h("p", { class: "notice", role: "status" });
  const asOf = h("p", { class: "sub" }); // when the counters were read: apart from the status, which says what was done
  const list = h("div", { id: "template-list" });
  const more = h("button", { type: "button", hidden: true }, t("common.more"));
  let pages = 1; // the "more" button adds one; each refresh reloads as many
  let editing = null; // the draft being edited, else null: the form creates
  const creating = new Intent();
  const moves = new Map(); // template id -> the Intent of its status change in flight
  const detail = templateDetail(api, { edit, remove, duplicate });

  async function load() {
    try {
      const items = [];
      let cursor = null;
      for (let page = 0; page < pages; page += 1) {
        const result = await api.get("admin/templates", { q: search.value.trim(), status: statusFilter.value, limit: 50, cursor });
        items.push(...result.items);
        cursor = result.next_cursor;
        if (!cursor) break;
      }
      list.replaceChildren(table(items));
      more.hidden = !cursor;
      asOf.textContent = t("templates.asOf", { time: new Date().toLocaleTimeString(document.documentElement.lang), seconds: REFRESH_MS / 1000 });
    } catch (error) {
      sayError(listStatus, error);
    }
  }

  async function act(template, action, buttons) {
    if (!moves.has(template.id)) moves.set(template.id, new Intent());
    const move = moves.get(template.id);
    if (move.inFlight) return;
    if (action === "end" && !confirm(t("templates.confirmEnd", { name: template.name }))) return;
    try {
      const changed = await move.post(api, `admin/templates/${template.id}/${action}`, undefined, ...buttons);
      say(listStatus, t("common.nowStatus", { name: changed.name, status: tOr("status", changed.status) }), "ok");
      await load();
      detail.refresh(changed.id);
    } catch (error) {
      sayError(listStatus, error);
    }
  }

  // The form in its dialog, titled for what it does; closing it (Esc, ×, Cancel) drops an edit.
  function openForm(title, submitText, note = "") {
    dialog?.close();
    clearErrors(form);
    submit.textContent = submitText;
    say(formStatus, note);
    const opened = openDialog({ id: "template-dialog", title, body: [form, formStatus], onClose: () => {
      if (dialog !== opened) return; // the close event comes later: another form may be open by then
      dialog = null;
      editing = null;
    } });
    dialog = opened;
  }

  function startNew(template = null) {
    editing = null;
    if (template) fillForm(form, { ...template, name: t("templates.copyName", { name: template.name }).slice(0, 64) });
    else {
      form.reset();
      syncForm(form);
    }
    openForm(template ? t("templates.duplicateOf", { name: template.name }) : t("templates.new"), t("templates.create"),
      template ? t("templates.duplicated", { name: template.name }) : "");
  }

  function edit(template) {
    fillForm(form, template);
    openForm(t("templates.editing", { name: template.name }), t("templates.save"));
    editing = template;
  }

  function duplicate(template) {
    startNew(template);
  }

  async function remove(template) {
    if (!confirm(t("templates.confirmDelete", { name: template.name }))) return;
    try {
      await api.delete(`admin/templates/${template.id}`);
      say(listStatus, t("templates.deleted", { name: template.name }), "ok");
      if (editing?.id === template.id) dialog?.close();
      detail.close();
      await load();
    } catch (error) {
      sayError(listStatus, error);
    }
  }

  function table(items) {
    return dataTable([
      { label: t("col.template"), cell: (x) => [
        h("button", { type: "button", class: "link", onclick: () => detail.open(x.id) }, x.name),
        h("div", { class: "sub" }, `${tOr("channel", x.claim_channel)} · ${x.id}`)] },
      { label: t("col.offer"), cell: (x) => describeOffer(x) },
      { label: t("col.status"), cell: (x) => badge(x.status) },
      { label: t("col.claimed"), num: true, cell: (x) => formatCount(x.claimed) },
      { label: t("col.redeemed"), num: true, cell: (x) => formatCount(x.redeemed) },
      { label: t("col.remaining"), num: true, cell: (x) => t("common.of", { part: formatCount(x.remaining), whole: formatCount(x.total_stock) }) },
      {
        label: t("col.actions"),
        cell: (x) => {
          const buttons = ACTIONS[x.status].map((action) => h("button", {
            type: "button", class: "small", onclick: () => act(x, action, buttons),
          }, t(`action.${action}`)));
          for (const button of buttons) moves.get(x.id)?.bind(button); // a move in flight: still disabled
          const own = [];
          if (x.status === "draft" && !x.claimed) own.push(h("button", { type: "button", class: "small", onclick: () => edit(x) }, t("templates.edit")));
          if (x.status === "draft" && !x.claimed) own.push(h("button", { type: "button", class: "small danger", onclick: () => remove(x) }, t("templates.delete")));
          own.push(h("button", { type: "button", class: "small", onclick: () => duplicate(x) }, t("templates.duplicate")));
          return h("div", { class: "row-actions" }, buttons, own);
        },
      },
    ], items, search.value.trim() ? t("templates.noneMatching", { q: search.value.trim() })
      : statusFilter.value ? t("templates.noneWith", { status: tOr("status", statusFilter.value) }) : t("templates.none"));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const read = new Reader(form);
    const body = bodyOf(read);
    crossChecks(body, read.problems);
    if (read.problems.length) {
      showProblems(form, formStatus, read.problems);
      return;
    }
    try {
      if (editing) {
        submit.disabled = true;
        const saved = await api.put(`admin/templates/${editing.id}`, body).finally(() => { submit.disabled = false; });
        say(listStatus, t("templates.saved", { name: saved.name }), "ok");
        detail.refresh(saved.id);
      } else {
        const created = await creating.post(api, "admin/templates", body, submit);
        say(listStatus, t("templates.created", { name: created.name }), "ok");
      }
      dialog?.close();
      form.reset();
      syncForm(form);
      await load();
    } catch (error) {
      showErrors(form, formStatus, error);
    }
  });
  let searching = null;
  search.addEventListener("input", () => {
    clearTimeout(searching);
    searching = setTimeout(() => { pages = 1; load(); }, SEARCH_DELAY_MS);
  });
  statusFilter.addEventListener("change", () => { pages = 1; load(); });
  more.addEventListener("click", () => { pages += 1; load(); });

  const element = h("section", { id: "view-templates" },
    detail.element,
    h("div", { class: "card" },
      h("div", { class: "toolbar" }, h("h2", {}, t("templates.title")),
        h("div", { class: "actions" }, search, statusFilter, h("button", { type: "button", onclick: () => load() }, t("common.refresh")),
          h("button", { type: "button", class: "primary", id: "new-template", onclick: () => startNew() }, t("templates.new")))),
      listStatus, list, more, asOf));

  setInterval(() => {
    if (!element.hidden && !document.hidden && api.token) load();
  }, REFRESH_MS);
  return { id: "templates", title: t("templates.title"), element, show: load };
}
