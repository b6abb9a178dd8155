// The template form: create a draft, edit a draft that issued nothing (the whole body again, as
// PUT /admin/templates/{id} takes it), or start a new one from any template (Duplicate). The
// API's rules across fields are checked before sending; the fields shown follow the kind,
// validity and scope chosen.
import { h } from "./dom.js";
import { dateTimeInput, field, localDateTime } from "./forms.js";
import { formatFen } from "./format.js";
import { t } from "./i18n.js";
import { zhe } from "./offers.js";

const VALUE_LABELS = { amount_off: "templates.valueAmount", percent_off: "templates.valuePercent", stored_value: "templates.valueCard" };
const FLASH_SHARDS = 10; // 秒杀模式: the stock spread over this many items unless the operator says otherwise

// The API's rules across fields (TemplateCreate._consistent), checked before sending: the API
// reports them only once every field is valid, so without this a form took two rounds.
export function crossChecks(body, problems) {
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

export function bodyOf(read) {
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
    price: read.fen("price"),  // empty: not for sale (the API's default)
    claim_channel: read.text("claim_channel"),
    claim_starts_at: read.time("claim_starts_at"),
    claim_ends_at: read.time("claim_ends_at"),
    validity: read.text("validity_kind") === "days"
      ? { days_after_claim: read.integer("days_after_claim") }
      : { fixed: { from: read.time("valid_from", "validity.fixed.from"), until: read.time("valid_until", "validity.fixed.until") } },
    scope: scopeKind === "all" ? { all: true } : { [scopeKind]: read.list("scope_list") },
  };
}

export function createForm() {
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
      field("price", t("templates.price"), input({ inputmode: "decimal" }), t("templates.priceHint")),
      field("points_price", t("templates.pointsPrice"), input({ inputmode: "numeric" }), t("templates.pointsPriceHint")),
      field("claim_channel", t("templates.channel"), select("claim_channel",
        { open: t("channel.open.long"), code: t("channel.code.long"), grant: t("channel.grant.long") })),
      field("claim_starts_at", t("templates.claimsOpen"), dateTimeInput({ value: localDateTime(now) })),
      field("claim_ends_at", t("templates.claimsClose"), dateTimeInput({ value: localDateTime(inAWeek) })),
      field("validity", t("templates.validity"), select("validity_kind", { days: t("templates.validityDays"), fixed: t("templates.validityFixed") })),
      field("validity.days_after_claim", t("templates.usableDays"),
        input({ name: "days_after_claim", inputmode: "numeric", value: "30" })),
      field("validity.fixed.from", t("templates.usableFrom"),
        dateTimeInput({ name: "valid_from", value: localDateTime(now) })),
      field("validity.fixed.until", t("templates.usableUntil"),
        dateTimeInput({ name: "valid_until", value: localDateTime(inAWeek) })),
      field("scope", t("templates.scope"), select("scope_kind", { all: t("templates.scopeAll"), categories: t("templates.scopeCategories"), skus: t("templates.scopeSkus") })),
      field("scope.categories", t("templates.scopeList"), input({ name: "scope_list" }))),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("templates.create"))));
  form.addEventListener("change", () => syncForm(form));
  form.addEventListener("input", () => syncForm(form));
  syncForm(form);
  return form;
}

// Show the fields that the chosen kind, validity and scope use; label the value by its unit.
export function syncForm(form) {
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

// Fill the form from a template (Edit, Duplicate): every field the create body has.
export function fillForm(form, template) {
  form.reset();
  const el = form.elements;
  const yuan = (fen) => (fen === null || fen === undefined ? "" : formatFen(fen).replace(/^¥/, "").replace(/,/g, ""));
  const count = (n) => (n === null || n === undefined ? "" : String(n));
  el.name.value = template.name;
  el.kind.value = template.kind;
  el.value.value = template.kind === "percent_off" ? String(template.value) : yuan(template.value);
  el.max_discount.value = yuan(template.max_discount);
  el.min_spend.value = yuan(template.min_spend ?? 0);
  el.total_stock.value = count(template.total_stock);
  el.per_user_limit.value = count(template.per_user_limit);
  el.flash.checked = (template.stock_shards ?? 1) > 1;
  el.stock_shards.value = String(el.flash.checked ? template.stock_shards : FLASH_SHARDS);
  el.price.value = yuan(template.price);
  el.points_price.value = count(template.points_price);
  el.claim_channel.value = template.claim_channel ?? "open";
  el.claim_starts_at.value = localDateTime(new Date(template.claim_starts_at));
  el.claim_ends_at.value = localDateTime(new Date(template.claim_ends_at));
  const fixed = template.validity.fixed;
  el.validity_kind.value = fixed ? "fixed" : "days";
  if (fixed) {
    el.valid_from.value = localDateTime(new Date(fixed.from));
    el.valid_until.value = localDateTime(new Date(fixed.until));
  } else {
    el.days_after_claim.value = count(template.validity.days_after_claim);
  }
  const scope = template.scope ?? { all: true };
  el.scope_kind.value = scope.categories ? "categories" : scope.skus ? "skus" : "all";
  el.scope_list.value = (scope.categories ?? scope.skus ?? []).join(", ");
  syncForm(form);
}
