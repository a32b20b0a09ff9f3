"""body.py — checks on a brief's Markdown context before it is rendered.

Raw HTML is never rendered (render.py escapes it), and nh3 drops unsafe links as a second
layer; but a link that would be dropped, or an image that would not show, is the author's
mistake and is reported here, with its line, instead of vanishing from the page.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from generator.errors import ContentError

PLACEHOLDER = "TODO"  # how `archive new` marks text the editor still has to write

SAFE_SCHEMES = ("http", "https", "mailto")
# Inline links and images: [text](destination "title"); reference definitions: [id]: destination
INLINE = re.compile(r"(!?)\[[^\]]*\]\(\s*<?((?:[^()\s>]|\([^()\s]*\))*)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
AUTOLINK = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^>\s]*)>")
# Reference images: ![alt][label], ![alt][] and ![label], images only where the label is defined
REFERENCE_IMAGE = re.compile(r"!\[([^\]]*)\](?:\s?\[([^\]]*)\])?(?!\()")
LABEL = re.compile(r"^\s{0,3}\[([^\]]+)\]:", re.MULTILINE)
SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def check_body(body: str, path: str, first_line: int, field: str = "body") -> list[ContentError]:
    """Every unsafe link and every image in Markdown text, with the line it is on. (Images are
    not rendered at all: the Markdown renderer does not know them, prose.py.)"""
    errors = []
    labels = {label_key(label) for label in LABEL.findall(body)} if "![" in body else set()
    for offset, line in enumerate(body.split("\n")):
        if "[" not in line and "<" not in line:  # what each pattern below needs: most lines of prose
            continue
        number = first_line + offset
        destinations = [(bang, dest) for bang, dest in INLINE.findall(line)]
        destinations += [("", dest) for dest in REFERENCE.findall(line)] + [("", dest) for dest in AUTOLINK.findall(line)]
        destinations += [("!", image.group()) for image in REFERENCE_IMAGE.finditer(line)
                         if label_key(image.group(2) or image.group(1)) in labels]
        for bang, destination in destinations:
            if bang:
                errors.append(ContentError(path, number, field, f'images are not supported in briefs ("{destination}"); link to the image instead'))
            problem = link_problem(destination)
            if problem:
                errors.append(ContentError(path, number, field, problem))
    return errors


def label_key(label: str) -> str:
    """A reference label as Markdown matches it: case and runs of white space do not count."""
    return " ".join(label.split()).lower()


def link_problem(destination: str) -> str | None:
    """Why a link destination is not allowed, or None if it is fine."""
    address = destination.strip()
    scheme = SCHEME.match(address)
    if scheme and scheme.group(1).lower() not in SAFE_SCHEMES:
        return f'link "{destination}" uses the scheme "{scheme.group(1)}:"; only http, https, mailto and links within the site are allowed'
    malformed = address_problem(address)
    if malformed:
        return f'link "{destination}" is not a valid address ({malformed})'
    return None


def address_problem(address: str) -> str | None:
    """Why an address cannot be taken apart (a square bracket in its host that holds no IPv6
    address, a port that is not a number), in urllib's words; None if it can."""
    try:
        urlsplit(address).port
    except ValueError as exc:
        return str(exc)
    return None


def check_placeholders(body: str, path: str, first_line: int) -> list[ContentError]:
    """Every line of a brief's context that is still a placeholder from `archive new`."""
    return [ContentError(path, first_line + offset, "body",
                         f'still the placeholder written by "archive new" ("{line.strip()[:60]}"); replace it with the text')
            for offset, line in enumerate(body.split("\n")) if line.lstrip().startswith(PLACEHOLDER)]
