// What one order earned (GET /me/orders/{order_id}/rebates): per payment, each rule's rebate
// (granted, what capped it, what refunds took back, instalments still to come, a voucher's
// state) and a "Purchases" block for the cards and vouchers it bought (issued of quantity, the
// shortfall's reason, and after a full refund what was revoked and what was kept). Shown after a
// payment on this page, and for any order id the shopper looks up.
import { dataTable, h } from "./dom.js";
import { formatCount, formatFen, formatTime } from "./format.js";
import { errorText, t, tOr } from "./i18n.js";

const SETTLE_TRIES = 10; // a payment's rebates are applied a moment after it is paid
const SETTLE_WAIT_MS = 1500;

function amountOf(value, asset) {
  if (asset === "points") return t("common.points", { n: formatCount(value) });
  if (asset === "voucher") return t(value === 1 ? "cart.voucher1" : "cart.vouchers", { n: value });
  return formatFen(value);
}

// Fill `box` with the order's rebates; while a payment is still being settled, look again.
export async function showOrderRebates(api, orderId, box) {
  box.replaceChildren(h("p", { class: "sub" }, t("common.loading")));
  for (let attempt = 1; ; attempt += 1) {
    let earned;
    try {
      earned = await api.get(`me/orders/${encodeURIComponent(orderId)}/rebates`);
    } catch (error) {
      const text = error.code === "NOT_FOUND" ? t("orderRebates.notFound", { order: orderId }) : errorText(error);
      box.replaceChildren(h("p", { class: "notice error" }, text));
      return;
    }
    const settling = earned.payments.some((p) => !p.settled);
    const names = await purchaseNames(api, earned);
    box.replaceChildren(render(earned, settling, names));
    if (!settling || attempt >= SETTLE_TRIES) return;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_WAIT_MS));
  }
}

// The name of each template bought, from one of the coupons it issued (the list shows ids only).
async function purchaseNames(api, earned) {
  const names = new Map();
  for (const line of earned.payments.flatMap((p) => p.purchases ?? [])) {
    if (names.has(line.template_id) || !line.coupon_ids.length) continue;
    try {
      names.set(line.template_id, (await api.get(`me/coupons/${line.coupon_ids[0]}`)).name);
    } catch {
      // the id stands for it
    }
  }
  return names;
}

function render(earned, settling, names) {
  const totals = [
    earned.totals.balance ? formatFen(earned.totals.balance) : null,
    earned.totals.points ? t("common.points", { n: formatCount(earned.totals.points) }) : null,
    earned.totals.vouchers ? amountOf(earned.totals.vouchers, "voucher") : null,
  ].filter(Boolean);
  return h("div", { class: "order-rebates", "data-order": earned.order_id },
    h("h3", {}, t("orderRebates.title", { order: earned.order_id })),
    h("p", {}, totals.length ? t("orderRebates.totals", { what: totals.join(t("list.sep")) }) : t("orderRebates.nothing")),
    settling ? h("p", { class: "sub" }, t("orderRebates.settling")) : null,
    earned.payments.map((p) => payment(p, names)));
}

function payment(p, names) {
  return h("div", { class: "order-payment", "data-payment": p.payment_ref },
    h("p", { class: "sub" }, t("orderRebates.payment", { amount: formatFen(p.amount), time: formatTime(p.paid_at) }),
      p.refunded ? t("orderRebates.refunded", { amount: formatFen(p.refunded) }) : ""),
    p.rebates.length ? dataTable([
      { label: t("orderRebates.rule"), cell: (r) => r.rule_name },
      { label: t("orderRebates.granted"), num: true, cell: (r) => amountOf(r.amount, r.asset) },
      { label: t("col.details"), cell: (r) => details(r) },
    ], p.rebates, "") : null,
    p.purchases?.length ? purchases(p.purchases, names) : null);
}

function details(r) {
  const parts = [];
  if (r.limited_by) parts.push(t("orderRebates.limited", { computed: amountOf(r.computed, r.asset), why: tOr("limitedBy", r.limited_by) }));
  if (r.clawed_back) parts.push(t("orderRebates.clawedBack", { amount: amountOf(r.clawed_back, r.asset) }));
  if (r.pending) parts.push(t("orderRebates.pendingInstalments", { amount: amountOf(r.pending, r.asset) }));
  const next = r.instalments?.find((i) => i.status === "pending");
  if (next) parts.push(t("rebates.nextOn", { amount: amountOf(next.amount, r.asset), time: formatTime(next.due_at) }));
  if (r.voucher_state) parts.push(tOr("voucherState", r.voucher_state));
  if (r.not_granted_reason) parts.push(tOr("notGranted", r.not_granted_reason));
  return parts.join(t("list.sep"));
}

function purchases(lines, names) {
  return h("div", { class: "purchases" },
    h("h4", {}, t("orderRebates.purchases")),
    dataTable([
      { label: t("col.template"), cell: (x) => names.get(x.template_id) ?? x.template_id },
      { label: t("orderRebates.issued"), num: true, cell: (x) => t("common.of", { part: formatCount(x.issued), whole: formatCount(x.quantity) }) },
      { label: t("col.details"), cell: (x) => [
        x.not_issued_reason ? t("orderRebates.shortfall", { n: formatCount(x.quantity - x.issued), why: tOr("notGranted", x.not_issued_reason) }) : null,
        x.revoked_ids ? t("orderRebates.revoked", { n: formatCount(x.revoked_ids.length) }) : null,
        x.kept_ids?.length ? t("orderRebates.kept", { n: formatCount(x.kept_ids.length) }) : null,
      ].filter(Boolean).join(t("list.sep")) },
    ], lines, ""));
}
