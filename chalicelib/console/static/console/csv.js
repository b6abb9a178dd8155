// CSV in and out of the browser, by hand (RFC 4180, no library): reading an uploaded file's bytes
// (UTF-8 with or without a BOM, UTF-16 with a BOM, or GBK/GB18030 as Excel saves it on a Chinese
// Windows), parsing it into rows, and writing rows back with every field quoted as it must be.

const UTF8_BOM = "\ufeff";

// The text of a file's bytes: a BOM decides; else UTF-8 when the bytes are valid UTF-8, else
// GB18030 (a superset of GBK): a GBK file read as UTF-8 would show U+FFFD for its Chinese.
export function decodeCsv(buffer) {
  const bytes = new Uint8Array(buffer);
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes.subarray(2));
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return new TextDecoder("gb18030").decode(bytes);
  }
}

// Rows of fields. A field in double quotes may hold commas, line breaks and "" (one quote); lines
// end with CRLF, LF or CR; a BOM at the start is dropped. A tab-separated file (Excel's "Unicode
// text") is read by its tabs when its first line has a tab and no comma.
export function parseCsv(text) {
  const source = text.startsWith(UTF8_BOM) ? text.slice(1) : text;
  const firstLine = source.split(/\r\n|\n|\r/, 1)[0];
  const sep = firstLine.includes("\t") && !firstLine.includes(",") ? "\t" : ",";
  const rows = [];
  let row = [];
  let fieldText = "";
  let quoted = false; // inside a quoted field
  for (let i = 0; i < source.length; i += 1) {
    const c = source[i];
    if (quoted) {
      if (c !== '"') fieldText += c;
      else if (source[i + 1] === '"') {
        fieldText += '"';
        i += 1;
      } else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === sep) {
      row.push(fieldText);
      fieldText = "";
    } else if (c === "\r" || c === "\n") {
      if (c === "\r" && source[i + 1] === "\n") i += 1;
      row.push(fieldText);
      rows.push(row);
      row = [];
      fieldText = "";
    } else fieldText += c;
  }
  if (fieldText !== "" || row.length) {
    row.push(fieldText);
    rows.push(row);
  }
  return rows;
}

// One field as RFC 4180 writes it: in double quotes (each quote doubled) when it holds a comma, a
// quote, a line break, or spaces at either end; as it is otherwise.
export function quoteCsv(value) {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

// A value for a file a person opens in a spreadsheet: one that starts with = + - @ (or a tab or
// CR) would run as a formula there (CSV injection, OWASP), so it gets a leading apostrophe, which
// the spreadsheet shows as text. The uploaded file's other columns and user ids such as -7 or
// @wx come back this way.
export function spreadsheetSafe(value) {
  const text = value === null || value === undefined ? "" : String(value);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

// Rows -> CSV text, lines ending in CRLF (RFC 4180), with a UTF-8 BOM so that Excel reads Chinese right.
export function toCsv(rows) {
  return UTF8_BOM + rows.map((row) => row.map(quoteCsv).join(",")).join("\r\n") + "\r\n";
}

// The names a first row of user ids goes by: a header, not a user. Matched, never shown (so not in
// the catalogue), in both languages whatever the page's: 用户, 用户id, 用户 id, 用户编号.
const HEADERS = new Set(["user_id", "userid", "user id", "user", "\u7528\u6237", "\u7528\u6237id", "\u7528\u6237 id",
  "\u7528\u6237\u7f16\u53f7"]);

// The user ids of a file's rows, from the first column: a header row, blank lines and repeated
// ids are skipped and counted. `extra` keeps each id's other columns (a name, a phone number) for
// the result file, with their titles from the header when there is one.
export function userIdsOf(rows) {
  const ids = [];
  const extra = new Map();
  const skipped = { header: 0, blank: 0, duplicate: 0 };
  let titles = [];
  rows.forEach((row, n) => {
    const id = (row[0] ?? "").trim();
    if (n === 0 && HEADERS.has(id.toLowerCase())) {
      skipped.header += 1;
      titles = row.slice(1).map((title) => title.trim());
    } else if (!id) skipped.blank += 1;
    else if (extra.has(id)) skipped.duplicate += 1;
    else {
      ids.push(id);
      extra.set(id, row.slice(1).map((value) => value.trim()));
    }
  });
  return { ids, extra, titles, skipped };
}
