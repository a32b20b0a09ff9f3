"""loader.py — stage 1: read content/ into RawRecords, YAML trees that remember their lines.

YAML is read event by event with libyaml's C parser (pure Python where libyaml is missing), and
turned into a small tree of YMap / YSeq / YScalar nodes. Scalars keep their source text and
what YAML would have made of them, so the validator decides what a value means: YAML's own
guesses (`NO` as false, `1:20` as 80, unquoted dates) never change a brief silently.
Anything YAML-clever (tags, anchors, aliases, merge keys, several documents, duplicate keys)
is reported as a ContentError; every problem of every file is collected.
"""

from __future__ import annotations

import os

import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import yaml

from generator.errors import ContentError, display_path

Parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
RESOLVER = yaml.resolver.Resolver()
# The resolver tries the implicit types (bool, int, float, null, timestamp…) that can start with a
# scalar's first character; a plain scalar starting with any other is a string.
TYPED_STARTS = frozenset(RESOLVER.yaml_implicit_resolvers)
DEAL_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SYSTEM_SLUG = DEAL_SLUG
PARTY_CODE = re.compile(r"[A-Z]{3}|X[A-Z0-9]{2,11}")
MAX_FILE_BYTES = 1_000_000


class YScalar:
    """A scalar as written: its text, its line, whether it was quoted, and (on demand) what
    YAML would have made of it: str, int, float, bool, null or timestamp."""

    __slots__ = ("text", "line", "quoted", "_tag")

    def __init__(self, text: str, line: int, quoted: bool, tag: str | None = None):
        self.text, self.line, self.quoted, self._tag = text, line, quoted, tag

    @property
    def tag(self) -> str:
        # Resolved lazily: most scalars are read as text and never need YAML's guess.
        if self._tag is None:
            if self.quoted or self.text[:1] not in TYPED_STARTS:  # as the resolver would say, five times faster
                self._tag = "str"
            else:
                resolved = RESOLVER.resolve(yaml.ScalarNode, self.text, (True, False))
                self._tag = resolved.rsplit(":", 1)[-1]
        return self._tag

    def __eq__(self, other: object) -> bool:
        return isinstance(other, YScalar) and (self.text, self.line, self.quoted, self.tag) == (
            other.text, other.line, other.quoted, other.tag)

    def __repr__(self) -> str:
        return f"YScalar({self.text!r}, line={self.line}, quoted={self.quoted})"


class YSeq:
    __slots__ = ("items", "line")

    def __init__(self, items: list[YNode], line: int):
        self.items, self.line = items, line


class YMap:
    __slots__ = ("items", "line")

    def __init__(self, items: dict[str, tuple[int, YNode]], line: int):
        # key -> (line of the key, value node); insertion order is the file's order
        self.items, self.line = items, line


YNode = YScalar | YSeq | YMap


@dataclass
class RawRecord:
    """One content file: its kind, its slug, its YAML tree and (for briefs) the Markdown body."""

    kind: str  # "site", "deal", "system", "country"
    slug: str
    path: str  # as displayed in messages, relative to the project
    data: YMap | None = None  # None when the file could not be read; its errors say why
    body: str = ""
    body_line: int = 0


