// Campaign statistics over a range of Beijing days (today, the last 7 or 30 days, any range of at
// most 366 days, or all time). Every figure comes from the API: the programme's totals for the
// range, each payment once (GET admin/rebates/overview?from=&to=, with each day's figures), the
// templates' claims and redemptions per hour summed over the range (GET
// admin/templates/{id}/stats?from=&to=, at most 31 days a request), and the rebate rules' own
// totals, which are all time (budget_used, rebated_payments, rebate_cost, sales_driven).
import { barChart, columnChart } from "./charts.js";
import { dataTable, figure, h, say, sayError } from "./dom.js";
import { formatBp, formatCount, formatFen, formatRate, rateBp } from "./format.js";
import { t, tOr } from "./i18n.js";

const TOP = 12;
const HOUR_MS = 3600 * 1000;
const DAY_MS = 24 * HOUR_MS;
const BEIJING_MS = 8 * HOUR_MS; // China Standard Time, no daylight saving
const MAX_DAYS = 366; // as the overview's range
const STATS_DAYS = 31; // the template stats' range: at most 744 hours a request
const ALL_TIME_CHART_DAYS = 30; // what the daily charts show when the range is all time
const PRESETS = [["today", 1], ["7", 7], ["30", 30], ["all", null]];
const PRESET_KEYS = { today: "stats.presetToday", 7: "stats.preset7", 30: "stats.preset30", all: "stats.presetAll" };

// --- Beijing days: yyyy-mm-dd ----------------------------------------------------------------

const beijingDay = (ms) => new Date(ms + BEIJING_MS).toISOString().slice(0, 10);
const dayMs = (day) => Date.parse(`${day}T00:00:00Z`);
const addDays = (day, n) => new Date(dayMs(day) + n * DAY_MS).toISOString().slice(0, 10);
const dayCount = (from, to) => Math.round((dayMs(to) - dayMs(from)) / DAY_MS) + 1;
const isDay = (text) => /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(dayMs(text)) && addDays(text, 0) === text;
// The UTC hour that starts Beijing day `day`, as the stats endpoint takes it.
const dayStart = (day) => new Date(dayMs(day) - BEIJING_MS).toISOString().replace(".000Z", "Z");
const dayLabel = (day) => day.slice(5).replace("-", "/");
const hourLabel = (iso) => new Date(Date.parse(iso) + BEIJING_MS).toISOString().slice(11, 16);
// An axis tick in yuan, without the fen when they are zero ("¥1,000").
const yuanTick = (fen) => (fen % 100 === 0 ? formatFen(fen).slice(0, -3) : formatFen(fen));

// A day typed as Chinese admin pages write it, "2026-06-18" (or 2026/6/18): a text input, since a
// date input shows the browser's own format (11/28/2026 in an English Chromium, whatever the
// page's language). Committed by Enter or by leaving the field.
function dayInput(id, label, commit) {
  return h("input", { type: "text", id, maxlength: 10, inputmode: "numeric", autocomplete: "off", spellcheck: "false",
    placeholder: t("stats.dayPlaceholder"), "aria-label": label, onchange: commit,
    onkeydown: (event) => { if (event.key === "Enter") commit(); } });
}

// "2026/6/18" -> "2026-06-18"; anything else as it is (isDay refuses it).
function normalDay(text) {
  const match = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(text.trim());
  return match ? `${match[1]}-${match[2].padStart(2, "0")}-${match[3].padStart(2, "0")}` : text.trim();
}

function lastDays(n) {
  const to = beijingDay(Date.now());
  return { from: addDays(to, 1 - n), to };
}

