// The shoppers' mall page: sign in with a token, then vouchers to claim, the wallet, a cart
// priced by the checkout quote, and the rebates earned by paying (with withdrawals).
//
// A payment arrives from elsewhere (the payment provider's webhook): after an order is reserved
// the page asks every few seconds until its reservation is paid (or released, or a few minutes
// passed), and whenever the page comes back into view, so the wallet and the balance never stay stale.
import { Api } from "./api.js";
import { cart } from "./cart.js";
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
  if (orderId.value.trim()) showOrderRebates(api, orderId.value.trim(), orderRebatesBox);
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

// "paid" once the payment was settled; "released" when the shopper or the lapse job released it.
async function paymentArrived(order) {
  try {
    const reservation = await api.get(`checkout/reservations/${order.order_id}`);
    if (reservation.status === "reserved") return false;
    if (reservation.status === "paid") {
      myCart.paid(reservation);
      orderId.value = reservation.order_id;
      showOrderRebates(api, reservation.order_id, orderRebatesBox); // what the payment earned, once settled
    }
    return true;
  } catch {
    return false; // asked again at the next tick
  }
}

function watchForPayment(order) {
  clearInterval(watching);
  refreshAfterPayment(false); // the voucher is now locked, the balance and points held
  let until = Date.now() + POLL_FOR_MS;
  let arrived = false;
  watching = setInterval(async () => {
    if (Date.now() > until || !signedIn) {
      clearInterval(watching);
      return;
    }
    if (document.hidden) return;
    const justArrived = !arrived && (await paymentArrived(order));
    if (justArrived) {
      // The reservation is spent first; the rebate is credited a moment later: a few more looks.
      arrived = true;
      until = Date.now() + 3 * POLL_MS;
    }
    refreshAfterPayment(justArrived);
  }, POLL_MS);
}

window.addEventListener("focus", () => refreshAfterPayment());
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) refreshAfterPayment();
});

startSession({
  api,
  check: () => api.get("me/coupons", { limit: 1 }),
  onSignedIn: () => {
    signedIn = true;
    claimable.load();
    myWallet.load();
    myCart.refresh();
    myRebates.load();
    offers.load();
  },
});
