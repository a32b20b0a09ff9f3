"""Unit tests for pages.py: where a long listing's pages end and what its pager shows; which
briefs are nearest in time."""

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator import pages
from generator.pages import nearest, order_month, page_starts, pager_numbers


# A brief as a listing sorts it (Deal.sort_key): undated last; newest order first; then by slug.
# Few months and years, so that many briefs share one and pages must grow to reach its end.
brief = st.one_of(
    st.tuples(st.just(False), st.tuples(st.integers(-2003, -2000), st.integers(-3, 0), st.integers(-2, 0))),
    st.tuples(st.just(True), st.just(())),
).map(lambda key: key + (None,))


def listing(keys: list[tuple]) -> tuple:
    """Briefs with these sort keys, in the archive's order, each with a slug of its own."""
    keys = [(undated, order, f"brief-{number:03d}") for number, (undated, order, _) in enumerate(keys)]
    return tuple(SimpleNamespace(sort_key=key, slug=key[2]) for key in sorted(keys))


def pages_of(deals: tuple) -> list[list[str]]:
    starts = page_starts(deals)
    return [[deal.slug for deal in deals[start:end]] for start, end in zip(starts, [*starts[1:], len(deals)])]


@given(keys=st.lists(brief, max_size=120), per_page=st.integers(1, 12), more=st.integers(0, 8))
def test_a_listing_page_ends_at_the_end_of_a_month_unless_it_would_grow_too_long(keys, per_page, more):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pages, "PER_PAGE", per_page)
        patch.setattr(pages, "MOST_PER_PAGE", per_page + more)
        deals = listing(keys)
        starts = page_starts(deals)
    assert starts[0] == 0 and starts == sorted(set(starts)) and (not deals or starts[-1] < len(deals))
    for start, end in zip(starts, starts[1:]):
        assert per_page <= end - start <= per_page + more
        if end - start < per_page + more:  # ended early: where the next row is of another month
            assert order_month(deals[end - 1]) != order_month(deals[end])
        # and no later than that: past PER_PAGE rows, only the rest of one month
        assert {order_month(deal) for deal in deals[start + per_page - 1:end]} == {order_month(deals[start + per_page - 1])}
    assert len(deals) - starts[-1] <= per_page + more or not deals


@given(keys=st.lists(brief, min_size=1, max_size=120), added=brief)
def test_a_brief_added_to_a_listing_leaves_the_pages_before_its_own_as_they_were(keys, added):
    """And the pages after it, unless its page now ends elsewhere (test_incremental has a site
    where it does not)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pages, "PER_PAGE", 5)
        patch.setattr(pages, "MOST_PER_PAGE", 8)
        before, after = pages_of(listing(keys)), pages_of(listing([*keys, added]))
    new = f"brief-{len(keys):03d}"
    landed = next(number for number, page in enumerate(after) if new in page)
    assert after[:landed] == before[:landed]
    if landed < len(before) and len(after[landed]) - 1 == len(before[landed]) and [s for s in after[landed] if s != new] == before[landed]:
        assert after[landed + 1:] == before[landed + 1:]


@pytest.mark.parametrize("number, count, shown", [
    (1, 1, [1]),
    (1, 3, [1, 2, 3]),
    (1, 51, [1, 2, 3, None, 51]),
    (4, 51, [1, 2, 3, 4, 5, 6, None, 51]),  # a gap of one page shows the page
    (5, 51, [1, 2, 3, 4, 5, 6, 7, None, 51]),
    (6, 51, [1, None, 4, 5, 6, 7, 8, None, 51]),
    (20, 51, [1, None, 18, 19, 20, 21, 22, None, 51]),
    (49, 51, [1, None, 47, 48, 49, 50, 51]),
    (51, 51, [1, None, 49, 50, 51]),
    (3, 7, [1, 2, 3, 4, 5, 6, 7]),
])
def test_a_pager_shows_the_ends_and_the_pages_near_the_current_one(number, count, shown):
    assert pager_numbers(number, count) == shown


def test_every_page_of_a_long_listing_is_one_step_from_a_shown_one():
    for count in range(1, 40):
        for number in range(1, count + 1):
            shown = pager_numbers(number, count)
            numbers = [page for page in shown if page is not None]
            assert numbers == sorted(set(numbers)) and numbers[0] == 1 and numbers[-1] == count and number in numbers
            assert all(page is not None or (shown[i + 1] - shown[i - 1] > 2) for i, page in enumerate(shown))
            assert len(shown) <= 9


@given(years=st.lists(st.integers(0, 12), max_size=40), year=st.integers(0, 12), count=st.integers(1, 6),
       excluded=st.sets(st.integers(0, 39), max_size=10))
def test_the_nearest_briefs_are_those_a_full_ranking_puts_first(years, year, count, excluded):
    # Years in a narrow range, so many briefs tie on their distance and the slug decides.
    entries = sorted((y, f"brief-{i:02d}", object()) for i, y in enumerate(years))
    excluded = {f"brief-{i:02d}" for i in excluded}
    ranked = sorted((abs(y - year), slug, brief) for y, slug, brief in entries if slug not in excluded)
    assert nearest(entries, year, count, excluded) == ranked[:count]
