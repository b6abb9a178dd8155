// Accounts (support): look a shopper up by user id, see the account, its ledger and withdrawals,
// and adjust the balance or the free points by a signed amount with a reason. One adjustment is
// one Intent (one Idempotency-Key): its button is disabled while it is in flight, and a retry of
// the same adjustment after a lost answer applies it once.
import { Intent } from "./api.js";
import { badge, dataTable, figure, h, say } from "./dom.js";
import { formatCount, formatFen, formatTime, parseYuan } from "./format.js";

export function accountsView(api) {
  const userInput = h("input", { id: "account-user", "aria-label": "User id", placeholder: "user id", required: true });
  const lookup = h("form", { class: "actions", id: "account-lookup" }, userInput, h("button", { class: "primary" }, "Look up"));
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
          figure("Balance", formatFen(view.account.balance)), figure("Frozen", formatFen(view.account.frozen)),
          figure("Held", formatFen(view.account.held)), figure("Points", formatCount(view.account.points)),
          figure("Debt", formatFen(view.account.debt))),
        adjustForm(),
        h("h3", {}, "Ledger"),
        dataTable([
          { label: "When", cell: (e) => formatTime(e.created_at) },
          { label: "Type", cell: (e) => e.type },
          { label: "Asset", cell: (e) => e.asset },
          { label: "Amount", num: true, cell: (e) => (e.asset === "points" ? formatCount(e.amount) : formatFen(e.amount)) },
          { label: "Reason", cell: (e) => [e.reason, e.actor ? `by ${e.actor}` : ""].filter(Boolean).join(" ") },
        ], view.ledger.items, "No ledger entries."),
        h("h3", {}, "Withdrawals"),
        dataTable([
          { label: "Amount", num: true, cell: (w) => formatFen(w.amount) },
          { label: "Asked", cell: (w) => formatTime(w.created_at) },
          { label: "Status", cell: (w) => badge(w.status) },
        ], view.withdrawals.items, "No withdrawals."));
    } catch (error) {
      shown.replaceChildren();
      say(status, error.message, "error");
    }
  }

  function adjustForm() {
    const asset = h("select", { name: "asset", "aria-label": "Asset" },
      h("option", { value: "balance" }, "balance (¥)"), h("option", { value: "points" }, "points"));
    const amount = h("input", { name: "amount", "aria-label": "Amount", placeholder: "+12.50 or -3", required: true });
    const reason = h("input", { name: "reason", "aria-label": "Reason", maxlength: 200, required: true });
    const submit = h("button", { class: "primary" }, "Adjust");
    const form = h("form", { id: "adjust-form", class: "actions" }, asset, amount, reason, submit);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = amount.value.trim();
      const negative = text.startsWith("-");
      const magnitude = asset.value === "points"
        ? (/^[+-]?\d{1,12}$/.test(text) ? Math.abs(Number(text)) : null)
        : parseYuan(text.replace(/^[+-]/, ""));
      if (!magnitude) return say(status, "Enter a signed amount other than 0.", "error");
      const body = { asset: asset.value, amount: negative ? -magnitude : magnitude, reason: reason.value };
      try {
        const made = await adjusting.post(api, `admin/accounts/${encodeURIComponent(userId)}/adjustments`, body, submit);
        const moved = made.asset === "points" ? `${formatCount(made.amount)} points` : formatFen(made.amount);
        say(status, `Adjusted ${made.user_id}'s ${made.asset} by ${moved}.`, "ok");
        await load();
      } catch (error) {
        say(status, error.message, "error");
      }
    });
    return form;
  }

  lookup.addEventListener("submit", (event) => {
    event.preventDefault();
    userId = userInput.value.trim();
    say(status, "");
    load();
  });
  const element = h("section", { id: "view-accounts" },
    h("div", { class: "card" }, h("div", { class: "toolbar" }, h("h2", {}, "Accounts"), lookup), status, shown));
  return { id: "accounts", title: "Accounts", element, show: () => load() };
}
