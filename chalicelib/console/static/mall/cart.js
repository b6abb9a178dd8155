// A small cart of demo items, priced by the checkout quote, and its order. The shopper chooses
// what pays: vouchers and cards from the wallet (the quote's best choice is preselected), and
// the rebate balance and points. Every amount shown comes from the API's answer. "Check out"
// reserves the order (POST /checkout/reservations): in one step the voucher is locked, the cards'
// amounts and the balance and points are held, and what is left is paid to the payment provider.
// "Release" gives everything back.
import { Intent } from "./api.js";
import { h } from "./dom.js";
import { formatCount, formatFen, formatTime } from "./format.js";

// The mall's own catalogue would come from its product service; these stand in for it.
const CATALOG = [
  { sku: "TEA-SET", name: "Tea set", category: "home", unit_price: 12800 },
  { sku: "RUN-SHOES", name: "Running shoes", category: "sports", unit_price: 39900 },
  { sku: "NOTEBOOK", name: "Notebook", category: "stationery", unit_price: 1250 },
  { sku: "COFFEE-1KG", name: "Coffee beans, 1 kg", category: "grocery", unit_price: 8990 },
];
const TRIMMED = { // why the quote paid less than asked (OrderQuote.trimmed[].reason)
  cap: "that is the most it can pay of this order", not_enough: "that is all you have free",
  coupon_does_not_combine: "points do not combine with a voucher", whole_fen: "points pay whole fen",
};