class _TreeBuilder:
    """Builds a YNode tree from parser events, collecting problems instead of stopping.

    This is the loader's hot loop (a brief is about 280 events), so it dispatches on the event's
    class, makes a plain scalar (no anchor, no tag: nearly every event) where it finds one rather
    than through node(), and builds a field path only when there is a problem to report.
    """

    def __init__(self, path: str, line_offset: int):
        self.path = path
        self.offset = line_offset + 1  # libyaml counts lines from 0
        self.errors: list[ContentError] = []
        self.keys: list[str | int] = []  # the path from the root to the node being built

    def field(self) -> str:
        return "".join(f"[{key}]" if key.__class__ is int else f".{key}" if index else key
                       for index, key in enumerate(self.keys))

    def error(self, mark, message: str) -> None:
        self.errors.append(ContentError(self.path, mark.line + self.offset, self.field(), message))

    def build(self, text: str) -> YNode | None:
        parser = Parser(text)
        # Calling the C parser directly, not through yaml.parse's generator, halves the overhead.
        events = iter(parser.get_event, None)
        root: YNode | None = None
        documents = 0
        for event in events:
            kind = event.__class__
            if kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    self.error(event.start_mark, "only one YAML document is allowed here; remove the extra '---'")
                    break
            elif kind in NODE_EVENTS:
                root = self.node(event, events)
        return root

    def node(self, event, events) -> YNode:
        kind = event.__class__
        if kind is yaml.AliasEvent:
            self.error(event.start_mark, f"YAML aliases (*{event.anchor}) are not allowed; write the value out")
            return YScalar("", event.start_mark.line + self.offset, False, "null")
        if event.anchor is not None:
            self.error(event.start_mark, f"YAML anchors (&{event.anchor}) are not allowed; write the value out")
        if event.tag is not None and not (kind is ScalarEvent and event.tag == "!"):
            self.error(event.start_mark, f"YAML tags ({event.tag}) are not allowed")
        line = event.start_mark.line + self.offset
        if kind is ScalarEvent:
            return YScalar(event.value, line, bool(event.style))
        if kind is yaml.SequenceStartEvent:
            return self.sequence(events, line)
        return self.mapping(events, line)

    def sequence(self, events, line: int) -> YSeq:
        items: list[YNode] = []
        offset, keys = self.offset, self.keys
        for event in events:
            kind = event.__class__
            if kind is ScalarEvent and event.anchor is None and event.tag is None:
                items.append(YScalar(event.value, event.start_mark.line + offset, bool(event.style)))
            elif kind is SequenceEndEvent:
                return YSeq(items, line)
            else:
                keys.append(len(items))
                items.append(self.node(event, events))
                keys.pop()
        raise AssertionError("unbalanced YAML events")  # libyaml guarantees balance

    def mapping(self, events, line: int) -> YMap:
        items: dict[str, tuple[int, YNode]] = {}
        offset, keys = self.offset, self.keys
        for key_event in events:
            kind = key_event.__class__
            if kind is MappingEndEvent:
                return YMap(items, line)
            if kind is ScalarEvent and key_event.anchor is None and key_event.tag is None:
                key, key_line, quoted = key_event.value, key_event.start_mark.line + offset, bool(key_event.style)
            else:
                key_node = self.node(key_event, events)
                key, key_line, quoted = ((key_node.text, key_node.line, key_node.quoted)
                                         if key_node.__class__ is YScalar else ("?", 0, None))
            event = next(events)
            if event.__class__ is ScalarEvent and event.anchor is None and event.tag is None:
                value = YScalar(event.value, event.start_mark.line + offset, bool(event.style))
            else:
                keys.append(key)
                value = self.node(event, events)
                keys.pop()
            if quoted is None or (key == "<<" and not quoted) or key in items:
                self.key_error(key, quoted, key_event.start_mark, items)
            else:
                items[key] = (key_line, value)
        raise AssertionError("unbalanced YAML events")

    def key_error(self, key: str, quoted: bool | None, mark, items: dict[str, tuple[int, YNode]]) -> None:
        """Report a key that is not kept: not a scalar (quoted None), a merge key, or a duplicate."""
        if quoted is False and key == "<<":
            self.error(mark, "YAML merge keys (<<) are not allowed; write the fields out")
            return
        self.keys.append(key)
        self.error(mark, "a key must be a plain name" if quoted is None
                   else f"duplicate key; it is already set on line {items[key][0]}")
        self.keys.pop()


ScalarEvent, SequenceEndEvent, MappingEndEvent = yaml.ScalarEvent, yaml.SequenceEndEvent, yaml.MappingEndEvent
NODE_EVENTS = (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent, yaml.AliasEvent)


