// Charts drawn as inline SVG, sized to their container so that text stays legible on a phone:
// horizontal bars per row (barChart) and columns over time (columnChart). Both have a value axis of
// 3 to 5 round ticks with light gridlines, and every bar and column shows a tooltip (its label,
// series and value) on hover and on keyboard focus (each is a tab stop), besides its SVG <title>.
// Their styles are in charts.css, linked from here so that the charts bring their own.
import { h, svg } from "./dom.js";
import { t } from "./i18n.js";

const LABEL = 18;
const BAR = 14;
const GAP = 4;
const ROW_GAP = 10;
const VALUE_ROOM = 96;
const AXIS_ROOM = 18; // the tick labels' line
const CHAR_WIDTH = 7.5; // a generous average at the 13px label size
const TICK_CHAR = 6.6; // at the 11px tick size
const LABEL_WIDTH = 84; // room for a "23/11 10:00" time label at 12px

const STYLES = new URL("./charts.css", import.meta.url).href;
if (!document.querySelector(`link[href="${STYLES}"]`)) {
  document.head.append(h("link", { rel: "stylesheet", href: STYLES }));
}

function fit(label, width) {
  const room = Math.floor(width / CHAR_WIDTH);
  return label.length > room ? `${label.slice(0, room - 1)}…` : label;
}

