"""The pages' message catalogues (chalicelib/console/static/shared/messages-*.js, issue 19): both
languages have the same keys and no empty value, every key the pages name exists, every API error
code has a sentence, and no visible string in the markup or the modules bypasses the catalogue (a
static check of the sources; tests/browser/test_browser_i18n.py checks the rendered pages)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from chalicelib import errors
from tests.i18n_helpers import LANGUAGES, STATIC, catalogue, english_words

MODULES = sorted(p for p in STATIC.glob("*/*.js") if not p.name.startswith("messages-"))
PAGES = sorted(STATIC.glob("*/index.html"))


def test_both_catalogues_have_the_same_keys():
    zh, en = catalogue("zh"), catalogue("en")
    assert sorted(set(zh) ^ set(en)) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_message_is_empty_and_every_parameter_is_in_both_languages(lang):
    own, other = catalogue(lang), catalogue("en" if lang == "zh" else "zh")
    assert [key for key, value in own.items() if not value.strip()] == []
    params = re.compile(r"\{(\w+)\}")
    differing = [key for key in own if set(params.findall(own[key])) != set(params.findall(other.get(key, "")))]
    assert differing == []


def test_the_chinese_catalogue_is_chinese():
    """A Chinese message has no English word in it (tests/i18n_helpers.py: the abbreviations listed
    there and the parts of example ids and codes are not words)."""
    english = {key: english_words(re.sub(r"\{\w+\}", " ", value)) for key, value in catalogue("zh").items()}
    assert {key: words for key, words in english.items() if words} == {}


def names_in_sources() -> set[str]:
    """The keys the modules and the markup name literally: t("key"), t(`prefix.${x}`) as a prefix."""
    keys = set()
    for module in MODULES:
        keys |= set(re.findall(r'(?<![\w.])t\("([^"]+)"', module.read_text(encoding="utf-8")))
        keys |= {f"@{k}" for k in re.findall(r'"@([\w.-]+)"', module.read_text(encoding="utf-8"))}
    for page in PAGES:
        keys |= set(re.findall(r'data-i18n(?:-[a-z-]+)?="([^"]+)"', page.read_text(encoding="utf-8")))
    return keys


def test_every_key_the_pages_name_is_in_the_catalogue():
    known = set(catalogue("en"))
    named = {key.removeprefix("@") for key in names_in_sources()}
    assert sorted(named - known) == []


def test_every_api_error_code_has_a_sentence():
    codes = {cls.code for cls in vars(errors).values()
             if isinstance(cls, type) and issubclass(cls, errors.DomainError)}
    known = set(catalogue("en"))
    assert sorted(code for code in codes if f"error.{code}" not in known) == []


class Visible(HTMLParser):
    """Text and text attributes of a page's markup, outside <code> (commands to copy) and <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("code", "script", "style"):
            self.skipping += 1
        for name, value in attrs:
            if name in ("placeholder", "title", "aria-label", "alt") and value and re.search(r"[A-Za-z\u4e00-\u9fff]", value):
                self.found.append(f"{name}={value}")

    def handle_endtag(self, tag):
        if tag in ("code", "script", "style"):
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.found.append(data.strip())


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.parent.name)
def test_the_markup_has_no_words_of_its_own(page):
    """Every visible string of index.html is filled from the catalogue (data-i18n attributes)."""
    parser = Visible()
    parser.feed(page.read_text(encoding="utf-8"))
    assert parser.found == []


# A literal that reads as words to a person: Chinese, or two Latin words the first capitalised
# ("Load more"), or a sentence ("…no more.") — not a CSS class, a path, an id, a key or a selector.
WORDS = re.compile(r"[\u4e00-\u9fff]|\b[A-Z][a-z]+ [a-z]+\b|[a-z]+ [a-z]+[.?!…]$|^[A-Z][a-z]{2,}$")
LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`')
# Strings that are not shown: HTTP, attribute and element names, the Authorization scheme, key names.
NOT_SHOWN = {"Bearer", "Authorization", "Content-Type", "Idempotency-Key", "X-Next-Cursor", "GET", "POST", "Enter"}


def shown_literals(source: str) -> list[str]:
    code = "\n".join(line for line in source.splitlines()
                     if not line.lstrip().startswith(("//", "*", "import ")))
    code = re.sub(r"//[^\n\"'`]*$", "", code, flags=re.M)  # a comment after code
    found = []
    for match in LITERAL.finditer(code):
        text = match[1] if match[1] is not None else re.sub(r"\$\{[^}]*\}", " ", match[2])
        if text in NOT_SHOWN or text.startswith("Bearer "):
            continue
        if WORDS.search(text.strip()):
            found.append(text)
    return found


@pytest.mark.parametrize("module", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_module_shows_words_of_its_own(module):
    """Visible words come from t(key): a module's string literals are keys, classes, paths and ids."""
    assert shown_literals(module.read_text(encoding="utf-8")) == []


def test_the_static_check_finds_a_string_that_bypasses_the_catalogue():
    assert shown_literals('h("button", {}, "Load more");') == ["Load more"]
    assert shown_literals("say(status, `Claimed ${name}: it is in your wallet.`);") != []
    assert shown_literals('h("p", {}, "领取");') == ["领取"]
    assert shown_literals('h("p", { class: "notice error" }, t("cart.empty"));') == []


# The models behind the pages' forms, and their rules across fields that no form can break (the
# shape of `validity` and `scope` is built by the form itself).
FORM_MODELS = ["coupons/models.py", "rebates/models.py", "rebates/support_models.py", "rebates/withdrawal_models.py"]
SHAPES = ("validity must be either", "scope must be one of")


def cross_field_rules() -> list[tuple[re.Pattern[str], str, str]]:
    """i18n.js CROSS_FIELD: [/pattern/, "field", "key"] a line."""
    source = (STATIC / "shared" / "i18n.js").read_text(encoding="utf-8")
    return [(re.compile(pattern), field, key)
            for pattern, field, key in re.findall(r'^  \[/(.+)/, "([^"]+)", "([^"]+)"\],$', source, re.M)]


def test_every_rule_across_fields_of_a_form_is_shown_beside_a_field_in_words():
    root = Path(errors.__file__).parent
    messages = [message for path in FORM_MODELS
                for message in re.findall(r'raise ValueError\("([^"]+)"\)', (root / path).read_text(encoding="utf-8"))
                if not message.startswith(SHAPES)]
    rules = cross_field_rules()
    assert len(messages) >= 15 and rules
    unmapped = [m for m in messages if not any(pattern.search(f"Value error, {m}") for pattern, _, _ in rules)]
    assert unmapped == []
    known = set(catalogue("en"))
    assert [key for _, _, key in rules if key not in known] == []
