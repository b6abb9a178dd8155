// The shoppers' mall page: sign in with a token, then vouchers to claim, the wallet, a cart
// priced by the checkout quote, and the rebates earned by paying (with withdrawals).
//
// A payment arrives from elsewhere (the payment provider's webhook): after an order is reserved
// (or, after a reload, for the open reservation the cart kept) the page asks every few seconds
// until its reservation is paid (or released, or a few minutes passed) and then until the
// payment's rebates are applied, and whenever the page comes back into view, so the wallet, the
// balance and the ledger never stay stale.
import { Api } from "./api.js";
import { cart } from "./cart.js";
import { rememberOrder } from "./cart-store.js";
import { startI18n } from "./i18n.js";
import { showOrderRebates } from "./order-rebates.js";
import { rebateOffers } from "./rebate-offers.js";
import { rebates } from "./rebates.js";
import { startSession } from "./session.js";
import { vouchers } from "./vouchers.js";
import { wallet } from "./wallet.js";

const POLL_MS = 3000;
const POLL_FOR_MS = 3 * 60 * 1000;

startI18n("mall.title");
const api = new Api("mall.shopper.token");
const myWallet = wallet(api);
const myCart = cart(api, watchForPayment, () => refreshAfterPayment(false));
const myRebates = rebates(api);
const offers = rebateOffers(api);
const claimable = vouchers(api, () => {
  myWallet.load();
  myCart.refresh();
});
const orderRebatesForm = document.getElementById("order-rebates-form");
const orderId = document.getElementById("order-id");
const orderRebatesBox = document.getElementById("order-rebates");
orderRebatesForm.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!orderId.value.trim()) return;
  rememberOrder(orderId.value.trim()); // the ledger then says its payments' events of this order
  showOrderRebates(api, orderId.value.trim(), orderRebatesBox);
});
let signedIn = false;
let watching = null;

// Everything a payment changes: the wallet (a voucher used), the account (balance, rebates) and,
// with `andCart`, the cart's quote (the voucher it picked may be gone).
function refreshAfterPayment(andCart = true) {
  if (!signedIn || !api.token) return;
  myWallet.load();
  myRebates.load();
  if (andCart) myCart.refresh();
}

// The order's reservation as it stands now, or null when it could not be read (asked again at
// the next tick).
async function reservationNow(order) {
  try {
    return await api.get(`checkout/reservations/${order.order_id}`);
  } catch {
    return null;
  }
}

// Whether every payment of the order has its rebates applied (GET /me/orders/{order_id}/rebates).
async function rebatesApplied(order) {
  try {
    const earned = await api.get(`me/orders/${encodeURIComponent(order.order_id)}/rebates`);
    return earned.payments.length > 0 && earned.payments.every((p) => p.settled);
  } catch {
    return false;
  }
}

// Watch one order: until its reservation is paid (or released), then until the payment's rebates
// are applied, which happens a moment after the reservation is spent; every change it sees is
// drawn at once (the wallet, the account, the ledger), so the shopper sees the rebate arrive.
function watchForPayment(order) {
  clearInterval(watching);
  refreshAfterPayment(false); // the voucher is now locked, the balance and points held
  const until = Date.now() + POLL_FOR_MS;
  let paid = false;
  let busy = false;
  const tick = async () => {
    if (Date.now() > until || !signedIn) {
      clearInterval(watching);
      return;
    }
    if (document.hidden || busy) return;
    busy = true;
    try {
      if (!paid) {
        const now = await reservationNow(order);
        if (now?.status === "paid") {
          paid = true;
          myCart.paid(now);
          orderId.value = now.order_id;
          showOrderRebates(api, now.order_id, orderRebatesBox); // what the payment earned, once settled
          refreshAfterPayment(true);
        } else if (now?.status === "released") {
          myCart.lapsed(now);
          refreshAfterPayment(true);
          clearInterval(watching);
        }
      } else {
        const applied = await rebatesApplied(order);
        refreshAfterPayment(false);
        if (applied) clearInterval(watching);
      }
    } finally {
      busy = false;
    }
  };
  watching = setInterval(tick, POLL_MS);
}

window.addEventListener("focus", () => refreshAfterPayment());
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) refreshAfterPayment();
});

startSession({
  api,
  check: () => api.get("me/coupons", { limit: 1 }),
  onSignedIn: (claims) => {
    signedIn = true;
    clearInterval(watching); // an order of whoever was signed in before is not watched any more
    claimable.load();
    myWallet.load();
    myCart.start(claims.sub); // the saved cart, and an open reservation watched again
    myRebates.load();
    offers.load();
  },
});
