// The live rebate offers (GET /rebate-offers) as sentences a shopper reads: what each rule gives
// back, on what, until when. The cart's summary shows what they would give on its total.
import { h } from "./dom.js";
import { formatBp, formatFen, formatTime } from "./format.js";

function reward(offer) {
  if (offer.reward === "points") return "in points";
  if (offer.reward === "balance") return "to your balance";
  return "as a voucher";
}

export function describeRebateOffer(offer) {
  let what;
  if (offer.kind === "fixed_ratio") what = `${formatBp(offer.ratio_bp)} back ${reward(offer)}`;
  else if (offer.kind === "tiered") {
    const steps = offer.ladder.map((s) => `${formatBp(s.ratio_bp)} from ${formatFen(s.min_paid)}`).join(", ");
    what = `Back ${reward(offer)} on the whole payment: ${steps}`;
  } else if (offer.kind === "threshold") {
    const gift = offer.reward === "voucher"
      ? `a voucher${offer.voucher_face ? ` worth ${formatFen(offer.voucher_face)}` : ""}`
      : `${formatFen(offer.threshold.amount)} ${reward(offer)}`;
    what = `${gift} when you pay ${formatFen(offer.threshold.min_paid)} or more`;
  } else {
    const share = offer.ratio_bp === null ? "Everything you pay" : `${formatBp(offer.ratio_bp)} of what you pay`;
    what = `${share} back to your balance in ${offer.installments} parts, one every ${offer.period_days} days`;
  }
  const limits = [
    offer.per_order ? `at most ${formatFen(offer.per_order)} an order` : null,
    offer.per_user_per_day ? `at most ${formatFen(offer.per_user_per_day)} a day` : null,
    offer.exclusive ? "not combined with other offers" : null,
    offer.ends_at ? `until ${formatTime(offer.ends_at)}` : null,
  ].filter(Boolean);
  return `${what.charAt(0).toUpperCase()}${what.slice(1)}${limits.length ? ` (${limits.join("; ")})` : ""}.`;
}

export function rebateOffers(api) {
  const box = document.getElementById("rebate-offers");
  async function load() {
    try {
      const offers = await api.get("rebate-offers");
      box.replaceChildren(offers.items.length
        ? h("ul", { class: "offers" }, offers.items.map((o) => h("li", {}, h("strong", {}, o.name), ": ",
          describeRebateOffer(o))))
        : h("p", { class: "sub" }, "No rebate offers right now."),
      offers.items.length > 1
        ? h("p", { class: "sub" }, `Together they give back at most ${formatBp(offers.max_return_bp)} of a payment.`)
        : null);
    } catch (error) {
      box.replaceChildren(h("p", { class: "notice error" }, error.message));
    }
  }
  return { load };
}
