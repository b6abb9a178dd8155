// The ledger (GET /me/rebates, newest first: one entry per asset moved) as the events a shopper
// knows, one row each: an order's rebate (per rule), a refund's clawback, what a refund gave back,
// balance and points spent on an order (or held for it, or given back when it was released),
// points expired or redeemed for a voucher, an adjustment by support, and ONE row per withdrawal,
// its steps (asked, approved and paid out, rejected or failed: entries of one withdrawal id)
// together.
//
// What an entry carries (chalicelib/rebates/ledger.py, holds.py, withdrawals.py): `type`, the
// signed `amount` of one `asset`, and `ref`: the payment (`<provider>:<payment id>`) for rebate,
// clawback, refund, spend, release, instalment and voucher_not_granted; the order id for reserve
// and unreserve; the withdrawal id for the withdrawal_* types; the coupon for exchange; the
// Beijing day for expire. The entries of one change (a credit that repays a debt first, a
// reservation's balance and held) share their `created_at`.
//
// Paging: only what is loaded is grouped. A group may continue on the next page (a withdrawal
// asked long before it was paid out): the group that holds the oldest loaded entry is marked
// `partial` while there is a next page, and is grouped again, whole, once "more" loaded it.

// How much of each asset counts in an event's amount, per unit (money in fen, points): a debt is
// what a credit repaid (-) or a debit could not take (+); held balance counts when it is spent;
// a release moves pending to free, and only the free side (with any debt repaid) counts.
const COUNTS = {
  default: { money: { balance: 1, pending_balance: 1, debt: -1 }, points: { points: 1, pending_points: 1, points_debt: -1 } },
  release: { money: { balance: 1, debt: -1 }, points: { points: 1, points_debt: -1 } },
  spend: { money: { balance: 1, held: 1 }, points: { points: 1, points_held: 1 } },
  reserve: { money: { balance: 1 }, points: { points: 1 } },
  unreserve: { money: { balance: 1 }, points: { points: 1 } },
};
const WITHDRAWAL = new Set(["withdrawal", "withdrawal_paid", "withdrawal_rejected", "withdrawal_failed"]);
// Types whose ref is a payment: the event is said of its order when the page knows it.
export const OF_PAYMENT = new Set(["rebate", "clawback", "refund", "spend", "release", "instalment", "voucher_not_granted"]);

function groupKey(entry) {
  if (WITHDRAWAL.has(entry.type)) return `withdrawal|${entry.ref}`;
  if (entry.type === "voucher_not_granted" || entry.type === "adjustment") return `${entry.type}|${entry.id}`;
  return `${entry.type}|${entry.ref}|${entry.rule_id ?? ""}|${entry.created_at}`;
}

// entries: newest first; more: whether a next page exists. Each event: {kind, ref, at (its
// newest entry's time), entries (newest first), money, points (signed sums), pending (true when
// it waits out a return window), owed / repaid (a debt it made or paid, in money), partial}; a
// withdrawal's also {amount, status} (status from its entries: pending, approved, rejected,
// failed; the withdrawal itself knows more: paid).
export function ledgerEvents(entries, more) {
  const groups = new Map();
  for (const entry of entries) {
    const key = groupKey(entry);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(entry);
  }
  const oldest = entries[entries.length - 1];
  return [...groups.values()].map((group) => {
    const event = WITHDRAWAL.has(group[0].type) ? withdrawal(group) : moved(group);
    event.partial = Boolean(more && group.includes(oldest));
    return event;
  });
}

function sum(group, weights) {
  return group.reduce((total, entry) => total + entry.amount * (weights[entry.asset] ?? 0), 0);
}

function moved(group) {
  const [first] = group;
  const counts = COUNTS[first.type] ?? COUNTS.default;
  const debt = group.filter((e) => e.asset === "debt").reduce((total, e) => total + e.amount, 0);
  return {
    kind: first.type, ref: first.ref, at: first.created_at, entries: group,
    money: sum(group, counts.money), points: sum(group, counts.points),
    pending: group.some((e) => e.asset === "pending_balance" || e.asset === "pending_points") && first.type !== "release",
    owed: debt > 0 ? debt : 0, repaid: debt < 0 ? -debt : 0,
    reason: first.reason ?? null, rule_id: first.rule_id ?? null,
  };
}

function withdrawal(group) {
  const types = new Set(group.map((e) => e.type));
  const status = types.has("withdrawal_failed") ? "failed" : types.has("withdrawal_rejected") ? "rejected"
    : types.has("withdrawal_paid") ? "approved" : "pending";
  // Every step moves the withdrawal's whole amount: frozen when asked, approved or rejected; a
  // failed payout credits it back (to the balance, a debt first).
  const frozen = group.find((e) => e.asset === "frozen");
  const amount = frozen ? Math.abs(frozen.amount)
    : group.filter((e) => e.asset === "balance" || e.asset === "debt")
      .reduce((total, e) => total + (e.asset === "debt" ? -e.amount : e.amount), 0);
  return {
    kind: "withdrawal", ref: group[0].ref, at: group[0].created_at, entries: group, amount, status,
    money: sum(group, { balance: 1, debt: -1 }), points: 0, pending: false, owed: 0, repaid: 0,
  };
}
