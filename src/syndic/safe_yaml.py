"""Reading YAML that someone else wrote, without letting it grow without bound.

Every YAML file Syndic reads goes through ``compose``. It refuses aliases (``*name``, so also
``<<: *name`` merges): an alias shares a node, and a few lines of nested aliases (the
"billion laughs") expand into billions of nodes as soon as anything walks the tree. It also
refuses nesting deeper than ``MAX_DEPTH`` (a deep document would exhaust the stack) and files
larger than ``MAX_BYTES``. PyYAML's ``SafeLoader`` already builds no Python objects beyond
plain data; this adds the bounds.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError

MAX_BYTES = 1 << 20
MAX_DEPTH = 64


class _BoundedLoader(yaml.SafeLoader):
    """A ``SafeLoader`` that refuses aliases and deep nesting while it composes."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise ComposerError(
                None,
                None,
                "aliases (*name) are not accepted; write the value out",
                event.start_mark,
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class YamlError(ValueError):
    """A document that is not YAML Syndic accepts; ``line`` is 1-based when known."""

    def __init__(self, problem: str, line: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = line


def compose(text: str) -> yaml.Node | None:
    """The node tree of one YAML document (None when it is empty), with no aliases, at most
    ``MAX_DEPTH`` levels deep and from at most ``MAX_BYTES``; ``YamlError`` otherwise."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise YamlError(f"larger than {MAX_BYTES} bytes")
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlError(str(exc.problem), None if mark is None else mark.line + 1) from None
    except yaml.YAMLError as exc:
        raise YamlError(str(exc)) from None
    finally:
        loader.dispose()


def construct(node: yaml.Node) -> Any:
    """The plain data of a composed node (only YAML's standard tags); ``YamlError``."""
    try:
        return _BoundedLoader("").construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlError(str(exc.problem), None if mark is None else mark.line + 1) from None


def safe_load(text: str) -> Any:
    """Plain data from one YAML document, under the bounds of ``compose``."""
    node = compose(text)
    return None if node is None else construct(node)
