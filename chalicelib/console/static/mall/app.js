// The shoppers' mall page: sign in with a token, then vouchers to claim, the wallet, a cart
// priced by the checkout quote, and the rebates earned by paying (with withdrawals).
//
// A payment arrives from elsewhere (the payment provider's webhook): after an order is placed the
// page asks every few seconds until its voucher is no longer locked (or a few minutes passed), and
// whenever the page comes back into view, so the wallet and the balance never stay stale.
import { Api } from "./api.js";
import { cart } from "./cart.js";
import { rebates } from "./rebates.js";
import { startSession } from "./session.js";
import { vouchers } from "./vouchers.js";
import { wallet } from "./wallet.js";

const POLL_MS = 3000;
const POLL_FOR_MS = 3 * 60 * 1000;

const api = new Api("mall.shopper.token");
const myWallet = wallet(api);
const myCart = cart(api, watchForPayment);
const myRebates = rebates(api);
const claimable = vouchers(api, () => {
  myWallet.load();
  myCart.refresh();
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

async function paymentArrived(order) {
  if (!order.coupon_id) return false;
  try {
    const coupon = await api.get(`me/coupons/${order.coupon_id}`);
    if (coupon.status === "locked") return false;
    myCart.paid(order, coupon);
    return true;
  } catch {
    return false; // asked again at the next tick
  }
}

function watchForPayment(order) {
  clearInterval(watching);
  refreshAfterPayment(false); // the voucher is now locked
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
      // The voucher is used first; the rebate is credited a moment later: a few more looks.
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
  },
});
