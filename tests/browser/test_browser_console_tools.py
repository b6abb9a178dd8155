"""The console's daily tools (issue 19): grants read from an uploaded CSV (UTF-8 with a BOM, or GBK
as Excel saves it) whose result table downloads as a CSV, the hand-written CSV reader and writer
(console/csv.js) run in the page, and the create forms in a native <dialog> that opens from the
toolbar, takes the focus, and closes by Esc or its close button, full-screen on a phone.

Same browser and stack as tests/browser/test_browser.py (Playwright driving /usr/bin/chromium).
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.pages import needs_chromium, sign_in, watch_console
from tests.helpers import headers_for, template_body, token
from tests.helpers import session as http_session
from tests.payment_helpers import rule_body

pytestmark = [pytest.mark.e2e, needs_chromium]

# console/csv.js, imported by the page itself and run on literals
CSV_CASES = r"""async () => {
  const { decodeCsv, parseCsv, quoteCsv, spreadsheetSafe, toCsv, userIdsOf } = await import(new URL("console/csv.js", document.baseURI).href);
  const rows = [["用户", "结果"], ["u1", 'x,"y"'], ["u2", "two\nlines"], ["u3", " padded "], ["u4", ""]];
  const read = userIdsOf(parseCsv("用户ID,姓名\nu1,张三\n\n  \nu1,李四\nu2\n"));
  return {
    parsed: parseCsv('\ufeffa,"b,c","say ""hi""\r\nthere"\r\n\r\nlast'),
    lineEnds: parseCsv("a\rb\nc\r\nd"),
    tabs: parseCsv("a\tb\nc\td\n"),
    quoted: [quoteCsv("plain"), quoteCsv("a,b"), quoteCsv('q"q'), quoteCsv("two\nlines"), quoteCsv(" pad"), quoteCsv(null), quoteCsv(12)],
    written: toCsv(rows),
    roundTrip: JSON.stringify(parseCsv(toCsv(rows))) === JSON.stringify(rows),
    gbk: decodeCsv(new Uint8Array([0x75, 0x31, 0x2c, 0xd5, 0xc5, 0xc8, 0xfd]).buffer),
    utf8: decodeCsv(new TextEncoder().encode("\ufeffu1,张三").buffer),
    utf16: decodeCsv(new Uint8Array([0xff, 0xfe, 0x75, 0x00, 0x31, 0x00, 0x2c, 0x00, 0x20, 0x5f]).buffer),
    ids: read.ids, titles: read.titles, skipped: read.skipped, extra: [...read.extra],
    noHeader: userIdsOf(parseCsv("alice\nbob\nalice")).skipped,
    safe: ["=SUM(A1)", "-7", "@wx", "+86", "\tx", "u1", "张三", "a=b", null].map(spreadsheetSafe),
  };
}"""


def test_the_csv_reader_and_writer_follow_rfc_4180_in_the_page(stack, desktop):
    page = desktop.page("/console", stack.api_url)
    got = page.evaluate(CSV_CASES)
    assert got["parsed"] == [["a", "b,c", 'say "hi"\r\nthere'], [""], ["last"]]
    assert got["lineEnds"] == [["a"], ["b"], ["c"], ["d"]]
    assert got["tabs"] == [["a", "b"], ["c", "d"]]
    assert got["quoted"] == ["plain", '"a,b"', '"q""q"', '"two\nlines"', '" pad"', "", "12"]
    assert got["written"] == '\ufeff用户,结果\r\nu1,"x,""y"""\r\nu2,"two\nlines"\r\nu3," padded "\r\nu4,\r\n'
    assert got["roundTrip"] is True
    # what would run as a formula in a spreadsheet is written as text (CSV injection)
    assert got["safe"] == ["'=SUM(A1)", "'-7", "'@wx", "'+86", "'\tx", "u1", "张三", "a=b", ""]
    assert got["gbk"] == "u1,张三"  # not valid UTF-8: read as GB18030
    assert got["utf8"] == "u1,张三"  # the BOM dropped
    assert got["utf16"] == "u1,张"
    assert got["ids"] == ["u1", "u2"] and got["titles"] == ["姓名"]
    assert got["skipped"] == {"header": 1, "blank": 2, "duplicate": 1}
    assert got["extra"] == [["u1", ["张三"]], ["u2", []]]
    assert got["noHeader"] == {"header": 0, "blank": 0, "duplicate": 1}
    # Python's csv module reads what the page writes
    assert list(csv.reader(io.StringIO(got["written"].removeprefix("\ufeff"), newline=""))) == [
        ["用户", "结果"], ["u1", 'x,"y"'], ["u2", "two\nlines"], ["u3", " padded "], ["u4", ""]]


