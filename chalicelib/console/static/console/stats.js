// Campaign statistics. Every figure comes from the API: the templates' counters (claimed,
// redeemed) and hourly claims (GET admin/templates/{id}/stats), the programme's totals, each
// payment once (GET admin/rebates/overview), and the rebate rules' budget_used and totals
// (rebated_payments, rebate_cost, sales_driven, rewards_not_granted).
import { barChart, columnChart } from "./charts.js";
import { dataTable, figure, h, say } from "./dom.js";
import { formatBp, formatCount, formatFen, formatRate, rateBp } from "./format.js";

const TOP = 12;

export function statsView(api) {
  const status = h("p", { class: "notice", role: "status" });
  const body = h("div", { id: "stats-body" });
  const element = h("section", { id: "view-stats" },
    h("div", { class: "card" },
      h("div", { class: "toolbar" }, h("h2", {}, "Campaign statistics"),
        h("button", { type: "button", onclick: () => show() }, "Refresh")),
      status, body));

  async function show() {
    say(status, "Loading…");
    try {
      const [templates, rules, overview] = await Promise.all([
        api.all("admin/templates"), api.all("admin/rebate-rules"), api.get("admin/rebates/overview")]);
      const width = body.clientWidth || 640;
      const hourly = await claimsOverTime(api, templates, width);
      body.replaceChildren(...couponStats(templates, width), ...hourly, ...rebateStats(rules, overview, width));
      const counts = `${formatCount(templates.length)} templates, ${formatCount(rules.length)} rebate rules`;
      say(status, `As of ${new Date().toLocaleTimeString()}: ${counts}.`);
    } catch (error) {
      say(status, error.message, "error");
    }
  }

  return { id: "stats", title: "Statistics", element, show };
}

function couponStats(templates, width) {
  const claimed = templates.filter((t) => t.claimed > 0).sort((a, b) => b.claimed - a.claimed);
  const top = claimed.slice(0, TOP);
  const totalClaimed = templates.reduce((sum, t) => sum + t.claimed, 0);
  const totalRedeemed = templates.reduce((sum, t) => sum + t.redeemed, 0);
  const parts = [
    h("h3", {}, "Vouchers"),
    h("div", { class: "figures" },
      figure("Claimed", formatCount(totalClaimed)),
      figure("Redeemed", formatCount(totalRedeemed)),
      figure("Redemption rate", formatRate(totalRedeemed, totalClaimed))),
  ];
  if (!top.length) return [...parts, h("p", { class: "empty" }, "No coupon has been claimed yet, so there is nothing to chart.")];
  const scope = claimed.length > TOP ? `the ${TOP} most claimed of ${claimed.length} templates` : "templates with claims";
  return [
    ...parts,
    barChart({
      title: `Claims and redemptions per template (${scope})`,
      series: [{ name: "claimed", class: "claimed" }, { name: "redeemed", class: "redeemed" }],
      rows: top.map((t) => ({
        label: t.name, values: [t.claimed, t.redeemed], texts: [formatCount(t.claimed), formatCount(t.redeemed)],
      })),
      max: top[0].claimed,
      width,
    }),
    barChart({
      title: `Redemption rate per template, redeemed ÷ claimed (${scope})`,
      series: [{ name: "redemption rate", class: "rate" }],
      rows: top.map((t) => ({
        label: t.name, values: [rateBp(t.redeemed, t.claimed)], texts: [formatRate(t.redeemed, t.claimed)],
      })),
      max: 10000,
      width,
    }),
    dataTable([
      { label: "Template", cell: (t) => t.name },
      { label: "Status", cell: (t) => t.status },
      { label: "Claimed", num: true, cell: (t) => formatCount(t.claimed) },
      { label: "Redeemed", num: true, cell: (t) => formatCount(t.redeemed) },
      { label: "Remaining", num: true, cell: (t) => formatCount(t.remaining) },
      { label: "Redemption rate", num: true, cell: (t) => formatRate(t.redeemed, t.claimed) },
    ], templates, ""),
  ];
}

