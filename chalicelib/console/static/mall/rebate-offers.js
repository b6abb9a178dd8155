// The live rebate offers (GET /rebate-offers) as sentences a shopper reads: what each rule gives
// back, on what, until when. The cart's summary shows what they would give on its total.
import { h } from "./dom.js";
import { formatBp, formatFen, formatTime } from "./format.js";
import { errorText, t } from "./i18n.js";

function reward(offer) {
  if (offer.reward === "points") return t("offers.inPoints");
  if (offer.reward === "balance") return t("offers.toBalance");
  return t("offers.asVoucher");
}

export function describeRebateOffer(offer) {
  let what;
  if (offer.kind === "fixed_ratio") what = t("offers.fixed", { pct: formatBp(offer.ratio_bp), reward: reward(offer) });
  else if (offer.kind === "tiered") {
    const steps = offer.ladder.map((s) => t("offers.step", { pct: formatBp(s.ratio_bp), min: formatFen(s.min_paid) }))
      .join(t("list.sep"));
    what = t("offers.tiered", { reward: reward(offer), steps });
  } else if (offer.kind === "threshold") {
    const gift = offer.reward === "voucher"
      ? (offer.voucher_face ? t("offers.voucherWorth", { face: formatFen(offer.voucher_face) }) : t("offers.aVoucher"))
      : t("offers.amountReward", { amount: formatFen(offer.threshold.amount), reward: reward(offer) });
    what = t("offers.threshold", { gift, min: formatFen(offer.threshold.min_paid) });
  } else {
    const share = offer.ratio_bp === null ? t("offers.everything") : t("offers.share", { pct: formatBp(offer.ratio_bp) });
    what = t("offers.full", { share, parts: offer.installments, days: offer.period_days });
  }
  const limits = [
    offer.per_order ? t("offers.perOrder", { amount: formatFen(offer.per_order) }) : null,
    offer.per_user_per_day ? t("offers.perDay", { amount: formatFen(offer.per_user_per_day) }) : null,
    offer.exclusive ? t("offers.exclusive") : null,
    offer.ends_at ? t("offers.until", { time: formatTime(offer.ends_at) }) : null,
  ].filter(Boolean);
  const sentence = `${what.charAt(0).toUpperCase()}${what.slice(1)}`;
  return limits.length ? t("offers.withLimits", { what: sentence, limits: limits.join(t("list.steps")) })
    : t("offers.sentence", { what: sentence });
}

export function rebateOffers(api) {
  const box = document.getElementById("rebate-offers");
  async function load() {
    try {
      const offers = await api.get("rebate-offers");
      box.replaceChildren(...[offers.items.length
        ? h("ul", { class: "offers" }, offers.items.map((o) => h("li", {}, h("strong", {}, o.name), t("common.colon"),
          describeRebateOffer(o))))
        : h("p", { class: "sub" }, t("offers.none")),
      offers.items.length > 1
        ? h("p", { class: "sub" }, t("offers.together", { pct: formatBp(offers.max_return_bp) }))
        : null].filter(Boolean)); // replaceChildren(…, null) would show "null"
    } catch (error) {
      box.replaceChildren(h("p", { class: "notice error" }, errorText(error)));
    }
  }
  return { load };
}
