"""Unit tests for keys.py: a page context's digest tells contexts apart, whichever way it is taken."""

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from generator.keys import digest_of

# Page contexts as the planner makes them, but for briefs: strings and numbers, in lists and in
# dicts (a list of strings or a dict of strings to strings is taken in one pass, see keys._feed).
values = st.recursive(st.one_of(st.text(max_size=8), st.integers()),
                      lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=8), inner, max_size=5)),
                      max_leaves=25)


def tokens(value) -> list[str]:
    """The digest's input, item by item, as keys.py documents it."""
    if isinstance(value, list):
        return ["[", *[token for item in value for token in tokens(item)], "]"]
    if isinstance(value, dict):
        return ["{", *[token for key, item in value.items() for token in tokens(key) + tokens(item)], "}"]
    return [f"{type(value).__name__}:{value!r}"]


@given(values)
def test_a_context_s_digest_is_of_its_items_one_by_one(value):
    assert digest_of(value, {}) == hashlib.sha256("\x1f".join(tokens(value)).encode("utf-8")).hexdigest()


@given(values, values)
def test_two_contexts_have_one_digest_only_if_they_are_equal(a, b):
    assert (digest_of(a, {}) == digest_of(b, {})) == (a == b)