// The smallest of 1, 2, 5 x 10^k (and at least 1: values are whole fen, counts, basis points)
// that is >= raw.
function niceStep(raw) {
  if (raw <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

// A value axis over [lo, hi] (lo <= 0 <= hi): round ticks from a multiple of the step at or below
// lo to one at or above hi, 3 to 5 of them.
export function axis(lo, hi) {
  let step = niceStep((hi - lo) / 4);
  for (;;) {
    const first = Math.floor(lo / step) * step;
    const count = Math.max(2, Math.ceil((hi - first) / step));
    if (count <= 4) {
      const ticks = Array.from({ length: count + 1 }, (_, i) => first + i * step);
      return { lo: ticks[0], hi: ticks[ticks.length - 1], ticks };
    }
    step = niceStep(step + 1);
  }
}

// One tooltip per chart: shown beside the bar under the pointer or with the keyboard's focus.
function tooltips(box) {
  const tip = h("div", { class: "chart-tip", role: "tooltip", hidden: true });
  box.append(tip);
  const show = (target, text) => {
    tip.textContent = text;
    tip.hidden = false;
    const outer = box.getBoundingClientRect();
    const mark = target.getBoundingClientRect();
    const left = Math.min(Math.max(mark.left + mark.width / 2 - outer.left - tip.offsetWidth / 2, 0),
      Math.max(outer.width - tip.offsetWidth, 0));
    tip.style.left = `${left}px`;
    tip.style.top = `${Math.max(mark.top - outer.top - tip.offsetHeight - 6, 0)}px`;
  };
  const hide = () => { tip.hidden = true; };
  return (mark, text) => {
    mark.setAttribute("tabindex", "0");
    mark.setAttribute("aria-label", text);
    for (const name of ["pointerenter", "focus"]) mark.addEventListener(name, () => show(mark, text));
    for (const name of ["pointerleave", "blur"]) mark.addEventListener(name, hide);
    return mark;
  };
}

function figureBox(title, series, chart) {
  const legend = series.length > 1
    ? h("div", { class: "legend" }, series.map((s) => h("span", {}, h("i", { class: `swatch ${s.class}` }), s.name)))
    : null;
  return h("figure", { class: "chart-box" }, h("figcaption", {}, title), legend, h("div", { class: "chart-frame" }, chart));
}

// series: [{name, class}]; rows: [{label, values: [number per series], texts: [string per series]}];
// max: the largest value the axis must reach; axisText: a tick's label (default: the number). A
// bar's words are its aria-label and tooltip (no <title>: its row's label has the row's name).
export function barChart({ title, series, rows, max, width, axisText = String }) {
  const rowHeight = LABEL + series.length * (BAR + GAP) + ROW_GAP;
  const height = AXIS_ROOM + rows.length * rowHeight;
  const room = Math.max(width - VALUE_ROOM, 40);
  const scale = axis(0, Math.max(max, 1));
  const x = (value) => (Math.min(Math.max(value, 0), scale.hi) / scale.hi) * room;
  const chart = svg("svg", { class: "chart", width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title },
    svg("title", {}, title),
    scale.ticks.map((tick, i) => svg("g", { class: "tick" },
      svg("line", { x1: x(tick), x2: x(tick), y1: AXIS_ROOM - 4, y2: height, class: "grid" }),
      svg("text", { x: x(tick), y: 11, class: "chart-tick", "text-anchor": i === 0 ? "start" : "middle" }, axisText(tick)))));
  const figure = figureBox(title, series, chart);
  const tip = tooltips(figure);
  chart.append(...rows.map((row, i) => {
    const top = AXIS_ROOM + i * rowHeight;
    return svg("g", {},
      svg("text", { x: 0, y: top + 13, class: "chart-label" }, svg("title", {}, row.label), fit(row.label, width)),
      series.map((s, j) => {
        const y = top + LABEL + j * (BAR + GAP);
        const length = row.values[j] > 0 ? Math.max(x(row.values[j]), 2) : 0;
        const text = t("chart.tip", { label: row.label, series: s.name, value: row.texts[j] });
        return svg("g", {},
          tip(svg("rect", { x: 0, y, width: Math.max(length, 2), height: BAR, rx: 2, class: `bar ${s.class}${length ? "" : " empty"}` }),
            text),
          svg("text", { x: length + 6, y: y + BAR - 3, class: "chart-value" }, row.texts[j]));
      }));
  }));
  return figure;
}

// Columns over time: points [{label, values: [number per series]}] in order, one column per
// series side by side, a value axis from the smallest (or 0) to the largest value, and a label
// under every `labelEvery`-th point (fewer when the columns are too narrow for their labels, as on
// a phone). valueText: a value as the tooltip shows it; axisText: a tick's label.
export function columnChart({ title, series, points, width, height = 180, labelEvery = 6, valueText = String,
  axisText = valueText }) {
  const TOP = 8;
  const BOTTOM = 18;
  const lo = Math.min(0, ...points.flatMap((p) => p.values));
  const hi = Math.max(1, ...points.flatMap((p) => p.values));
  const scale = axis(lo, hi);
  const left = Math.max(...scale.ticks.map((tick) => axisText(tick).length)) * TICK_CHAR + 6;
  const plot = Math.max(width - left, 40);
  const room = height - BOTTOM - TOP;
  const y = (value) => TOP + ((scale.hi - value) / (scale.hi - scale.lo)) * room;
  const step = points.length ? plot / points.length : plot;
  const column = Math.max((step - 2) / series.length, 1);
  const every = labelEvery * Math.max(1, Math.ceil(LABEL_WIDTH / (labelEvery * step)));
  const chart = svg("svg", { class: "chart", width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title },
    svg("title", {}, title),
    scale.ticks.map((tick) => svg("g", { class: "tick" },
      svg("line", { x1: left, x2: width, y1: y(tick), y2: y(tick), class: tick === 0 ? "axis" : "grid" }),
      svg("text", { x: left - 4, y: y(tick) + 4, class: "chart-tick", "text-anchor": "end" }, axisText(tick)))));
  const figure = figureBox(title, series, chart);
  const tip = tooltips(figure);
  chart.append(...points.map((p, i) => svg("g", {},
    series.map((s, j) => {
      const value = p.values[j];
      const top = y(Math.max(value, 0));
      const size = Math.max(Math.abs(y(value) - y(0)), value === 0 ? 0 : 2);
      const text = series.length > 1
        ? t("chart.tip", { label: p.label, series: s.name, value: valueText(value) })
        : t("chart.tipOne", { label: p.label, value: valueText(value) });
      // a zero still gets a thin column to point at
      return tip(svg("rect", { x: left + i * step + 1 + j * column, y: value < 0 ? y(0) : top - (size ? 0 : 1),
        width: column, height: Math.max(size, 1), rx: 1, class: `bar ${s.class}${value ? "" : " empty"}` },
      svg("title", {}, text)), text);
    }),
    i % every === 0 ? svg("text", { x: left + i * step, y: height - 4, class: "chart-value" }, p.label) : null)));
  return figure;
}