def parse_yaml(text: str, path: str, line_offset: int = 0) -> tuple[YNode | None, list[ContentError]]:
    """Parse one YAML document into a YNode tree; return it with every problem found."""
    builder = _TreeBuilder(path, line_offset)
    try:
        root = builder.build(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark else 0
        problem = exc.problem or "is not valid YAML"
        return None, [*builder.errors, ContentError(path, line, "", f"invalid YAML: {problem}")]
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1 + line_offset
        character = exc.character if isinstance(exc.character, int) else ord(exc.character)
        message = f"contains a control character (U+{character:04X}) that YAML does not allow; remove it"
        return None, [*builder.errors, ContentError(path, line, "", message)]
    return root, builder.errors


def read_text(file: Path, path: str, data: bytes | None = None) -> tuple[str | None, list[ContentError]]:
    """Read a file as UTF-8 text with '\\n' line ends, or say why it cannot be read. `data`, when
    given, is the file's bytes as the caller already read them."""
    if file.is_symlink():
        return None, [ContentError(path, 0, "", "symbolic links are not allowed in content/; copy the file instead")]
    if data is None:
        data = file.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        limit = f"{MAX_FILE_BYTES:,}"
        return None, [ContentError(path, 0, "", f"file is {len(data):,} bytes; the limit is {limit}")]
    if data.startswith(b"\xef\xbb\xbf"):
        return None, [ContentError(path, 1, "", "file starts with a byte-order mark (BOM); save it as UTF-8 without BOM")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [ContentError(path, line, "", f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8")]
    # Normalise Windows and old Mac line ends; each one still ends exactly one line.
    return text.replace("\r\n", "\n").replace("\r", "\n"), []


def split_front_matter(text: str, path: str) -> tuple[str, str, int, list[ContentError]]:
    """Split a brief into (YAML, Markdown body, first line of the body, problems)."""
    lines = text.split("\n")
    if not text.strip():
        return "", "", 0, [ContentError(path, 1, "", "file is empty; a brief starts with '---' and its front matter")]
    if lines[0].rstrip() != "---":
        return "", "", 0, [ContentError(path, 1, "", "expected front matter: the file must start with a line '---'")]
    for number, line in enumerate(lines[1:], start=2):
        if line.rstrip() == "---":
            yaml_text = "\n".join(lines[1 : number - 1])
            return yaml_text, "\n".join(lines[number:]), number + 1, []
    return "", "", 0, [ContentError(path, 1, "", "front matter is not closed: add a line '---' after it")]


def read_record(kind: str, slug: str, file: Path, path: str,
                data: bytes | None = None) -> tuple[RawRecord, list[ContentError]]:
    """Read one content file (or take its bytes, `data`, as already read); the record's `data`
    stays None when the errors say it cannot be read."""
    record = RawRecord(kind, slug, path)
    text, errors = read_text(file, path, data)
    if text is None:
        return record, errors
    if kind == "deal":
        text, record.body, record.body_line, errors = split_front_matter(text, path)
        if errors:
            return record, errors
    root, errors = parse_yaml(text, path, line_offset=1 if kind == "deal" else 0)
    if root is None and not errors:
        errors = [ContentError(path, 1, "", "front matter is empty" if kind == "deal" else "file is empty")]
    elif root is not None and not isinstance(root, YMap):
        errors.append(ContentError(path, root.line, "", "expected a mapping of fields (name: value) at the top level"))
    if not errors:
        record.data = root
    return record, errors


# Each folder of content/, the kind of record its files hold, their suffix, and the name rule.
FOLDERS = {
    "deals": ("deal", ".md", DEAL_SLUG, "lowercase letters, digits and single hyphens"),
    "systems": ("system", ".yaml", SYSTEM_SLUG, "lowercase letters, digits and single hyphens"),
    "countries": ("country", ".yaml", PARTY_CODE, "an ISO 3166 alpha-3 code, or X and 2–11 capitals/digits"),
}


class Listed(NamedTuple):  # a tuple: a rebuild lists 10,000 files, and a frozen dataclass is slower to make
    """A well-named content file, before it is read, with the size and mtime it was listed with."""

    kind: str
    slug: str
    location: str  # where the file is, as given to the build (a string: 10,000 Paths cost 0.05 s)
    path: str  # as displayed in messages
    size: int = 0
    mtime_ns: int = 0

    @property
    def file(self) -> Path:
        return Path(self.location)


def list_content(content_dir: Path) -> tuple[list[Listed], list[ContentError]]:
    """Every content file with a valid name, and a problem for each misnamed file or folder.

    One directory scan and one stat per file: at 10,000 briefs this runs on every rebuild."""
    root = content_dir.parent
    listed: list[Listed] = []
    errors: list[ContentError] = []
    site_file = content_dir / "site.yaml"
    if site_file.is_file():
        stat = site_file.stat()
        listed.append(Listed("site", "site", str(site_file), display_path(site_file, root), stat.st_size, stat.st_mtime_ns))
    else:
        errors.append(ContentError(display_path(site_file, root), 0, "", "missing: every archive needs a site.yaml"))
    for folder, (kind, suffix, name_rule, rule_text) in FOLDERS.items():
        directory = content_dir / folder
        if not directory.is_dir():
            continue
        shown = display_path(directory, root)
        with os.scandir(directory) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
        for entry in entries:
            path = f"{shown}/{entry.name}"
            slug = entry.name[: -len(suffix)] if entry.name.endswith(suffix) else None
            if entry.is_dir():
                errors.append(ContentError(path, 0, "", f"unexpected folder in content/{folder}/"))
            elif slug is None or not name_rule.fullmatch(slug):
                errors.append(ContentError(path, 0, "", f"not a {kind} file: expected a name of {rule_text}, ending in {suffix}"))
            else:
                stat = entry.stat(follow_symlinks=False)
                listed.append(Listed(kind, slug, entry.path, path, stat.st_size, stat.st_mtime_ns))
    return listed, errors


def load_content(content_dir: Path) -> tuple[list[RawRecord], list[ContentError]]:
    """Read every content file: a record for each well-named file, and every problem found."""
    listed, errors = list_content(content_dir)
    records = []
    for item in listed:
        record, problems = read_record(item.kind, item.slug, item.file, item.path)
        records.append(record)
        errors.extend(problems)
    return records, errors
