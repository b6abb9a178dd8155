// My rebates: the account (balance, frozen by withdrawals, points, debts, instalments to come),
// a withdrawal form (with an optional payee: channel, account, name), my withdrawals with their
// status, reason and payout reference (the payee masked, as the API shows it), and the ledger
// as events in the shopper's words (ledger-events.js: "订单 X 返利 ¥8.64", one row per withdrawal).
import { Intent } from "./api.js";
import { rememberPayments, saved } from "./cart-store.js";
import { badge, dataTable, figure, h, say } from "./dom.js";
import { formatCount, formatFen, formatTime, parseYuan } from "./format.js";
import { crossField, errorText, t, tOr } from "./i18n.js";
import { OF_PAYMENT, ledgerEvents } from "./ledger-events.js";

const BANK_ACCOUNT = /^\d{12,30}$/; // the API's rule for a bank card (withdrawal_models.py)
const LEDGER_PAGE = 20; // entries a page ("more" loads the next)
const LOOKUPS = 5; // orders asked for their payments per load of the ledger
const SETTLED = new Set(["paid", "rejected", "failed"]); // a withdrawal's status that does not change any more

// A ledger entry's type in words: entry.<type>; why a voucher reward could not be granted (the
// grant's refusal code): notGranted.<code>.

// Points are counted, every other asset is money in fen.
function formatAsset(amount, asset) {
  return asset === "points" || asset === "points_debt" || asset === "pending_points"
    ? t("common.points", { n: formatCount(amount) }) : formatFen(amount);
}

// An event's amount without its sign: money (as the balance's, `ofBalance`) and points.
function amounts(e, ofBalance) {
  const money = Math.abs(e.money);
  return [
    money ? (ofBalance ? t("rebates.ev.ofBalance", { amount: formatFen(money) }) : formatFen(money)) : null,
    e.points ? t("common.points", { n: formatCount(Math.abs(e.points)) }) : null,
  ].filter(Boolean).join(t("list.sep"));
}