def grant_template(stack) -> dict:
    http, ops = http_session(), headers_for("ops-csv", operator=True)
    body = template_body(name=f"CSV grant {uuid.uuid4().hex[:8]}", claim_channel="grant", per_user_limit=1)
    created = http.post(f"{stack.api_url}/admin/templates", json=body, headers=ops, timeout=30).json()
    assert http.post(f"{stack.api_url}/admin/templates/{created['id']}/publish", headers=ops, timeout=30).ok
    return created


def coupons_of(stack, user: str, template_id: str) -> list[dict]:
    page = http_session().get(f"{stack.api_url}/me/coupons", params={"limit": 100}, headers=headers_for(user),
                              timeout=30).json()
    return [c for c in page["items"] if c["template_id"] == template_id]


WORDS = {
    "zh": {"read": "跳过 3 行（表头 1 行、空行 1 行、重复 1 行）", "done": "已向 3 / 3 位用户发放。",
           "header": ["用户", "结果", "优惠券", "姓名"], "granted": "已发放", "grant": "发放"},
    "en": {"read": "skipped 3 rows (1 header, 1 blank, 1 repeated)", "done": "Granted to 3 of 3 users.",
           "header": ["User", "Result", "Coupon", "姓名"], "granted": "granted", "grant": "Grant"},
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_grants_from_an_uploaded_csv_are_granted_once_and_download_as_a_result_csv(stack, session, lang):
    words, tag = WORDS[lang], uuid.uuid4().hex[:6]
    template = grant_template(stack)
    users = [f"csv-{lang}-{session.viewport}-{tag}-{n}" for n in range(3)]
    names = {users[0]: "张三", users[1]: "李, 四", users[2]: ""}
    # A header, a quoted name with a comma, a blank line, a repeated user, a bad id, a user with no name
    lines = ["user_id,姓名", f"{users[0]},张三", f'{users[1]},"李, 四"', "", f"{users[0]},张三", "bad id!,王五", f"{users[2]},"]
    text = "\r\n".join(lines) + "\r\n"
    # Chinese operators' Excel saves GBK; the English run sends UTF-8 with a BOM
    data = text.encode("gb18030") if lang == "zh" else ("\ufeff" + text).encode("utf-8")

    page = session.page("/console#grants", stack.api_url, lang=lang)
    sign_in(page, token("ops-csv", ("operator",)))
    view = page.locator("#view-grants")
    view.locator("select[name=template]").select_option(template["id"])
    page.locator("#grant-file").set_input_files(files=[{"name": "users.csv", "mimeType": "text/csv", "buffer": data}])
    expect(page.locator("#grant-file-note")).to_contain_text(words["read"])
    users_box = view.locator('[data-field="user_ids"] textarea')
    expect(users_box).to_have_value("\n".join([users[0], users[1], "bad id!", users[2]]))

    # The bad id is refused before sending, as a typed one is; one click drops it
    grant = view.get_by_role("button", name=words["grant"], exact=True)
    grant.click()
    expect(view.locator('[data-field="user_ids"] .field-error')).to_be_visible()
    expect(view.locator(".notice")).to_contain_text("bad id!")
    view.locator("#grant-drop-bad").click()
    expect(users_box).to_have_value("\n".join(users))

    # A double click grants once: one request, one coupon per user
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    grant.dblclick()
    expect(view.locator(".notice")).to_have_text(words["done"])
    assert len([url for url in posts if url.endswith("/grant")]) == 1
    assert [len(coupons_of(stack, user, template["id"])) for user in users] == [1, 1, 1]
    expect(view.locator("#grant-results tbody tr")).to_have_count(3)
    session.shot(page, f"grants-csv-{lang}")

    # The result table downloads as CSV: UTF-8 with a BOM, translated columns, the file's name column
    with page.expect_download() as download:
        view.locator("#grant-download").click()
    raw = Path(download.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert download.value.suggested_filename.startswith(f"grants-{template['id']}-")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == words["header"]
    by_user = {row[0]: row for row in rows[1:]}
    assert sorted(by_user) == sorted(users)
    for user in users:
        assert by_user[user][1:2] == [words["granted"]] and by_user[user][2]  # the coupon's id
        assert by_user[user][3:] == [names[user]]


def test_every_dialog_opens_with_the_focus_and_closes_by_esc_or_its_button(stack, session):
    http, ops = http_session(), headers_for("ops-dialogs", operator=True)
    tag = uuid.uuid4().hex[:6]
    draft = http.post(f"{stack.api_url}/admin/templates", json=template_body(name=f"Dialog {tag}"),
                      headers=ops, timeout=30).json()
    rule = http.post(f"{stack.api_url}/admin/rebate-rules", json=rule_body(name=f"Dialog rule {tag}"),
                     headers=ops, timeout=30).json()
    page = session.page("/console", stack.api_url)
    errors = watch_console(page)
    page.on("dialog", lambda d: d.accept())
    sign_in(page, token("ops-dialogs", ("operator",)))
    row = page.locator("#template-list tbody tr", has_text=draft["name"])
    page.locator("#template-search").fill(draft["name"])
    expect(row).to_have_count(1)
    openers = [
        ("templates", lambda: page.get_by_role("button", name="New template").click(), "#template-dialog", "Name"),
        ("templates", lambda: row.get_by_role("button", name="Edit").click(), "#template-dialog", "Name"),
        ("templates", lambda: row.get_by_role("button", name="Duplicate").click(), "#template-dialog", "Name"),
        ("rules", lambda: page.get_by_role("button", name="New rebate rule").click(), "#rule-dialog", "Name"),
        ("codes", lambda: page.get_by_role("button", name="New code batch").click(), "#codes-dialog", "How many codes"),
    ]
    for section, open_it, selector, first in openers:
        page.locator(f'#tabs a[href="#{section}"]').click()
        for close in ("Escape", "button"):
            open_it()
            dialog = page.locator(selector)
            expect(dialog).to_be_visible()
            expect(dialog.get_by_label(first).first).to_be_focused()
            if session.viewport == "phone":  # full-screen on a phone
                box = dialog.bounding_box()
                assert box is not None and box["width"] == page.viewport_size["width"]
            if close == "Escape":
                page.keyboard.press("Escape")
            else:
                dialog.get_by_role("button", name="Close", exact=True).click()
            expect(page.locator(selector)).to_have_count(0)
    # the rule preview is a dialog of the same kind
    page.locator('#tabs a[href="#rules"]').click()
    page.locator("#rule-list tbody tr", has_text=rule["name"]).get_by_role("button", name="Preview").click()
    expect(page.locator("#rule-preview")).to_be_visible()
    session.shot(page, "rule-preview-dialog")
    page.keyboard.press("Escape")
    expect(page.locator("#rule-preview")).to_have_count(0)
    assert errors == []


def test_dates_are_typed_and_shown_as_year_month_day_in_a_chinese_page_whatever_the_browser(stack, desktop):
    """A datetime-local input follows the browser's language, not the page's: in a Chinese page of
    this (English) Chromium it showed 12/03/2026, 08:03 PM. The console's dates are text as Chinese
    admin pages write them, and a date that does not exist is refused beside its field, unsent."""
    page = desktop.page("/console", stack.api_url, lang="zh")
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    sign_in(page, token("ops-dates", ("operator",)))
    page.get_by_role("button", name="新建优惠券模板").click()
    form = page.locator("#template-form")
    opens = form.get_by_label("开始领取")
    expect(opens).to_have_value(re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$"))
    assert opens.get_attribute("type") == "text"
    form.get_by_label("名称").fill("日期检查")
    form.get_by_label("减免金额（元）").fill("5")
    opens.fill("2026-02-30 10:00")
    form.get_by_role("button", name="创建草稿").click()
    expect(form.locator('[data-field="claim_starts_at"] .field-error')).to_have_text(
        "请按“年-月-日 时:分”填写，如 2026-06-18 20:00。")
    assert posts == []
    desktop.shot(page, "dates-in-chinese")
