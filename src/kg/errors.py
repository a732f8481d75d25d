"""Every error type of AIRM-KG, in one place.

Each carries the process exit code the CLI uses (`exit_code`) and the HTTP status the service
answers with (`http_status`); the CLI (`kg.cli`) and the web layer (`kg.web.errors`) only map them.
A message says what went wrong, where (file and line, row and column, focus node, query position)
and what to do next. The sections follow the rooms that raise them (docs/architecture.md).
"""

from __future__ import annotations

from typing import Any


class KGError(Exception):
    """Base class: a user-facing error whose message says what, where, and what to do next."""

    exit_code = 1
    http_status = 500


class RetryLater(KGError):
    """An error after which the same request may succeed later: `retry_after` seconds (the
    service sends it as `Retry-After`)."""

    def __init__(self, detail: str, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


# --- input files, build, validation, reasoning ----------------------------------------------------


class InputError(KGError):
    """A file could not be read or parsed (the message names the file and the line)."""

    exit_code = 2
    http_status = 400


class ValidationFailed(KGError):
    """SHACL validation found violations; `violations` holds them."""

    exit_code = 3
    http_status = 422

    def __init__(self, violations: list[Any]) -> None:
        self.violations = violations
        super().__init__(f"{len(violations)} SHACL violation(s); invalid data was not loaded")


class QualityCheckFailed(KGError):
    """A quality-check query of queries/qc/ returned rows (each row a defect); `failures` holds
    (query file, its intent-and-fix comment, the rows as text) for each check that fired."""

    exit_code = 3
    http_status = 422

    def __init__(self, failures: list[tuple[str, str, list[str]]]) -> None:
        self.failures = failures
        parts = [f"{len(failures)} quality check(s) failed; the release was not written"]
        for path, comment, rows in failures:
            parts.append(f"{path}: {len(rows)} row(s)\n{comment}")
            parts += [f"    {row}" for row in rows]
        super().__init__("\n".join(parts))


class UnsupportedShapes(KGError):
    """Shapes the set-oriented SHACL engine cannot run, and falling back to pyshacl was not allowed."""

    def __init__(self, reasons: dict[Any, str]) -> None:
        self.reasons = reasons
        super().__init__(
            "the Oxigraph SHACL engine cannot run these shapes: " + "; ".join(f"{s}: {r}" for s, r in reasons.items())
        )


class ValidationTimeout(KGError):
    """SHACL validation did not finish within settings.shacl_timeout."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(
            f"SHACL validation exceeded {seconds:g} s (KG_SHACL_TIMEOUT): raise the limit or validate less data"
        )


class Inconsistent(KGError):
    """The reasoner found the ontology with its data inconsistent or a class unsatisfiable."""

    exit_code = 4
    http_status = 422


class ReasonerUnavailable(KGError):
    """The OWL reasoner could not be run (Java missing or it failed)."""

    exit_code = 7
    http_status = 500


# --- releases ----------------------------------------------------------------------------------


class NoRelease(KGError):
    """No built release exists yet (or not the one asked for)."""

    exit_code = 6
    http_status = 503


class VersionError(KGError):
    """A release version that is malformed or taken (`kg release --version`)."""

    exit_code = 2
    http_status = 400


# --- curation -------------------------------------------------------------------------------------


class ImportRejected(KGError):
    """The import changed nothing: its files or rows were refused, or the result failed validation."""

    exit_code = 2
    http_status = 422

    def __init__(self, report: Any, violations: list[str] | None = None) -> None:
        # report: the kg.curate ImportReport (its `errors` and `message`); not imported here, so that
        # this module stays at the bottom of the layers (docs/architecture.md)
        self.report = report
        self.violations = [str(p) for p in report.errors] if violations is None else violations
        super().__init__(report.message)


# --- queries: the text, the gate, the engine ---------------------------------------------------


class QueryError(KGError):
    """A SPARQL query was malformed or cannot be answered as asked."""

    exit_code = 5
    http_status = 400


class UnknownQuery(QueryError):
    """No named query has that name."""

    http_status = 404


class Refused(QueryError):
    """The gate refused a query (400): the message says which limit and where."""


class Federated(QueryError):
    """SERVICE was asked for; this endpoint answers from its own graph only (400)."""


class UpdateForbidden(KGError):
    """A SPARQL Update was sent: the graph is read-only (403)."""

    http_status = 403
    MESSAGE = (
        "SPARQL Update is not accepted: this endpoint is read-only. The graph changes only by a new "
        "release (`kg build`); send SELECT, ASK, CONSTRUCT or DESCRIBE queries."
    )

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.MESSAGE)


class QueryTimeout(KGError):
    """The query ran past its deadline; its worker was killed (503, as Fuseki answers)."""

    http_status = 503


class Busy(RetryLater):
    """Every worker is busy and the admission queue is full: try again after `retry_after` s."""

    http_status = 503


class ResultTooLarge(KGError):
    """The result has more rows or bytes than the service sends; the client should page with LIMIT."""

    http_status = 422


class OutOfMemory(KGError):
    """The query needed more memory than a worker may use; its worker was killed."""

    http_status = 503


class WorkerCrashed(KGError):
    """The process answering the query died; only this request is lost (the detail stays generic)."""

    http_status = 500


class OverBudget(RetryLater):
    """A client used its query seconds or its errors for this minute (429 with Retry-After)."""

    http_status = 429


# --- the explorer: full-text search and facets ------------------------------------------------------


class SearchError(KGError):
    """A search the explorer cannot answer as asked (a bad parameter: facet, value, sort, page) (400)."""

    exit_code = 2
    http_status = 400


class SearchSyntaxError(SearchError):
    """A malformed text query (docs/explorer.md): `reason`, the `query` and the 0-based `position`
    of what is wrong; the message shows the place with a caret."""

    def __init__(self, reason: str, query: str, position: int) -> None:
        self.reason, self.query, self.position = reason, query, position
        where = f" at character {position + 1}"
        if query:
            start = max(0, position - 30)
            shown = query[start : position + 30].replace("\n", " ")
            where += f":\n  {shown}\n  {' ' * (position - start)}^"
        super().__init__(f"search query: {reason}{where}")


# --- a remote SPARQL server ------------------------------------------------------------------------


class RemoteError(KGError):
    """The SPARQL server answered, but not as the protocol says (5xx, an unexpected format...) (502)."""

    http_status = 502


class RemoteUnavailable(RemoteError):
    """The SPARQL server could not be reached (503)."""

    http_status = 503


class PublishFailed(KGError):
    """`kg publish` could not make the server hold the release (a load was refused, counts differ)."""


# --- HTTP requests ----------------------------------------------------------------------------------


class NotAcceptable(KGError):
    """Nothing in Accept (or `format`) can be produced for this answer."""

    http_status = 406


class UnsupportedMediaType(KGError):
    """A POST body of a type the SPARQL Protocol does not define."""

    http_status = 415


class MethodNotAllowed(KGError):
    """A method the resource does not answer; `allow` lists the ones it does."""

    http_status = 405

    def __init__(self, detail: str, allow: str) -> None:
        super().__init__(detail)
        self.allow = allow