// What the event changed, signed: the money (a withdrawal: the balance, net of any return) and the points.
function change(e) {
  const signed = (n, text) => `${n > 0 ? "+" : ""}${text}`;
  const parts = [
    e.money || e.kind === "withdrawal" ? signed(e.money, formatFen(e.money)) : null,
    e.points ? signed(e.points, t("common.points", { n: formatCount(e.points) })) : null,
  ].filter(Boolean);
  return parts.join(t("list.sep"));
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
  const withdrawalStatus = new Map(); // withdrawal id -> its status, as GET /me/withdrawals says
  let listed = new Set(); // the withdrawals the latest GET /me/withdrawals listed (their status is fresh)
  let lastAttempt = null; // the payments and orders of the last look for orders (ordersOfPayments)

  // Each part keeps only its latest answer: refreshes overlap (a payment watched, the page looked
  // at again), and an older answer arriving late must not draw over a newer one.
  const latest = { account: 0, withdrawals: 0, ledger: 0 };

  async function loadAccount() {
    const ticket = ++latest.account;
    const account = await api.get("me/account");
    if (ticket !== latest.account) return;
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
    const ticket = ++latest.withdrawals;
    const page = await api.get("me/withdrawals", { limit: 10 });
    if (ticket !== latest.withdrawals) return;
    listed = new Set(page.items.map((w) => w.id));
    for (const w of page.items) withdrawalStatus.set(w.id, w.status);
    withdrawals.replaceChildren(dataTable([
      { label: t("col.amount"), num: true, cell: (w) => formatFen(w.amount) },
      { label: t("col.asked"), cell: (w) => formatTime(w.created_at) },
      { label: t("col.status"), cell: (w) => badge(w.status) },
      { label: t("col.payTo"), cell: (w) => (w.payee ? `${tOr("payee", w.payee.channel)} ${w.payee.account} ${w.payee.name}` : "") },
      // why it was rejected or its payout failed, or the reference of the payout
      { label: t("col.details"), cell: (w) => w.reason ?? (w.payout_ref ? t("rebates.payoutRef", { ref: w.payout_ref }) : "") },
    ], page.items, t("rebates.noWithdrawals")));
  }

  // `listedFirst`: my withdrawals being loaded meanwhile, whose statuses the rows of withdrawals say.
  async function loadLedger(append = false, listedFirst = null) {
    const ticket = ++latest.ledger;
    const page = await api.get("me/rebates", { limit: LEDGER_PAGE, cursor: append ? cursor : null });
    await listedFirst?.catch(() => {}); // its failure is reported by its own load
    if (ticket !== latest.ledger) return;
    entries = append ? [...entries, ...page.items] : page.items;
    cursor = page.next_cursor;
    more.hidden = !cursor;
    const events = ledgerEvents(entries, Boolean(cursor));
    if (api.token) await Promise.all([ordersOfPayments(events), statusesOf(events)]); // not once signed out
    if (ticket !== latest.ledger) return;
    ledger.replaceChildren(dataTable([
      { label: t("col.when"), cell: (e) => formatTime(e.at) },
      { label: t("col.what"), cell: (e) => described(e) },
      { label: t("col.change"), num: true, cell: (e) => change(e) },
    ], events, t("rebates.none")));
  }

  // The orders of the payments the ledger names, from the orders placed on this page (the
  // entries name a payment, the shopper knows the order): asked of a few orders not asked yet.
  async function ordersOfPayments(events) {
    const known = saved().payments;
    const unknown = events.filter((e) => OF_PAYMENT.has(e.kind) && !(e.ref in known)).map((e) => e.ref);
    const asked = saved().orders.filter((id) => !saved().mapped.includes(id)).slice(0, LOOKUPS);
    // the same payments unknown and the same orders to ask as last time: their answers would not differ
    const attempt = JSON.stringify([unknown.sort(), asked]);
    if (!unknown.length || !asked.length || attempt === lastAttempt) return;
    lastAttempt = attempt;
    await Promise.all(asked.map(async (orderId) => {
      try {
        const earned = await api.get(`me/orders/${encodeURIComponent(orderId)}/rebates`);
        rememberPayments(orderId, earned.payments.map((p) => p.payment_ref),
          earned.payments.length > 0 && earned.payments.every((p) => p.settled));
      } catch {
        // not paid yet (or not readable now): asked again at the next load
      }
    }));
  }

  // The status of each withdrawal shown that the first page of my withdrawals did not give
  // (asked again while it may still change).
  async function statusesOf(events) {
    const unknown = events.filter((e) => e.kind === "withdrawal" && !listed.has(e.ref)
      && !SETTLED.has(withdrawalStatus.get(e.ref)));
    await Promise.all(unknown.map(async (e) => {
      try {
        withdrawalStatus.set(e.ref, (await api.get(`me/withdrawals/${encodeURIComponent(e.ref)}`)).status);
      } catch {
        // its entries tell where it stands
      }
    }));
  }

  // An event in the shopper's words, with what explains it below (the steps of a withdrawal, a
  // debt, the reason a voucher was not granted, a group continued on the next page).
  function described(e) {
    const notes = [];
    if (e.kind === "withdrawal") {
      // one step per kind of entry, oldest first (asking moves two assets: one step)
      const steps = [...e.entries].reverse().filter((x, i, all) => all.findIndex((y) => y.type === x.type) === i);
      notes.push(steps.map((x) => t("rebates.ev.step", { what: tOr("entry", x.type), time: formatTime(x.created_at) }))
        .join(t("rebates.ev.then")));
    }
    if (e.owed) notes.push(t("rebates.ev.owed", { amount: formatFen(e.owed) }));
    if (e.repaid) notes.push(t("rebates.ev.repaid", { amount: formatFen(e.repaid) }));
    if (e.kind === "adjustment" && e.entries[0].reason) notes.push(e.entries[0].reason);
    if (e.partial) notes.push(t("rebates.ev.partial"));
    return h("div", { class: "event", "data-event": e.kind, "data-ref": e.ref },
      h("span", { class: "event-what" }, sentence(e)),
      notes.map((note) => h("small", { class: "sub event-note" }, note)));
  }

  function sentence(e) {
    const subject = e.kind === "reserve" || e.kind === "unreserve" ? t("rebates.ev.order", { order: e.ref })
      : saved().payments[e.ref] ? t("rebates.ev.order", { order: saved().payments[e.ref] })
        : t("rebates.ev.payment", { payment: e.ref });
    const plain = amounts(e, false);
    const ofBalance = amounts(e, true);
    switch (e.kind) {
      case "rebate": return t(e.pending ? "rebates.ev.rebatePending" : "rebates.ev.rebate", { subject, amount: plain });
      case "release": return t("rebates.ev.release", { subject, amount: plain });
      case "instalment": return t("rebates.ev.instalment", { subject, amount: plain });
      case "clawback": return t("rebates.ev.clawback", { subject, amount: plain });
      case "refund": return t("rebates.ev.refund", { subject, amount: ofBalance });
      case "spend": return t("rebates.ev.spend", { subject, amount: ofBalance });
      case "reserve": return t("rebates.ev.reserve", { subject, amount: ofBalance });
      case "unreserve": return t("rebates.ev.unreserve", { subject, amount: ofBalance });
      case "expire": return t("rebates.ev.expire", { amount: plain });
      case "exchange": return t("rebates.ev.exchange", { amount: plain });
      case "adjustment": return t("rebates.ev.adjustment", { amount: change(e) });
      case "voucher_not_granted": return t("rebates.ev.notGranted", { subject,
        reason: e.reason ? t("rebates.because", { why: tOr("notGranted", e.reason) }) : "" });
      case "withdrawal": return t("rebates.ev.withdrawal", { amount: formatFen(e.amount),
        status: tOr("rebates.wd", withdrawalStatus.get(e.ref) ?? e.status) });
      default: return t("rebates.entry", { type: tOr("entry", e.kind), reason: "", asset: tOr("asset", e.entries[0].asset) });
    }
  }

  function refresh() {
    const listed = loadWithdrawals();
    return Promise.all([loadAccount(), listed, loadLedger(false, listed)]);
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
