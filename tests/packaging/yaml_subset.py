"""A strict parser for the block-style YAML subset our GitHub workflow uses.

No YAML library is among the project's dependencies, and the workflow check must run offline
without adding one. This reads block mappings, block sequences, plain and quoted scalars and
literal/folded block scalars, and refuses everything else (flow collections, anchors, aliases,
tags, several documents, tabs) with an error naming the line, so the workflow cannot drift
into syntax this check would misread. All scalars stay strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Node = dict[str, "Node"] | list["Node"] | str


class YamlSubsetError(ValueError):
    pass


@dataclass
class _Line:
    number: int
    indent: int
    text: str  # without indentation and comment


_KEY = re.compile(
    r"^(?P<key>[A-Za-z0-9_][A-Za-z0-9_.\-/ ]*?|\"[^\"]*\"|'[^']*'):(?: (?P<rest>.*))?$")


def _strip_comment(text: str) -> str:
    quote = ""
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'" and (i == 0 or text[i - 1] in " :-"):
            quote = ch
        elif ch == "#" and (i == 0 or text[i - 1] == " "):
            return text[:i].rstrip()
    return text.rstrip()


def _scalar(raw: str, number: int) -> str:
    raw = raw.strip()
    if raw.startswith(("[", "{")):
        raise YamlSubsetError(f"line {number}: flow collections are not supported: {raw!r}")
    if raw.startswith(("&", "*", "!")):
        raise YamlSubsetError(f"line {number}: anchors, aliases and tags are not supported")
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1].replace("''", "'")
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return raw[1:-1].encode().decode("unicode_escape")
    if raw[:1] in ("'", '"'):
        raise YamlSubsetError(f"line {number}: unterminated quoted scalar")
    return raw


class _Parser:
    def __init__(self, text: str) -> None:
        self.raw = text.splitlines()
        self.lines: list[_Line] = []
        for number, line in enumerate(self.raw, 1):
            if "\t" in line[: len(line) - len(line.lstrip())]:
                raise YamlSubsetError(f"line {number}: tab in indentation")
            body = _strip_comment(line)
            if not body.strip():
                continue
            if body.strip() in ("---", "..."):
                raise YamlSubsetError(f"line {number}: document markers are not supported")
            indent = len(body) - len(body.lstrip(" "))
            self.lines.append(_Line(number, indent, body.strip()))
        self.pos = 0

    def parse(self) -> Node:
        if not self.lines:
            return {}
        node = self._block(self.lines[0].indent)
        if self.pos != len(self.lines):
            line = self.lines[self.pos]
            raise YamlSubsetError(f"line {line.number}: unexpected indentation")
        return node

    def _block(self, indent: int) -> Node:
        line = self.lines[self.pos]
        if line.text == "-" or line.text.startswith("- "):
            return self._sequence(indent)
        return self._mapping(indent)

    def _sequence(self, indent: int) -> list[Node]:
        items: list[Node] = []
        while self.pos < len(self.lines):
            line = self.lines[self.pos]
            if line.indent < indent:
                break
            if line.indent > indent or not (line.text == "-" or line.text.startswith("- ")):
                if line.indent == indent:
                    break
                raise YamlSubsetError(f"line {line.number}: bad sequence indentation")
            rest = line.text[1:].strip()
            if not rest:
                self.pos += 1
                items.append(self._nested(indent))
            elif _KEY.match(rest):
                # "- key: value" starts a mapping whose other keys sit under "key".
                self.lines[self.pos] = _Line(line.number, indent + 2, rest)
                items.append(self._mapping(indent + 2))
            else:
                self.pos += 1
                items.append(_scalar(rest, line.number))
        return items

    def _mapping(self, indent: int) -> dict[str, Node]:
        result: dict[str, Node] = {}
        while self.pos < len(self.lines):
            line = self.lines[self.pos]
            if line.indent < indent:
                break
            if line.indent > indent:
                raise YamlSubsetError(f"line {line.number}: unexpected indentation")
            if line.text.startswith("- "):
                break
            match = _KEY.match(line.text)
            if not match:
                raise YamlSubsetError(f"line {line.number}: expected 'key: value': {line.text!r}")
            key = _scalar(match["key"], line.number)
            if key in result:
                raise YamlSubsetError(f"line {line.number}: duplicate key {key!r}")
            rest = (match["rest"] or "").strip()
            self.pos += 1
            if rest in ("|", "|-", "|+", ">", ">-", ">+"):
                result[key] = self._block_scalar(indent, folded=rest.startswith(">"))
            elif rest:
                result[key] = _scalar(rest, line.number)
            else:
                result[key] = self._nested(indent, allow_same_indent_sequence=True)
        return result

    def _nested(self, indent: int, allow_same_indent_sequence: bool = False) -> Node:
        if self.pos >= len(self.lines):
            return ""
        nxt = self.lines[self.pos]
        if nxt.indent > indent:
            return self._block(nxt.indent)
        if allow_same_indent_sequence and nxt.indent == indent and nxt.text.startswith("- "):
            return self._sequence(indent)
        return ""  # an empty value, e.g. "pull_request:"

    def _block_scalar(self, indent: int, folded: bool) -> str:
        # Block scalars keep comment-looking text: read them from the raw lines.
        start = self.lines[self.pos - 1].number  # 1-based number of the "key: |" line
        body: list[str] = []
        number = start
        while number < len(self.raw):
            raw = self.raw[number]
            if raw.strip() and len(raw) - len(raw.lstrip(" ")) <= indent:
                break
            body.append(raw)
            number += 1
        while self.pos < len(self.lines) and self.lines[self.pos].number <= number:
            self.pos += 1
        lines = list(body)
        while lines and not lines[-1].strip():
            lines.pop()
        cut = min((len(b) - len(b.lstrip(" ")) for b in lines if b.strip()), default=0)
        text = [b[cut:] for b in lines]
        return (" " if folded else "\n").join(text) + "\n"


def load(text: str) -> Node:
    return _Parser(text).parse()
