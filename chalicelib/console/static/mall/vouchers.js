// Vouchers the shopper can claim now, and claiming by code. Each claim the shopper means is one
// Intent: one Idempotency-Key however often its button is clicked, and the button disabled meanwhile.
import { Intent } from "./api.js";
import { h, say } from "./dom.js";
import { formatCount } from "./format.js";
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
      if (!claimable.length) list.append(h("p", { class: "empty" }, "Nothing to claim right now. Check back later."));
    } catch (error) {
      say(status, error.message, "error");
    }
  }

  function tile(template) {
    const mine = template.claimed_by_me ? ` · you have ${template.claimed_by_me} of ${template.per_user_limit}` : "";
    const button = h("button", { type: "button", class: "primary", onclick: () => claim(template, button) }, "Claim");
    claims.get(template.id)?.bind(button); // a claim still in flight keeps its redrawn button disabled
    const buttons = [button];
    if (template.points_price) {  // 积分兑换: the same coupon, paid with points
      const redeemButton = h("button", { type: "button", class: "redeem-points",
        onclick: () => redeem(template, redeemButton) }, `Redeem for ${formatCount(template.points_price)} points`);
      redemptions.get(template.id)?.bind(redeemButton);
      buttons.push(redeemButton);
    }
    return h("article", { class: "tile", "data-template": template.id },
      h("h3", {}, template.name),
      h("p", { class: "offer" }, describeOffer(template)),
      h("p", { class: "sub" }, `For ${describeScope(template.scope)}; ${describeValidity(template.validity)}.`),
      h("div", { class: "tile-foot" }, h("span", { class: "sub" }, `${formatCount(template.remaining)} left${mine}`),
        ...buttons));
  }

  async function redeem(template, button) {
    if (!redemptions.has(template.id)) redemptions.set(template.id, new Intent());
    try {
      const coupon = await redemptions.get(template.id).post(api, `templates/${template.id}/redeem-points`, undefined,
        button);
      say(status, `Redeemed ${formatCount(template.points_price)} points for “${coupon.name}”: it is in your wallet.`,
        "ok");
      await load();
      onClaimed();
    } catch (error) {
      const short = error.code === "INSUFFICIENT_POINTS";
      say(status, short ? `You need ${formatCount(template.points_price)} free points to redeem this.` : error.message,
        "error");
    }
  }

  async function claim(template, button) {
    if (!claims.has(template.id)) claims.set(template.id, new Intent());
    try {
      const coupon = await claims.get(template.id).post(api, `templates/${template.id}/claim`, undefined, button);
      say(status, `Claimed “${coupon.name}”: it is in your wallet.`, "ok");
      await load();
      onClaimed();
    } catch (error) {
      say(status, error.message, "error");
    }
  }

  codeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = codeForm.elements.code.value.trim();
    if (!code) return;
    try {
      const coupon = await codeClaim.post(api, `codes/${encodeURIComponent(code)}/claim`, undefined, codeButton);
      say(status, `Redeemed the code: “${coupon.name}” is in your wallet.`, "ok");
      codeForm.reset();
      onClaimed();
    } catch (error) {
      const unknown = error.code === "NOT_FOUND"; // a code of the wrong shape names nothing either
      say(status, unknown ? "There is no such code. Check it and try again." : error.message, "error");
    }
  });

  return { load };
}
