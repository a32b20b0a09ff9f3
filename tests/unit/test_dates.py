import pytest

from generator.dates import PartialDate


@pytest.mark.parametrize("text, shown, iso", [
    ("2007", "2007", "2007"),
    ("2007-01", "January 2007", "2007-01"),
    ("2007-01-16", "16 January 2007", "2007-01-16"),
])
def test_dates_keep_their_precision(text, shown, iso):
    date = PartialDate.parse(text)
    assert date.display() == shown
    assert date.iso() == iso


def test_circa_is_shown():
    assert PartialDate.parse("2005", circa=True).display() == "c. 2005"


@pytest.mark.parametrize("text, message", [
    ("Jan 2007", 'expected a date like 2007, 2007-01 or 2007-01-16, got "Jan 2007"'),
    ("2007-13", 'there is no month 13 in "2007-13"'),
    ("2007-02-29", "there is no day 29 in February 2007"),
    ("2007-1-5", 'expected a date like 2007, 2007-01 or 2007-01-16, got "2007-1-5"'),
    ("0999", "year 999 is out of range"),
])
def test_impossible_or_malformed_dates_are_refused(text, message):
    with pytest.raises(ValueError) as caught:
        PartialDate.parse(text)
    assert str(caught.value) == message


def test_leap_day_is_accepted():
    assert PartialDate.parse("2008-02-29").day == 29


def test_less_precise_dates_sort_first_within_their_period():
    texts = ["2007-01-16", "2006", "2007", "2007-01", "2006-12-31"]
    ordered = sorted((PartialDate.parse(t) for t in texts), key=PartialDate.sort_key)
    assert [d.iso() for d in ordered] == ["2006", "2006-12-31", "2007", "2007-01", "2007-01-16"]
