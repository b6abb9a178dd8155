// Withdrawals: the queue by status. A pending one is approved (its money leaves the account) or
// rejected (returned to the balance, with a reason the shopper sees); an approved one is then
// recorded as paid (with the payout reference) or failed (with a reason: the money returns).
// Every move is an Intent per withdrawal: its buttons are disabled while the move is in flight,
// and a second click sends nothing (a second move would be refused anyway). The payee shows
// masked here; finance pays from the payout CSV, the one place it is in full.
import { Intent } from "./api.js";
import { badge, dataTable, h, say } from "./dom.js";
import { formatFen, formatTime } from "./format.js";

const STATUSES = ["pending", "approved", "rejected", "paid", "failed"];

function payeeText(payee) {
  return payee ? `${payee.channel} ${payee.account} ${payee.name}` : "";
}

export function withdrawalsView(api) {
  const statusFilter = h("select", { "aria-label": "Status" }, STATUSES.map((s) => h("option", { value: s }, s)));
  const list = h("div", { id: "withdrawal-list" });
  const more = h("button", { type: "button", hidden: true }, "Load more");
  const status = h("p", { class: "notice", role: "status" });
  let items = [];
  let cursor = null;
  let asked = 0; // the latest request; an older answer arriving late (another status's) is dropped
  const moves = new Map(); // withdrawal id -> the Intent moving it

  async function load(append = false) {
    const ticket = ++asked;
    try {
      const page = await api.get("admin/withdrawals", { status: statusFilter.value, limit: 50, cursor: append ? cursor : null });
      if (ticket !== asked) return;
      items = append ? [...items, ...page.items] : page.items;
      cursor = page.next_cursor;
      more.hidden = !cursor;
      list.replaceChildren(dataTable([
        { label: "User", cell: (w) => w.user_id },
        { label: "Amount", num: true, cell: (w) => formatFen(w.amount) },
        { label: "Payee", cell: (w) => payeeText(w.payee) },
        { label: "Asked", cell: (w) => formatTime(w.created_at) },
        { label: "Status", cell: (w) => badge(w.status) },
        { label: "Decided", cell: (w) => (w.decided_at ? `${formatTime(w.decided_at)} by ${w.decided_by}` : "") },
        { label: "Payout", cell: (w) => (w.paid_out_at ? `${formatTime(w.paid_out_at)} by ${w.paid_out_by}${w.payout_ref ? ` · ${w.payout_ref}` : ""}` : "") },
        { label: "Reason", cell: (w) => w.reason ?? "" },
        { label: "Actions", cell: (w) => actions(w) },
      ], items, `No ${statusFilter.value} withdrawals.`));
    } catch (error) {
      if (ticket === asked) say(status, error.message, "error");
    }
  }

  function actions(withdrawal) {
    if (withdrawal.status === "pending") {
      const reason = h("input", { type: "text", maxlength: 200, placeholder: "reason (shown to the shopper)", "aria-label": "Reject reason" });
      const buttons = ["approve", "reject"].map((action) => h("button", {
        type: "button", class: "small", onclick: () => move(withdrawal, action, buttons, reason.value.trim()),
      }, action));
      for (const button of buttons) moves.get(withdrawal.id)?.bind(button);
      return h("div", { class: "row-actions" }, buttons, reason);
    }
    if (withdrawal.status === "approved") {
      const buttons = [["paid", "Paid"], ["failed", "Failed"]].map(([action, label]) => h("button", {
        type: "button", class: "small", onclick: () => move(withdrawal, action, buttons),
      }, label));
      for (const button of buttons) moves.get(withdrawal.id)?.bind(button);
      return h("div", { class: "row-actions" }, buttons);
    }
    return "";
  }

  // The body of a move, after asking what it needs; null when the user cancelled.
  function bodyOf(withdrawal, action, reason) {
    const amount = formatFen(withdrawal.amount);
    if (action === "approve") {
      return confirm(`Pay ${amount} out to ${withdrawal.user_id}? A withdrawal is decided once.`) ? undefined : null;
    }
    if (action === "reject") {
      if (!confirm(`Return ${amount} to the balance of ${withdrawal.user_id}? A withdrawal is decided once.`)) return null;
      return reason ? { reason } : undefined;
    }
    if (action === "paid") {
      const ref = (prompt(`The payout reference of ${amount} to ${withdrawal.user_id} (bank or provider reference):`) ?? "").trim();
      return ref ? { payout_ref: ref } : null;
    }
    const why = (prompt(`Why did the payout of ${amount} to ${withdrawal.user_id} fail? The amount returns to the balance.`) ?? "").trim();
    return why ? { reason: why } : null;
  }

  async function move(withdrawal, action, buttons, reason = "") {
    if (!moves.has(withdrawal.id)) moves.set(withdrawal.id, new Intent());
    const intent = moves.get(withdrawal.id);
    if (intent.inFlight) return;
    const body = bodyOf(withdrawal, action, reason);
    if (body === null) return;
    try {
      const moved = await intent.post(api, `admin/withdrawals/${withdrawal.id}/${action}`, body, ...buttons);
      say(status, `The withdrawal of ${formatFen(moved.amount)} by ${moved.user_id} is ${moved.status}.`, "ok");
      await load();
    } catch (error) {
      say(status, error.message, "error");
    }
  }

  async function downloadCsv() {
    say(status, "Preparing the payout list…");
    try {
      const response = await api.send("GET", "admin/withdrawals.csv", { query: { status: "approved" } });
      const csv = await response.text();
      const rows = csv.split("\n").filter((line) => line.trim()).length - 1;
      const url = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
      const link = h("a", { href: url, download: "withdrawals-approved.csv", hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      say(status, `Downloaded the payout list: ${rows} approved withdrawals, payee details in full.`, "ok");
    } catch (error) {
      say(status, error.message, "error");
    }
  }

  statusFilter.addEventListener("change", () => load());
  more.addEventListener("click", () => load(true));
  const element = h("section", { id: "view-withdrawals" },
    h("div", { class: "card" },
      h("div", { class: "toolbar" }, h("h2", {}, "Withdrawals"),
        h("div", { class: "actions" }, statusFilter, h("button", { type: "button", onclick: () => load() }, "Refresh"),
          h("button", { type: "button", id: "payout-csv", onclick: () => downloadCsv() }, "Payout CSV (approved)"))),
      list, more, status));
  return { id: "withdrawals", title: "Withdrawals", element, show: () => load() };
}
