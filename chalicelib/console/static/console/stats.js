// Campaign statistics. Every figure comes from the API: the templates' counters (claimed,
// redeemed) and hourly claims (GET admin/templates/{id}/stats), the programme's totals, each
// payment once (GET admin/rebates/overview), and the rebate rules' budget_used and totals
// (rebated_payments, rebate_cost, sales_driven, rewards_not_granted).
import { barChart, columnChart } from "./charts.js";
import { dataTable, figure, h, say, sayError } from "./dom.js";
import { formatBp, formatCount, formatFen, formatRate, rateBp } from "./format.js";
import { t, tOr } from "./i18n.js";

const TOP = 12;

export function statsView(api) {
  const status = h("p", { class: "notice", role: "status" });
  const body = h("div", { id: "stats-body" });
  const element = h("section", { id: "view-stats" },
    h("div", { class: "card" },
      h("div", { class: "toolbar" }, h("h2", {}, t("stats.heading")),
        h("button", { type: "button", onclick: () => show() }, t("common.refresh"))),
      status, body));

  async function show() {
    say(status, t("common.loading"));
    try {
      const [templates, rules, overview] = await Promise.all([
        api.all("admin/templates"), api.all("admin/rebate-rules"), api.get("admin/rebates/overview")]);
      const width = body.clientWidth || 640;
      const hourly = await claimsOverTime(api, templates, width);
      body.replaceChildren(...[...couponStats(templates, width), ...hourly, ...rebateStats(rules, overview, width)]
        .filter(Boolean)); // a part with nothing to show is null
      say(status, t("stats.asOf", { time: new Date().toLocaleTimeString(), templates: formatCount(templates.length),
        rules: formatCount(rules.length) }));
    } catch (error) {
      sayError(status, error);
    }
  }

  return { id: "stats", title: t("stats.title"), element, show };
}

function couponStats(templates, width) {
  const claimed = templates.filter((x) => x.claimed > 0).sort((a, b) => b.claimed - a.claimed);
  const top = claimed.slice(0, TOP);
  const totalClaimed = templates.reduce((sum, x) => sum + x.claimed, 0);
  const totalRedeemed = templates.reduce((sum, x) => sum + x.redeemed, 0);
  const parts = [
    h("h3", {}, t("stats.vouchers")),
    h("div", { class: "figures" },
      figure(t("col.claimed"), formatCount(totalClaimed)),
      figure(t("col.redeemed"), formatCount(totalRedeemed)),
      figure(t("col.redemptionRate"), formatRate(totalRedeemed, totalClaimed))),
  ];
  if (!top.length) return [...parts, h("p", { class: "empty" }, t("stats.noClaims"))];
  const scope = claimed.length > TOP ? t("stats.topOf", { top: TOP, all: claimed.length }) : t("stats.withClaims");
  return [
    ...parts,
    barChart({
      title: t("stats.claimsChart", { scope }),
      series: [{ name: t("stats.seriesClaimed"), class: "claimed" }, { name: t("stats.seriesRedeemed"), class: "redeemed" }],
      rows: top.map((x) => ({
        label: x.name, values: [x.claimed, x.redeemed], texts: [formatCount(x.claimed), formatCount(x.redeemed)],
      })),
      max: top[0].claimed,
      width,
    }),
    barChart({
      title: t("stats.rateChart", { scope }),
      series: [{ name: t("stats.seriesRate"), class: "rate" }],
      rows: top.map((x) => ({
        label: x.name, values: [rateBp(x.redeemed, x.claimed)], texts: [formatRate(x.redeemed, x.claimed)],
      })),
      max: 10000,
      width,
    }),
    dataTable([
      { label: t("col.template"), cell: (x) => x.name },
      { label: t("col.status"), cell: (x) => tOr("status", x.status) },
      { label: t("col.claimed"), num: true, cell: (x) => formatCount(x.claimed) },
      { label: t("col.redeemed"), num: true, cell: (x) => formatCount(x.redeemed) },
      { label: t("col.remaining"), num: true, cell: (x) => formatCount(x.remaining) },
      { label: t("col.redemptionRate"), num: true, cell: (x) => formatRate(x.redeemed, x.claimed) },
    ], templates, ""),
  ];
}