// onOrdered(order) is told of each order reserved (to watch for its payment); onChanged() when
// a reservation was released (the wallet and the account changed).
export function cart(api, onOrdered = () => {}, onChanged = () => {}) {
  const catalog = document.getElementById("catalog");
  const linesBox = document.getElementById("cart-lines");
  const quoteBox = document.getElementById("quote");
  const orderBox = document.getElementById("order");
  const quantities = new Map(); // sku -> quantity
  // What pays: `coupons` null takes the quote's best choice, else the ids the shopper ticked.
  const choice = { coupons: null, balance: false, points: false };
  let asked = 0; // the latest quote request; an older answer arriving late is dropped
  let priced = null; // the latest quote and the request it answered
  // One order per cart the shopper checks out: its order id comes from the Intent's key, so a
  // second click or a retry after a lost answer reserves the same order, once.
  const checkout = new Intent();
  const release = new Intent();

  catalog.append(...CATALOG.map((item) => h("div", { class: "product", "data-sku": item.sku },
    h("div", {}, h("strong", {}, item.name), h("div", { class: "sub" }, `${formatFen(item.unit_price)} · ${item.category}`)),
    h("button", { type: "button", class: "small", "aria-label": `Add ${item.name}`, onclick: () => change(item.sku, 1) },
      "Add"))));

  function change(sku, delta) {
    const quantity = (quantities.get(sku) ?? 0) + delta;
    if (quantity > 0) quantities.set(sku, quantity);
    else quantities.delete(sku);
    render();
    quote();
  }

  function render() {
    const lines = CATALOG.filter((item) => quantities.has(item.sku));
    linesBox.replaceChildren(lines.length
      ? h("ul", { class: "lines" }, lines.map((item) => h("li", { "data-sku": item.sku },
        h("span", {}, item.name, h("span", { class: "sub" }, ` ${formatFen(item.unit_price)} each`)),
        h("span", { class: "qty" },
          h("button", { type: "button", class: "small", "aria-label": `One ${item.name} less`,
            onclick: () => change(item.sku, -1) }, "−"),
          h("output", { "aria-label": "Quantity" }, String(quantities.get(item.sku))),
          h("button", { type: "button", class: "small", "aria-label": `One ${item.name} more`,
            onclick: () => change(item.sku, 1) }, "+")))))
      : h("p", { class: "empty" }, "Your cart is empty: add something above."));
  }

  async function quote() {
    const items = CATALOG.filter((item) => quantities.has(item.sku)).map(({ sku, category, unit_price }) =>
      ({ sku, category, unit_price, quantity: quantities.get(sku) }));
    const ticket = ++asked;
    priced = null;
    if (!items.length) {
      choice.coupons = null;
      quoteBox.replaceChildren();
      return;
    }
    quoteBox.replaceChildren(h("p", { class: "sub" }, "Pricing your cart…"));
    try {
      // The wallet's unused coupons and the free balance and points, for the choice of what pays.
      const [account, coupons] = await Promise.all([api.get("me/account"), api.all("me/coupons", { status: "unused" })]);
      const body = { items };
      if (choice.coupons !== null) body.coupon_ids = choice.coupons;
      if (choice.balance && account.balance > 0) body.use_balance = account.balance;
      if (choice.points && account.points > 0) body.use_points = account.points;
      const answer = await api.post("checkout/quote", body);
      if (ticket !== asked) return;
      priced = { quote: answer, items };
      const button = h("button", { type: "button", class: "primary", id: "checkout",
        onclick: () => placeOrder(button) }, "Check out");
      checkout.bind(button);
      quoteBox.replaceChildren(...summary(answer, choice.coupons !== null), payWith(answer, account, coupons),
        h("div", { class: "actions" }, button));
    } catch (error) {
      if (ticket === asked) quoteBox.replaceChildren(h("p", { class: "notice error" }, error.message));
    }
  }

  // The shopper's choice: each unused voucher and card (ticked: the quote uses it), the balance,
  // the points. Changing any of it prices the cart again.
  function payWith(answer, account, coupons) {
    const used = new Set(answer.applied.map((a) => a.coupon_id));
    const tick = (id, label, checked, disabled, onchange) => h("label", { class: "choice" },
      h("input", { type: "checkbox", id, checked, disabled, onchange }), " ", label);
    const couponBoxes = coupons.map((coupon) => tick(`pay-${coupon.id}`,
      coupon.kind === "stored_value" ? `Card “${coupon.name}” (${formatFen(coupon.balance ?? 0)} left)` : `Voucher “${coupon.name}”`,
      used.has(coupon.id), false, (event) => {
        const ids = answer.applied.map((a) => a.coupon_id).filter((id) => id !== coupon.id);
        choice.coupons = event.target.checked ? [...ids, coupon.id] : ids;
        quote();
      }));
    return h("fieldset", { class: "pay-with" }, h("legend", {}, "Pay with"),
      couponBoxes.length ? couponBoxes : h("p", { class: "sub" }, "No voucher or card in your wallet."),
      choice.coupons !== null
        ? h("button", { type: "button", class: "small", onclick: () => { choice.coupons = null; quote(); } },
          "Use the best choice")
        : null,
      tick("pay-balance", `My balance (${formatFen(account.balance)} free)`, choice.balance, !account.balance,
        (event) => { choice.balance = event.target.checked; quote(); }),
      tick("pay-points", `My points (${formatCount(account.points)} free)`, choice.points, !account.points,
        (event) => { choice.points = event.target.checked; quote(); }));
  }

  async function placeOrder(button) {
    if (!priced) return;
    const { quote: answer, items } = priced;
    // Reserve exactly what the shopper was shown: the coupons and amounts of this quote.
    const body = { items, coupon_ids: answer.applied.map((a) => a.coupon_id) };
    if (answer.balance_used) body.use_balance = answer.balance_used;
    if (answer.points_used) body.use_points = answer.points_used;
    try {
      const order = await checkout.run([body], async (key) => {
        const orderId = `order-${key.slice(0, 24)}`;
        return api.postWithKey("checkout/reservations", { order_id: orderId, ...body }, key);
      }, button);
      showReserved(order);
      quantities.clear(); // the order is placed: the cart starts again
      choice.coupons = null;
      render();
      quote();
      onOrdered(order);
    } catch (error) {
      orderBox.replaceChildren(h("p", { class: "notice error" }, error.message));
    }
  }

  function showReserved(order) {
    const held = [
      ...order.applied.map((a) => a.kind === "stored_value" ? `${formatFen(a.amount)} on “${a.name}”` : `“${a.name}”`),
      order.points_used ? `${formatCount(order.points_used)} points` : null,
      order.balance_used ? `${formatFen(order.balance_used)} of your balance` : null,
    ].filter(Boolean);
    const button = h("button", { type: "button", class: "small", id: "release", onclick: () => releaseOrder(order, button) },
      "Release");
    orderBox.dataset.order = order.order_id;
    orderBox.replaceChildren(h("div", { class: "notice ok" },
      h("p", {}, order.total
        ? `Order ${order.order_id} is waiting for its payment of ${formatFen(order.total)}.`
        : `Order ${order.order_id} is paid for by your wallet and rebates: nothing is left to pay.`),
      held.length ? h("p", { class: "sub" }, `Held for it until ${formatTime(order.expires_at)}: ${held.join(", ")}.`) : null,
      h("div", { class: "actions" }, button)));
  }

  async function releaseOrder(order, button) {
    try {
      await release.run([order.order_id], (key) =>
        api.postWithKey(`checkout/reservations/${order.order_id}/release`, undefined, key), button);
      if (orderBox.dataset.order === order.order_id) {
        orderBox.replaceChildren(h("p", { class: "notice ok" },
          `Order ${order.order_id} is released: what it held is yours to use again.`));
      }
      onChanged();
      quote();
    } catch (error) {
      orderBox.replaceChildren(h("p", { class: "notice error" }, error.message));
    }
  }

  // The order's payment arrived (its reservation is paid): say so.
  function paid(order) {
    if (orderBox.dataset.order !== order.order_id) return;
    const voucher = order.applied.find((a) => a.kind !== "stored_value");
    const used = voucher ? ` “${voucher.name}” is used.` : "";
    orderBox.replaceChildren(h("p", { class: "notice ok" }, `Order ${order.order_id} is paid.${used}`));
  }

  render();
  return { refresh: quote, paid };
}

