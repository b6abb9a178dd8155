// Vouchers the shopper can claim now, and claiming by code. Each click sends its own Idempotency-Key.
import { h, say } from "./dom.js";
import { formatCount } from "./format.js";
import { describeOffer, describeScope, describeValidity } from "./offers.js";

export function vouchers(api, onClaimed) {
  const list = document.getElementById("claimable");
  const status = document.getElementById("claim-status");
  const codeForm = document.getElementById("code-form");

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
    return h("article", { class: "tile", "data-template": template.id },
      h("h3", {}, template.name),
      h("p", { class: "offer" }, describeOffer(template)),
      h("p", { class: "sub" }, `For ${describeScope(template.scope)}; ${describeValidity(template.validity)}.`),
      h("div", { class: "tile-foot" }, h("span", { class: "sub" }, `${formatCount(template.remaining)} left${mine}`), button));
  }

  async function claim(template, button) {
    button.disabled = true;
    try {
      const coupon = await api.postOnce(`templates/${template.id}/claim`);
      say(status, `Claimed “${coupon.name}”: it is in your wallet.`, "ok");
      await load();
      onClaimed();
    } catch (error) {
      say(status, error.message, "error");
      button.disabled = false;
    }
  }

  codeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = codeForm.elements.code.value.trim();
    if (!code) return;
    try {
      const coupon = await api.postOnce(`codes/${encodeURIComponent(code)}/claim`);
      say(status, `Redeemed the code: “${coupon.name}” is in your wallet.`, "ok");
      codeForm.reset();
      onClaimed();
    } catch (error) {
      const malformed = error.code === "VALIDATION_ERROR";
      say(status, malformed ? "That does not look like a code. Check it and try again." : error.message, "error");
    }
  });

  return { load };
}
