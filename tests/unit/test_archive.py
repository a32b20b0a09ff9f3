import pytest

from generator.archive import iso_name, slugify
from generator.build import load_archive
from generator.errors import BuildError
from generator.pages import Page, check_paths
from tests.conftest import FIXTURE_CONTENT


@pytest.mark.parametrize("code, name", [("RUS", "Russia"), ("IRN", "Iran"), ("USA", "United States"),
                                        ("PRK", "North Korea"), ("CHL", "Chile"), ("ZZZ", None)])
def test_party_names_are_readable_short_names(code, name):
    assert iso_name(code) == name


def test_slugs_are_ascii_and_stable():
    assert slugify("Côte d'Ivoire") == "cote-d-ivoire"
    assert slugify("Fixture Liberation Front") == "fixture-liberation-front"


def test_the_archive_cross_links_parties_systems_and_years():
    archive = load_archive(FIXTURE_CONTENT)
    assert list(archive.parties) == ["CHL", "NOR", "XFIX"]
    assert archive.parties["XFIX"].name == "Fixture Liberation Front"
    assert archive.parties["XFIX"].kind == "non-state"
    assert [d.slug for d in archive.imports["NOR"]] == ["2010-xfix-norway-fixture-tank", "undated-chile-norway-fixture-tank"]
    assert list(archive.deals_by_year) == [2001, 2010]
    # Newest order first; a brief with no order date last.
    assert [d.slug for d in archive.deals] == ["2010-xfix-norway-fixture-tank", "2001-norway-chile-fixture-sam",
                                               "undated-chile-norway-fixture-tank"]
    assert archive.categories == ("air-defence", "armoured-vehicles")


def test_two_pages_that_would_write_one_file_are_a_build_error():
    """Paths that differ only in case are one file on a case-insensitive disk (or host)."""
    pages = [Page("/deals/a/", "deal.html"), Page("/systems/x/", "system.html"), Page("/deals/A/", "deal.html")]
    with pytest.raises(BuildError, match=r"two pages would be written to deals/A/index.html: /deals/a/ and /deals/A/"):
        check_paths(pages)
    check_paths(pages[:2])  # no error
