// What a template or coupon gives, in words, from its API fields.
import { formatFen, formatTime } from "./format.js";
import { t } from "./i18n.js";

export function describeOffer({ kind, value, max_discount: cap, min_spend: minSpend }) {
  const from = minSpend > 0 ? t("offer.from", { min: formatFen(minSpend) }) : "";
  if (kind === "amount_off") {
    return minSpend > 0 ? t("offer.amountOffFrom", { value: formatFen(value), min: formatFen(minSpend) })
      : t("offer.amountOff", { value: formatFen(value) });
  }
  if (kind === "percent_off") {
    const capText = cap ? t("offer.cap", { cap: formatFen(cap) }) : "";
    return t("offer.percentOff", { pct: value, zhe: zhe(value), cap: capText, from });
  }
  return t("offer.card", { value: formatFen(value) });
}

// 10 (% off) -> "9", 15 -> "8.5", 5 -> "9.5": what Chinese shoppers call the price, in tenths (折).
export function zhe(percentOff) {
  const tenths = 100 - percentOff; // the price left, in percent
  return tenths % 10 === 0 ? String(tenths / 10) : `${(tenths - (tenths % 10)) / 10}.${tenths % 10}`;
}

export function describeScope(scope) {
  if (scope.categories) return t("scope.categories", { list: scope.categories.join(t("list.sep")) });
  if (scope.skus) return t("scope.skus", { list: scope.skus.join(t("list.sep")) });
  return t("scope.all");
}

export function describeValidity(validity) {
  if (validity.fixed) return t("validity.fixed", { from: formatTime(validity.fixed.from), until: formatTime(validity.fixed.until) });
  const days = validity.days_after_claim;
  return t(days === 1 ? "validity.day" : "validity.days", { days });
}
