// Templates: the create form (validation shown next to fields), the list with live counters,
// and the publish / pause / end buttons that each status allows. Creating a template is one
// Intent (one Idempotency-Key for the form as filled in); a row's buttons are disabled while
// one of its moves is in flight.
import { Intent } from "./api.js";
import { badge, dataTable, h, say, sayError } from "./dom.js";
import { Reader, clearErrors, field, localDateTime, showErrors, showProblems } from "./forms.js";
import { formatCount } from "./format.js";
import { t, tOr } from "./i18n.js";
import { describeOffer, zhe } from "./offers.js";

const ACTIONS = { draft: ["publish"], published: ["pause", "end"], paused: ["publish", "end"], ended: [] };
const REFRESH_MS = 10000;
const VALUE_LABELS = { amount_off: "templates.valueAmount", percent_off: "templates.valuePercent", stored_value: "templates.valueCard" };
const FLASH_SHARDS = 10; // 秒杀模式: the stock spread over this many items unless the operator says otherwise

export function templatesView(api) {
  const form = createForm();
  const formStatus = h("p", { class: "notice", role: "status" });
  const statusFilter = h("select", { "aria-label": t("col.status") },
    ["all", "draft", "published", "paused", "ended"].map((s) => h("option", { value: s === "all" ? "" : s }, tOr("status", s))));
  const listStatus = h("p", { class: "notice", role: "status" });
  const list = h("div", { id: "template-list" });
  const more = h("button", { type: "button", hidden: true }, t("common.more"));
  let pages = 1; // the "more" button adds one; each refresh reloads as many
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
      say(listStatus, t("templates.asOf", { time: new Date().toLocaleTimeString(), seconds: REFRESH_MS / 1000 }));
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
    } catch (error) {
      sayError(listStatus, error);
    }
  }

  function table(items) {
    return dataTable([
      { label: t("col.template"), cell: (x) => [x.name, h("div", { class: "sub" }, `${tOr("channel", x.claim_channel)} · ${x.id}`)] },
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
          return h("div", { class: "row-actions" }, buttons);
        },
      },
    ], items, statusFilter.value ? t("templates.noneWith", { status: tOr("status", statusFilter.value) }) : t("templates.none"));
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
    const submit = form.querySelector("button[type=submit]");
    try {
      const created = await creating.post(api, "admin/templates", body, submit);
      say(formStatus, t("templates.created", { name: created.name }), "ok");
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
    h("div", { class: "card" }, h("h2", {}, t("templates.new")), form, formStatus),
    h("div", { class: "card" },
      h("div", { class: "toolbar" }, h("h2", {}, t("templates.title")),
        h("div", { class: "actions" }, statusFilter, h("button", { type: "button", onclick: load }, t("common.refresh")))),
      list, more, listStatus));

  setInterval(() => {
    if (!element.hidden && !document.hidden && api.token) load();
  }, REFRESH_MS);
  return { id: "templates", title: t("templates.title"), element, show: load };
}

