// The pages' words: one catalogue per language (messages-zh.js, messages-en.js, the same keys),
// Simplified Chinese by default and English by the switch in the top bar, remembered in
// localStorage. Every visible string goes through `t(key, params)`; the markup names its strings
// with data-i18n attributes, filled by `startI18n()` before anything is drawn.
import en from "./messages-en.js";
import zh from "./messages-zh.js";

export const LANG_KEY = "mall.lang";
const CATALOGUES = { zh, en };
const HTML_LANG = { zh: "zh-CN", en: "en" };

function chosen() {
  try {
    const stored = localStorage.getItem(LANG_KEY);
    return stored in CATALOGUES ? stored : "zh";
  } catch {
    return "zh";
  }
}

export const lang = chosen();
const messages = CATALOGUES[lang];

// t("templates.created", { name: "春季券" }): the sentence in the page's language, each {name}
// replaced by its parameter. A key missing from the catalogue shows as itself (a test finds it).
export function t(key, params) {
  const text = messages[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

// t(`${prefix}.${value}`) when the catalogue has it, else the value itself (an unknown status).
export function tOr(prefix, value) {
  const key = `${prefix}.${value}`;
  return key in messages ? messages[key] : String(value);
}

const ATTRIBUTES = { "data-i18n-placeholder": "placeholder", "data-i18n-aria-label": "aria-label", "data-i18n-title": "title" };

// Fill the markup's data-i18n* attributes, set <html lang> and the title, add the 中文/English switch.
export function startI18n(titleKey) {
  document.documentElement.lang = HTML_LANG[lang];
  document.title = t(titleKey);
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const [attribute, target] of Object.entries(ATTRIBUTES)) {
    for (const el of document.querySelectorAll(`[${attribute}]`)) el.setAttribute(target, t(el.getAttribute(attribute)));
  }
  const bar = document.querySelector(".topbar");
  const switcher = document.createElement("div");
  switcher.className = "lang-switch";
  switcher.setAttribute("role", "group");
  switcher.setAttribute("aria-label", t("lang.label"));
  for (const code of Object.keys(CATALOGUES)) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "small";
    button.lang = HTML_LANG[code];
    button.dataset.lang = code;
    button.textContent = t(`lang.${code}`);
    button.setAttribute("aria-pressed", String(code === lang));
    button.addEventListener("click", () => {
      if (code === lang) return;
      localStorage.setItem(LANG_KEY, code);
      location.reload(); // the token is in sessionStorage: the page comes back signed in
    });
    switcher.append(button);
  }
  bar.append(switcher);
}

// --- errors -------------------------------------------------------------------------------

// The sentence for an API error (API.md: {"error": {"code", "message", "details"}}), in the page's
// language. `overrides` maps a code to a key for what that code means on this form.
export function errorText(error, overrides = {}) {
  const key = overrides[error.code] ?? `error.${error.code}`;
  if (key in messages) return t(key, error.params);
  if (/^HTTP_\d+$/.test(error.code ?? "")) return t("error.HTTP", { status: error.status });
  return t("error.other");
}

// pydantic's message of one validation detail, as a sentence about the field.
const FIELD_RULES = [
  [/^Field required/, "field.required"],
  [/^String should match pattern/, "field.pattern"],
  [/should be greater than or equal to (-?[\d.]+)/, "field.min"],
  [/should be greater than (-?[\d.]+)/, "field.above"],
  [/should be less than or equal to (-?[\d.]+)/, "field.max"],
  [/should be less than (-?[\d.]+)/, "field.below"],
  [/should be a valid integer/, "field.integer"],
  [/should be a valid (number|decimal)/, "field.number"],
  [/should be a valid (datetime|date)/, "field.datetime"],
  [/should be a valid string/, "field.string"],
  [/should be a valid boolean/, "field.boolean"],
  [/should be a valid (list|array)/, "field.list"],
  [/should have at most (\d+) characters?/, "field.maxLength"],
  [/should have at least (\d+) characters?/, "field.minLength"],
  [/should have at most (\d+) items?/, "field.maxItems"],
  [/should have at least (\d+) items?/, "field.minItems"],
  [/^Input should be (.+)$/, "field.choice"],
  [/^Extra inputs are not permitted/, "field.extra"],
];

// The API's rules across fields (pydantic model validators: "Value error, …", reported on the body
// or on a parent): the field each concerns and its sentence (rule.<name>), so that it is shown
// beside the input to correct, in the page's language.
const CROSS_FIELD = [
  [/claim_ends_at must be after claim_starts_at/, "claim_ends_at", "rule.claimWindow"],
  [/validity\.fixed\.until must be after claim_starts_at/, "validity.fixed.until", "rule.usableAfterClaims"],
  [/validity\.fixed\.until must be after validity\.fixed\.from/, "validity.fixed.until", "rule.usableWindow"],
  [/a percent_off value is a percentage from 1 to 99/, "value", "rule.percent"],
  [/max_discount applies to percent_off only/, "max_discount", "rule.capPercentOnly"],
  [/stock_shards must not exceed total_stock/, "stock_shards", "rule.shards"],
  [/scope\.(categories|skus) entries must be 1-64 characters/, "scope", "rule.scopeEntries"],
  [/name must not be blank/, "name", "rule.name"],
  [/ends_at must be after starts_at/, "ends_at", "rule.ruleWindow"],
  [/ladder steps must be in strictly ascending order/, "ladder", "rule.ladderOrder"],
  [/a voucher reward goes with a threshold rule/, "reward", "rule.voucherThreshold"],
  [/threshold\.amount is required for points or balance/, "threshold.amount", "rule.thresholdAmount"],
  [/a bank account is its card number/, "payee.account", "rule.bankAccount"],
  [/a voucher rule takes no caps/, "reward", "rule.voucherNoCaps"],
  [/amount must not be 0/, "amount", "accounts.signedAmount"],
  [/reason must not be blank/, "reason", "rule.reason"],
  [/withdrawal_min \(\d+ fen\) cannot be above withdrawal_daily_max/, "withdrawal_min", "settings.minAboveMax"],
  [/^Value error, to must be after from/, "to", "preview.order"],
  [/the window is at most \d+ days/, "to", "preview.tooLong"],
];

// A detail of the API's as {field, key} when it is one of the rules across fields, else null.
export function crossField(message) {
  for (const [pattern, field, key] of CROSS_FIELD) {
    if (pattern.test(message ?? "")) return { field, key };
  }
  return null;
}

// A field's own sentence when the catalogue has one (`field.<api field>.<rule>`), else the rule's.
export function fieldText(fieldName, message) {
  if (message && message.startsWith("@")) return t(message.slice(1)); // a local check's own key
  for (const [pattern, rule] of FIELD_RULES) {
    const match = pattern.exec(message ?? "");
    if (!match) continue;
    const own = `field.${fieldName}.${rule.slice("field.".length)}`;
    return t(own in messages ? own : rule, { n: match[1] ?? "" });
  }
  return t("field.invalid");
}
