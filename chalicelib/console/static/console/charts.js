// Horizontal bar charts drawn as inline SVG, sized to their container so that text stays legible
// on a phone. Each row: a label line, then one bar per series with its value written after it.
import { h, svg } from "./dom.js";
import { t } from "./i18n.js";

const LABEL = 18;
const BAR = 14;
const GAP = 4;
const ROW_GAP = 10;
const VALUE_ROOM = 96;
const CHAR_WIDTH = 7.5; // a generous average at the 13px label size
const LABEL_WIDTH = 84; // room for a "23/11 10:00" time label at 12px

function fit(label, width) {
  const room = Math.floor(width / CHAR_WIDTH);
  return label.length > room ? `${label.slice(0, room - 1)}…` : label;
}

// series: [{name, class}]; rows: [{label, values: [number per series], texts: [string per series]}];
// max: the value of a full-length bar.
export function barChart({ title, series, rows, max, width }) {
  const rowHeight = LABEL + series.length * (BAR + GAP) + ROW_GAP;
  const height = rows.length * rowHeight;
  const room = Math.max(width - VALUE_ROOM, 40);
  const chart = svg("svg", { class: "chart", width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title },
    svg("title", {}, title),
    rows.map((row, i) => {
      const top = i * rowHeight;
      return svg("g", {},
        svg("text", { x: 0, y: top + 13, class: "chart-label" }, svg("title", {}, row.label), fit(row.label, width)),
        series.map((s, j) => {
          const y = top + LABEL + j * (BAR + GAP);
          const share = max > 0 ? Math.min(row.values[j] / max, 1) : 0;
          const length = row.values[j] > 0 ? Math.max(share * room, 2) : 0;
          return svg("g", {},
            svg("rect", { x: 0, y, width: length, height: BAR, rx: 2, class: `bar ${s.class}` }),
            svg("text", { x: length + 6, y: y + BAR - 3, class: "chart-value" }, row.texts[j]));
        }));
    }));
  const legend = series.length > 1
    ? h("div", { class: "legend" }, series.map((s) => h("span", {}, h("i", { class: `swatch ${s.class}` }), s.name)))
    : null;
  return h("figure", { class: "chart-box" }, h("figcaption", {}, title), legend, chart);
}

// Vertical columns over time: points [{label, value}] in order, a value axis from 0 to the largest
// value, and a time label under every `labelEvery`-th column (fewer when the columns are too
// narrow for their labels, as on a phone). For "per hour" series.
export function columnChart({ title, points, width, height = 160, labelEvery = 6, valueText = String }) {
  const AXIS = 18;
  const TOP = 16;
  const max = Math.max(1, ...points.map((p) => p.value));
  const step = points.length ? width / points.length : width;
  const room = height - AXIS - TOP;
  const every = labelEvery * Math.max(1, Math.ceil(LABEL_WIDTH / (labelEvery * step)));
  const chart = svg("svg", { class: "chart", width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title },
    svg("title", {}, title),
    svg("text", { x: 0, y: 11, class: "chart-value" }, t("chart.max", { value: valueText(max) })),
    svg("line", { x1: 0, x2: width, y1: TOP + room, y2: TOP + room, class: "axis" }),
    points.map((p, i) => {
      const barHeight = p.value > 0 ? Math.max((p.value / max) * room, 2) : 0;
      return svg("g", {},
        svg("rect", { x: i * step + 1, y: TOP + room - barHeight, width: Math.max(step - 2, 1), height: barHeight,
          rx: 1, class: "bar claimed" }, svg("title", {}, `${p.label}: ${valueText(p.value)}`)),
        i % every === 0
          ? svg("text", { x: i * step, y: height - 4, class: "chart-value" }, p.label) : null);
    }));
  return h("figure", { class: "chart-box" }, h("figcaption", {}, title), chart);
}
