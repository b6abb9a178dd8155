// My rebates: the account (balance, frozen by withdrawals, points, debts, instalments to come),
// a withdrawal form (with an optional payee: channel, account, name), my withdrawals with their
// status, reason and payout reference (the payee masked, as the API shows it), and the ledger.
import { Intent } from "./api.js";
import { badge, dataTable, figure, say } from "./dom.js";
import { formatCount, formatFen, formatTime, parseYuan } from "./format.js";
import { crossField, errorText, t, tOr } from "./i18n.js";

const BANK_ACCOUNT = /^\d{12,30}$/; // the API's rule for a bank card (withdrawal_models.py)

// A ledger entry's type in words: entry.<type>; why a voucher reward could not be granted (the
// grant's refusal code): notGranted.<code>.

// Points are counted, every other asset is money in fen.
function formatAsset(amount, asset) {
  return asset === "points" || asset === "points_debt" || asset === "pending_points"
    ? t("common.points", { n: formatCount(amount) }) : formatFen(amount);
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
    const soonest = account.points_expiring?.[0]; // soonest first
    figures.replaceChildren(...[
      figure(t("account.balance"), formatFen(account.balance)),
      figure(t("rebates.beingWithdrawn"), formatFen(account.frozen)),
      figure(t("account.points"), formatCount(account.points)),
      account.pending_balance ? figure(t("rebates.pending"), formatFen(account.pending_balance)) : null,
      account.pending_points ? figure(t("rebates.pendingPoints"), formatCount(account.pending_points)) : null,
      account.held ? figure(t("rebates.held"), formatFen(account.held)) : null,
      account.points_held ? figure(t("rebates.pointsHeld"), formatCount(account.points_held)) : null,
      soonest ? figure(t("rebates.expiring"), t("rebates.expiringOn", { n: formatCount(soonest.points), time: formatTime(soonest.expires_at) })) : null,
      account.debt ? figure(t("rebates.debt"), formatFen(account.debt)) : null,
      account.points_debt ? figure(t("rebates.pointsDebt"), formatCount(account.points_debt)) : null,
      next ? figure(t("rebates.next"), t("rebates.nextOn", { amount: formatAsset(next.amount, next.asset), time: formatTime(next.due_at) })) : null,
    ].filter(Boolean));
  }

  async function loadWithdrawals() {
    const page = await api.get("me/withdrawals", { limit: 10 });
    withdrawals.replaceChildren(dataTable([
      { label: t("col.amount"), num: true, cell: (w) => formatFen(w.amount) },
      { label: t("col.asked"), cell: (w) => formatTime(w.created_at) },
      { label: t("col.status"), cell: (w) => badge(w.status) },
      { label: t("col.payTo"), cell: (w) => (w.payee ? `${tOr("payee", w.payee.channel)} ${w.payee.account} ${w.payee.name}` : "") },
      // why it was rejected or its payout failed, or the reference of the payout
      { label: t("col.details"), cell: (w) => w.reason ?? (w.payout_ref ? t("rebates.payoutRef", { ref: w.payout_ref }) : "") },
    ], page.items, t("rebates.noWithdrawals")));
  }

  async function loadLedger(append = false) {
    const page = await api.get("me/rebates", { limit: 10, cursor: append ? cursor : null });
    entries = append ? [...entries, ...page.items] : page.items;
    cursor = page.next_cursor;
    more.hidden = !cursor;
    ledger.replaceChildren(dataTable([
      { label: t("col.when"), cell: (e) => formatTime(e.created_at) },
      { label: t("col.what"), cell: (e) => t("rebates.entry", { type: tOr("entry", e.type),
        reason: e.reason ? t("rebates.because", { why: tOr("notGranted", e.reason) }) : "", asset: tOr("asset", e.asset) }) },
      { label: t("col.change"), num: true, cell: (e) => `${e.amount > 0 ? "+" : ""}${formatAsset(e.amount, e.asset)}` },
    ], entries, t("rebates.none")));
  }

  function refresh() {
    return Promise.all([loadAccount(), loadWithdrawals(), loadLedger()]);
  }

  async function load() {
    try {
      await refresh();
    } catch (error) {
      say(status, errorText(error), "error");
    }
  }

  // A problem with what was typed, beside the input it concerns (the amount, or the payee).
  function fieldError(input, text) {
    input.setAttribute("aria-invalid", "true");
    const note = document.createElement("small");
    note.className = "field-error";
    note.id = `${input.id}-error`;
    note.textContent = text;
    input.setAttribute("aria-describedby", note.id);
    input.closest(".inline").after(note);
    say(status, t("form.check"), "error");
  }

  function clearFieldErrors() {
    form.querySelectorAll(".field-error").forEach((el) => el.remove());
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors();
    const fen = parseYuan(amount.value);
    if (fen === null || fen < 1) {
      fieldError(amount, t("rebates.enterAmount"));
      return;
    }
    const payee = { channel: channel.value, account: account.value.trim(), name: name.value.trim() };
    if (payee.channel && (!payee.account || !payee.name)) {
      fieldError(payee.account ? name : account, t("rebates.payeeNeeded"));
      return;
    }
    if (payee.channel === "bank" && !BANK_ACCOUNT.test(payee.account.replace(/\s/g, ""))) {
      fieldError(account, t("rule.bankAccount"));
      return;
    }
    if (payee.channel === "bank") payee.account = payee.account.replace(/\s/g, "");
    const body = payee.channel ? { amount: fen, payee } : { amount: fen };
    try {
      const asked = await withdrawal.post(api, "me/withdrawals", body, submit);
      say(status, t("rebates.asked", { amount: formatFen(asked.amount) }), "ok");
      amount.value = "";
      await refresh();
    } catch (error) {
      // The API's refusals of a withdrawal, beside the input they concern.
      if (error.code === "INSUFFICIENT_BALANCE") fieldError(amount, t("rebates.cannotCover", { amount: formatFen(fen) }));
      else if (error.code === "LIMIT_REACHED") fieldError(amount, t("rebates.limit"));
      else if (error.code === "VALIDATION_ERROR" && (error.details ?? []).some((d) => String(d.field).startsWith("payee"))) {
        const rule = error.details.map((d) => crossField(d.message)).find(Boolean);
        fieldError(account, rule ? t(rule.key) : t("rebates.checkPayee"));
      } else if (error.code === "VALIDATION_ERROR") fieldError(amount, t("rebates.enterAmount"));
      else say(status, errorText(error), "error");
    }
  });
  more.addEventListener("click", () => loadLedger(true).catch((error) => say(status, errorText(error), "error")));
  return { load };
}
