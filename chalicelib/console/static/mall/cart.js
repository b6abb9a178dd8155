// A small cart of demo items and its checkout quote. The quote sends no coupon_ids, so the API
// picks the best voucher from the wallet; every amount shown comes from its answer. "Check out"
// places the order: it locks that voucher for it, and the order then waits for its payment.
import { Intent } from "./api.js";
import { h } from "./dom.js";
import { formatFen, formatTime } from "./format.js";

// The mall's own catalogue would come from its product service; these stand in for it.
const CATALOG = [
  { sku: "TEA-SET", name: "Tea set", category: "home", unit_price: 12800 },
  { sku: "RUN-SHOES", name: "Running shoes", category: "sports", unit_price: 39900 },
  { sku: "NOTEBOOK", name: "Notebook", category: "stationery", unit_price: 1250 },
  { sku: "COFFEE-1KG", name: "Coffee beans, 1 kg", category: "grocery", unit_price: 8990 },
];

// onOrdered({order_id, coupon_id, total}) is told of each order placed (to watch for its payment).
export function cart(api, onOrdered = () => {}) {
  const catalog = document.getElementById("catalog");
  const linesBox = document.getElementById("cart-lines");
  const quoteBox = document.getElementById("quote");
  const orderBox = document.getElementById("order");
  const quantities = new Map(); // sku -> quantity
  let asked = 0; // the latest quote request; an older answer arriving late is dropped
  let priced = null; // the latest quote and the items it priced
  // One order per cart the shopper checks out: its order id comes from the Intent's key, so a
  // second click or a retry after a lost answer locks the voucher for the same order, once.
  const checkout = new Intent();

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
      quoteBox.replaceChildren();
      return;
    }
    quoteBox.replaceChildren(h("p", { class: "sub" }, "Pricing your cart…"));
    try {
      const answer = await api.post("checkout/quote", { items });
      if (ticket !== asked) return;
      priced = { quote: answer, items };
      const button = h("button", { type: "button", class: "primary", id: "checkout",
        onclick: () => placeOrder(button) }, "Check out");
      quoteBox.replaceChildren(...summary(answer), h("div", { class: "actions" }, button));
    } catch (error) {
      if (ticket === asked) quoteBox.replaceChildren(h("p", { class: "notice error" }, error.message));
    }
  }

  async function placeOrder(button) {
    if (!priced) return;
    const { quote: answer, items } = priced;
    const voucher = answer.applied.find((a) => a.kind !== "stored_value");
    try {
      const order = await checkout.run([items, voucher?.coupon_id ?? null], async (key) => {
        const orderId = `order-${key.slice(0, 24)}`;
        const locked = voucher
          ? await api.postWithKey(`me/coupons/${voucher.coupon_id}/lock`, { order_id: orderId, items }, key)
          : null;
        return { order_id: orderId, coupon_id: voucher?.coupon_id ?? null, total: answer.total, locked };
      }, button);
      const held = order.locked
        ? ` “${order.locked.name}” is held for it until ${formatTime(order.locked.lock_expires_at)}.` : "";
      orderBox.dataset.order = order.order_id;
      orderBox.replaceChildren(h("p", { class: "notice ok" },
        `Order ${order.order_id} is waiting for its payment of ${formatFen(order.total)}.${held}`));
      quantities.clear(); // the order is placed: the cart starts again
      render();
      quote();
      onOrdered(order);
    } catch (error) {
      orderBox.replaceChildren(h("p", { class: "notice error" }, error.message));
    }
  }

  // The order's payment arrived (its voucher is no longer locked): say so.
  function paid(order, coupon) {
    if (orderBox.dataset.order !== order.order_id) return;
    const used = coupon?.status === "used" ? ` “${coupon.name}” is used.` : "";
    orderBox.replaceChildren(h("p", { class: "notice ok" }, `Order ${order.order_id} is paid.${used}`));
  }

  render();
  return { refresh: quote, paid };
}

function summary(priced) {
  const voucher = priced.applied.find((a) => a.kind !== "stored_value");
  const cards = priced.applied.filter((a) => a.kind === "stored_value");
  const row = (label, value, cls) =>
    h("div", { class: `quote-row ${cls ?? ""}`.trim() }, h("span", {}, label), h("span", {}, value));
  return [
    row("Subtotal", formatFen(priced.subtotal)),
    row("Voucher discount", `−${formatFen(priced.discount)}`, "discount"),
    priced.stored_value ? row("Paid by stored-value cards", `−${formatFen(priced.stored_value)}`) : null,
    row("Total to pay", formatFen(priced.total), "total"),
    h("p", { class: "best" }, voucher
      ? `Best voucher from your wallet: “${voucher.name}”, saving ${formatFen(voucher.amount)}.`
      : "No voucher in your wallet applies to this cart."),
    cards.length
      ? h("p", { class: "sub" }, `Cards used: ${cards.map((c) => `“${c.name}” (${formatFen(c.amount)})`).join(", ")}.`)
      : null,
  ].filter(Boolean);
}
