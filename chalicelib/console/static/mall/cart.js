// A small cart of demo items, priced by the checkout quote, and its order. The shopper chooses
// what pays: vouchers and cards from the wallet (the quote's best choice is preselected), and
// the rebate balance and points. Every amount shown comes from the API's answer. "Check out"
// reserves the order (POST /checkout/reservations): in one step the voucher is locked, the cards'
// amounts and the balance and points are held, and what is left is paid to the payment provider.
// "Release" gives everything back.
//
// The cart survives a reload (cart-store.js, per signed-in shopper): its lines and the choice of
// what pays; a check-out whose answer never came (its Idempotency-Key is kept with what it was
// for, so trying again reserves the same order, once); and the open reservation, shown again and
// watched for its payment until it is paid (then forgotten) or released.
import { Intent } from "./api.js";
import { keep, rememberOrder, saved, useShopper } from "./cart-store.js";
import { h } from "./dom.js";
import { formatCount, formatFen, formatTime } from "./format.js";
import { errorText, t, tOr } from "./i18n.js";

// The mall's own catalogue would come from its product service; these stand in for it (names in
// the catalogue: sku.<SKU>, category.<category>).
const CATALOG = [
  { sku: "TEA-SET", category: "home", unit_price: 12800 },
  { sku: "RUN-SHOES", category: "sports", unit_price: 39900 },
  { sku: "NOTEBOOK", category: "stationery", unit_price: 1250 },
  { sku: "COFFEE-1KG", category: "grocery", unit_price: 8990 },
].map((item) => ({ ...item, name: t(`sku.${item.sku}`) }));
// Why the quote paid less than asked (OrderQuote.trimmed[].reason): trimmed.<reason>.

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
    h("div", {}, h("strong", {}, item.name), h("div", { class: "sub" }, `${formatFen(item.unit_price)} · ${tOr("category", item.category)}`)),
    h("button", { type: "button", class: "small", "aria-label": t("cart.addLabel", { name: item.name }), onclick: () => change(item.sku, 1) },
      t("cart.add")))));

  function change(sku, delta) {
    const quantity = (quantities.get(sku) ?? 0) + delta;
    if (quantity > 0) quantities.set(sku, quantity);
    else quantities.delete(sku);
    keepLines();
    render();
    quote();
  }

  function keepLines() {
    keep({ lines: [...quantities] });
  }

  function choose(change) {
    Object.assign(choice, change);
    keep({ choice: { ...choice } });
    quote();
  }

  function render() {
    const lines = CATALOG.filter((item) => quantities.has(item.sku));
    linesBox.replaceChildren(lines.length
      ? h("ul", { class: "lines" }, lines.map((item) => h("li", { "data-sku": item.sku },
        h("span", {}, item.name, h("span", { class: "sub" }, t("cart.each", { price: formatFen(item.unit_price) }))),
        h("span", { class: "qty" },
          h("button", { type: "button", class: "small", "aria-label": t("cart.less", { name: item.name }),
            onclick: () => change(item.sku, -1) }, "−"),
          h("output", { "aria-label": t("cart.quantity") }, String(quantities.get(item.sku))),
          h("button", { type: "button", class: "small", "aria-label": t("cart.more", { name: item.name }),
            onclick: () => change(item.sku, 1) }, "+")))))
      : h("p", { class: "empty" }, t("cart.empty")));
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
    quoteBox.replaceChildren(h("p", { class: "sub" }, t("cart.pricing")));
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
        onclick: () => placeOrder(button) }, t("cart.checkout"));
      checkout.bind(button);
      quoteBox.replaceChildren(...summary(answer, choice.coupons !== null), payWith(answer, account, coupons),
        h("div", { class: "actions" }, button));
    } catch (error) {
      if (ticket !== asked) return;
      if (choice.coupons !== null && error.status >= 400 && error.status < 500) {
        // a voucher chosen earlier (before a reload, say) is no longer usable: back to the best choice
        choose({ coupons: null });
        return;
      }
      quoteBox.replaceChildren(h("p", { class: "notice error" }, errorText(error)));
    }
  }

  // The shopper's choice: each unused voucher and card (ticked: the quote uses it), the balance,
  // the points. Changing any of it prices the cart again.
  function payWith(answer, account, coupons) {
    const used = new Set(answer.applied.map((a) => a.coupon_id));
    const tick = (id, label, checked, disabled, onchange) => h("label", { class: "choice" },
      h("input", { type: "checkbox", id, checked, disabled, onchange }), " ", label);
    const couponBoxes = coupons.map((coupon) => tick(`pay-${coupon.id}`,
      coupon.kind === "stored_value" ? t("cart.cardLeft", { name: coupon.name, left: formatFen(coupon.balance ?? 0) })
        : t("cart.voucherNamed", { name: coupon.name }),
      used.has(coupon.id), false, (event) => {
        const ids = answer.applied.map((a) => a.coupon_id).filter((id) => id !== coupon.id);
        choose({ coupons: event.target.checked ? [...ids, coupon.id] : ids });
      }));
    return h("fieldset", { class: "pay-with" }, h("legend", {}, t("cart.payWith")),
      couponBoxes.length ? couponBoxes : h("p", { class: "sub" }, t("cart.noCoupons")),
      choice.coupons !== null
        ? h("button", { type: "button", class: "small", onclick: () => choose({ coupons: null }) },
          t("cart.best"))
        : null,
      tick("pay-balance", t("cart.myBalance", { free: formatFen(account.balance) }), choice.balance, !account.balance,
        (event) => choose({ balance: event.target.checked })),
      tick("pay-points", t("cart.myPoints", { free: formatCount(account.points) }), choice.points, !account.points,
        (event) => choose({ points: event.target.checked })));
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
        // kept before it is sent: a reload before the answer tries this same key again
        keep({ intent: { key, what: checkout.what } });
        return api.postWithKey("checkout/reservations", { order_id: orderOf(key), ...body }, key);
      }, button);
      reserved(order);
    } catch (error) {
      if (!checkout.key) keep({ intent: null }); // a definite refusal: the next try is a new action
      orderBox.replaceChildren(h("p", { class: "notice error" }, errorText(error)));
    }
  }

  // The order is placed: the cart starts again, the reservation is kept until it is paid.
  function reserved(order) {
    rememberOrder(order.order_id);
    keep({ intent: null, open: openPart(order) });
    showReserved(order);
    quantities.clear();
    choice.coupons = null;
    keep({ lines: [], choice: { ...choice } });
    render();
    quote();
    onOrdered(order);
  }

  function showReserved(order) {
    const held = [
      ...order.applied.map((a) => a.kind === "stored_value" ? t("cart.onCard", { amount: formatFen(a.amount), name: a.name })
        : t("common.quoted", { name: a.name })),
      order.points_used ? t("common.points", { n: formatCount(order.points_used) }) : null,
      order.balance_used ? t("cart.ofBalance", { amount: formatFen(order.balance_used) }) : null,
    ].filter(Boolean);
    const button = h("button", { type: "button", class: "small", id: "release", onclick: () => releaseOrder(order, button) },
      t("cart.release"));
    orderBox.dataset.order = order.order_id;
    orderBox.replaceChildren(h("div", { class: "notice ok" },
      h("p", {}, order.total
        ? t("cart.waiting", { order: order.order_id, total: formatFen(order.total) })
        : t("cart.coveredByWallet", { order: order.order_id })),
      held.length ? h("p", { class: "sub" }, t("cart.held", { until: formatTime(order.expires_at), what: held.join(t("list.sep")) })) : null,
      h("div", { class: "actions" }, button)));
  }

  async function releaseOrder(order, button) {
    try {
      await release.run([order.order_id], (key) =>
        api.postWithKey(`checkout/reservations/${order.order_id}/release`, undefined, key), button);
      if (saved().open?.order_id === order.order_id) keep({ open: null });
      if (orderBox.dataset.order === order.order_id) {
        orderBox.replaceChildren(h("p", { class: "notice ok" },
          t("cart.released", { order: order.order_id })));
      }
      onChanged();
      quote();
    } catch (error) {
      orderBox.replaceChildren(h("p", { class: "notice error" }, errorText(error)));
    }
  }

  // The order's payment arrived (its reservation is paid): say so.
  function paid(order) {
    if (saved().open?.order_id === order.order_id) keep({ open: null, intent: null });
    if (orderBox.dataset.order !== order.order_id) return;
    const voucher = order.applied.find((a) => a.kind !== "stored_value");
    const used = voucher ? t("cart.voucherUsed", { name: voucher.name }) : "";
    orderBox.replaceChildren(h("p", { class: "notice ok" }, t("cart.paid", { order: order.order_id, used })));
  }

  // The reservation the page watches was released (by the shopper elsewhere, or because it lapsed).
  function lapsed(order) {
    if (saved().open?.order_id === order.order_id) keep({ open: null });
    if (orderBox.dataset.order !== order.order_id) return;
    orderBox.replaceChildren(h("p", { class: "notice ok" }, t("cart.released", { order: order.order_id })));
  }

  // The shopper `user` signed in: their saved cart, and what became of a check-out or a
  // reservation of before the reload.
  async function start(user) {
    const state = useShopper(user);
    quantities.clear();
    for (const [sku, quantity] of state.lines) {
      if (CATALOG.some((item) => item.sku === sku) && quantity > 0) quantities.set(sku, quantity);
    }
    Object.assign(choice, { coupons: null, balance: false, points: false }, state.choice);
    checkout.forget();
    orderBox.replaceChildren();
    delete orderBox.dataset.order;
    render();
    try {
      await restore(state);
    } catch {
      // the API could not be asked now: what was saved stays saved, for the next load
    }
    quote();
  }

  async function restore(state) {
    const sent = state.intent;
    if (sent) {
      checkout.key = sent.key; // the same check-out again reuses this key (Intent.run)
      checkout.what = sent.what;
      const found = await reservation(orderOf(sent.key));
      if (found?.status === "reserved") {
        reserved(found); // it was made: show it, and never make it twice (reserved() prices the empty cart)
        return;
      }
      if (found) {
        checkout.forget(); // paid or released meanwhile: nothing is pending any more
        keep({ intent: null });
      }
      if (found?.status === "paid") {
        quantities.clear(); // these lines were that order, paid: the cart starts again
        keep({ lines: [] });
        render();
      }
    }
    const open = state.open;
    if (open) {
      const now = await reservation(open.order_id);
      if (now?.status === "reserved") {
        showReserved(now);
        onOrdered(now);
      } else {
        keep({ open: null });
        if (now?.status === "paid") orderBox.replaceChildren(h("p", { class: "notice ok" }, t("cart.paid", { order: now.order_id, used: "" })));
        else if (now) orderBox.replaceChildren(h("p", { class: "notice ok" }, t("cart.released", { order: now.order_id })));
      }
    }
  }

  // The reservation of `orderId`, or null when there is none; any other failure is thrown.
  async function reservation(orderId) {
    try {
      return await api.get(`checkout/reservations/${orderId}`);
    } catch (error) {
      if (error.code === "NOT_FOUND") return null;
      throw error;
    }
  }

  render();
  return { refresh: quote, paid, lapsed, start };
}

