"""The German translation is complete: every template text is marked, every marked
string has a German entry, and the committed compiled catalogues are the current ones.

The catalogues are checked with GNU gettext's own tools (xgettext through Django's
makemessages, msgfmt) and read back with Python's gettext module, not with our code.
"""

import gettext
import os
import re
import shutil
import subprocess

import pytest
from django.core.management import call_command

from tests.i18n.untranslated import ROOT, template_files, untranslated

LOCALE = ROOT / "locale"
DOMAINS = ("django", "djangojs")
IGNORE = [
    "var/*",
    "tests/*",
    "bench/*",
    "bench-results/*",
    "test-artifacts/*",
    "site-export/*",
    "scripts/*",
]


@pytest.mark.parametrize("path", template_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_template_text_is_marked_for_translation(path):
    assert untranslated(path.read_text()) == []


def _statistics(po):
    done = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=True,
    )
    counts = dict.fromkeys(("translated", "fuzzy", "untranslated"), 0)
    for number, kind in re.findall(r"(\d+) (translated|fuzzy|untranslated)", done.stderr):
        counts[kind] = int(number)
    return counts


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The catalogues as makemessages makes them now, in a copy of locale/."""
    from django.test import override_settings

    copy = tmp_path_factory.mktemp("locale") / "locale"
    shutil.copytree(LOCALE, copy)
    here = os.getcwd()
    os.chdir(ROOT)  # makemessages reads the tree below the working directory
    try:
        with override_settings(LOCALE_PATHS=[copy]):
            for domain in DOMAINS:
                call_command(
                    "makemessages",
                    locale=["de"],
                    domain=domain,
                    no_obsolete=True,
                    add_location="file",
                    ignore_patterns=IGNORE,
                    verbosity=0,
                )
    finally:
        os.chdir(here)
    return copy / "de" / "LC_MESSAGES"


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_marked_string_has_a_german_translation(extracted, domain):
    counts = _statistics(extracted / f"{domain}.po")
    assert counts["translated"] > 0
    assert counts["fuzzy"] == 0
    assert counts["untranslated"] == 0


def _catalog(mo):
    with open(mo, "rb") as handle:
        return {
            key: value for key, value in gettext.GNUTranslations(handle)._catalog.items() if key
        }


@pytest.mark.parametrize("domain", DOMAINS)
def test_committed_catalogue_is_the_current_one(extracted, tmp_path, domain):
    compiled = tmp_path / f"{domain}.mo"
    subprocess.run(["msgfmt", "-o", str(compiled), str(extracted / f"{domain}.po")], check=True)
    committed = LOCALE / "de" / "LC_MESSAGES" / f"{domain}.mo"
    assert _catalog(committed) == _catalog(compiled), "run `make messages` and commit locale/"
