// Templates: the create form (validation shown next to fields), the list with live counters,
// and the publish / pause / end buttons that each status allows. Creating a template is one
// Intent (one Idempotency-Key for the form as filled in); a row's buttons are disabled while
// one of its moves is in flight.
import { Intent } from "./api.js";
import { badge, dataTable, h, say } from "./dom.js";
import { Reader, clearErrors, field, localDateTime, showErrors } from "./forms.js";
import { formatCount } from "./format.js";
import { describeOffer } from "./offers.js";

const ACTIONS = { draft: ["publish"], published: ["pause", "end"], paused: ["publish", "end"], ended: [] };
const REFRESH_MS = 10000;
const VALUE_LABELS = { amount_off: "Amount off (¥)", percent_off: "Percent off (1-99)", stored_value: "Card value (¥)" };

export function templatesView(api) {
  const form = createForm();
  const formStatus = h("p", { class: "notice", role: "status" });
  const statusFilter = h("select", { "aria-label": "Status" },
    ["all", "draft", "published", "paused", "ended"].map((s) => h("option", { value: s === "all" ? "" : s }, s)));
  const listStatus = h("p", { class: "notice", role: "status" });
  const list = h("div", { id: "template-list" });
  const more = h("button", { type: "button", hidden: true }, "Load more");
  let pages = 1; // "Load more" adds one; each refresh reloads as many
  const creating = new Intent();
  const moves = new Map(); // template id -> the Intent of its status change in flight

  async function load() {
    try {
      const items = [];
      let cursor = null;
      for (let page = 0; page < pages; page += 1) {
        const result = await api.get("admin/templates", { status: statusFilter.value, limit: 50, cursor });
        items.push(...result.items);
        cursor = result.next_cursor;
        if (!cursor) break;
      }
      list.replaceChildren(table(items));
      more.hidden = !cursor;
      say(listStatus, `Counters as of ${new Date().toLocaleTimeString()}; they refresh every ${REFRESH_MS / 1000} s.`);
    } catch (error) {
      say(listStatus, error.message, "error");
    }
  }

  async function act(template, action, buttons) {
    if (!moves.has(template.id)) moves.set(template.id, new Intent());
    const move = moves.get(template.id);
    if (move.inFlight) return;
    if (action === "end" && !confirm(`End “${template.name}”? An ended template cannot be published again.`)) return;
    try {
      const changed = await move.post(api, `admin/templates/${template.id}/${action}`, undefined, ...buttons);
      say(listStatus, `“${changed.name}” is now ${changed.status}.`, "ok");
      await load();
    } catch (error) {
      say(listStatus, error.message, "error");
    }
  }

  function table(items) {
    return dataTable([
      { label: "Template", cell: (t) => [t.name, h("div", { class: "sub" }, `${t.claim_channel} · ${t.id}`)] },
      { label: "Offer", cell: (t) => describeOffer(t) },
      { label: "Status", cell: (t) => badge(t.status) },
      { label: "Claimed", num: true, cell: (t) => formatCount(t.claimed) },
      { label: "Redeemed", num: true, cell: (t) => formatCount(t.redeemed) },
      { label: "Remaining", num: true, cell: (t) => `${formatCount(t.remaining)} of ${formatCount(t.total_stock)}` },
      {
        label: "Actions",
        cell: (t) => {
          const buttons = ACTIONS[t.status].map((action) => h("button", {
            type: "button", class: "small", onclick: () => act(t, action, buttons),
          }, action));
          for (const button of buttons) moves.get(t.id)?.bind(button); // a move in flight: still disabled
          return h("div", { class: "row-actions" }, buttons);
        },
      },
    ], items, statusFilter.value ? `No ${statusFilter.value} templates.` : "No templates yet: create one above.");
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const read = new Reader(form);
    const body = bodyOf(read);
    if (read.problems.length) {
      showErrors(form, formStatus, { message: "Check the highlighted fields.", details: read.problems });
      return;
    }
    const submit = form.querySelector("button[type=submit]");
    try {
      const created = await creating.post(api, "admin/templates", body, submit);
      say(formStatus, `Created the draft “${created.name}”. Publish it from the list when it is ready.`, "ok");
      form.reset();
      syncForm(form);
      await load();
    } catch (error) {
      showErrors(form, formStatus, error);
    }
  });
  statusFilter.addEventListener("change", () => { pages = 1; load(); });
  more.addEventListener("click", () => { pages += 1; load(); });

  const element = h("section", { id: "view-templates" },
    h("div", { class: "card" }, h("h2", {}, "New template"), form, formStatus),
    h("div", { class: "card" },
      h("div", { class: "toolbar" }, h("h2", {}, "Templates"),
        h("div", { class: "actions" }, statusFilter, h("button", { type: "button", onclick: load }, "Refresh"))),
      list, more, listStatus));

  setInterval(() => {
    if (!element.hidden && !document.hidden && api.token) load();
  }, REFRESH_MS);
  return { id: "templates", title: "Templates", element, show: load };
}

