"""Reference names in the reader's language: ISO 3166-1 country names come from
pycountry's own catalogues of the ISO names, and sort as a reader of that language
expects."""

from django.utils import translation

from core import reference


def test_country_names_follow_the_active_language():
    assert dict(reference.country_choices())["DE"] == "Germany"
    with translation.override("de"):
        names = dict(reference.country_choices())
        assert names["DE"] == "Deutschland"
        assert names["BE"] == "Belgien"
    assert dict(reference.country_choices())["BE"] == "Belgium"


def test_german_country_names_file_umlauts_with_their_letter():
    with translation.override("de"):
        order = [name for _, name in reference.country_choices()]
    assert order.index("Ägypten") < order.index("Albanien")  # Ä files as A, before Al
    assert order.index("Oman") < order.index("Österreich") < order.index("Pakistan")