// Claims per hour over the last 48 hours (the stats endpoint's default range), for all of the
// most claimed templates together or for one chosen in the picker.
async function claimsOverTime(api, templates, width) {
  const claimed = templates.filter((t) => t.claimed > 0).sort((a, b) => b.claimed - a.claimed).slice(0, TOP);
  const title = h("h4", { id: "claims-over-time-title" }, "Claims over time (per hour, last 48 hours)");
  if (!claimed.length) return [title, h("p", { class: "empty" }, "No claims yet.")];
  const stats = await Promise.all(claimed.map((t) => api.get(`admin/templates/${t.id}/stats`)));
  const series = (chosen) => {
    const sums = new Map();
    for (const s of chosen) for (const hour of s.hours) sums.set(hour.hour, (sums.get(hour.hour) || 0) + hour.claimed);
    return [...sums.entries()].sort(([a], [b]) => a.localeCompare(b))
      .map(([hour, value]) => ({ label: hourLabel(hour), value }));
  };
  const scope = claimed.length > 1 ? `the ${claimed.length} most claimed templates` : claimed[0].name;
  const draw = (chosen, what) => columnChart({ title: `Claims per hour: ${what}`, points: series(chosen), width,
    valueText: formatCount });
  const slot = h("div", { id: "claims-over-time" }, draw(stats, scope));
  const picker = h("select", { id: "claims-over-time-template", "aria-label": "Template to chart",
    onchange: (event) => {
      const index = Number(event.target.value);
      slot.replaceChildren(index < 0 ? draw(stats, scope) : draw([stats[index]], claimed[index].name));
    } },
  h("option", { value: "-1" }, `All (${scope})`),
  claimed.map((t, i) => h("option", { value: String(i) }, t.name)));
  return [title, h("label", { class: "inline" }, "Template ", picker), slot];
}

// "23/11 10:00": day/month and hour, in the operator's own time zone.
function hourLabel(iso) {
  const date = new Date(iso);
  return `${date.getDate()}/${date.getMonth() + 1} ${String(date.getHours()).padStart(2, "0")}:00`;
}

// --- rebates -------------------------------------------------------------------------------

// An amount in the reward's unit: fen for balance, points for points.
function rewardAmount(value, reward) {
  return reward === "points" ? `${formatCount(value)} points` : formatFen(value);
}

const isVoucher = (rule) => typeof rule.reward !== "string";

function rebateStats(rules, overview, width) {
  return [h("h3", {}, "Rebates"), ...programmeFigures(overview), ...notGranted(rules), ...budgetStats(rules, width),
    ...costAgainstSales(rules, width)];
}

// The whole programme, each payment once however many rules it earned under (net of refunds).
function programmeFigures(o) {
  return [
    h("div", { class: "figures", id: "rebate-overall" },
      figure("Payments", formatCount(o.payments)),
      figure("Sales (net of refunds)", formatFen(o.net_sales)),
      o.refunds.amount ? figure("Refunded", formatFen(o.refunds.amount)) : null,
      figure("Rebated to balance", formatFen(o.cost.balance)),
      figure("Points given", formatCount(o.cost.points)),
      figure("Vouchers issued", formatCount(o.cost.vouchers)),
      figure("Return rate (all rules)", o.return_bp === null ? "–" : formatBp(o.return_bp)),
      figure("Vouchers not granted", formatCount(o.vouchers_not_granted))),
    h("p", { class: "hint" }, "Every payment counts once here, however many rules it earned under. Cost is what "
      + "the rules granted less what refunds took back (全返 schedules count whole when granted); the return rate "
      + "counts a point as one fen and a voucher at nothing (its cost shows when it is used)."),
  ];
}

// Voucher rewards earned but not granted (the template sold out or ended, or the shopper was at
// its per-user limit), per rule: each is on the payment's rebate with its reason.
function notGranted(rules) {
  const missed = rules.filter((r) => r.rewards_not_granted > 0)
    .sort((a, b) => b.rewards_not_granted - a.rewards_not_granted);
  if (!missed.length) return [];
  return [
    h("h4", { id: "rewards-not-granted-title" }, "Voucher rewards not granted"),
    h("div", { id: "rewards-not-granted" }, dataTable([
      { label: "Rule", cell: (r) => r.name },
      { label: "Voucher template", cell: (r) => r.reward.voucher_template_id },
      { label: "Not granted", num: true, cell: (r) => formatCount(r.rewards_not_granted) },
    ], missed, "")),
  ];
}