// Claims per hour over the last 48 hours (the stats endpoint's default range), for all of the
// most claimed templates together or for one chosen in the picker.
async function claimsOverTime(api, templates, width) {
  const claimed = templates.filter((x) => x.claimed > 0).sort((a, b) => b.claimed - a.claimed).slice(0, TOP);
  const title = h("h4", { id: "claims-over-time-title" }, t("stats.overTime"));
  if (!claimed.length) return [title, h("p", { class: "empty" }, t("stats.noClaimsYet"))];
  const stats = await Promise.all(claimed.map((x) => api.get(`admin/templates/${x.id}/stats`)));
  const series = (chosen) => {
    const sums = new Map();
    for (const s of chosen) for (const hour of s.hours) sums.set(hour.hour, (sums.get(hour.hour) || 0) + hour.claimed);
    return [...sums.entries()].sort(([a], [b]) => a.localeCompare(b))
      .map(([hour, value]) => ({ label: hourLabel(hour), value }));
  };
  const scope = claimed.length > 1 ? t("stats.mostClaimed", { n: claimed.length }) : claimed[0].name;
  const draw = (chosen, what) => columnChart({ title: t("stats.perHour", { what }), points: series(chosen), width,
    valueText: formatCount });
  const slot = h("div", { id: "claims-over-time" }, draw(stats, scope));
  const picker = h("select", { id: "claims-over-time-template", "aria-label": t("stats.pickTemplate"),
    onchange: (event) => {
      const index = Number(event.target.value);
      slot.replaceChildren(index < 0 ? draw(stats, scope) : draw([stats[index]], claimed[index].name));
    } },
  h("option", { value: "-1" }, t("stats.allOf", { scope })),
  claimed.map((x, i) => h("option", { value: String(i) }, x.name)));
  return [title, h("label", { class: "inline" }, t("col.template"), " ", picker), slot];
}

// "23/11 10:00": day/month and hour, in the operator's own time zone.
function hourLabel(iso) {
  const date = new Date(iso);
  return `${date.getDate()}/${date.getMonth() + 1} ${String(date.getHours()).padStart(2, "0")}:00`;
}

// --- rebates -------------------------------------------------------------------------------

// An amount in the reward's unit: fen for balance, points for points.
function rewardAmount(value, reward) {
  return reward === "points" ? t("common.points", { n: formatCount(value) }) : formatFen(value);
}

const isVoucher = (rule) => typeof rule.reward !== "string";

function rebateStats(rules, overview, width) {
  return [h("h3", {}, t("stats.rebates")), ...programmeFigures(overview), ...notGranted(rules), ...budgetStats(rules, width),
    ...costAgainstSales(rules, width)];
}

// The whole programme, each payment once however many rules it earned under (net of refunds).
function programmeFigures(o) {
  return [
    h("div", { class: "figures", id: "rebate-overall" },
      figure(t("stats.payments"), formatCount(o.payments)),
      figure(t("stats.netSales"), formatFen(o.net_sales)),
      o.refunds.amount ? figure(t("stats.refunded"), formatFen(o.refunds.amount)) : null,
      figure(t("stats.rebatedBalance"), formatFen(o.cost.balance)),
      figure(t("stats.pointsGiven"), formatCount(o.cost.points)),
      figure(t("stats.vouchersIssued"), formatCount(o.cost.vouchers)),
      figure(t("stats.returnAll"), o.return_bp === null ? "–" : formatBp(o.return_bp)),
      figure(t("col.notGranted"), formatCount(o.vouchers_not_granted))),
    h("p", { class: "hint" }, t("stats.overviewHint")),
  ];
}