function bodyOf(read) {
  const kind = read.text("kind");
  const moneyValue = kind !== "percent_off";
  const scopeKind = read.text("scope_kind");
  return {
    name: read.text("name"),
    kind,
    value: moneyValue ? read.fen("value") : read.integer("value"),
    max_discount: kind === "percent_off" ? read.fen("max_discount") : undefined,
    min_spend: kind === "stored_value" ? undefined : read.fen("min_spend"),
    total_stock: read.integer("total_stock"),
    per_user_limit: read.integer("per_user_limit"),
    stock_shards: read.integer("stock_shards"),
    points_price: read.integer("points_price"),  // empty: not for points (the API's default)
    claim_channel: read.text("claim_channel"),
    claim_starts_at: read.time("claim_starts_at"),
    claim_ends_at: read.time("claim_ends_at"),
    validity: read.text("validity_kind") === "days"
      ? { days_after_claim: read.integer("days_after_claim") }
      : { fixed: { from: read.time("valid_from"), until: read.time("valid_until") } },
    scope: scopeKind === "all" ? { all: true } : { [scopeKind]: read.list("scope_list") },
  };
}

function createForm() {
  const now = new Date();
  const inAWeek = new Date(now.getTime() + 7 * 24 * 3600 * 1000);
  const input = (props) => h("input", { type: "text", ...props });
  const select = (name, options) => h("select", { name },
    Object.entries(options).map(([value, text]) => h("option", { value }, text)));
  const form = h("form", { id: "template-form", novalidate: true },
    h("div", { class: "form-grid" },
      field("name", "Name", input({ maxlength: 64, placeholder: "¥10 off ¥100" })),
      field("kind", "Kind", select("kind",
        { amount_off: "Amount off (满减)", percent_off: "Percent off (折扣)", stored_value: "Stored-value card" })),
      field("value", VALUE_LABELS.amount_off, input({ inputmode: "decimal" })),
      field("max_discount", "Discount cap (¥, optional)", input({ inputmode: "decimal" })),
      field("min_spend", "Minimum spend (¥)", input({ inputmode: "decimal", value: "0" })),
      field("total_stock", "Total stock", input({ inputmode: "numeric", value: "100" })),
      field("per_user_limit", "Per-user limit", input({ inputmode: "numeric", value: "1" })),
      field("stock_shards", "Stock shards", input({ inputmode: "numeric", value: "1" }),
        "1 for most campaigns; a flash sale spreads its stock over up to 50 items"),
      field("points_price", "Points price (optional, 积分兑换)", input({ inputmode: "numeric" }),
        "Shoppers may also take one for this many points; empty: not for points"),
      field("claim_channel", "How shoppers get it", select("claim_channel",
        { open: "Open: listed in the mall", code: "Codes only", grant: "Grants only" })),
      field("claim_starts_at", "Claims open", h("input", { type: "datetime-local", value: localDateTime(now) })),
      field("claim_ends_at", "Claims close", h("input", { type: "datetime-local", value: localDateTime(inAWeek) })),
      field("validity", "Validity", select("validity_kind", { days: "Days after claiming", fixed: "Fixed window" })),
      field("validity.days_after_claim", "Usable for (days)",
        input({ name: "days_after_claim", inputmode: "numeric", value: "30" })),
      field("validity.fixed.from", "Usable from",
        h("input", { type: "datetime-local", name: "valid_from", value: localDateTime(now) })),
      field("validity.fixed.until", "Usable until",
        h("input", { type: "datetime-local", name: "valid_until", value: localDateTime(inAWeek) })),
      field("scope", "Applies to", select("scope_kind", { all: "Every item", categories: "Categories", skus: "Items (SKUs)" })),
      field("scope.categories", "Categories or SKUs (comma separated)", input({ name: "scope_list" }))),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Create draft")));
  form.addEventListener("change", () => syncForm(form));
  syncForm(form);
  return form;
}

// Show the fields that the chosen kind, validity and scope use; label the value by its unit.
function syncForm(form) {
  const { kind, validity_kind: validity, scope_kind: scope } = form.elements;
  const shown = {
    max_discount: kind.value === "percent_off",
    min_spend: kind.value !== "stored_value",
    "validity.days_after_claim": validity.value === "days",
    "validity.fixed.from": validity.value === "fixed",
    "validity.fixed.until": validity.value === "fixed",
  };
  for (const [name, visible] of Object.entries(shown)) {
    form.querySelector(`[data-field="${name}"]`).hidden = !visible;
  }
  // The list feeds scope.categories or scope.skus: named so, the API's details land next to it.
  const list = form.elements.scope_list.closest(".field");
  list.dataset.field = `scope.${scope.value === "skus" ? "skus" : "categories"}`;
  list.hidden = scope.value === "all";
  form.querySelector('[data-field="value"] label').textContent = VALUE_LABELS[kind.value];
}
