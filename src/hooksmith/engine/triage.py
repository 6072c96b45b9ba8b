"""Which templates render inline on the event loop and which go to the renderer pool.

A template is *straight-line* when it only looks values up, tests them, chooses between them
and passes them through the cheap filters: no loops, no `range`, no assignments, no list
arithmetic. Such a template cannot run long or build much, so it renders in the server's own
process; anything else (and any source too large to compile in a few milliseconds) renders
in a renderer process (`renderers`). The verdict is reached once per source, when it is
compiled, and cached with it.

    >>> from jinja2 import Environment
    >>> straight_line(Environment().parse("Hi {{ fb.firstName|default('you') }}"))
    True
    >>> straight_line(Environment().parse("{% for i in range(9) %}{{ i }}{% endfor %}"))
    False
"""

from __future__ import annotations

from collections.abc import Callable

from jinja2 import Environment, nodes

__all__ = [
    "BESIDE",
    "HERE",
    "MAX_NESTING",
    "RENDERERS",
    "CompileFirst",
    "NotInline",
    "OverBudget",
    "check_nesting",
    "compile_place",
    "straight_line",
]

# Compiling costs ~0.15-0.7 ms per tag and ~0.2 ms per KB of plain text (measured on the
# bench machine, busy). A small source compiles where it is met; a middling one in a thread
# beside the event loop (pure Python: the loop gets the GIL back every 5 ms); a large one in a
# renderer process, which the deadline can kill.
HERE, BESIDE, RENDERERS = "here", "beside", "renderers"
_HERE = (8, 256)  # at most this many tags, and characters inside tags
_BESIDE = (256, 8 * 1024)
MAX_BESIDE_CHARS = 16 * 1024
MAX_NESTING = 48  # brackets and blocks; Jinja's parser recurses ~13 frames per bracket
_SMALL_FACTOR = 16  # `x * n` is straight-line only for a constant n up to this

SAFE_FILTERS = frozenset(
    "abs capitalize count d default e escape first float int join last length list lower "
    "replace round safe string title tojson trim truncate upper urlencode".split()
)
SAFE_METHODS = frozenset(
    "capitalize endswith get items keys lower lstrip rstrip startswith strip title upper "
    "values".split()
)
_LEAVES = (nodes.TemplateData, nodes.Name, nodes.Const)
_PASSING = (
    nodes.Template,
    nodes.Output,
    nodes.If,
    nodes.Getattr,
    nodes.Getitem,
    nodes.Slice,
    nodes.CondExpr,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Neg,
    nodes.Pos,
    nodes.Compare,
    nodes.Operand,
    nodes.Concat,
    nodes.List,
    nodes.Tuple,
    nodes.Dict,
    nodes.Pair,
    nodes.Keyword,
    nodes.Test,
    nodes.Add,
    nodes.Sub,
    nodes.Div,
    nodes.FloorDiv,
)
_OPENERS = frozenset({"(", "[", "{"})
_CLOSERS = frozenset({")", "]", "}"})
_BLOCKS = frozenset({"if", "for", "macro", "call", "filter", "with", "block", "autoescape"})


class NotInline(Exception):
    """This work must run in a renderer process: it is not straight-line, or not small."""


class OverBudget(NotInline):
    """An inline render used up its share of the event loop; it goes to the pool instead."""


class CompileFirst(NotInline):
    """A template must be compiled beside the event loop (`compile`, in a thread) first."""

    def __init__(self, field: str, compile: Callable[[], None]) -> None:
        super().__init__(field)
        self.compile = compile


def compile_place(source: str) -> str:
    """Where a source may be compiled: `HERE`, `BESIDE` the event loop, or in the `RENDERERS`.

    >>> compile_place("{{ a }}"), compile_place("{{ a }}" * 100), compile_place("{{ a }}" * 900)
    ('here', 'beside', 'renderers')
    """
    if len(source) > MAX_BESIDE_CHARS:
        return RENDERERS
    tags = source.count("{{") + source.count("{%")
    if tags > _BESIDE[0]:
        return RENDERERS
    inside = _inside_tags(source)
    if tags <= _HERE[0] and inside <= _HERE[1]:
        return HERE
    return BESIDE if inside <= _BESIDE[1] else RENDERERS


def _inside_tags(source: str) -> int:
    """How many characters of `source` stand inside `{{ }}` and `{% %}` (roughly: the code)."""
    inside, start = 0, source.find("{")
    while start >= 0:
        if source.startswith(("{{", "{%"), start):
            end = source.find("}}" if source[start + 1] == "{" else "%}", start + 2)
            end = len(source) if end < 0 else end
            inside += end - start
            start = end
        start = source.find("{", start + 1)
    return inside


def straight_line(node: nodes.Node) -> bool:
    """Whether a parsed template or expression is straight-line (see the module docstring).

    >>> from jinja2 import Environment
    >>> straight_line(Environment().parse("{{ [1] * 9999999 }}"))
    False
    """
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, _LEAVES):
            continue
        if isinstance(current, nodes.Filter):
            if current.name not in SAFE_FILTERS and not current.name.startswith("_hs_"):
                return False
        elif isinstance(current, nodes.Call):
            if not (
                isinstance(current.node, nodes.Getattr)
                and current.node.attr in SAFE_METHODS
                and current.dyn_args is None
                and current.dyn_kwargs is None
            ):
                return False
        elif isinstance(current, nodes.Mul):
            if not (_small_constant(current.left) or _small_constant(current.right)):
                return False
        elif not isinstance(current, _PASSING):
            return False
        stack.extend(current.iter_child_nodes())
    return True


def _small_constant(node: nodes.Expr) -> bool:
    value = node.value if isinstance(node, nodes.Const) else None
    small = isinstance(value, int | float) and abs(value) <= _SMALL_FACTOR
    return small and not isinstance(value, bool)


def check_nesting(environment: Environment, source: str) -> None:
    """Raise `ValueError` when brackets or blocks nest deeper than `MAX_NESTING`, before parsing.

    Jinja's parser and Python's compiler recurse once per level: a deep source would end in a
    RecursionError (or worse) instead of a message.

    >>> check_nesting(Environment(), "{{ " + "(" * 60 + "1" + ")" * 60 + " }}")
    Traceback (most recent call last):
    ...
    ValueError: line 1: nested more than 48 deep
    >>> check_nesting(Environment(), "{% if a %}" * 60)
    Traceback (most recent call last):
    ...
    ValueError: line 1: nested more than 48 deep
    """
    brackets = blocks = 0
    block_tag = False
    for lineno, kind, value in environment.lex(source):
        if kind == "whitespace":
            continue
        if kind == "operator":
            if value in _OPENERS:
                brackets += 1
            elif value in _CLOSERS:
                brackets = max(brackets - 1, 0)
        elif kind == "block_begin":
            block_tag = True
            continue
        elif kind == "name" and block_tag:
            if value in _BLOCKS:
                blocks += 1
            elif value.startswith("end"):
                blocks = max(blocks - 1, 0)
        block_tag = False
        if brackets + blocks > MAX_NESTING:
            raise ValueError(f"line {lineno}: nested more than {MAX_NESTING} deep")
