"""Property: whatever a careless or hostile edit does to a valid brief, the answer is either a
built archive or a list of ContentErrors with file and line; never a crash."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.build import check
from generator.errors import ContentErrors
from tests.conftest import FIXTURE_CONTENT

BRIEF = "deals/2001-norway-chile-fixture-sam.md"
ORIGINAL = (FIXTURE_CONTENT / BRIEF).read_bytes()
LINES = ORIGINAL.split(b"\n")

# Pieces that YAML, Markdown and our checks treat specially.
TRICKY = [b"\t", b"\r", b"\xef\xbb\xbf", b"\xff", b"\x00", b"---", b"&a", b"*a", b"!!str", b"<<: {}", b"? ",
          b"- ", b": ", b"[", b"{", b"NO", b"1:20", b"2007-02-30", b"null", b"~", b"\xe2\x80\xae", b"'", b'"',
          b"<script>", b"](javascript:x)", b"#", b"|", b">", b"%YAML 1.2", b"..."]

line_index = st.integers(min_value=0, max_value=len(LINES) - 1)
fragment = st.one_of(st.sampled_from(TRICKY), st.binary(max_size=12),
                     st.text(max_size=12).map(lambda t: t.encode("utf-8", "surrogatepass")))
mutation = st.one_of(
    st.tuples(st.just("delete"), line_index, st.just(b"")),
    st.tuples(st.just("duplicate"), line_index, st.just(b"")),
    st.tuples(st.just("insert"), line_index, fragment),
    st.tuples(st.just("replace"), line_index, fragment),
    st.tuples(st.just("indent"), line_index, st.sampled_from([b" ", b"  ", b"\t"])),
)


def mutate(lines: list[bytes], operation: str, index: int, piece: bytes) -> list[bytes]:
    lines = list(lines)
    if operation == "delete":
        del lines[index]
    elif operation == "duplicate":
        lines.insert(index, lines[index])
    elif operation == "insert":
        column = len(lines[index]) // 2
        lines[index] = lines[index][:column] + piece + lines[index][column:]
    elif operation == "replace":
        lines[index] = piece
    else:
        lines[index] = piece + lines[index]
    return lines


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutation, min_size=1, max_size=4))
def test_mutated_briefs_give_content_errors_never_a_crash(mutations):
    lines = LINES
    for operation, index, piece in mutations:
        if lines:
            lines = mutate(lines, operation, min(index, len(lines) - 1), piece)
    with tempfile.TemporaryDirectory() as folder:
        content = Path(folder) / "content"
        shutil.copytree(FIXTURE_CONTENT, content)
        (content / BRIEF).write_bytes(b"\n".join(lines))
        try:
            check(content)
        except ContentErrors as problems:
            assert problems.errors
            assert all(error.path.startswith("content/") for error in problems.errors)
