// The shoppers' mall page: sign in with a token, then vouchers to claim, the wallet, a cart
// priced by the checkout quote, and the rebates earned by paying (with withdrawals).
import { Api } from "./api.js";
import { cart } from "./cart.js";
import { rebates } from "./rebates.js";
import { startSession } from "./session.js";
import { vouchers } from "./vouchers.js";
import { wallet } from "./wallet.js";

const api = new Api("mall.shopper.token");
const myWallet = wallet(api);
const myCart = cart(api);
const myRebates = rebates(api);
const claimable = vouchers(api, () => {
  myWallet.load();
  myCart.refresh();
});

startSession({
  api,
  check: () => api.get("me/coupons", { limit: 1 }),
  onSignedIn: () => {
    claimable.load();
    myWallet.load();
    myCart.refresh();
    myRebates.load();
  },
});
