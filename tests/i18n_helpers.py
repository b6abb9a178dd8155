"""The pages' message catalogues as the tests read them (chalicelib/console/static/shared/
messages-<lang>.js, issue 19), and the few Latin words a Chinese page may show."""

from __future__ import annotations

import json
import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "chalicelib" / "console" / "static"
LANGUAGES = ("zh", "en")
ENTRY = re.compile(r'^  ("(?:[^"\\]|\\.)+"): ("(?:[^"\\]|\\.)*"),$')

# The Latin words a Chinese page may show: abbreviations Chinese operators use as they are, the
# name of the other language, an example code, the API's path and a user id in an example.
LATIN_IN_CHINESE = {"ID", "CSV", "SKU", "JWT", "Bearer", "A-Z", "English", "admin", "ops"}


def catalogue(lang: str) -> dict[str, str]:
    """messages-<lang>.js: `export default {` then one `"key": "value",` a line, then `};`."""
    lines = (STATIC / "shared" / f"messages-{lang}.js").read_text(encoding="utf-8").splitlines()
    body = [line for line in lines if not line.startswith("//")]
    assert body[0] == "export default {" and body[-1] == "};", "a catalogue is one object literal"
    entries: dict[str, str] = {}
    for line in body[1:-1]:
        match = ENTRY.match(line)
        assert match, f"not a catalogue entry: {line!r}"
        key, value = json.loads(match[1]), json.loads(match[2])
        assert key not in entries, f"{key} twice"
        entries[key] = value
    return entries


def english_words(text: str) -> list[str]:
    """The words of a text shown on a Chinese page that are English: runs of Latin letters alone,
    not the listed abbreviations, and not parts of ids, amounts or codes (a token with a digit or
    one of _ . @ : - / * in it is an id, a user id, a masked account or a number)."""
    found = []
    for token in re.split(r"[^A-Za-z0-9_.@:\-/*]+", text):
        token = token.strip(".:")
        if re.fullmatch(r"[A-Za-z]+", token) and token not in LATIN_IN_CHINESE:
            found.append(token)
    return found
