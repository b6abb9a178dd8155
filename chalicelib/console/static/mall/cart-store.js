// What the mall page keeps for the signed-in shopper across reloads, in localStorage under
// "mall.cart.<user>" (one entry per user, so another shopper on the same browser sees their own):
// - lines: [[sku, quantity], ...], the cart not yet checked out;
// - choice: what the shopper chose to pay with (coupons: null = the quote's best choice);
// - intent: {key, what} of a check-out sent without a definite answer yet (the Intent's
//   Idempotency-Key and what it was for): after a reload the same check-out reuses that key, so
//   the API applies it once, and the order it names (order-<key>) is looked for first;
// - open: the reservation reserved and not yet paid (order_id, expires_at, amounts), shown again
//   after a reload and watched for its payment; cleared when it is paid or released;
// - orders: the ids of the orders placed from this page, newest first (the ledger's payments are
//   named after them: payments maps a payment's ref to its order, found through
//   GET /me/orders/{order_id}/rebates).
// Nothing here is the truth: every figure shown still comes from the API.
const PREFIX = "mall.cart.";
const KEPT_ORDERS = 20;

function empty() {
  return { lines: [], choice: { coupons: null, balance: false, points: false }, intent: null, open: null,
    orders: [], payments: {}, mapped: [] };
}

let user = null;
let state = empty();

function read(sub) {
  try {
    const saved = JSON.parse(localStorage.getItem(PREFIX + sub) ?? "null");
    return saved && typeof saved === "object" ? { ...empty(), ...saved } : empty();
  } catch {
    return empty(); // unreadable (or storage refused): start again
  }
}

function write() {
  if (user === null) return;
  try {
    localStorage.setItem(PREFIX + user, JSON.stringify(state));
  } catch {
    // storage full or refused: the page still works, it only forgets on reload
  }
}

// The shopper signed in: their saved state (a fresh one for a new shopper).
export function useShopper(sub) {
  user = sub;
  state = read(sub);
  return state;
}

export function saved() {
  return state;
}

// Change some fields and keep them.
export function keep(change) {
  Object.assign(state, change);
  write();
}

// An order placed from this page (its payments are then named after it in the ledger).
export function rememberOrder(orderId) {
  keep({ orders: [orderId, ...state.orders.filter((id) => id !== orderId)].slice(0, KEPT_ORDERS) });
}

// The payments of an order (GET /me/orders/{order_id}/rebates); `final` once it was paid, so
// that it is not asked again.
export function rememberPayments(orderId, refs, final) {
  const payments = { ...state.payments };
  for (const ref of refs) payments[ref] = orderId;
  const mapped = final ? [orderId, ...state.mapped.filter((id) => id !== orderId)].slice(0, KEPT_ORDERS) : state.mapped;
  keep({ payments, mapped });
}
