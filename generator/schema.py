"""schema.py — field kinds described as data, and one walker that checks a YAML tree against them.

Each kind knows what it expects, checks a node, and returns the Python value; a Record builds a
model object from its fields. Problems are appended to the Context, never raised, so a file's
every problem is reported in one run (MkDocs' declared schema, without its stop-at-first).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

import pycountry

from generator.body import PLACEHOLDER, address_problem
from generator.dates import EXPECTED as DATE_EXPECTED
from generator.dates import PartialDate
from generator.errors import ContentError
from generator.loader import YMap, YNode, YScalar, YSeq

# Text that could hide or reorder what a reader sees: C0/C1 controls (but tab and newline) and
# the bidirectional overrides and isolates used in "Trojan Source" tricks.
HIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
YAML_READS = {"bool": "true or false", "int": "a number", "float": "a number", "null": "empty (null)",
              "timestamp": "a date"}


class Reference(NamedTuple):  # a tuple: a file's references come back from the build cache as tuples
    """A name that must exist elsewhere in the archive (a party, a system or a brief), where its
    file (validate.Checked.path) names it."""

    kind: str  # "party", "system", "deal"
    name: str
    line: int
    field: str


@dataclass
class Context:
    """What the walker carries through one file: where it is, and what it has found."""

    path: str
    errors: list[ContentError] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    source_ids: frozenset[str] = frozenset()

    def error(self, node: YNode | int, field_path: str, message: str) -> None:
        line = node if isinstance(node, int) else node.line
        self.errors.append(ContentError(self.path, line, field_path, message))


def did_you_mean(word: str, choices) -> str:
    """'; did you mean "x"?' for the closest choice, or nothing."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f'; did you mean "{close[0]}"?' if close else ""


def describe(node: YNode) -> str:
    """How a value looked in the file, for messages."""
    if isinstance(node, YMap):
        return "a mapping"
    if isinstance(node, YSeq):
        return "a list"
    shown = f'"{node.text}"'
    if not node.quoted and node.tag in YAML_READS:
        return f"{shown}, which YAML reads as {YAML_READS[node.tag]}"
    return shown


NOT_PLACEHOLDER = {"not": {"pattern": f"^{PLACEHOLDER}"}}  # editors flag what `archive new` left to fill in
NULL_SPELLINGS = frozenset(("", "~", "null", "Null", "NULL"))


def is_null(node: YNode) -> bool:
    """An empty value, `~` or `null`: 'not known', which is the same as leaving the field out."""
    # YAML 1.1's null spellings, checked directly: asking the resolver for every scalar is slow.
    return isinstance(node, YScalar) and not node.quoted and node.text in NULL_SPELLINGS


class Kind:
    expected = "a value"  # for messages: "expected …"
    shown = "value"  # for the content-format reference's type column

    def check(self, node: YNode, ctx: Context, path: str) -> Any:
        raise NotImplementedError

    def json_schema(self) -> dict:
        """The JSON Schema of this kind, for editors (see reference.py)."""
        raise NotImplementedError

    def scalar(self, node: YNode, ctx: Context, path: str) -> YScalar | None:
        if isinstance(node, YScalar) and not is_null(node):
            if node.text.startswith(PLACEHOLDER):
                ctx.error(node, path, f'still the placeholder written by "archive new" ({node.text}); '
                                      f"replace it with {self.expected}")
                return None
            return node
        got = "nothing" if isinstance(node, YScalar) else describe(node)
        ctx.error(node, path, f"expected {self.expected}, got {got}")
        return None


class Text(Kind):
    expected = "text"
    shown = "text"

    def json_schema(self):
        return {"type": "string", "minLength": 1, **NOT_PLACEHOLDER}

    def check(self, node, ctx, path):
        scalar = self.scalar(node, ctx, path)
        if scalar is None:
            return None
        if not scalar.quoted and scalar.tag != "str":
            ctx.error(node, path, f"expected text, got {describe(scalar)}; put it in quotes")
            return None
        text = scalar.text.strip()
        if not text:
            ctx.error(node, path, "must not be empty")
            return None
        hidden = HIDDEN_CHARACTERS.search(text)
        if hidden:
            name = unicodedata.name(hidden.group(), f"U+{ord(hidden.group()):04X}")
            ctx.error(node, path, f"contains an invisible or control character ({name}); remove it")
            return None
        return text