// One check-out's order id comes from its Intent's key.
function orderOf(key) {
  return `order-${key.slice(0, 24)}`;
}

// What is kept of an open reservation: enough to look it up again.
function openPart(order) {
  return { order_id: order.order_id, expires_at: order.expires_at };
}

function summary(priced, chosen) {
  const voucher = priced.applied.find((a) => a.kind !== "stored_value");
  const cards = priced.applied.filter((a) => a.kind === "stored_value");
  const row = (label, value, cls) =>
    h("div", { class: `quote-row ${cls ?? ""}`.trim() }, h("span", {}, label), h("span", {}, value));
  return [
    row(t("cart.subtotal"), formatFen(priced.subtotal)),
    row(t("cart.discount"), `−${formatFen(priced.discount)}`, "discount"),
    priced.points_amount
      ? row(t("cart.paidByPoints", { n: formatCount(priced.points_used) }), `−${formatFen(priced.points_amount)}`) : null,
    priced.stored_value ? row(t("cart.paidByCards"), `−${formatFen(priced.stored_value)}`) : null,
    priced.balance_used ? row(t("cart.paidByBalance"), `−${formatFen(priced.balance_used)}`) : null,
    row(t("cart.total"), formatFen(priced.total), "total"),
    h("p", { class: "best" }, voucher
      ? t(chosen ? "cart.yourVoucher" : "cart.bestVoucher", { name: voucher.name, saving: formatFen(voucher.amount) })
      : t(chosen ? "cart.noVoucherChosen" : "cart.noVoucherApplies")),
    cards.length
      ? h("p", { class: "sub" }, t("cart.cardsUsed", { cards: cards.map((c) => t("cart.cardUsed", { name: c.name, amount: formatFen(c.amount) })).join(t("list.sep")) }))
      : null,
    expected(priced.expected_rebate),
    ...priced.trimmed.map((cut) => h("p", { class: "sub trimmed" }, t("cart.trimmed", {
      part: cut.asset === "points" ? t("common.of", { part: formatCount(cut.used), whole: t("common.points", { n: formatCount(cut.asked) }) })
        : t("common.of", { part: formatFen(cut.used), whole: formatFen(cut.asked) }),
      why: tOr("trimmed", cut.reason) }))),
  ].filter(Boolean);
}

// What the live rebate offers would give back on this total (the quote's expected_rebate): the
// real rebate can be lower (daily caps, budgets, a voucher sold out), never higher.
function expected(rebate) {
  if (!rebate) return null;
  const parts = [
    rebate.balance ? t("cart.toBalance", { amount: formatFen(rebate.balance) }) : null,
    rebate.points ? t("common.points", { n: formatCount(rebate.points) }) : null,
    rebate.vouchers ? t(rebate.vouchers === 1 ? "cart.voucher1" : "cart.vouchers", { n: rebate.vouchers }) : null,
  ].filter(Boolean);
  return parts.length
    ? h("p", { class: "sub expected-rebate" }, t("cart.expected", { parts: parts.join(t("list.sep")) }))
    : null;
}
