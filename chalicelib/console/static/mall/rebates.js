// My rebates: the account (balance, frozen by withdrawals, points, debts, instalments to come),
// a withdrawal form (with an optional payee: channel, account, name), my withdrawals with their
// status, reason and payout reference (the payee masked, as the API shows it), and the ledger.
import { Intent } from "./api.js";
import { badge, dataTable, figure, h, say } from "./dom.js";
import { formatCount, formatFen, formatTime, parseYuan } from "./format.js";

const ENTRY_NAMES = {
  rebate: "rebate", clawback: "refund clawback", instalment: "instalment released",
  withdrawal: "withdrawal asked", withdrawal_paid: "withdrawal paid out", withdrawal_rejected: "withdrawal returned",
  withdrawal_failed: "withdrawal payout failed, returned",
  voucher_not_granted: "voucher earned but not granted",
  reserve: "held for an order", unreserve: "order released", spend: "paid for an order", refund: "given back by a refund",
  release: "pending rebate released", exchange: "points redeemed for a voucher",
};
// Why a voucher reward could not be granted (the grant's refusal code).
const REASONS = {
  LIMIT_REACHED: "you already hold as many as allowed", SOLD_OUT: "none were left",
  NOT_CLAIMABLE: "it is no longer issued", NOT_FOUND: "it no longer exists",
};

// Points are counted, every other asset is money in fen.
function formatAsset(amount, asset) {
  return asset === "points" || asset === "points_debt" || asset === "pending_points"
    ? `${formatCount(amount)} points` : formatFen(amount);
}

export function rebates(api) {
  const figures = document.getElementById("rebate-account");
  const form = document.getElementById("withdraw-form");
  const amount = document.getElementById("withdraw-amount");
  const status = document.getElementById("rebate-status");
  const withdrawals = document.getElementById("my-withdrawals");
  const ledger = document.getElementById("ledger");
  const more = document.getElementById("ledger-more");
  const submit = form.querySelector("button");
  const channel = document.getElementById("payee-channel");
  const account = document.getElementById("payee-account");
  const name = document.getElementById("payee-name");
  const withdrawal = new Intent(); // one key per withdrawal the shopper means: a double click asks once
  let entries = [];
  let cursor = null;

  async function loadAccount() {
    const account = await api.get("me/account");
    const next = account.pending_instalments[0];
    figures.replaceChildren(...[
      figure("Balance", formatFen(account.balance)),
      figure("Being withdrawn", formatFen(account.frozen)),
      figure("Points", formatCount(account.points)),
      account.pending_balance ? figure("Pending (return window)", formatFen(account.pending_balance)) : null,
      account.pending_points ? figure("Points pending (return window)", formatCount(account.pending_points)) : null,
      account.held ? figure("Held for orders", formatFen(account.held)) : null,
      account.points_held ? figure("Points held for orders", formatCount(account.points_held)) : null,
      account.debt ? figure("Owed from refunds", formatFen(account.debt)) : null,
      account.points_debt ? figure("Points owed", formatCount(account.points_debt)) : null,
      next ? figure("Next instalment", `${formatAsset(next.amount, next.asset)} on ${formatTime(next.due_at)}`) : null,
    ].filter(Boolean));
  }

  async function loadWithdrawals() {
    const page = await api.get("me/withdrawals", { limit: 10 });
    withdrawals.replaceChildren(dataTable([
      { label: "Amount", num: true, cell: (w) => formatFen(w.amount) },
      { label: "Asked", cell: (w) => formatTime(w.created_at) },
      { label: "Status", cell: (w) => badge(w.status) },
      { label: "Pay to", cell: (w) => (w.payee ? `${w.payee.channel} ${w.payee.account} ${w.payee.name}` : "") },
      // why it was rejected or its payout failed, or the reference of the payout
      { label: "Details", cell: (w) => w.reason ?? (w.payout_ref ? `payout reference ${w.payout_ref}` : "") },
    ], page.items, "No withdrawals yet."));
  }

  async function loadLedger(append = false) {
    const page = await api.get("me/rebates", { limit: 10, cursor: append ? cursor : null });
    entries = append ? [...entries, ...page.items] : page.items;
    cursor = page.next_cursor;
    more.hidden = !cursor;
    ledger.replaceChildren(dataTable([
      { label: "When", cell: (e) => formatTime(e.created_at) },
      { label: "What", cell: (e) => `${ENTRY_NAMES[e.type] ?? e.type}${e.reason ? `: ${REASONS[e.reason] ?? e.reason}` : ""}`
        + ` (${e.asset.replace(/_/g, " ")})` },
      { label: "Change", num: true, cell: (e) => `${e.amount > 0 ? "+" : ""}${formatAsset(e.amount, e.asset)}` },
    ], entries, "No rebates yet: pay for an order under a rebate offer."));
  }

  function refresh() {
    return Promise.all([loadAccount(), loadWithdrawals(), loadLedger()]);
  }

  async function load() {
    try {
      await refresh();
    } catch (error) {
      say(status, error.message, "error");
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fen = parseYuan(amount.value);
    if (fen === null || fen < 1) {
      say(status, "Enter an amount in yuan, such as 12 or 12.50.", "error");
      return;
    }
    const payee = { channel: channel.value, account: account.value.trim(), name: name.value.trim() };
    if (payee.channel && (!payee.account || !payee.name)) {
      say(status, "To pay to an account, give its number and the holder's real name.", "error");
      return;
    }
    const body = payee.channel ? { amount: fen, payee } : { amount: fen };
    try {
      const asked = await withdrawal.post(api, "me/withdrawals", body, submit);
      say(status, `Asked to withdraw ${formatFen(asked.amount)}: an operator will review it.`, "ok");
      amount.value = "";
      await refresh();
    } catch (error) {
      const shown = error.code === "INSUFFICIENT_BALANCE" ? `Your balance cannot cover ${formatFen(fen)}.`
        : error.code === "VALIDATION_ERROR" && payee.channel ? `Check the payee: ${error.message}` : error.message;
      say(status, shown, "error");
    }
  });
  more.addEventListener("click", () => loadLedger(true).catch((error) => say(status, error.message, "error")));
  return { load };
}