// Voucher rewards earned but not granted (the template sold out or ended, or the shopper was at
// its per-user limit), per rule: each is on the payment's rebate with its reason.
function notGranted(rules) {
  const missed = rules.filter((r) => r.rewards_not_granted > 0)
    .sort((a, b) => b.rewards_not_granted - a.rewards_not_granted);
  if (!missed.length) return [];
  return [
    h("h4", { id: "rewards-not-granted-title" }, t("stats.notGrantedTitle")),
    h("div", { id: "rewards-not-granted" }, dataTable([
      { label: t("col.rule"), cell: (r) => r.name },
      { label: t("rules.voucherTemplate"), cell: (r) => r.reward.voucher_template_id },
      { label: t("col.notGrantedCount"), num: true, cell: (r) => formatCount(r.rewards_not_granted) },
      { label: t("col.notGrantedWhy"), cell: (r) => Object.entries(r.rewards_not_granted_by_reason || {})
        .sort((a, b) => b[1] - a[1])
        .map(([reason, n]) => t("stats.notGrantedReason", { reason: tOr("notGranted", reason), n: formatCount(n) }))
        .join(t("common.listSeparator")) },
    ], missed, "")),
  ];
}

function budgetStats(rules, width) {
  const budgeted = rules.filter((r) => r.caps.budget);
  if (!budgeted.length) return [h("p", { class: "empty" }, t("stats.noBudgets"))];
  return [barChart({
    title: t("stats.budgetChart"),
    series: [{ name: t("stats.seriesBudget"), class: "budget" }],
    rows: budgeted.map((r) => ({
      label: `${r.name}: ${t("common.of", { part: rewardAmount(r.budget_used, r.reward), whole: rewardAmount(r.caps.budget, r.reward) })}`,
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
  const parts = [h("h4", { id: "rebate-cost-title" }, t("stats.costTitle"))];
  if (!earning.length) {
    return [...parts, h("p", { class: "empty" }, t("stats.noRebates"))];
  }
  const top = earning.slice(0, TOP);
  const scope = earning.length > TOP ? t("stats.topRules", { top: TOP, all: earning.length }) : t("stats.rulesWithSales");
  const rated = top.filter((r) => !isVoucher(r));
  const rates = rated.map((r) => rateBp(r.rebate_cost, r.sales_driven));
  return [
    ...parts,
    barChart({
      title: t("stats.costChart", { scope }),
      series: [{ name: t("stats.seriesCost"), class: "cost" }, { name: t("stats.seriesSales"), class: "sales" }],
      rows: top.map((r) => ({
        label: r.name,
        values: [r.rebate_cost, r.sales_driven],
        texts: [isVoucher(r) ? t("stats.vouchersCost") : rewardAmount(r.rebate_cost, r.reward), formatFen(r.sales_driven)],
      })),
      max: Math.max(...top.map((r) => Math.max(r.rebate_cost, r.sales_driven))),
      width,
    }),
    rated.length ? barChart({
      title: t("stats.returnChart"),
      series: [{ name: t("stats.seriesReturn"), class: "rate" }],
      rows: rated.map((r, i) => ({
        label: r.name,
        values: [rates[i]],
        texts: [`${formatBp(rates[i])}${r.reward === "points" ? t("stats.inPoints") : ""}`],
      })),
      max: Math.max(...rates),
      width,
    }) : null,
    dataTable([
      { label: t("col.rule"), cell: (r) => r.name },
      { label: t("col.reward"), cell: (r) => (isVoucher(r) ? tOr("reward", "voucher") : tOr("reward", r.reward)) },
      { label: t("col.status"), cell: (r) => tOr("status", r.status) },
      { label: t("col.paymentsRebated"), num: true, cell: (r) => formatCount(r.rebated_payments) },
      { label: t("col.rebateCost"), num: true, cell: (r) => (isVoucher(r) ? t("stats.vouchersCost") : rewardAmount(r.rebate_cost, r.reward)) },
      { label: t("col.salesDriven"), num: true, cell: (r) => formatFen(r.sales_driven) },
      { label: t("col.returnRate"), num: true, cell: (r) => (isVoucher(r) ? "–" : formatRate(r.rebate_cost, r.sales_driven)) },
    ], earning, ""),
    h("p", { class: "hint" }, t("stats.costHint")),
  ];
}
