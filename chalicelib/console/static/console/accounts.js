// Accounts (support): look a shopper up by user id, see the account, its ledger and withdrawals,
// and adjust the balance or the free points by a signed amount with a reason. One adjustment is
// one Intent (one Idempotency-Key): its button is disabled while it is in flight, and a retry of
// the same adjustment after a lost answer applies it once.
import { Intent } from "./api.js";
import { badge, dataTable, figure, h, say, sayError } from "./dom.js";
import { formatCount, formatFen, formatTime, parseYuan } from "./format.js";
import { t, tOr } from "./i18n.js";

const USER_ID = /^[A-Za-z0-9_.@:\-]{1,128}$/; // chalicelib/auth.py USER_ID

export function accountsView(api) {
  const userInput = h("input", { id: "account-user", "aria-label": t("accounts.userId"), placeholder: t("accounts.userIdPlaceholder"), required: true });
  const lookup = h("form", { class: "actions", id: "account-lookup" }, userInput, h("button", { class: "primary" }, t("accounts.lookUp")));
  const shown = h("div", { id: "account-shown" });
  const status = h("p", { class: "notice", role: "status" });
  const adjusting = new Intent();
  let userId = null;

  async function load() {
    if (!userId) return;
    try {
      const view = await api.get(`admin/accounts/${encodeURIComponent(userId)}`, { limit: 20 });
      shown.replaceChildren(
        h("div", { class: "figures" },
          figure(t("account.balance"), formatFen(view.account.balance)), figure(t("account.frozen"), formatFen(view.account.frozen)),
          figure(t("account.held"), formatFen(view.account.held)), figure(t("account.points"), formatCount(view.account.points)),
          figure(t("account.debt"), formatFen(view.account.debt)),
          view.account.pending_balance ? figure(t("rebates.pending"), formatFen(view.account.pending_balance)) : null,
          view.account.pending_points ? figure(t("rebates.pendingPoints"), formatCount(view.account.pending_points)) : null),
        ...expiring(view.account.points_expiring ?? []),
        adjustForm(),
        h("h3", {}, t("mall.ledger")),
        dataTable([
          { label: t("col.when"), cell: (e) => formatTime(e.created_at) },
          { label: t("col.type"), cell: (e) => tOr("entry", e.type) },
          { label: t("col.asset"), cell: (e) => tOr("asset", e.asset) },
          { label: t("col.amount"), num: true, cell: (e) => (e.asset === "points" ? formatCount(e.amount) : formatFen(e.amount)) },
          { label: t("col.reason"), cell: (e) => [e.reason, e.actor ? t("common.by", { who: e.actor }) : ""].filter(Boolean).join(" ") },
        ], view.ledger.items, t("accounts.noLedger")),
        h("h3", {}, t("withdrawals.title")),
        dataTable([
          { label: t("col.amount"), num: true, cell: (w) => formatFen(w.amount) },
          { label: t("col.asked"), cell: (w) => formatTime(w.created_at) },
          { label: t("col.status"), cell: (w) => badge(w.status) },
        ], view.withdrawals.items, t("accounts.noWithdrawals")));
    } catch (error) {
      shown.replaceChildren();
      sayError(status, error, { NOT_FOUND: "accounts.notFound" });
    }
  }

  function adjustForm() {
    const asset = h("select", { name: "asset", "aria-label": t("col.asset") },
      h("option", { value: "balance" }, t("accounts.assetBalance")), h("option", { value: "points" }, t("accounts.assetPoints")));
    const amount = h("input", { name: "amount", "aria-label": t("col.amount"), placeholder: t("accounts.amountPlaceholder"), required: true });
    const reason = h("input", { name: "reason", "aria-label": t("col.reason"), maxlength: 200, required: true });
    const submit = h("button", { class: "primary" }, t("accounts.adjust"));
    const form = h("form", { id: "adjust-form", class: "actions" }, asset, amount, reason, submit);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = amount.value.trim();
      const negative = text.startsWith("-");
      const magnitude = asset.value === "points"
        ? (/^[+-]?\d{1,12}$/.test(text) ? Math.abs(Number(text)) : null)
        : parseYuan(text.replace(/^[+-]/, ""));
      if (!magnitude) return say(status, t("accounts.signedAmount"), "error");
      const body = { asset: asset.value, amount: negative ? -magnitude : magnitude, reason: reason.value };
      try {
        const made = await adjusting.post(api, `admin/accounts/${encodeURIComponent(userId)}/adjustments`, body, submit);
        const moved = made.asset === "points" ? t("common.points", { n: formatCount(made.amount) }) : formatFen(made.amount);
        say(status, t("accounts.adjusted", { user: made.user_id, asset: tOr("asset", made.asset), moved }), "ok");
        await load();
      } catch (error) {
        sayError(status, error);
      }
    });
    return form;
  }

  lookup.addEventListener("submit", (event) => {
    event.preventDefault();
    userId = userInput.value.trim();
    if (!USER_ID.test(userId)) {
      shown.replaceChildren();
      say(status, t("field.user_ids.pattern"), "error");
      userId = null;
      return;
    }
    say(status, "");
    load();
  });
  const element = h("section", { id: "view-accounts" },
    h("div", { class: "card" }, h("div", { class: "toolbar" }, h("h2", {}, t("accounts.title")), lookup), status, shown));
  return { id: "accounts", title: t("accounts.title"), element, show: () => load() };
}

// The account's points by the day they expire, soonest first (points_valid_days > 0).
function expiring(lots) {
  if (!lots.length) return []; // nothing: replaceChildren would show a null as the text "null"
  return [h("div", { id: "points-expiring" }, h("h3", {}, t("accounts.pointsExpiring")),
    h("ul", { class: "changes" }, lots.map((lot) => h("li", {},
      t("rebates.expiringOn", { n: formatCount(lot.points), time: formatTime(lot.expires_at) })))))];
}