function summary(priced, chosen) {
  const voucher = priced.applied.find((a) => a.kind !== "stored_value");
  const cards = priced.applied.filter((a) => a.kind === "stored_value");
  const row = (label, value, cls) =>
    h("div", { class: `quote-row ${cls ?? ""}`.trim() }, h("span", {}, label), h("span", {}, value));
  return [
    row("Subtotal", formatFen(priced.subtotal)),
    row("Voucher discount", `−${formatFen(priced.discount)}`, "discount"),
    priced.points_amount
      ? row(`Paid by ${formatCount(priced.points_used)} points`, `−${formatFen(priced.points_amount)}`) : null,
    priced.stored_value ? row("Paid by stored-value cards", `−${formatFen(priced.stored_value)}`) : null,
    priced.balance_used ? row("Paid by my balance", `−${formatFen(priced.balance_used)}`) : null,
    row("Total to pay", formatFen(priced.total), "total"),
    h("p", { class: "best" }, voucher
      ? `${chosen ? "Your voucher" : "Best voucher from your wallet"}: “${voucher.name}”, saving ${formatFen(voucher.amount)}.`
      : chosen ? "No voucher chosen." : "No voucher in your wallet applies to this cart."),
    cards.length
      ? h("p", { class: "sub" }, `Cards used: ${cards.map((c) => `“${c.name}” (${formatFen(c.amount)})`).join(", ")}.`)
      : null,
    expected(priced.expected_rebate),
    ...priced.trimmed.map((t) => h("p", { class: "sub trimmed" },
      `${t.asset === "points" ? `${formatCount(t.used)} of ${formatCount(t.asked)} points` : `${formatFen(t.used)} of ${formatFen(t.asked)}`}`
      + ` used: ${TRIMMED[t.reason] ?? t.reason}.`)),
  ].filter(Boolean);
}

// What the live rebate offers would give back on this total (the quote's expected_rebate): the
// real rebate can be lower (daily caps, budgets, a voucher sold out), never higher.
function expected(rebate) {
  if (!rebate) return null;
  const parts = [
    rebate.balance ? `${formatFen(rebate.balance)} to your balance` : null,
    rebate.points ? `${formatCount(rebate.points)} points` : null,
    rebate.vouchers ? `${rebate.vouchers} voucher${rebate.vouchers === 1 ? "" : "s"}` : null,
  ].filter(Boolean);
  return parts.length
    ? h("p", { class: "sub expected-rebate" }, `Expected back: ${parts.join(", ")} (daily caps and budgets may give less).`)
    : null;
}