// The API's rules across fields (TemplateCreate._consistent), checked before sending: the API
// reports them only once every field is valid, so without this a form took two rounds.
function crossChecks(body, problems) {
  const whole = (n) => Number.isInteger(n);
  if (body.claim_starts_at && body.claim_ends_at && body.claim_ends_at <= body.claim_starts_at) {
    problems.push({ field: "claim_ends_at", message: "@rule.claimWindow" });
  }
  const until = body.validity.fixed?.until;
  if (until && body.claim_starts_at && until <= body.claim_starts_at) {
    problems.push({ field: "validity.fixed.until", message: "@rule.usableAfterClaims" });
  } else if (until && body.validity.fixed.from && until <= body.validity.fixed.from) {
    problems.push({ field: "validity.fixed.until", message: "@rule.usableWindow" });
  }
  if (body.kind === "percent_off" && whole(body.value) && (body.value < 1 || body.value > 99)) {
    problems.push({ field: "value", message: "@rule.percent" });
  }
  if (whole(body.stock_shards) && whole(body.total_stock) && body.stock_shards > body.total_stock) {
    problems.push({ field: "stock_shards", message: "@rule.shards" });
  }
  if (!body.name.trim()) problems.push({ field: "name", message: "@rule.name" });
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
    stock_shards: read.form.elements.flash.checked ? read.integer("stock_shards") : undefined, // the API's default: 1
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
      field("name", t("common.name"), input({ maxlength: 64, placeholder: t("templates.namePlaceholder") })),
      field("kind", t("common.kind"), select("kind",
        { amount_off: t("kind.amount_off"), percent_off: t("kind.percent_off"), stored_value: t("kind.stored_value") })),
      field("value", t(VALUE_LABELS.amount_off), input({ inputmode: "decimal" }), " "),
      field("max_discount", t("templates.cap"), input({ inputmode: "decimal" })),
      field("min_spend", t("templates.minSpend"), input({ inputmode: "decimal", value: "0" })),
      field("total_stock", t("templates.totalStock"), input({ inputmode: "numeric", value: "100" })),
      field("per_user_limit", t("templates.perUser"), input({ inputmode: "numeric", value: "1" })),
      field("flash", t("templates.flash"), h("input", { type: "checkbox", name: "flash" }), t("templates.flashHint")),
      field("stock_shards", t("templates.shards"), input({ inputmode: "numeric", value: String(FLASH_SHARDS) }),
        t("templates.shardsHint")),
      field("points_price", t("templates.pointsPrice"), input({ inputmode: "numeric" }), t("templates.pointsPriceHint")),
      field("claim_channel", t("templates.channel"), select("claim_channel",
        { open: t("channel.open.long"), code: t("channel.code.long"), grant: t("channel.grant.long") })),
      field("claim_starts_at", t("templates.claimsOpen"), h("input", { type: "datetime-local", value: localDateTime(now) })),
      field("claim_ends_at", t("templates.claimsClose"), h("input", { type: "datetime-local", value: localDateTime(inAWeek) })),
      field("validity", t("templates.validity"), select("validity_kind", { days: t("templates.validityDays"), fixed: t("templates.validityFixed") })),
      field("validity.days_after_claim", t("templates.usableDays"),
        input({ name: "days_after_claim", inputmode: "numeric", value: "30" })),
      field("validity.fixed.from", t("templates.usableFrom"),
        h("input", { type: "datetime-local", name: "valid_from", value: localDateTime(now) })),
      field("validity.fixed.until", t("templates.usableUntil"),
        h("input", { type: "datetime-local", name: "valid_until", value: localDateTime(inAWeek) })),
      field("scope", t("templates.scope"), select("scope_kind", { all: t("templates.scopeAll"), categories: t("templates.scopeCategories"), skus: t("templates.scopeSkus") })),
      field("scope.categories", t("templates.scopeList"), input({ name: "scope_list" }))),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("templates.create"))));
  form.addEventListener("change", () => syncForm(form));
  form.addEventListener("input", () => syncForm(form));
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
    stock_shards: form.elements.flash.checked,
  };
  for (const [name, visible] of Object.entries(shown)) {
    form.querySelector(`[data-field="${name}"]`).hidden = !visible;
  }
  // The list feeds scope.categories or scope.skus: named so, the API's details land next to it.
  const list = form.elements.scope_list.closest(".field");
  list.dataset.field = `scope.${scope.value === "skus" ? "skus" : "categories"}`;
  list.hidden = scope.value === "all";
  form.querySelector('[data-field="value"] label').textContent = t(VALUE_LABELS[kind.value]);
  // A percent off reads as 折 too: 10 (% off) is 9折.
  const percent = /^\d{1,2}$/.test(form.elements.value.value.trim()) ? Number(form.elements.value.value.trim()) : 0;
  form.querySelector('[data-field="value"] .hint').textContent = kind.value === "percent_off" && percent >= 1
    ? t("templates.zhe", { pct: percent, zhe: zhe(percent) }) : " ";
}
