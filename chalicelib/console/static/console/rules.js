// Rebate rules: create (draft), list with the budget each has used, publish / pause / end.
// Creating a rule is one Intent, and a row's buttons are disabled while its move is in flight.
import { Intent } from "./api.js";
import { badge, dataTable, h, say } from "./dom.js";
import { Reader, clearErrors, field, showErrors } from "./forms.js";
import { formatBp, formatCount, formatFen, formatTime, parseYuan } from "./format.js";
import { templatePicker } from "./pickers.js";

const ACTIONS = { draft: ["publish"], published: ["pause", "end"], paused: ["publish", "end"], ended: [] };
const KINDS = {
  fixed_ratio: "Fixed ratio", tiered: "Tiered (ladder)", threshold: "Threshold (满额返)", full_return: "Full return (全返)",
};

// An amount in the reward's unit: fen for balance, points for points.
function formatReward(amount, reward) {
  return reward === "points" ? `${formatCount(amount)} points` : formatFen(amount);
}

function describeRule(rule) {
  if (rule.kind === "fixed_ratio") return `${formatBp(rule.ratio_bp)} of the amount paid`;
  if (rule.kind === "tiered") {
    return rule.ladder.map((s) => `from ${formatFen(s.min_paid)}: ${formatBp(s.ratio_bp)}`).join("; ");
  }
  if (rule.kind === "threshold") {
    const what = rule.threshold.amount ? formatReward(rule.threshold.amount, rule.reward) : "a voucher";
    return `${what} once ${formatFen(rule.threshold.min_paid)} is paid`;
  }
  const share = rule.ratio_bp === null || rule.ratio_bp === undefined ? "all" : formatBp(rule.ratio_bp);
  return `${share} of the amount paid, in ${rule.installments} parts every ${rule.period_days} days`;
}

function describeReward(reward) {
  return typeof reward === "string" ? reward : `voucher ${reward.voucher_template_id}`;
}

export function rulesView(api) {
  const voucher = templatePicker(api, "voucher_template_id");
  const form = createForm(voucher.select);
  const formStatus = h("p", { class: "notice", role: "status" });
  const list = h("div", { id: "rule-list" });
  const listStatus = h("p", { class: "notice", role: "status" });
  const creating = new Intent();
  const moves = new Map(); // rule id -> the Intent of its status change in flight

  async function load() {
    try {
      const [rules] = await Promise.all([api.all("admin/rebate-rules"), voucher.refresh()]);
      list.replaceChildren(dataTable([
        { label: "Rule", cell: (r) => [r.name, h("div", { class: "sub" }, r.id)] },
        { label: "Gives", cell: (r) => describeRule(r) },
        { label: "Reward", cell: (r) => describeReward(r.reward) },
        { label: "Vouchers not granted", num: true, cell: (r) => (typeof r.reward === "string" ? "–"
          : formatCount(r.rewards_not_granted)) },
        { label: "Pending", num: true, cell: (r) => (r.pending_days ? `${r.pending_days} days` : "none") },
        { label: "Status", cell: (r) => badge(r.status) },
        { label: "Budget used", num: true, cell: (r) => (r.caps.budget
          ? `${formatReward(r.budget_used, r.reward)} of ${formatReward(r.caps.budget, r.reward)}` : "no budget cap") },
        { label: "Window", cell: (r) => `${r.starts_at ? formatTime(r.starts_at) : "from publication"} – ${
          r.ends_at ? formatTime(r.ends_at) : "until ended"}` },
        { label: "Actions", cell: (r) => {
          const buttons = ACTIONS[r.status].map((action) => h("button", { type: "button", class: "small",
            onclick: () => act(r, action, buttons) }, action));
          for (const button of buttons) moves.get(r.id)?.bind(button); // a move in flight: still disabled
          return h("div", { class: "row-actions" }, buttons);
        } },
      ], rules, "No rebate rules yet: create one above."));
    } catch (error) {
      say(listStatus, error.message, "error");
    }
  }

  async function act(rule, action, buttons) {
    if (!moves.has(rule.id)) moves.set(rule.id, new Intent());
    const move = moves.get(rule.id);
    if (move.inFlight) return;
    if (action === "end" && !confirm(`End “${rule.name}”? An ended rule cannot be published again.`)) return;
    try {
      const changed = await move.post(api, `admin/rebate-rules/${rule.id}/${action}`, undefined, ...buttons);
      say(listStatus, `“${changed.name}” is now ${changed.status}.`, "ok");
      await load();
    } catch (error) {
      say(listStatus, error.message, "error");
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const read = new Reader(form);
    const body = bodyOf(read);
    if (read.problems.length) {
      showErrors(form, formStatus, { message: "Check the highlighted fields.", details: read.problems });
      return;
    }
    try {
      const created = await creating.post(api, "admin/rebate-rules", body, form.querySelector("button[type=submit]"));
      say(formStatus, `Created the draft rule “${created.name}”.`, "ok");
      form.reset();
      syncForm(form);
      await load();
    } catch (error) {
      showErrors(form, formStatus, error);
    }
  });

  const element = h("section", { id: "view-rules" },
    h("div", { class: "card" }, h("h2", {}, "New rebate rule"), form, formStatus),
    h("div", { class: "card" },
      h("div", { class: "toolbar" }, h("h2", {}, "Rebate rules"), h("button", { type: "button", onclick: load }, "Refresh")),
      list, listStatus));
  return { id: "rules", title: "Rebate rules", element, show: load };
}

