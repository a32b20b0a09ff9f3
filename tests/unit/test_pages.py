"""Unit tests for pages.py's page numbers: what a long listing's pager shows."""

import pytest

from generator.pages import pager_numbers


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
