// Withdrawals: the queue by status. A pending one is approved (its money leaves the account) or
// rejected (returned to the balance, with a reason the shopper sees); an approved one is then
// recorded as paid (with the payout reference) or failed (with a reason: the money returns).
// Every move is an Intent per withdrawal: its buttons are disabled while the move is in flight,
// and a second click sends nothing (a second move would be refused anyway). The payee shows
// masked here; finance pays from the payout CSV, the one place it is in full.
import { Intent } from "./api.js";
import { badge, dataTable, h, say, sayError } from "./dom.js";
import { formatFen, formatTime } from "./format.js";
import { t, tOr } from "./i18n.js";

const STATUSES = ["pending", "approved", "rejected", "paid", "failed"];

function payeeText(payee) {
  return payee ? `${tOr("payee", payee.channel)} ${payee.account} ${payee.name}` : "";
}

export function withdrawalsView(api) {
  const statusFilter = h("select", { "aria-label": t("col.status") }, STATUSES.map((s) => h("option", { value: s }, tOr("status", s))));
  const list = h("div", { id: "withdrawal-list" });
  const more = h("button", { type: "button", hidden: true }, t("common.more"));
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
        { label: t("col.user"), cell: (w) => w.user_id },
        { label: t("col.amount"), num: true, cell: (w) => formatFen(w.amount) },
        { label: t("col.payee"), cell: (w) => payeeText(w.payee) },
        { label: t("col.asked"), cell: (w) => formatTime(w.created_at) },
        { label: t("col.status"), cell: (w) => badge(w.status) },
        { label: t("col.decided"), cell: (w) => (w.decided_at ? t("common.atBy", { time: formatTime(w.decided_at), who: w.decided_by }) : "") },
        { label: t("col.payout"), cell: (w) => (w.paid_out_at ? `${t("common.atBy", { time: formatTime(w.paid_out_at), who: w.paid_out_by })}${w.payout_ref ? ` · ${w.payout_ref}` : ""}` : "") },
        { label: t("col.reason"), cell: (w) => w.reason ?? "" },
        { label: t("col.actions"), cell: (w) => actions(w) },
      ], items, t("withdrawals.none", { status: tOr("status", statusFilter.value) })));
    } catch (error) {
      if (ticket === asked) sayError(status, error);
    }
  }

  function actions(withdrawal) {
    if (withdrawal.status === "pending") {
      const reason = h("input", { type: "text", maxlength: 200, placeholder: t("withdrawals.reasonPlaceholder"), "aria-label": t("withdrawals.rejectReason") });
      const buttons = ["approve", "reject"].map((action) => h("button", {
        type: "button", class: "small", onclick: () => move(withdrawal, action, buttons, reason.value.trim()),
      }, t(`action.${action}`)));
      for (const button of buttons) moves.get(withdrawal.id)?.bind(button);
      return h("div", { class: "row-actions" }, buttons, reason);
    }
    if (withdrawal.status === "approved") {
      const buttons = ["paid", "failed"].map((action) => h("button", {
        type: "button", class: "small", onclick: () => move(withdrawal, action, buttons),
      }, t(`action.${action}`)));
      for (const button of buttons) moves.get(withdrawal.id)?.bind(button);
      return h("div", { class: "row-actions" }, buttons);
    }
    return "";
  }

  // The body of a move, after asking what it needs; null when the user cancelled.
  function bodyOf(withdrawal, action, reason) {
    const said = { amount: formatFen(withdrawal.amount), user: withdrawal.user_id };
    if (action === "approve") {
      return confirm(t("withdrawals.confirmApprove", said)) ? undefined : null;
    }
    if (action === "reject") {
      if (!confirm(t("withdrawals.confirmReject", said))) return null;
      return reason ? { reason } : undefined;
    }
    if (action === "paid") {
      const ref = (prompt(t("withdrawals.promptRef", said)) ?? "").trim();
      return ref ? { payout_ref: ref } : null;
    }
    const why = (prompt(t("withdrawals.promptWhy", said)) ?? "").trim();
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
      say(status, t("withdrawals.moved", { amount: formatFen(moved.amount), user: moved.user_id, status: tOr("status", moved.status) }), "ok");
      await load();
    } catch (error) {
      sayError(status, error);
    }
  }

  async function downloadCsv() {
    say(status, t("withdrawals.preparing"));
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
      say(status, t("withdrawals.downloaded", { rows }), "ok");
    } catch (error) {
      sayError(status, error);
    }
  }

  statusFilter.addEventListener("change", () => load());
  more.addEventListener("click", () => load(true));
  const element = h("section", { id: "view-withdrawals" },
    h("div", { class: "card" },
      h("div", { class: "toolbar" }, h("h2", {}, t("withdrawals.title")),
        h("div", { class: "actions" }, statusFilter, h("button", { type: "button", onclick: () => load() }, t("common.refresh")),
          h("button", { type: "button", id: "payout-csv", onclick: () => downloadCsv() }, t("withdrawals.csv")))),
      list, more, status));
  return { id: "withdrawals", title: t("withdrawals.title"), element, show: () => load() };
}
