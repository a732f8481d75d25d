"""Error types. Each carries the process exit code the CLI uses and the HTTP status the service uses."""

from __future__ import annotations


class KGError(Exception):
    """Base class: a user-facing error whose message says what, where, and what to do next."""

    exit_code = 1
    http_status = 500


class InputError(KGError):
    """A file could not be read or parsed (the message names the file and the line)."""

    exit_code = 2
    http_status = 400


class ValidationFailed(KGError):
    """SHACL validation found violations; `violations` holds them."""

    exit_code = 3
    http_status = 422

    def __init__(self, violations: list) -> None:
        self.violations = violations
        super().__init__(f"{len(violations)} SHACL violation(s); invalid data was not loaded")


class Inconsistent(KGError):
    """The reasoner found the ontology with its data inconsistent or a class unsatisfiable."""

    exit_code = 4
    http_status = 422


class QueryError(KGError):
    """A SPARQL query was malformed or cannot be answered as asked."""

    exit_code = 5
    http_status = 400


class NoRelease(KGError):
    """No built release exists yet."""

    exit_code = 6
    http_status = 503


class ReasonerUnavailable(KGError):
    """The OWL reasoner could not be run (Java missing or it failed)."""

    exit_code = 7
    http_status = 500
