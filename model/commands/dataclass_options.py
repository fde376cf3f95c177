"""Command-line options made from config dataclasses: the default, choices and help of each
option are those of its field, so they live in one place."""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import itertools
import textwrap
import types
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

MISSING = dataclasses.MISSING


@dataclass(frozen=True, slots=True)
class FieldOption:
    """A command-line flag for the field at ``path`` (dotted through nested configs)."""

    flag: str
    path: str


@cache
def field_docs(cls: type) -> dict[str, str]:
    """The docstring under each field of a dataclass (the attribute docstring convention)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body if isinstance(tree.body[0], ast.ClassDef) else []
    docs: dict[str, str] = {}
    for statement, following in itertools.pairwise(body):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[statement.target.id] = " ".join(following.value.value.split())
    return docs


@dataclass(frozen=True, slots=True)
class ResolvedField:
    """A field found by its dotted path: its class, type, default and help."""

    owner: type
    name: str
    hint: Any
    default: Any  # MISSING when the field has none

    @property
    def help(self) -> str:
        """The field's docstring in argparse's style: lower case at the start (unless the first
        word is a name such as LoRA), no final period, ``%`` escaped for argparse's formatting."""
        doc = field_docs(self.owner).get(self.name, "").removesuffix(".").replace("%", "%%")
        first = doc.split(" ", 1)[0]
        if any(c.isupper() for c in first[1:]):
            return doc
        return doc[:1].lower() + doc[1:]


def resolve(cls: type, path: str) -> ResolvedField:
    """The field at a dotted ``path`` below the dataclass ``cls``."""
    head, _, rest = path.partition(".")
    field = {f.name: f for f in dataclasses.fields(cls)}[head]
    hint = get_type_hints(cls)[head]
    if rest:
        return resolve(hint, rest)
    default: Any = field.default
    if field.default_factory is not MISSING:
        default = field.default_factory()
    return ResolvedField(cls, head, hint, default)


def _without_none(hint: Any) -> tuple[Any, bool]:
    """The type inside ``X | None`` and whether None was allowed."""
    if get_origin(hint) in (Union, types.UnionType):
        inner = [arg for arg in get_args(hint) if arg is not type(None)]
        return inner[0], len(inner) < len(get_args(hint))
    return hint, False


def argument_options(resolved: ResolvedField) -> dict[str, Any]:
    """The `add_argument` keywords for a field: type or choices, default, help, required."""
    hint, optional = _without_none(resolved.hint)
    options: dict[str, Any] = {"dest": None, "help": resolved.help}
    if hint is bool:
        return {**options, "action": "store_true"}
    if get_origin(hint) is Literal:
        choices = list(get_args(hint))
        options |= {"choices": choices, "type": type(choices[0])}
    elif get_origin(hint) is list:
        options |= {"nargs": "+", "type": get_args(hint)[0]}
    else:
        options["type"] = hint
    if resolved.default is MISSING and not optional:
        return {**options, "required": True}
    default = None if resolved.default is MISSING else resolved.default
    if default is not None:
        options["help"] += f" (default: {default})"
    return {**options, "default": default}


def add_field_options(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    cls: type,
    options: Sequence[FieldOption],
) -> None:
    """Add one flag per field; each value lands in the namespace under the field's path."""
    for option in options:
        keywords = argument_options(resolve(cls, option.path)) | {"dest": option.path}
        if keywords.get("action") != "store_true" and "choices" not in keywords:
            keywords["metavar"] = option.flag.lstrip("-").upper().replace("-", "_")
        parser.add_argument(option.flag, **keywords)


def build(cls: type, values: dict[str, Any], prefix: str = "") -> Any:
    """An instance of ``cls`` from dotted-path ``values``; nested configs are built the same
    way, and fields without a value keep their defaults."""
    arguments: dict[str, Any] = {}
    hints = get_type_hints(cls)
    for field in dataclasses.fields(cls):
        path = prefix + field.name
        if dataclasses.is_dataclass(hints[field.name]) and any(
            key.startswith(path + ".") for key in values
        ):
            arguments[field.name] = build(hints[field.name], values, path + ".")
        elif path in values:
            arguments[field.name] = values[path]
    return cls(**arguments)