function bodyOf(read) {
  const kind = read.text("kind");
  const rewardKind = read.text("reward");
  const reward = rewardKind === "voucher" ? { voucher_template_id: read.text("voucher_template_id") } : rewardKind;
  const inRewardUnit = (name, apiField) => (rewardKind === "balance" ? read.fen(name, apiField) : read.integer(name));
  const uses = (...kinds) => kinds.includes(kind);
  const body = {
    name: read.text("name"),
    kind,
    ratio_bp: uses("fixed_ratio", "full_return") ? read.integer("ratio_bp") : undefined,
    ladder: uses("tiered") ? readLadder(read) : undefined,
    threshold: uses("threshold") ? {
      min_paid: read.fen("min_paid", "threshold.min_paid"),
      amount: rewardKind === "voucher" ? undefined : inRewardUnit("amount", "threshold.amount"),
    } : undefined,
    installments: uses("full_return") ? read.integer("installments") : undefined,
    period_days: uses("full_return") ? read.integer("period_days") : undefined,
    reward,
    starts_at: read.time("starts_at"),
    ends_at: read.time("ends_at"),
    exclusive: read.form.elements.exclusive.checked || undefined,  // left out: the API's default, false
    pending_days: read.integer("pending_days"),  // empty: the API's default, 0 (spendable at once)
  };
  if (rewardKind !== "voucher") {
    body.caps = {
      per_order: inRewardUnit("per_order", "caps.per_order"),
      per_user_per_day: inRewardUnit("per_user_per_day", "caps.per_user_per_day"),
      budget: inRewardUnit("budget", "caps.budget"),
    };
  }
  return body;
}

// "100 200" per line: from ¥100 paid, 200 basis points.
function readLadder(read) {
  return read.text("ladder").split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
    const [paid, bp] = line.split(/[\s,]+/);
    const minPaid = parseYuan(paid ?? "");
    if (minPaid === null || !/^\d+$/.test(bp ?? "")) {
      read.problems.push({ field: "ladder", message: `“${line}” is not “minimum paid in yuan, basis points”.` });
    }
    return { min_paid: minPaid, ratio_bp: Number(bp) };
  });
}

function createForm(voucherSelect) {
  const input = (props) => h("input", { type: "text", ...props });
  const select = (name, options) => h("select", { name },
    Object.entries(options).map(([value, text]) => h("option", { value }, text)));
  const form = h("form", { id: "rule-form", novalidate: true },
    h("div", { class: "form-grid" },
      field("name", "Name", input({ maxlength: 64, placeholder: "2% back on every order" })),
      field("kind", "Kind", select("kind", KINDS)),
      field("ratio_bp", "Ratio (basis points: 100 = 1%)", input({ inputmode: "numeric", value: "200" })),
      field("ladder", "Ladder: one step per line, “minimum paid (¥) basis points”",
        h("textarea", { rows: 3, placeholder: "100 200\n500 300" })),
      field("threshold.min_paid", "Paid at least (¥)", input({ name: "min_paid", inputmode: "decimal" })),
      field("installments", "Instalments", input({ inputmode: "numeric", value: "3" })),
      field("period_days", "Days between instalments", input({ inputmode: "numeric", value: "30" })),
      field("reward", "Reward", select("reward", { balance: "Balance (¥)", points: "Points", voucher: "A voucher" })),
      field("reward.voucher_template_id", "Voucher template", voucherSelect),
      field("threshold.amount", "Reward amount", input({ name: "amount", inputmode: "decimal" })),
      field("caps.per_order", "Cap per order (optional)", input({ name: "per_order", inputmode: "decimal" })),
      field("caps.per_user_per_day", "Cap per user per day (optional)",
        input({ name: "per_user_per_day", inputmode: "decimal" })),
      field("caps.budget", "Budget (optional)", input({ name: "budget", inputmode: "decimal" })),
      field("starts_at", "Starts (optional: empty is from publication)", h("input", { type: "datetime-local" })),
      field("ends_at", "Ends (optional: empty is until ended)", h("input", { type: "datetime-local" })),
      field("exclusive", "Exclusive: when it earns something, only the best single rule applies",
        h("input", { type: "checkbox" })),
      field("pending_days", "Pending days (0-90, the return window: the reward waits, then is released)",
        input({ inputmode: "numeric", value: "0" }))),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Create draft rule")));
  form.addEventListener("change", () => syncForm(form));
  syncForm(form);
  return form;
}

// Show what the chosen kind and reward take; amounts in the reward's unit are labelled with it.
function syncForm(form) {
  const kind = form.elements.kind.value;
  const reward = form.elements.reward.value;
  const shown = {
    ratio_bp: kind === "fixed_ratio" || kind === "full_return",
    ladder: kind === "tiered",
    "threshold.min_paid": kind === "threshold",
    installments: kind === "full_return",
    period_days: kind === "full_return",
    "reward.voucher_template_id": reward === "voucher",
    "threshold.amount": kind === "threshold" && reward !== "voucher",
    "caps.per_order": reward !== "voucher",
    "caps.per_user_per_day": reward !== "voucher",
    "caps.budget": reward !== "voucher",
  };
  for (const [name, visible] of Object.entries(shown)) {
    form.querySelector(`[data-field="${name}"]`).hidden = !visible;
  }
  const unit = reward === "points" ? "points" : "¥";
  for (const [name, text] of [["threshold.amount", "Reward amount"], ["caps.per_order", "Cap per order"],
    ["caps.per_user_per_day", "Cap per user per day"], ["caps.budget", "Budget"]]) {
    const optional = name.startsWith("caps.") ? ", optional" : "";
    form.querySelector(`[data-field="${name}"] label`).textContent = `${text} (${unit}${optional})`;
  }
}
