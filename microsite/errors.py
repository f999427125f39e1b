"""Errors that mean "skip this input, say why, carry on"."""

from __future__ import annotations


class ImportProblem(Exception):
    """A file (or one record in it) that cannot become an article.

    The message is the reason alone; the pipeline prefixes the file name so the
    user sees exactly one line per problem: ``path: reason``.
    """

    def __init__(self, reason: str, record: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.record = record
