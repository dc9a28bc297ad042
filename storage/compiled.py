"""SQLAlchemy Core statements compiled once per dialect, run straight on the driver.

Core stays the one way the SQL is written (both dialects, the same types); what this module
removes is the per-execution cost around it. A `Plan` is a compiled statement: its SQL, its
parameters in placeholder order with their bind processors, and its result columns with
their result processors. `Prepared` statements (built once, with named `bindparam`s) keep
their plan per dialect; any other statement is planned through SQLAlchemy's own cache key,
so a statement built anew each call is compiled only once per shape.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import Executable
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler

from storage.types import UtcDateTime

Processor = Callable[[Any], Any] | None
Builder = Callable[[str], Executable]

PLAN_CACHE_SIZE = 500


class Row(tuple[Any, ...]):
    """A result row: by position, or by column name as an attribute (like SQLAlchemy's)."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()

    def __getattr__(self, name: str) -> Any:
        # Only reached for a name that is not a column (columns are properties).
        raise AttributeError(f"no column {name!r} in this row (columns: {self._fields})")

    @property
    def _mapping(self) -> dict[str, Any]:
        return dict(zip(self._fields, self, strict=False))


_ROW_TYPES: dict[tuple[str, ...], type[Row]] = {}


def row_type(names: tuple[str, ...]) -> type[Row]:
    """One Row class per column list, with a property per column (they win over tuple's
    own attributes, so a column named `count` reads as the column)."""
    found = _ROW_TYPES.get(names)
    if found is None:
        attributes: dict[str, Any] = {"__slots__": (), "_fields": names}
        for index, name in enumerate(names):
            if name and not name.startswith("__"):
                attributes.setdefault(name, property(operator.itemgetter(index)))
        found = _ROW_TYPES[names] = type("Row", (Row,), attributes)
    return found


class Result:
    """What `execute` returns: the rows (already fetched) and the affected row count."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Row], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[Row]:
        return iter(self._rows)

    def all(self) -> list[Row]:
        return list(self._rows)

    def fetchall(self) -> list[Row]:
        return list(self._rows)

    def first(self) -> Row | None:
        return self._rows[0] if self._rows else None

    def one(self) -> Row:
        if len(self._rows) != 1:
            raise LookupError(f"expected one row, got {len(self._rows)}")
        return self._rows[0]

    def one_or_none(self) -> Row | None:
        if len(self._rows) > 1:
            raise LookupError(f"expected at most one row, got {len(self._rows)}")
        return self.first()

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalar_one(self) -> Any:
        return self.one()[0]

    def scalar_one_or_none(self) -> Any:
        row = self.one_or_none()
        return None if row is None else row[0]

    def scalars(self) -> Scalars:
        return Scalars([row[0] for row in self._rows])


class Scalars(list[Any]):
    """The first column of every row (a list, with SQLAlchemy's `all()` and `first()`)."""

    def all(self) -> list[Any]:
        return list(self)

    def first(self) -> Any:
        return self[0] if self else None


class Prepared:
    """A statement built once with named `bindparam`s; `build` may take the dialect name
    (for constructs that differ, such as INSERT ... ON CONFLICT).

    `plain=True` returns rows as plain tuples (by position only), for reads of many
    thousands of rows: the garbage collector stops tracking a plain tuple of plain values at
    its first pass, whereas every Row stays tracked, and so many of them alive at once make
    it walk the whole heap, again and again."""

    __slots__ = ("_build", "_plain", "_plans")

    def __init__(self, build: Executable | Builder, plain: bool = False) -> None:
        self._build = build
        self._plain = plain
        self._plans: dict[int, Plan] = {}

    def plan(self, dialect: Dialect) -> Plan:
        plan = self._plans.get(id(dialect))
        if plan is None:
            statement = self._build(dialect.name) if callable(self._build) else self._build
            plan = Plan.of(statement, dialect, plain=self._plain)
            if plan.postcompiled:
                raise ValueError("a prepared statement cannot use expanding parameters (IN)")
            self._plans[id(dialect)] = plan
        return plan

    def statement(self, dialect_name: str) -> Executable:
        return self._build(dialect_name) if callable(self._build) else self._build


class Plan:
    """A compiled statement, ready to bind and run (see `parameters` and `rows`)."""

    __slots__ = (
        "_bind",
        "_convert",
        "compiled",
        "defaults",
        "names",
        "postcompiled",
        "row",
        "sql",
    )

    def __init__(
        self,
        compiled: SQLCompiler,
        names: tuple[str, ...],
        processors: Sequence[Processor],
        defaults: dict[str, Any],
        row: type[tuple[Any, ...]] | None,
        results: Sequence[Processor],
        postcompiled: bool,
    ) -> None:
        self.sql = compiled.string
        self.names = names  # parameters in placeholder order
        self.defaults = defaults  # values written into the statement (`.values(x=1)`)
        self.row = row  # None: the statement returns no rows
        self.postcompiled = postcompiled  # IN lists: the SQL depends on the values
        self.compiled = compiled
        # Only the positions that need converting, so a call does no more than it must.
        self._bind = tuple((i, p) for i, p in enumerate(processors) if p is not None)
        self._convert = tuple((i, p) for i, p in enumerate(results) if p is not None)

    @classmethod
    def of(
        cls, statement: Executable, dialect: Dialect, cache_key: Any = None, plain: bool = False
    ) -> Plan:
        compiled = statement.compile(dialect=dialect, cache_key=cache_key)  # type: ignore[attr-defined]
        assert isinstance(compiled, SQLCompiler)
        return cls.from_compiled(statement, compiled, dialect, plain)

    @classmethod
    def from_compiled(
        cls, statement: Executable, compiled: SQLCompiler, dialect: Dialect, plain: bool = False
    ) -> Plan:
        binds = {name: bind for bind, name in compiled.bind_names.items()}
        postcompiled = any(b.expanding or b.literal_execute for b in binds.values())
        names = tuple(compiled.positiontup or ())
        required = {name: None for name, bind in binds.items() if bind.required}
        defaults = dict(compiled.construct_params(required)) if not postcompiled else {}
        defaults.update(_column_defaults(compiled))
        processors = [_bind_processor(_bind_named(binds, name).type, dialect) for name in names]
        columns = list(getattr(statement, "exported_columns", ()) or ())
        dml = compiled.isinsert or compiled.isupdate or compiled.isdelete
        returns_rows = bool(columns) and (not dml or bool(compiled.effective_returning))
        if not returns_rows:
            return cls(compiled, names, processors, defaults, None, (), postcompiled)
        keys = tuple(_column_name(column, i) for i, column in enumerate(columns))
        results = [_result_processor(column.type, dialect) for column in columns]
        row = tuple if plain else row_type(keys)
        return cls(compiled, names, processors, defaults, row, results, postcompiled)

    def parameters(self, given: Mapping[str, Any] | None) -> list[Any]:
        """The values in placeholder order, converted for the driver."""
        if given is None:
            values = [self.defaults[name] for name in self.names]
        else:
            try:  # usually every parameter is given
                values = [given[name] for name in self.names]
            except KeyError:
                merged = {**self.defaults, **given}
                values = [merged[name] for name in self.names]
        for index, process in self._bind:
            value = values[index]
            if value is not None:
                values[index] = process(value)
        return values

    def rows(self, raw: Iterable[Sequence[Any]]) -> list[Any]:
        """Rows (or plain tuples, see `Prepared`) of the driver's rows, values converted."""
        make = self.row
        assert make is not None
        convert = self._convert
        if not convert:
            return list(map(make, raw))
        rows = raw if isinstance(raw, list) else list(raw)
        if len(rows) < 8:
            return [make(_converted(r, convert)) for r in rows]
        # Column by column: the digest reads tens of thousands of rows, and converting a
        # column in one comprehension, then zipping the columns back into rows, costs a
        # fraction of a Python loop over every value of every row. (Not `zip(*rows)`: its
        # iterator per row would all be alive at once, for the garbage collector to walk.)
        columns: list[Any] = [list(map(operator.itemgetter(i), rows)) for i in range(len(rows[0]))]
        for index, process in convert:
            columns[index] = [None if v is None else process(v) for v in columns[index]]
        return list(map(make, zip(*columns, strict=True)))


def _converted(raw: Sequence[Any], convert: tuple[tuple[int, Processor], ...]) -> list[Any]:
    values = list(raw)
    for index, process in convert:
        value = values[index]
        if value is not None and process is not None:
            values[index] = process(value)
    return values


class Planner:
    """The plan for any statement on one dialect: prepared ones keep their own; others are
    cached by SQLAlchemy's cache key (values travel beside it, as SQLAlchemy does)."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._cache: dict[Any, Plan] = {}

    def plan(
        self, statement: Executable | Prepared, given: Mapping[str, Any] | None
    ) -> tuple[Plan, Mapping[str, Any] | None]:
        """The plan, and the values to bind (the given ones plus those inside the statement)."""
        if isinstance(statement, Prepared):
            return statement.plan(self.dialect), given
        key = statement._generate_cache_key()  # type: ignore[attr-defined]
        if key is None:  # not cacheable: compile it as it is
            plan = Plan.of(statement, self.dialect)
            return self._expanded(statement, plan, given)
        cached = self._cache.get(key.key)
        if cached is None:
            cached = Plan.of(statement, self.dialect, cache_key=key)
            if len(self._cache) >= PLAN_CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key.key] = cached
        plan = cached
        if plan.postcompiled:
            return self._expanded(statement, plan, given)
        values = plan.compiled.construct_params(given, extracted_parameters=key.bindparams)
        return plan, _with_column_defaults(plan, values)

    def _expanded(
        self, statement: Executable, plan: Plan, given: Mapping[str, Any] | None
    ) -> tuple[Plan, Mapping[str, Any] | None]:
        if not plan.postcompiled:
            return plan, _with_column_defaults(plan, plan.compiled.construct_params(given))
        # The SQL holds one placeholder per value of an IN list: compile these values in.
        compiled = statement.compile(  # type: ignore[attr-defined]
            dialect=self.dialect, compile_kwargs={"render_postcompile": True}
        )
        assert isinstance(compiled, SQLCompiler)
        expanded = Plan.from_compiled(statement, compiled, self.dialect)
        return expanded, _with_column_defaults(expanded, compiled.construct_params(given))


def _column_defaults(compiled: SQLCompiler) -> dict[str, Any]:
    """Column defaults SQLAlchemy would fill in before executing (`default=0`): only plain
    values are used in these tables, so only those are supported."""
    values: dict[str, Any] = {}
    for column in [*compiled.insert_prefetch, *compiled.update_prefetch]:
        default = column.default if column in compiled.insert_prefetch else column.onupdate
        if default is None or not default.is_scalar:
            raise NotImplementedError(f"column {column.key}: only plain default values")
        values[column.key] = default.arg  # type: ignore[attr-defined]
    return values


def _with_column_defaults(plan: Plan, values: Mapping[str, Any]) -> Mapping[str, Any]:
    prefetched = _column_defaults(plan.compiled)
    return {**values, **prefetched} if prefetched else values


def _bind_named(binds: dict[str, Any], name: str) -> Any:
    """The bind behind a placeholder; an IN list's values are named `<its name>_<n>`."""
    found = binds.get(name)
    if found is None:
        found = binds[name.rsplit("_", 1)[0]]
    return found


def _column_name(column: Any, index: int) -> str:
    name = getattr(column, "key", None) or getattr(column, "name", None)
    return str(name) if isinstance(name, str) else f"_{index}"


def _bind_processor(type_: Any, dialect: Dialect) -> Processor:
    processor: Processor = type_.dialect_impl(dialect).bind_processor(dialect)
    return processor


def _result_processor(type_: Any, dialect: Dialect) -> Processor:
    if isinstance(type_, UtcDateTime):
        # The digest reads thousands of these: one C call each instead of SQLAlchemy's
        # chain (parse, then UtcDateTime's own step), with the same result. (Not through
        # `datetime.replace(tzinfo=...)`, which costs ten times what these do.)
        return _utc_from_text if dialect.name == "sqlite" else _utc_from_naive
    processor: Processor = type_.dialect_impl(dialect).result_processor(dialect, None)
    return processor


def _utc_from_text(value: str) -> datetime:
    """SQLite's stored text ('2026-03-09 09:00:00.000000', naive UTC) as an aware UTC time."""
    try:
        return datetime.fromisoformat(value + "+00:00")  # its tzinfo is the UTC singleton
    except ValueError:  # text this app did not write (an offset of its own?): as before
        return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _utc_from_naive(value: datetime) -> datetime:
    """PostgreSQL's `timestamp without time zone` (naive UTC) as an aware UTC time."""
    return datetime.combine(value.date(), value.time(), UTC)