function budgetStats(rules, width) {
  const budgeted = rules.filter((r) => r.caps.budget);
  if (!budgeted.length) return [h("p", { class: "empty" }, "No rebate rule has a budget cap.")];
  return [barChart({
    title: "Rebate budget used per rule",
    series: [{ name: "budget used", class: "budget" }],
    rows: budgeted.map((r) => ({
      label: `${r.name}: ${rewardAmount(r.budget_used, r.reward)} of ${rewardAmount(r.caps.budget, r.reward)}`,
      values: [rateBp(r.budget_used, r.caps.budget)],
      texts: [formatRate(r.budget_used, r.caps.budget)],
    })),
    max: 10000,
    width,
  })];
}

// The rules' totals (rebate_cost, sales_driven, rebated_payments, all net of refunds): cost
// against sales per rule, the effective return rate per rule, and a table of all. A payment that
// earned several rules counts in each, so these are never summed (the programme's figures are).
function costAgainstSales(rules, width) {
  const earning = rules.filter((r) => r.sales_driven > 0).sort((a, b) => b.sales_driven - a.sales_driven);
  const parts = [h("h4", { id: "rebate-cost-title" }, "Rebate cost against sales driven, per rule")];
  if (!earning.length) {
    return [...parts, h("p", { class: "empty" }, "No payment has earned a rebate yet, so there is nothing to chart.")];
  }
  const top = earning.slice(0, TOP);
  const scope = earning.length > TOP ? `the ${TOP} rules with most sales of ${earning.length}` : "rules with sales";
  const rated = top.filter((r) => !isVoucher(r));
  const rates = rated.map((r) => rateBp(r.rebate_cost, r.sales_driven));
  return [
    ...parts,
    barChart({
      title: `Rebate cost and sales driven per rule (${scope})`,
      series: [{ name: "rebate cost", class: "cost" }, { name: "sales driven", class: "sales" }],
      rows: top.map((r) => ({
        label: r.name,
        values: [r.rebate_cost, r.sales_driven],
        texts: [isVoucher(r) ? "vouchers" : rewardAmount(r.rebate_cost, r.reward), formatFen(r.sales_driven)],
      })),
      max: Math.max(...top.map((r) => Math.max(r.rebate_cost, r.sales_driven))),
      width,
    }),
    rated.length ? barChart({
      title: "Effective return rate per rule, rebate cost ÷ sales driven (bars scaled to the highest)",
      series: [{ name: "return rate", class: "rate" }],
      rows: rated.map((r, i) => ({
        label: r.name,
        values: [rates[i]],
        texts: [`${formatBp(rates[i])}${r.reward === "points" ? " in points" : ""}`],
      })),
      max: Math.max(...rates),
      width,
    }) : null,
    dataTable([
      { label: "Rule", cell: (r) => r.name },
      { label: "Reward", cell: (r) => (isVoucher(r) ? "voucher" : r.reward) },
      { label: "Status", cell: (r) => r.status },
      { label: "Payments rebated", num: true, cell: (r) => formatCount(r.rebated_payments) },
      { label: "Rebate cost", num: true, cell: (r) => (isVoucher(r) ? "vouchers" : rewardAmount(r.rebate_cost, r.reward)) },
      { label: "Sales driven", num: true, cell: (r) => formatFen(r.sales_driven) },
      { label: "Return rate", num: true, cell: (r) => (isVoucher(r) ? "–" : formatRate(r.rebate_cost, r.sales_driven)) },
    ], earning, ""),
    h("p", { class: "hint" }, "Net of refunds: a refund lowers a rule's cost by what it takes back and its sales by "
      + "what it refunds; a payment refunded in full no longer counts. A payment that earned several rules counts "
      + "in each. Points are drawn one point to one fen, as rules compute them. A voucher's cost shows in its "
      + "template's redemptions, not here."),
  ];
}