export function statsView(api) {
  const status = h("p", { class: "notice", role: "status" });
  const body = h("div", { id: "stats-body" });
  const note = h("p", { class: "hint stats-range-note", id: "stats-range-note" });
  const from = dayInput("stats-from", t("stats.from"), () => picked());
  const to = dayInput("stats-to", t("stats.to"), () => picked());
  const presets = PRESETS.map(([name, days]) => h("button", {
    type: "button", class: "small", "data-preset": name, "aria-pressed": "false",
    onclick: () => choose(days === null ? null : lastDays(days)),
  }, t(PRESET_KEYS[name])));
  let range = lastDays(7);
  let shown = 0; // the latest show(): an earlier one that ends after it draws nothing

  const element = h("section", { id: "view-stats" },
    h("div", { class: "card" },
      h("div", { class: "toolbar" }, h("h2", {}, t("stats.heading")),
        h("button", { type: "button", onclick: () => show() }, t("common.refresh"))),
      h("div", { class: "toolbar stats-range", role: "group", "aria-label": t("stats.rangeLabel") },
        h("label", { class: "inline" }, t("stats.from"), " ", from),
        h("label", { class: "inline" }, t("stats.to"), " ", to),
        h("div", { class: "presets" }, presets)),
      note, status, body));

  function choose(next) {
    range = next;
    show();
  }

  function picked() {
    const [start, end] = [normalDay(from.value), normalDay(to.value)];
    if (!isDay(start) || !isDay(end) || end < start || dayCount(start, end) > MAX_DAYS) {
      say(status, t("stats.badRange"), "error");
      return;
    }
    choose({ from: start, to: end });
  }

  function reflect() {
    const today = beijingDay(Date.now());
    from.value = range ? range.from : "";
    to.value = range ? range.to : "";
    for (const button of presets) {
      const days = PRESETS.find(([name]) => name === button.dataset.preset)[1];
      const same = days === null ? range === null
        : range !== null && range.to === today && dayCount(range.from, range.to) === days;
      button.setAttribute("aria-pressed", String(same));
    }
    note.textContent = range
      ? t("stats.rangeNote", { from: range.from, to: range.to, days: formatCount(dayCount(range.from, range.to)) })
      : t("stats.allTimeNote", { days: ALL_TIME_CHART_DAYS });
  }

  async function show() {
    const mine = ++shown;
    reflect();
    say(status, t("common.loading"));
    try {
      const chartRange = range ?? lastDays(ALL_TIME_CHART_DAYS);
      const [templates, rules, overview, daily] = await Promise.all([
        api.all("admin/templates"), api.all("admin/rebate-rules"), api.get("admin/rebates/overview", range ?? {}),
        range ? null : api.get("admin/rebates/overview", chartRange)]);
      const claimed = templates.filter((x) => x.claimed > 0);
      const hourly = await templateHours(api, claimed, chartRange);
      if (mine !== shown) return;
      const width = body.clientWidth || 640;
      const counts = range ? inRange(claimed, hourly) : allTime(claimed);
      body.replaceChildren(...[
        ...overviewFigures(overview, counts),
        ...dailyChart((daily ?? overview).days, width),
        ...couponStats(templates, counts, width, range ? "stats.noClaimsInRange" : "stats.noClaims"),
        ...overTime(claimed, hourly, chartRange, width),
        ...rebateStats(rules, width),
      ].filter(Boolean)); // a part with nothing to show is null
      say(status, t("stats.asOf", { time: new Date().toLocaleTimeString(document.documentElement.lang), templates: formatCount(templates.length),
        rules: formatCount(rules.length) }));
    } catch (error) {
      if (mine === shown) sayError(status, error);
    }
  }

  return { id: "stats", title: t("stats.title"), element, show };
}

// --- claims and redemptions ---------------------------------------------------------------------

// Run `tasks` (functions returning promises) at most `size` at a time; their results in order.
async function pooled(tasks, size = 6) {
  const results = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(size, tasks.length) }, async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  }));
  return results;
}

// Each template's hours of the range (its claims and redemptions), read 31 days a request.
async function templateHours(api, templates, range) {
  const chunks = [];
  for (let day = range.from; day <= range.to; day = addDays(day, STATS_DAYS)) {
    const last = addDays(day, STATS_DAYS - 1) < range.to ? addDays(day, STATS_DAYS - 1) : range.to;
    chunks.push({ from: dayStart(day), to: new Date(dayMs(last) - BEIJING_MS + 23 * HOUR_MS).toISOString().replace(".000Z", "Z") });
  }
  const tasks = templates.flatMap((x) => chunks.map((chunk) => () => api.get(`admin/templates/${x.id}/stats`, chunk)));
  const answers = await pooled(tasks);
  return templates.map((_, i) => answers.slice(i * chunks.length, (i + 1) * chunks.length).flatMap((a) => a.hours));
}