class Url(Text):
    expected = "a web address starting with https:// or http://"
    shown = "web address (http or https)"

    def json_schema(self):
        return {"type": "string", "pattern": r"^https?://[^\s<>\"]+$", "format": "uri", **NOT_PLACEHOLDER}

    def check(self, node, ctx, path):
        text = super().check(node, ctx, path)
        if text is None:
            return None
        if not re.fullmatch(r"https?://[^\s<>\"]+", text):
            ctx.error(node, path, f"expected {self.expected}, got {describe(node)}")
            return None
        malformed = address_problem(text)
        if malformed:
            ctx.error(node, path, f"expected {self.expected}, got {describe(node)}, which is malformed ({malformed})")
            return None
        return text


class Integer(Kind):
    def __init__(self, minimum: int = 0):
        self.minimum = minimum
        self.expected = f"a whole number of at least {minimum}"
        self.shown = f"whole number ≥ {minimum}"

    def json_schema(self):
        return {"type": "integer", "minimum": self.minimum}

    def check(self, node, ctx, path):
        scalar = self.scalar(node, ctx, path)
        if scalar is None:
            return None
        if scalar.quoted or not re.fullmatch(r"-?\d+", scalar.text):
            ctx.error(node, path, f"expected {self.expected}, written as digits, got {describe(scalar)}")
            return None
        value = int(scalar.text)
        if value < self.minimum:
            ctx.error(node, path, f"expected {self.expected}, got {value}")
            return None
        return value


class Amount(Kind):
    expected = "a number greater than 0, written as digits (700000000 or 1.4e9)"
    shown = "number > 0"

    def json_schema(self):
        return {"type": "number", "exclusiveMinimum": 0}

    def check(self, node, ctx, path):
        scalar = self.scalar(node, ctx, path)
        if scalar is None:
            return None
        if scalar.quoted or not re.fullmatch(r"\d+(\.\d+)?([eE]\+?\d+)?", scalar.text):
            ctx.error(node, path, f"expected {self.expected}, got {describe(scalar)}")
            return None
        value = float(scalar.text)
        if not 0 < value < 1e15:
            ctx.error(node, path, f"expected {self.expected}, got {scalar.text}")
            return None
        return int(value) if value.is_integer() else value


class Boolean(Kind):
    expected = "true or false"
    shown = "`true` or `false`"

    def json_schema(self):
        return {"type": "boolean"}

    def check(self, node, ctx, path):
        scalar = self.scalar(node, ctx, path)
        if scalar is None:
            return None
        if scalar.quoted or scalar.text not in ("true", "false"):
            ctx.error(node, path, f"expected {self.expected}, got {describe(scalar)}")
            return None
        return scalar.text == "true"


