"""Find text in a template that is not marked for translation.

A template is read with Django's own lexer: text inside `{% translate %}`,
`{% blocktranslate %}` and comments is marked; every other text token is parsed as HTML
and its visible words (element text and the attributes a reader or a screen reader
meets: title, aria-label, alt, placeholder, content) are what a German reader would see
in English. Template tags and variables become a placeholder, so `{{ course.title }}`
is never counted as text.

Run as a script to list what is left: `python -m tests.i18n.untranslated [template ...]`.
"""

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import Lexer, TokenType

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
PLACEHOLDER = "\x00"
VISIBLE_ATTRIBUTES = {"title", "aria-label", "alt", "placeholder", "content", "label"}
# Names and codes that read the same in every language.
KEEP = {
    "API",
    "ATOM",
    "CSV",
    "DEQAR",
    "DID",
    "ECTS",
    "ELM",
    "EQF",
    "EU",
    "HTTP",
    "ICS",
    "ID",
    "ISCED-F",
    "ISCED",
    "ISO",
    "JSON",
    "JWT",
    "JSON-LD",
    "LEI",
    "PDF",
    "SVG",
    "UTC",
    "URL",
    "VC",
    "VC-JWT",
    "W3C",
    "ESCO",
    "ENQA",
    "EQAR",
    "ESG",
    "MCQA",
    "OK",
    "Europass",
    "Deutsch",
    "English",
    "Atom",
}
WORD = re.compile(r"[A-Za-zÄÖÜäöüß][A-Za-zÄÖÜäöüß\-']+")
OPENERS = ("blocktrans", "blocktranslate", "comment")
CLOSERS = ("endblocktrans", "endblocktranslate", "endcomment")


class _Visible(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and value and not (tag == "meta" and name == "content"):
                self.found.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.found.append(data)


def english_words(text):
    """The words of `text` that would need a translation."""
    words = []
    for piece in text.split(PLACEHOLDER):
        for word in WORD.findall(piece):
            if word in KEEP or word.upper() in KEEP:
                continue
            words.append(word)
    return words


def untranslated(source):
    """Each visible text of a template source that is not marked, as a list of strings."""
    marked_depth = 0
    flat = []
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents.split() else ""
            if name in OPENERS:
                marked_depth += 1
            elif name in CLOSERS:
                marked_depth = max(0, marked_depth - 1)
            flat.append(PLACEHOLDER)
        elif token.token_type == TokenType.TEXT and not marked_depth:
            flat.append(token.contents)
        else:
            flat.append(PLACEHOLDER)
    parser = _Visible()
    parser.feed("".join(flat))
    parser.close()
    return [
        " ".join(text.replace(PLACEHOLDER, " ").split())
        for text in parser.found
        if english_words(text)
    ]


def template_files():
    return sorted(path for path in TEMPLATES.rglob("*") if path.suffix in (".html", ".txt", ".svg"))


def main(argv):
    paths = [Path(a).resolve() for a in argv] or template_files()
    left = 0
    for path in paths:
        for text in untranslated(path.read_text()):
            left += 1
            print(f"{path.relative_to(ROOT)}: {text[:120]}")
    print(f"{left} untranslated text(s)", file=sys.stderr)
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
