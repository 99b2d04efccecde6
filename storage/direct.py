"""Core statements run on the driver's cursor: for the statements of the busiest transactions (a `/task`'s).

SQLAlchemy builds an execution context, a result object and a row for every statement it runs: about 70 µs of
Python each on this project's machines, where SQLite takes 10-20 µs to run one of a `/task`'s statements. On
SQLite that Python runs inside the write turn every other writer waits for. `run` does only what the database
needs: the statement is compiled once per dialect and set of parameter names, the parameters go through
SQLAlchemy's own bind processors (the same UTC timestamps, JSON and booleans as `Connection.execute` writes), the
result values through its result processors, and the rows come back as named tuples (`row.id`, `row[0]`).

The statement runs on the session's connection, inside its transaction. What it skips: the execution events
other than `before_cursor_execute` / `after_cursor_execute` (given to their listeners, as SQLAlchemy does), the
echo log, and statements it cannot run as they are compiled (expanding `IN` lists, parameters rendered at
execution, Python-side defaults that are not constants): those raise `Unsupported` at the first call, a mistake
a test meets, and go through `Connection.execute`. A driver error comes back as SQLAlchemy's own exception
class (`OperationalError`, `IntegrityError` …), and a disconnect invalidates the connection, as it would there.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


class Unsupported(ValueError):
    """The statement needs SQLAlchemy's execution (see the module's docstring)."""


Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class _Plan:
    statement: ClauseElement  # kept so its id() is not reused while the plan is cached
    sql: str
    names: tuple[str, ...]  # the parameters in the order the SQL takes them (named: their keys)
    positional: bool
    fixed: Mapping[str, Any]  # values the statement carries itself (a LIMIT, `.values(...)`, a constant default)
    binds: tuple[tuple[str, Processor], ...]
    row: type[tuple[Any, ...]] | None  # named tuples for a statement that returns rows
    results: tuple[Processor | None, ...]

    def arguments(self, params: Mapping[str, Any]) -> Any:
        values = {**self.fixed, **params} if self.fixed else dict(params)
        try:
            if self.binds:
                for name, process in self.binds:
                    values[name] = process(values[name])
            if self.positional:
                return tuple(values[name] for name in self.names)
            return {name: values[name] for name in self.names}
        except KeyError as missing:
            raise Unsupported(f"no value for the parameter {missing} of: {self.sql}") from None

    def rows(self, fetched: Sequence[Any]) -> list[Any]:
        row = cast(Any, self.row)
        if not any(self.results):
            return [row._make(values) for values in fetched]
        results = self.results
        made = []
        for values in fetched:
            made.append(
                row._make([v if process is None else process(v) for process, v in zip(results, values, strict=True)])
            )
        return made


_plans: dict[tuple[int, str, tuple[str, ...]], _Plan] = {}


def run(connection: Connection, statement: ClauseElement, params: Mapping[str, Any]) -> list[Any]:
    """The rows `statement` returns, run with `params` on the connection's driver cursor (none for a statement
    that returns no rows)."""
    dialect = connection.dialect
    keys = tuple(params)
    plan = _plans.get((id(statement), dialect.name, keys))
    if plan is None or plan.statement is not statement:
        plan = _plans[(id(statement), dialect.name, keys)] = _plan(statement, connection, keys)
    fetched = _execute(connection, plan.sql, plan.arguments(params), rows=plan.row is not None)
    return plan.rows(fetched) if plan.row is not None else []


def run_sql(connection: Connection, sql: str) -> None:
    """A statement of the driver's own SQL without parameters or rows (a `BEGIN IMMEDIATE`), as `run` runs one."""
    _execute(connection, sql, (), rows=False)


def _execute(connection: Connection, sql: str, arguments: Any, *, rows: bool) -> list[Any]:
    fairy = connection.connection
    cursor = fairy.cursor()
    dispatch = connection.dispatch
    dialect = connection.dialect
    try:
        if dispatch.before_cursor_execute:
            dispatch.before_cursor_execute(connection, cursor, sql, arguments, None, False)
        cursor.execute(sql, arguments)
        if dispatch.after_cursor_execute:
            dispatch.after_cursor_execute(connection, cursor, sql, arguments, None, False)
        return list(cursor.fetchall()) if rows else []
    except dialect.loaded_dbapi.Error as error:
        invalidated = dialect.is_disconnect(error, fairy.dbapi_connection, cursor)
        if invalidated:
            connection.invalidate(error)
        raise DBAPIError.instance(
            sql,
            arguments,
            error,
            dialect.loaded_dbapi.Error,
            connection_invalidated=invalidated,
            dialect=dialect,
        ) from error
    finally:
        cursor.close()


def one(rows: list[Any]) -> Any:
    """The only row (`Result.one`): a statement that must give one row and gave none or several is a bug."""
    if len(rows) != 1:
        raise ValueError(f"exactly one row was expected, not {len(rows)}")
    return rows[0]


def scalar(rows: list[Any]) -> Any | None:
    """The first column of the only row, or None when there is none (`scalar_one_or_none`)."""
    if len(rows) > 1:
        raise ValueError(f"one row at most was expected, not {len(rows)}")
    return rows[0][0] if rows else None


def _plan(statement: ClauseElement, connection: Connection, keys: tuple[str, ...]) -> _Plan:
    dialect = connection.dialect
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect, column_keys=list(keys)))
    if compiled.post_compile_params or compiled.literal_execute_params or compiled.escaped_bind_names:
        raise Unsupported(f"rendered at execution (an expanding IN, a literal parameter): {compiled.string}")
    fixed: dict[str, Any] = {}
    for bind, name in compiled.bind_names.items():
        if bind.callable is not None:
            raise Unsupported(f"a parameter computed at execution ({name}): {compiled.string}")
        if not bind.required:
            fixed[name] = bind.value
    for column in (*compiled.insert_prefetch, *compiled.update_prefetch):
        default = column.default
        if default is None or not getattr(default, "is_scalar", False):
            raise Unsupported(f"the column {column.key} takes a default computed at execution: {compiled.string}")
        fixed[column.key] = cast(Any, default).arg
    if compiled.positional:
        names = tuple(compiled.positiontup or ())
    else:
        names = tuple(dict.fromkeys(compiled.bind_names.values()))
    processors = cast(dict[str, Processor], compiled._bind_processors)  # one callable per name here: no tuples
    binds = tuple((name, processors[name]) for name in dict.fromkeys(names) if name in processors)
    row: Any = None
    results: tuple[Processor | None, ...] = ()
    if compiled._result_columns:
        row = _named_tuple([column.keyname for column in compiled._result_columns])
        results = tuple(column.type._cached_result_processor(dialect, None) for column in compiled._result_columns)
    return _Plan(
        statement=statement,
        sql=compiled.string,
        names=names,
        positional=bool(compiled.positional),
        fixed=fixed,
        binds=binds,
        row=row,
        results=results,
    )


def _named_tuple(fields: list[str]) -> Any:
    """A row class with the result's column names (renamed where a name is not an identifier or repeats)."""
    return namedtuple("Row", fields, rename=True)  # noqa: PYI024
