// Campaign statistics. Every figure comes from the API: the templates' counters (claimed,
// redeemed) and the rebate rules' budget_used. What the API does not report is said, not drawn.
import { barChart } from "./charts.js";
import { dataTable, h, say } from "./dom.js";
import { formatCount, formatFen, formatRate, rateBp } from "./format.js";

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
      const [templates, rules] = await Promise.all([api.all("admin/templates"), api.all("admin/rebate-rules")]);
      body.replaceChildren(...couponStats(templates, body.clientWidth || 640), ...rebateStats(rules, body.clientWidth || 640));
      const counts = `${formatCount(templates.length)} templates, ${formatCount(rules.length)} rebate rules`;
      say(status, `As of ${new Date().toLocaleTimeString()}: ${counts}.`);
    } catch (error) {
      say(status, error.message, "error");
    }
  }

  return { id: "stats", title: "Statistics", element, show };
}

function figure(label, value) {
  return h("div", { class: "figure" }, h("span", { class: "sub" }, label), h("strong", {}, value));
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
    h("p", { class: "hint" },
      "Claims over time are not shown: the API reports each template's counters, not when the claims happened."),
  ];
}

function rebateStats(rules, width) {
  const budgeted = rules.filter((r) => r.caps.budget);
  const amount = (value, reward) => (reward === "points" ? `${formatCount(value)} points` : formatFen(value));
  return [
    h("h3", {}, "Rebates"),
    budgeted.length ? barChart({
      title: "Rebate budget used per rule",
      series: [{ name: "budget used", class: "budget" }],
      rows: budgeted.map((r) => ({
        label: `${r.name}: ${amount(r.budget_used, r.reward)} of ${amount(r.caps.budget, r.reward)}`,
        values: [rateBp(r.budget_used, r.caps.budget)],
        texts: [formatRate(r.budget_used, r.caps.budget)],
      })),
      max: 10000,
      width,
    }) : h("p", { class: "empty" }, "No rebate rule has a budget cap, so no rebate cost is reported."),
    h("p", { class: "hint" }, "Rebate cost against sales driven is not shown: the API reports what a rule has given only as "
      + "budget_used, and only for rules with a budget cap, and it reports no sales (amounts paid) per rule."),
  ];
}
