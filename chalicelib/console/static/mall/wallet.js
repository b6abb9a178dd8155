// The wallet, one tab per coupon status, newest first.
import { badge, h, say, sayError } from "./dom.js";
import { formatFen, formatTime } from "./format.js";
import { t, tOr } from "./i18n.js";
import { describeOffer, describeScope } from "./offers.js";

const STATUSES = ["unused", "locked", "used", "expired"];

export function wallet(api) {
  const tabs = document.getElementById("wallet-tabs");
  const list = document.getElementById("wallet-list");
  const more = document.getElementById("wallet-more");
  const status = document.getElementById("wallet-status");
  let current = "unused";
  let cursor = null;
  let latest = 0; // the latest load: an older answer arriving late (a refresh overlapping a tab's click) is dropped

  const buttons = STATUSES.map((name) => h("button", {
    type: "button", role: "tab", "data-status": name, onclick: () => { current = name; load(); },
  }, tOr("status", name)));
  tabs.append(...buttons);

  async function load(append = false) {
    for (const button of buttons) button.setAttribute("aria-selected", String(button.dataset.status === current));
    const ticket = ++latest;
    try {
      const page = await api.get("me/coupons", { status: current, limit: 20, cursor: append ? cursor : null });
      if (ticket !== latest) return;
      cursor = page.next_cursor;
      more.hidden = !cursor;
      if (!append) list.replaceChildren();
      list.append(...page.items.map(tile));
      if (!list.children.length) list.append(h("p", { class: "empty" }, t("wallet.none", { status: tOr("status", current) })));
      say(status, "");
    } catch (error) {
      if (ticket === latest) sayError(status, error);
    }
  }

  more.addEventListener("click", () => load(true));
  return { load: () => load() };
}

function tile(coupon) {
  const card = coupon.kind === "stored_value" && coupon.balance !== null
    ? h("p", { class: "offer" },
      t("wallet.cardBalance", { balance: formatFen(coupon.balance),
        held: coupon.held ? t("wallet.cardHeld", { held: formatFen(coupon.held) }) : "" }))
    : null;
  return h("article", { class: "tile", "data-coupon": coupon.id },
    h("h3", {}, coupon.name, " ", badge(coupon.status)),
    h("p", { class: "offer" }, describeOffer(coupon)),
    card,
    h("p", { class: "sub" },
      t("vouchers.for", { scope: describeScope(coupon.scope),
        validity: t("validity.fixed", { from: formatTime(coupon.valid_from), until: formatTime(coupon.valid_until) }) })));
}
