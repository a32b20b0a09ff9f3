"""Unit tests for pages.py: what a long listing's pager shows; which briefs are nearest in time."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.pages import nearest, pager_numbers


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
