// Withdrawals: the queue by status; a pending one is approved (paid out) or rejected (returned).
// Deciding one is an Intent per withdrawal: both its buttons are disabled while the decision is
// in flight, and a second click sends nothing (a second decision would be refused anyway).
import { Intent } from "./api.js";
import { badge, dataTable, h, say } from "./dom.js";
import { formatFen, formatTime } from "./format.js";

export function withdrawalsView(api) {
  const statusFilter = h("select", { "aria-label": "Status" },
    ["pending", "approved", "rejected"].map((s) => h("option", { value: s }, s)));
  const list = h("div", { id: "withdrawal-list" });
  const more = h("button", { type: "button", hidden: true }, "Load more");
  const status = h("p", { class: "notice", role: "status" });
  let items = [];
  let cursor = null;
  const decisions = new Map(); // withdrawal id -> the Intent deciding it

  async function load(append = false) {
    try {
      const page = await api.get("admin/withdrawals", { status: statusFilter.value, limit: 50, cursor: append ? cursor : null });
      items = append ? [...items, ...page.items] : page.items;
      cursor = page.next_cursor;
      more.hidden = !cursor;
      list.replaceChildren(dataTable([
        { label: "User", cell: (w) => w.user_id },
        { label: "Amount", num: true, cell: (w) => formatFen(w.amount) },
        { label: "Asked", cell: (w) => formatTime(w.created_at) },
        { label: "Status", cell: (w) => badge(w.status) },
        { label: "Decided", cell: (w) => (w.decided_at ? `${formatTime(w.decided_at)} by ${w.decided_by}` : "") },
        { label: "Actions", cell: (w) => (w.status === "pending" ? decisionButtons(w) : "") },
      ], items, `No ${statusFilter.value} withdrawals.`));
    } catch (error) {
      say(status, error.message, "error");
    }
  }

  function decisionButtons(withdrawal) {
    const buttons = ["approve", "reject"].map((decision) => h("button", {
      type: "button", class: "small", onclick: () => decide(withdrawal, decision, buttons),
    }, decision));
    for (const button of buttons) decisions.get(withdrawal.id)?.bind(button);
    return h("div", { class: "row-actions" }, buttons);
  }

  async function decide(withdrawal, decision, buttons) {
    if (!decisions.has(withdrawal.id)) decisions.set(withdrawal.id, new Intent());
    const intent = decisions.get(withdrawal.id);
    if (intent.inFlight) return;
    const amount = formatFen(withdrawal.amount);
    const what = decision === "approve" ? `Pay ${amount} out to` : `Return ${amount} to the balance of`;
    if (!confirm(`${what} ${withdrawal.user_id}? A withdrawal is decided once.`)) return;
    try {
      const decided = await intent.post(api, `admin/withdrawals/${withdrawal.id}/${decision}`, undefined, ...buttons);
      say(status, `The withdrawal of ${formatFen(decided.amount)} by ${decided.user_id} is ${decided.status}.`, "ok");
      await load();
    } catch (error) {
      say(status, error.message, "error");
    }
  }

  statusFilter.addEventListener("change", () => load());
  more.addEventListener("click", () => load(true));
  const element = h("section", { id: "view-withdrawals" },
    h("div", { class: "card" },
      h("div", { class: "toolbar" }, h("h2", {}, "Withdrawals"),
        h("div", { class: "actions" }, statusFilter, h("button", { type: "button", onclick: () => load() }, "Refresh"))),
      list, more, status));
  return { id: "withdrawals", title: "Withdrawals", element, show: () => load() };
}