// Claims and redemptions in the range, per template (by id) and in all.
function inRange(templates, hourly) {
  const byTemplate = new Map(templates.map((x, i) => [x.id, {
    claimed: hourly[i].reduce((sum, hour) => sum + hour.claimed, 0),
    redeemed: hourly[i].reduce((sum, hour) => sum + (hour.redeemed ?? 0), 0),
  }]));
  return totals(byTemplate);
}

// All time: the templates' own counters.
function allTime(templates) {
  return totals(new Map(templates.map((x) => [x.id, { claimed: x.claimed, redeemed: x.redeemed }])));
}

function totals(byTemplate) {
  let claimed = 0;
  let redeemed = 0;
  for (const count of byTemplate.values()) {
    claimed += count.claimed;
    redeemed += count.redeemed;
  }
  return { byTemplate, claimed, redeemed };
}

// The range's figures: the programme's (each payment once) and the coupons'.
function overviewFigures(o, counts) {
  return [
    h("h3", {}, t("stats.overviewTitle")),
    h("div", { class: "figures", id: "rebate-overall" },
      figure(t("stats.payments"), formatCount(o.payments)),
      figure(t("stats.sales"), formatFen(o.sales)),
      figure(t("stats.refunded"), formatFen(o.refunds.amount)),
      figure(t("stats.netSales"), formatFen(o.net_sales)),
      figure(t("stats.rebatedBalance"), formatFen(o.cost.balance)),
      figure(t("stats.pointsGiven"), formatCount(o.cost.points)),
      figure(t("stats.vouchersIssued"), formatCount(o.cost.vouchers)),
      figure(t("stats.returnAll"), o.return_bp === null ? "–" : formatBp(o.return_bp)),
      figure(t("col.notGranted"), formatCount(o.vouchers_not_granted)),
      figure(t("stats.claims"), formatCount(counts.claimed)),
      figure(t("stats.redemptions"), formatCount(counts.redeemed))),
    h("p", { class: "hint" }, t("stats.overviewHint")),
  ];
}

// Sales and rebate cost (balance and points, a point as one fen) per Beijing day.
function dailyChart(days, width) {
  if (!days.length) return [];
  return [h("div", { id: "daily-chart" }, columnChart({
    title: t("stats.dailyChart"),
    series: [{ name: t("stats.seriesDaySales"), class: "sales" }, { name: t("stats.seriesCost"), class: "cost" }],
    points: days.map((d) => ({ label: dayLabel(d.day), values: [d.sales, d.cost_balance + d.cost_points] })),
    width, labelEvery: days.length > 14 ? 7 : 1, valueText: formatFen, axisText: yuanTick,
  }))];
}

function couponStats(templates, counts, width, emptyKey) {
  const of = (x) => counts.byTemplate.get(x.id) ?? { claimed: 0, redeemed: 0 };
  const claimed = templates.filter((x) => of(x).claimed > 0).sort((a, b) => of(b).claimed - of(a).claimed);
  const top = claimed.slice(0, TOP);
  const parts = [
    h("h3", {}, t("stats.vouchers")),
    h("div", { class: "figures" },
      figure(t("col.claimed"), formatCount(counts.claimed)),
      figure(t("col.redeemed"), formatCount(counts.redeemed)),
      figure(t("col.redemptionRate"), formatRate(counts.redeemed, counts.claimed))),
  ];
  if (!top.length) return [...parts, h("p", { class: "empty" }, t(emptyKey))];
  const scope = claimed.length > TOP ? t("stats.topOf", { top: TOP, all: claimed.length }) : t("stats.withClaims");
  return [
    ...parts,
    barChart({
      title: t("stats.claimsChart", { scope }),
      series: [{ name: t("stats.seriesClaimed"), class: "claimed" }, { name: t("stats.seriesRedeemed"), class: "redeemed" }],
      rows: top.map((x) => ({
        label: x.name, values: [of(x).claimed, of(x).redeemed], texts: [formatCount(of(x).claimed), formatCount(of(x).redeemed)],
      })),
      max: of(top[0]).claimed,
      width,
      axisText: formatCount,
    }),
    barChart({
      title: t("stats.rateChart", { scope }),
      series: [{ name: t("stats.seriesRate"), class: "rate" }],
      rows: top.map((x) => ({
        label: x.name, values: [rateBp(of(x).redeemed, of(x).claimed)], texts: [formatRate(of(x).redeemed, of(x).claimed)],
      })),
      max: 10000,
      width,
      axisText: (bp) => `${bp / 100}%`,
    }),
    dataTable([
      { label: t("col.template"), cell: (x) => x.name },
      { label: t("col.status"), cell: (x) => tOr("status", x.status) },
      { label: t("col.claimed"), num: true, cell: (x) => formatCount(of(x).claimed) },
      { label: t("col.redeemed"), num: true, cell: (x) => formatCount(of(x).redeemed) },
      { label: t("col.remaining"), num: true, cell: (x) => formatCount(x.remaining) },
      { label: t("col.redemptionRate"), num: true, cell: (x) => formatRate(of(x).redeemed, of(x).claimed) },
    ], claimed, ""),
  ];
}

