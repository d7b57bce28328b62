"""Exceptions that the CLI turns into one line on stderr and exit code 2."""

from __future__ import annotations


class CalcvisionError(Exception):
    """Base class for errors that are the user's input, not a bug (exit code 2)."""


class InputError(CalcvisionError):
    """A file, row or field the user gave is invalid; the message names it."""


class UsageError(CalcvisionError):
    """The command line itself is wrong (bad flag combination, missing option)."""