class Date(Kind):
    expected = DATE_EXPECTED
    shown = "date"

    def json_schema(self):
        # Unquoted, 2007 is a number to YAML; 2007-01 and 2007-01-16 are strings to a YAML 1.2 editor.
        return {"anyOf": [{"type": "integer", "minimum": 1000, "maximum": 2999},
                          {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$"}]}

    def check(self, node, ctx, path):
        scalar = self.scalar(node, ctx, path)
        if scalar is None:
            return None
        # The source text decides, not YAML's guess: 2007 stays a year, 2007-01 a month.
        try:
            return PartialDate.parse(scalar.text)
        except ValueError as exc:
            ctx.error(node, path, str(exc))
            return None


class Choice(Text):
    def __init__(self, *choices: str):
        self.choices = choices
        self.expected = "one of " + ", ".join(choices)
        self.shown = ", ".join(f"`{choice}`" for choice in choices)

    def json_schema(self):
        return {"enum": list(self.choices)}

    def check(self, node, ctx, path):
        text = super().check(node, ctx, path)
        if text is not None and text not in self.choices:
            ctx.error(node, path, f'expected {self.expected}, got "{text}"{did_you_mean(text, self.choices)}')
            return None
        return text


# Suggested first when a code is misspelt: the currencies arms deals are mostly priced in.
COMMON_CURRENCIES = ("USD", "EUR", "RUB", "GBP", "CNY", "FRF", "DEM", "INR", "JPY", "CHF", "SEK", "ILS", "KRW")


class Currency(Text):
    expected = "an ISO 4217 currency code such as USD, EUR or RUB"
    shown = "ISO 4217 currency code"

    def json_schema(self):
        return {"type": "string", "pattern": "^[A-Z]{3}$"}

    def check(self, node, ctx, path):
        text = super().check(node, ctx, path)
        if text is not None and (not text.isupper() or pycountry.currencies.get(alpha_3=text) is None):
            guess = text.upper()
            hint = did_you_mean(guess, COMMON_CURRENCIES) or did_you_mean(guess, [c.alpha_3 for c in pycountry.currencies])
            ctx.error(node, path, f'expected {self.expected}, got "{text}"{hint}')
            return None
        return text


class Ref(Text):
    """A name resolved later against the whole archive (a party, system or brief)."""

    def __init__(self, kind: str, pattern: re.Pattern, expected: str, shown: str):
        self.kind, self.pattern, self.expected, self.shown = kind, pattern, expected, shown

    def json_schema(self):
        return {"type": "string", "pattern": f"^(?:{self.pattern.pattern})$"}

    def check(self, node, ctx, path):
        text = super().check(node, ctx, path)
        if text is None:
            return None
        if not self.pattern.fullmatch(text):
            ctx.error(node, path, f"expected {self.expected}, got {describe(node)}")
            return None
        ctx.references.append(Reference(self.kind, text, node.line, path))
        return text


TEXT = Text()


class SourceIds(Kind):
    """One source id or a list of them; each must be a source of the same file."""

    expected = "a source id or a list of source ids from this file's sources"
    shown = "source id, or list of them"

    def json_schema(self):
        return {"anyOf": [{"type": "string", "minLength": 1},
                          {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}]}

    def check(self, node, ctx, path):
        nodes = node.items if isinstance(node, YSeq) else [node]
        if not nodes:
            ctx.error(node, path, "must name at least one source")
        ids = []
        for index, item in enumerate(nodes):
            item_path = f"{path}[{index}]" if isinstance(node, YSeq) else path
            text = TEXT.check(item, ctx, item_path)
            if text is not None and text not in ctx.source_ids:
                ctx.error(item, item_path, f'no source with id "{text}" in this file{did_you_mean(text, ctx.source_ids)}')
            ids.append(text)
        return tuple(ids)


class ListOf(Kind):
    def __init__(self, item: Kind, minimum: int = 0):
        self.item, self.minimum = item, minimum
        self.expected = f"a list of {item.expected}"
        self.shown = f"list of {item.shown}" + (f", at least {minimum}" if minimum else "")

    def json_schema(self):
        schema = {"type": "array", "items": self.item.json_schema()}
        return {**schema, "minItems": self.minimum} if self.minimum else schema

    def check(self, node, ctx, path):
        if not isinstance(node, YSeq):
            ctx.error(node, path, f"expected {self.expected}, got {describe(node)}")
            return ()
        if len(node.items) < self.minimum:
            ctx.error(node, path, f"expected at least {self.minimum} item(s)")
        return tuple(self.item.check(item, ctx, f"{path}[{i}]") for i, item in enumerate(node.items))


@dataclass(frozen=True)
class Field:
    kind: Kind
    required: bool = False
    help: str = ""  # what the field means: shown in the reference and in editors

    def json_schema(self) -> dict:
        schema = self.kind.json_schema()
        if not self.required:  # left out, empty or null: not known
            schema = {"anyOf": [schema, {"type": "null"}]}
        return {**schema, "description": self.help} if self.help else schema


class Record(Kind):
    """A mapping with declared fields, built into a model object by `make(**values)`."""

    def __init__(self, expected: str, fields: dict[str, Field], make: Callable[..., Any]):
        self.expected, self.fields, self.make = expected, fields, make
        self.shown = expected.split(" ", 1)[1] if expected.startswith(("a ", "an ")) else expected
        # Looked up once: a brief holds about 18 records, each checked field by field.
        self.checks = {name: field.kind.check for name, field in fields.items()}
        self.required = tuple(name for name, field in fields.items() if field.required)

    def json_schema(self):
        return {"type": "object", "properties": {name: field.json_schema() for name, field in self.fields.items()},
                "required": [name for name, field in self.fields.items() if field.required],
                "additionalProperties": False}

    def check(self, node, ctx, path):
        if not isinstance(node, YMap):
            ctx.error(node, path, f"expected {self.expected} (a mapping of fields), got {describe(node)}")
            return None
        values = {}
        errors_before = len(ctx.errors)
        checks, items = self.checks, node.items
        for key, (line, value) in items.items():
            check = checks.get(key)
            if check is None:
                known = ", ".join(self.fields)
                hint = did_you_mean(key, self.fields) or f"; known fields: {known}"
                ctx.error(line, f"{path}.{key}" if path else key, f"unknown field{hint}")
            elif not is_null(value):
                values[key] = check(value, ctx, f"{path}.{key}" if path else key)
        for key in self.required:
            if key not in items or is_null(items[key][1]):
                expected = self.fields[key].kind.expected
                ctx.error(node, f"{path}.{key}" if path else key, f"required field is missing (expected {expected})")
        # A record with a problem is not built: the file fails anyway, and a half-built object
        # must never reach the pages.
        return self.make(**values) if len(ctx.errors) == errors_before else None
