// The audit trail: every change made under /admin, newest first, with who made it and what it
// changed (GET /admin/audit). Filter by who, by what kind of thing, or by one thing (its id);
// each row lists the fields the change moved, before -> after. Read only: nothing edits an entry.
import { badge, dataTable, h, say, sayError } from "./dom.js";
import { formatTime } from "./format.js";
import { t, tOr } from "./i18n.js";

const TARGET_TYPES = ["template", "rule", "settings", "withdrawal", "account", "coupon"];

// The fields whose value differs between `before` and `after` (a creation: every field of after).
export function changedFields(before, after) {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  return [...keys].filter((key) => key !== "updated_at" && !same(before?.[key], after?.[key]))
    .map((key) => ({ key, before: before?.[key], after: after?.[key] }));
}

function shown(value) {
  if (value === undefined || value === null) return "—";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

export function auditView(api) {
  const actor = h("input", { id: "audit-actor", name: "actor", placeholder: t("audit.actorPlaceholder"), autocomplete: "off" });
  const targetType = h("select", { id: "audit-target-type", name: "target_type" },
    h("option", { value: "" }, t("audit.anything")), TARGET_TYPES.map((type) => h("option", { value: type }, tOr("target", type))));
  const targetId = h("input", { id: "audit-target-id", name: "target_id", placeholder: t("audit.idPlaceholder"), autocomplete: "off" });
  const form = h("form", { class: "filters" },
    h("label", { for: "audit-actor" }, t("col.who")), actor,
    h("label", { for: "audit-target-type" }, t("audit.changed")), targetType,
    h("label", { for: "audit-target-id" }, t("audit.id")), targetId,
    h("button", { class: "primary" }, t("audit.show")));
  const list = h("div", { id: "audit-list" });
  const more = h("button", { type: "button", hidden: true }, t("common.more"));
  const status = h("p", { class: "notice", role: "status" });
  let items = [];
  let cursor = null;
  let asked = 0; // the latest request; an older answer arriving late (the view's first load) is dropped

  function query() {
    const q = { limit: 50 };
    if (actor.value.trim()) q.actor = actor.value.trim();
    if (targetType.value) q.target_type = targetType.value;
    if (targetType.value && targetId.value.trim()) q.target_id = targetId.value.trim();
    return q;
  }

  async function load(append = false) {
    if (!targetType.value && targetId.value.trim()) {
      say(status, t("audit.chooseType"), "error");
      return;
    }
    const ticket = ++asked;
    try {
      const page = await api.get("admin/audit", { ...query(), cursor: append ? cursor : null });
      if (ticket !== asked) return;
      items = append ? [...items, ...page.items] : page.items;
      cursor = page.next_cursor;
      more.hidden = !cursor;
      say(status, "");
      list.replaceChildren(dataTable([
        { label: t("col.when"), cell: (e) => formatTime(e.at) },
        { label: t("col.who"), cell: (e) => e.actor ?? "—" },
        { label: t("col.did"), cell: (e) => badge(e.action) },
        { label: t("col.to"), cell: (e) => h("span", {}, `${tOr("target", e.target_type)} `, h("code", {}, e.target_id)) },
        { label: t("col.changes"), cell: (e) => h("ul", { class: "changes" }, changedFields(e.before, e.after).map((c) =>
          h("li", {}, h("strong", {}, tOr("apiField", c.key)), `: ${e.before ? `${shown(c.before)} → ` : ""}${shown(c.after)}`))) },
      ], items, t("audit.none")));
    } catch (error) {
      if (ticket === asked) sayError(status, error);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  more.addEventListener("click", () => load(true));
  const element = h("section", { id: "view-audit" },
    h("div", { class: "card" },
      h("div", { class: "toolbar" }, h("h2", {}, t("audit.heading")),
        h("div", { class: "actions" }, h("button", { type: "button", onclick: () => load() }, t("common.refresh")))),
      h("p", { class: "hint" }, t("audit.hint")),
      form, list, more, status));
  return { id: "audit", title: t("audit.title"), roles: ["operator", "marketing", "finance", "auditor"], element,
    show: () => load() };
}
