// Money is integer fen everywhere: formatted and parsed with integer arithmetic only, never floats.

export function formatFen(fen) {
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(fen);
  const cents = abs % 100;
  const yuan = (abs - cents) / 100;
  return `${sign}¥${yuan.toLocaleString("en-US")}.${String(cents).padStart(2, "0")}`;
}

const YUAN = /^¥?\s*(\d{1,10})(?:\.(\d{1,2}))?$/;

// "12", "12.5", "¥12.50" -> 1250 fen; anything else -> null.
export function parseYuan(text) {
  const match = YUAN.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0"));
}

const PERCENT = /^(\d{1,3})(?:\.(\d{1,2}))?\s*%?$/;

// A percentage typed by a person ("2", "2.5", "12.75%") -> basis points (200, 250, 1275); else null.
export function parsePercentBp(text) {
  const match = PERCENT.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0"));
}

// Basis points as a percentage: 250 -> "2.50%".
export function formatBp(bp) {
  return `${(bp - (bp % 100)) / 100}.${String(bp % 100).padStart(2, "0")}%`;
}

// part / whole in basis points, rounded down (integer arithmetic).
export function rateBp(part, whole) {
  const scaled = part * 10000;
  return (scaled - (scaled % whole)) / whole;
}

// part / whole as a percentage with two decimals ("42.85%"), rounded down; "–" when whole is 0.
export function formatRate(part, whole) {
  return whole ? formatBp(rateBp(part, whole)) : "–";
}

// A time in the page's language (<html lang>, set by the language switch), not the browser's: a
// Chinese page in an English browser says 2026年12月3日 20:08, not Dec 3, 2026, 8:08 PM. The
// browser's own time zone (a Chinese mall's people are on Beijing time), as forms.js reads times.
export function formatTime(iso) {
  return new Date(iso).toLocaleString(document.documentElement.lang || undefined,
    { dateStyle: "medium", timeStyle: "short" });
}

export function formatCount(n) {
  return n.toLocaleString("en-US");
}
