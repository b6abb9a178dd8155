// What a template or coupon gives, in words, from its API fields.
import { formatFen, formatTime } from "./format.js";

export function describeOffer({ kind, value, max_discount: cap, min_spend: minSpend }) {
  const from = minSpend > 0 ? ` on orders from ${formatFen(minSpend)}` : "";
  if (kind === "amount_off") return `${formatFen(value)} off${from}`;
  if (kind === "percent_off") return `${value}% off${cap ? ` (at most ${formatFen(cap)})` : ""}${from}`;
  return `${formatFen(value)} stored-value card`;
}

export function describeScope(scope) {
  if (scope.categories) return `categories: ${scope.categories.join(", ")}`;
  if (scope.skus) return `items: ${scope.skus.join(", ")}`;
  return "every item";
}

export function describeValidity(validity) {
  if (validity.fixed) return `usable ${formatTime(validity.fixed.from)} – ${formatTime(validity.fixed.until)}`;
  const days = validity.days_after_claim;
  return `usable for ${days} day${days === 1 ? "" : "s"} after claiming`;
}
