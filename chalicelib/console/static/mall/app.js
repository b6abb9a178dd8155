// The shoppers' mall page: sign in with a token, then vouchers to claim, the wallet, and a cart
// priced by the checkout quote.
import { Api } from "./api.js";
import { cart } from "./cart.js";
import { startSession } from "./session.js";
import { vouchers } from "./vouchers.js";
import { wallet } from "./wallet.js";

const api = new Api("mall.shopper.token");
const myWallet = wallet(api);
const myCart = cart(api);
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
  },
});
