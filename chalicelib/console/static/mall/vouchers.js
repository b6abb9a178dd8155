// Vouchers the shopper can claim now, and claiming by code. Each claim the shopper means is one
// Intent: one Idempotency-Key however often its button is clicked, and the button disabled meanwhile.
import { Intent } from "./api.js";
import { h, say, sayError } from "./dom.js";
import { formatCount, formatFen } from "./format.js";
import { t } from "./i18n.js";
import { describeOffer, describeScope, describeValidity } from "./offers.js";

export function vouchers(api, onClaimed) {
  const list = document.getElementById("claimable");
  const status = document.getElementById("claim-status");
  const codeForm = document.getElementById("code-form");
  const codeButton = codeForm.querySelector("button");
  const claims = new Map(); // template id -> its claim's Intent (the tiles are redrawn, the intents stay)
  const redemptions = new Map(); // template id -> its redeem-for-points Intent (one key per intended action)
  const codeClaim = new Intent();

  async function load() {
    try {
      const claimable = await api.all("templates");
      list.replaceChildren(...claimable.map(tile));
      if (!claimable.length) list.append(h("p", { class: "empty" }, t("vouchers.none")));
    } catch (error) {
      sayError(status, error);
    }
  }

  function tile(template) {
    const mine = template.claimed_by_me ? t("vouchers.mine", { n: template.claimed_by_me, limit: template.per_user_limit }) : "";
    const button = h("button", { type: "button", class: "primary", onclick: () => claim(template, button) }, t("vouchers.claim"));
    claims.get(template.id)?.bind(button); // a claim still in flight keeps its redrawn button disabled
    // Only an open template is claimed free; one for sale (a price) is bought at the mall's checkout.
    const buttons = template.claim_channel === "open" ? [button] : [];
    if (template.points_price) {  // 积分兑换: the same coupon, paid with points
      const redeemButton = h("button", { type: "button", class: "redeem-points",
        onclick: () => redeem(template, redeemButton) }, t("vouchers.redeemPoints", { n: formatCount(template.points_price) }));
      redemptions.get(template.id)?.bind(redeemButton);
      buttons.push(redeemButton);
    }
    return h("article", { class: "tile", "data-template": template.id },
      h("h3", {}, template.name),
      h("p", { class: "offer" }, describeOffer(template)),
      h("p", { class: "sub" }, t("vouchers.for", { scope: describeScope(template.scope), validity: describeValidity(template.validity) })),
      template.price ? h("p", { class: "price" }, h("strong", {}, t("vouchers.buy", { price: formatFen(template.price) })),
        " ", h("span", { class: "sub" }, t("vouchers.buyNote"))) : null,
      h("div", { class: "tile-foot" }, h("span", { class: "sub" }, t("vouchers.left", { n: formatCount(template.remaining), mine })),
        ...buttons));
  }

  async function redeem(template, button) {
    if (!redemptions.has(template.id)) redemptions.set(template.id, new Intent());
    try {
      const coupon = await redemptions.get(template.id).post(api, `templates/${template.id}/redeem-points`, undefined,
        button);
      say(status, t("vouchers.redeemed", { n: formatCount(template.points_price), name: coupon.name }), "ok");
      await load();
      onClaimed();
    } catch (error) {
      if (error.code === "INSUFFICIENT_POINTS") say(status, t("vouchers.needPoints", { n: formatCount(template.points_price) }), "error");
      else sayError(status, error);
    }
  }

  async function claim(template, button) {
    if (!claims.has(template.id)) claims.set(template.id, new Intent());
    try {
      const coupon = await claims.get(template.id).post(api, `templates/${template.id}/claim`, undefined, button);
      say(status, t("vouchers.claimed", { name: coupon.name }), "ok");
      await load();
      onClaimed();
    } catch (error) {
      sayError(status, error);
    }
  }

  codeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = codeForm.elements.code.value.trim();
    if (!code) return;
    try {
      const coupon = await codeClaim.post(api, `codes/${encodeURIComponent(code)}/claim`, undefined, codeButton);
      say(status, t("vouchers.codeRedeemed", { name: coupon.name }), "ok");
      codeForm.reset();
      onClaimed();
    } catch (error) {
      // a code of the wrong shape names nothing either: both say "no such code"
      sayError(status, error, { NOT_FOUND: "vouchers.noSuchCode", VALIDATION_ERROR: "vouchers.noSuchCode" });
    }
  });

  return { load };
}
