// Rebate rules: create (draft) in a dialog opened from the toolbar, list with the budget each has
// used, filtered by status, publish / pause / end.
// Creating a rule is one Intent, and a row's buttons are disabled while its move is in flight.
import { Intent } from "./api.js";
import { badge, dataTable, h, openDialog, say, sayError } from "./dom.js";
import { Reader, clearErrors, dateTimeInput, field, showErrors, showProblems } from "./forms.js";
import { formatBp, formatCount, formatFen, formatTime, parsePercentBp, parseYuan } from "./format.js";
import { t, tOr } from "./i18n.js";
import { templatePicker } from "./pickers.js";
import { rulePreview } from "./rule-preview.js";

const ACTIONS = { draft: ["publish"], published: ["pause", "end"], paused: ["publish", "end"], ended: [] };
const KINDS = ["fixed_ratio", "tiered", "threshold", "full_return"];

// An amount in the reward's unit: fen for balance, points for points.
function formatReward(amount, reward) {
  return reward === "points" ? t("common.points", { n: formatCount(amount) }) : formatFen(amount);
}

function describeRule(rule) {
  if (rule.kind === "fixed_ratio") return t("rules.gives.fixed", { pct: formatBp(rule.ratio_bp) });
  if (rule.kind === "tiered") {
    return rule.ladder.map((s) => t("rules.gives.step", { min: formatFen(s.min_paid), pct: formatBp(s.ratio_bp) }))
      .join(t("list.steps"));
  }
  if (rule.kind === "threshold") {
    const what = rule.threshold.amount ? formatReward(rule.threshold.amount, rule.reward) : t("rules.aVoucher");
    return t("rules.gives.threshold", { what, min: formatFen(rule.threshold.min_paid) });
  }
  const share = rule.ratio_bp === null || rule.ratio_bp === undefined ? t("rules.all") : formatBp(rule.ratio_bp);
  return t("rules.gives.full", { share, parts: rule.installments, days: rule.period_days });
}

// The rule's per-order and per-shopper-per-day caps (in the reward's unit); the budget has its own column.
function describeCaps(caps, reward) {
  const parts = [
    caps?.per_order ? t("rules.capPerOrder", { amount: formatReward(caps.per_order, reward) }) : null,
    caps?.per_user_per_day ? t("rules.capPerUserDay", { amount: formatReward(caps.per_user_per_day, reward) }) : null,
  ].filter(Boolean);
  return parts.length ? parts.join(t("list.sep")) : t("rules.noCaps");
}

function describeReward(reward, names) {
  return typeof reward === "string" ? tOr("reward", reward)
    : t("rules.voucherReward", { name: names.get(reward.voucher_template_id) ?? reward.voucher_template_id });
}

export function rulesView(api) {
  const voucher = templatePicker(api, "voucher_template_id");
  const form = createForm(voucher.select);
  const formStatus = h("p", { class: "notice", role: "status" });
  const statusFilter = h("select", { "aria-label": t("col.status") },
    ["all", "draft", "published", "paused", "ended"].map((s) => h("option", { value: s === "all" ? "" : s }, tOr("status", s))));
  const list = h("div", { id: "rule-list" });
  let dialog = null; // the form's dialog while it is open
  const listStatus = h("p", { class: "notice", role: "status" });
  const creating = new Intent();
  const moves = new Map(); // rule id -> the Intent of its status change in flight
  const preview = rulePreview(api); // what the rule would have returned on a past window

  async function load() {
    try {
      const [all, templates] = await Promise.all([api.all("admin/rebate-rules"), voucher.refresh()]);
      const rules = statusFilter.value ? all.filter((r) => r.status === statusFilter.value) : all;
      const names = new Map(templates.map((x) => [x.id, x.name]));
      list.replaceChildren(dataTable([
        { label: t("col.rule"), cell: (r) => [r.name, h("div", { class: "sub" }, r.id)] },
        { label: t("col.gives"), cell: (r) => describeRule(r) },
        { label: t("col.reward"), cell: (r) => describeReward(r.reward, names) },
        { label: t("col.notGranted"), num: true, cell: (r) => (typeof r.reward === "string" ? "–"
          : formatCount(r.rewards_not_granted)) },
        { label: t("col.pending"), num: true, cell: (r) => (r.pending_days ? t("common.days", { n: r.pending_days }) : t("rules.noPending")) },
        { label: t("col.caps"), cell: (r) => describeCaps(r.caps, r.reward) },
        { label: t("col.status"), cell: (r) => badge(r.status) },
        { label: t("col.budgetUsed"), num: true, cell: (r) => (r.caps.budget
          ? t("common.of", { part: formatReward(r.budget_used, r.reward), whole: formatReward(r.caps.budget, r.reward) })
          : t("rules.noBudget")) },
        { label: t("col.window"), cell: (r) => `${r.starts_at ? formatTime(r.starts_at) : t("rules.fromPublication")} – ${
          r.ends_at ? formatTime(r.ends_at) : t("rules.untilEnded")}` },
        { label: t("col.actions"), cell: (r) => {
          const buttons = ACTIONS[r.status].map((action) => h("button", { type: "button", class: "small",
            onclick: () => act(r, action, buttons) }, t(`action.${action}`)));
          for (const button of buttons) moves.get(r.id)?.bind(button); // a move in flight: still disabled
          const previewing = r.status === "ended" ? null
            : h("button", { type: "button", class: "small", onclick: () => preview.open(r) }, t("preview.open"));
          return h("div", { class: "row-actions" }, buttons, previewing);
        } },
      ], rules, statusFilter.value ? t("rules.noneWith", { status: tOr("status", statusFilter.value) }) : t("rules.none")));
    } catch (error) {
      sayError(listStatus, error);
    }
  }

  async function act(rule, action, buttons) {
    if (!moves.has(rule.id)) moves.set(rule.id, new Intent());
    const move = moves.get(rule.id);
    if (move.inFlight) return;
    if (action === "end" && !confirm(t("rules.confirmEnd", { name: rule.name }))) return;
    try {
      const changed = await move.post(api, `admin/rebate-rules/${rule.id}/${action}`, undefined, ...buttons);
      say(listStatus, t("common.nowStatus", { name: changed.name, status: tOr("status", changed.status) }), "ok");
      await load();
    } catch (error) {
      sayError(listStatus, error);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const read = new Reader(form);
    const body = bodyOf(read);
    if (read.problems.length) {
      showProblems(form, formStatus, read.problems);
      return;
    }
    try {
      const created = await creating.post(api, "admin/rebate-rules", body, form.querySelector("button[type=submit]"));
      say(listStatus, t("rules.created", { name: created.name }), "ok");
      dialog?.close();
      form.reset();
      syncForm(form);
      await load();
    } catch (error) {
      showErrors(form, formStatus, error);
    }
  });

  function openForm() {
    dialog?.close();
    clearErrors(form);
    say(formStatus, "");
    dialog = openDialog({ id: "rule-dialog", title: t("rules.new"), body: [form, formStatus] });
  }

  statusFilter.addEventListener("change", () => load());
  const element = h("section", { id: "view-rules" },
    h("div", { class: "card" },
      h("div", { class: "toolbar" }, h("h2", {}, t("rules.title")),
        h("div", { class: "actions" }, statusFilter, h("button", { type: "button", onclick: () => load() }, t("common.refresh")),
          h("button", { type: "button", class: "primary", id: "new-rule", onclick: openForm }, t("rules.new")))),
      listStatus, list));
  return { id: "rules", title: t("rules.title"), element, show: load };
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
    ratio_bp: uses("fixed_ratio", "full_return") ? readPercent(read, "ratio_bp") : undefined,
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

// A percentage as typed ("2.5") -> basis points (250); empty: left out (全返: all of the payment).
function readPercent(read, name) {
  const text = read.text(name).trim();
  if (text === "") return undefined;
  const bp = parsePercentBp(text);
  if (bp === null || bp > 10000) read.problems.push({ field: name, message: "@rules.percent" });
  return bp ?? undefined;
}

// "100 2" per line: from ¥100 paid, 2% back.
function readLadder(read) {
  return read.text("ladder").split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
    const [paid, percent] = line.split(/[\s,，]+/);
    const minPaid = parseYuan(paid ?? "");
    const bp = parsePercentBp(percent ?? "");
    if (minPaid === null || bp === null || bp > 10000) read.problems.push({ field: "ladder", message: "@rules.ladderLine" });
    return { min_paid: minPaid, ratio_bp: bp };
  });
}

