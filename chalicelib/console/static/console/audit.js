// The audit trail: every change made under /admin, newest first, with who made it and what it
// changed (GET /admin/audit). Filter by who, by what kind of thing, or by one thing (its id);
// each row lists the fields the change moved, before -> after. Read only: nothing edits an entry.
import { badge, dataTable, h, say } from "./dom.js";
import { formatTime } from "./format.js";

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
  const actor = h("input", { id: "audit-actor", name: "actor", placeholder: "e.g. ops", autocomplete: "off" });
  const targetType = h("select", { id: "audit-target-type", name: "target_type" },
    h("option", { value: "" }, "anything"), TARGET_TYPES.map((t) => h("option", { value: t }, t)));
  const targetId = h("input", { id: "audit-target-id", name: "target_id", placeholder: "an id", autocomplete: "off" });
  const form = h("form", { class: "filters" },
    h("label", { for: "audit-actor" }, "Who"), actor,
    h("label", { for: "audit-target-type" }, "Changed"), targetType,
    h("label", { for: "audit-target-id" }, "Id"), targetId,
    h("button", { class: "primary" }, "Show"));
  const list = h("div", { id: "audit-list" });
  const more = h("button", { type: "button", hidden: true }, "Load more");
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
      say(status, "Choose what kind of thing the id names (template, rule, …) to look one up.", "error");
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
        { label: "When", cell: (e) => formatTime(e.at) },
        { label: "Who", cell: (e) => e.actor ?? "—" },
        { label: "Did", cell: (e) => badge(e.action) },
        { label: "To", cell: (e) => h("span", {}, `${e.target_type} `, h("code", {}, e.target_id)) },
        { label: "Changes", cell: (e) => h("ul", { class: "changes" }, changedFields(e.before, e.after).map((c) =>
          h("li", {}, h("strong", {}, c.key), `: ${e.before ? `${shown(c.before)} → ` : ""}${shown(c.after)}`))) },
      ], items, "No change recorded matches."));
    } catch (error) {
      if (ticket === asked) say(status, error.message, "error");
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  more.addEventListener("click", () => load(true));
  const element = h("section", { id: "view-audit" },
    h("div", { class: "card" },
      h("div", { class: "toolbar" }, h("h2", {}, "Audit trail"),
        h("div", { class: "actions" }, h("button", { type: "button", onclick: () => load() }, "Refresh"))),
      h("p", { class: "hint" }, "Every change made in this console or through /admin, with who made it. "
        + "Entries are written with the change itself and can never be edited or deleted."),
      form, list, more, status));
  return { id: "audit", title: "Audit", roles: ["operator", "marketing", "finance", "auditor"], element,
    show: () => load() };
}