// Claims and redemptions over the range: per hour for one day, else per Beijing day; for all of
// the most claimed templates together or for one chosen in the picker.
function overTime(templates, hourly, range, width) {
  const title = h("h4", { id: "claims-over-time-title" }, t("stats.overTime"));
  const sum = (hours) => hours.reduce((n, hour) => n + hour.claimed, 0);
  const ranked = templates.map((x, i) => ({ template: x, hours: hourly[i] }))
    .filter((x) => sum(x.hours) > 0).sort((a, b) => sum(b.hours) - sum(a.hours)).slice(0, TOP);
  if (!ranked.length) return [title, h("p", { class: "empty" }, t("stats.noClaimsInRange"))];
  const perHour = range.from === range.to;
  const buckets = perHour ? [] : Array.from({ length: dayCount(range.from, range.to) }, (_, i) => addDays(range.from, i));
  const series = (chosen) => {
    const sums = new Map(buckets.map((day) => [day, [0, 0]]));
    for (const x of chosen) {
      for (const hour of x.hours) {
        const key = perHour ? hour.hour : beijingDay(Date.parse(hour.hour));
        const [c, r] = sums.get(key) ?? [0, 0];
        sums.set(key, [c + hour.claimed, r + (hour.redeemed ?? 0)]);
      }
    }
    return [...sums.entries()].sort(([a], [b]) => a.localeCompare(b))
      .map(([key, values]) => ({ label: perHour ? hourLabel(key) : dayLabel(key), values }));
  };
  const scope = ranked.length > 1 ? t("stats.mostClaimed", { n: ranked.length }) : ranked[0].template.name;
  const draw = (chosen, what) => columnChart({
    title: t(perHour ? "stats.perHour" : "stats.perDay", { what }), points: series(chosen), width,
    series: [{ name: t("stats.seriesClaimed"), class: "claimed" }, { name: t("stats.seriesRedeemed"), class: "redeemed" }],
    labelEvery: perHour ? 6 : (buckets.length > 14 ? 7 : 1), valueText: formatCount,
  });
  const slot = h("div", { id: "claims-over-time" }, draw(ranked, scope));
  const picker = h("select", { id: "claims-over-time-template", "aria-label": t("stats.pickTemplate"),
    onchange: (event) => {
      const index = Number(event.target.value);
      slot.replaceChildren(index < 0 ? draw(ranked, scope) : draw([ranked[index]], ranked[index].template.name));
    } },
  h("option", { value: "-1" }, t("stats.allOf", { scope })),
  ranked.map((x, i) => h("option", { value: String(i) }, x.template.name)));
  return [title, h("label", { class: "inline" }, t("col.template"), " ", picker), slot];
}

// --- rebates: the rules' own totals, all time ----------------------------------------------------

// An amount in the reward's unit: fen for balance, points for points.
function rewardAmount(value, reward) {
  return reward === "points" ? t("common.points", { n: formatCount(value) }) : formatFen(value);
}

const isVoucher = (rule) => typeof rule.reward !== "string";

function rebateStats(rules, width) {
  return [h("h3", {}, t("stats.rebates")), h("p", { class: "hint" }, t("stats.rulesAllTime")), ...notGranted(rules),
    ...budgetStats(rules, width), ...costAgainstSales(rules, width)];
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
    axisText: (bp) => `${bp / 100}%`,
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
      axisText: yuanTick,
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
      axisText: (bp) => `${bp / 100}%`,
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