function createForm(voucherSelect) {
  const input = (props) => h("input", { type: "text", ...props });
  const select = (name, options) => h("select", { name },
    Object.entries(options).map(([value, text]) => h("option", { value }, text)));
  const form = h("form", { id: "rule-form", novalidate: true },
    h("div", { class: "form-grid" },
      field("name", t("common.name"), input({ maxlength: 64, placeholder: t("rules.namePlaceholder") })),
      field("kind", t("common.kind"), select("kind", Object.fromEntries(KINDS.map((kind) => [kind, t(`ruleKind.${kind}`)])))),
      field("ratio_bp", t("rules.ratio"), input({ inputmode: "decimal", value: "2" }), " "),
      field("ladder", t("rules.ladder"), h("textarea", { rows: 3, placeholder: "100 2\n500 3" })),
      field("threshold.min_paid", t("rules.minPaid"), input({ name: "min_paid", inputmode: "decimal" })),
      field("installments", t("rules.installments"), input({ inputmode: "numeric", value: "3" })),
      field("period_days", t("rules.period"), input({ inputmode: "numeric", value: "30" })),
      field("reward", t("col.reward"), select("reward", { balance: t("rules.rewardBalance"), points: t("rules.rewardPoints"), voucher: t("rules.rewardVoucher") })),
      field("reward.voucher_template_id", t("rules.voucherTemplate"), voucherSelect),
      field("threshold.amount", t("rules.amount"), input({ name: "amount", inputmode: "decimal" })),
      field("caps.per_order", t("rules.perOrder"), input({ name: "per_order", inputmode: "decimal" })),
      field("caps.per_user_per_day", t("rules.perUserPerDay"), input({ name: "per_user_per_day", inputmode: "decimal" })),
      field("caps.budget", t("rules.budget"), input({ name: "budget", inputmode: "decimal" })),
      field("starts_at", t("rules.starts"), dateTimeInput()),
      field("ends_at", t("rules.ends"), dateTimeInput()),
      field("exclusive", t("rules.exclusive"), h("input", { type: "checkbox" })),
      field("pending_days", t("rules.pendingDays"), input({ inputmode: "numeric", value: "0" }))),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("rules.create"))));
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
  const unit = t(reward === "points" ? "rules.unitPoints" : "rules.unitYuan");
  for (const [name, key] of [["threshold.amount", "rules.amount"], ["caps.per_order", "rules.perOrder"],
    ["caps.per_user_per_day", "rules.perUserPerDay"], ["caps.budget", "rules.budget"]]) {
    const optional = name.startsWith("caps.") ? "rules.unitOptional" : "rules.unit";
    form.querySelector(`[data-field="${name}"] label`).textContent = t(optional, { label: t(key), unit });
  }
  // 全返 with an empty ratio returns all of the payment: the hint says so.
  form.querySelector('[data-field="ratio_bp"] .hint').textContent = t(kind === "full_return" ? "rules.ratioFullHint" : "rules.ratioHint");
}
