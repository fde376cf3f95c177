"""Errors that mean the user's input cannot be used: the command line prints them as one line."""

from __future__ import annotations


class InputError(Exception):
    """A checkpoint, data file or option that cannot be used; the message says which and why."""


class NoSentencesError(InputError, ValueError):
    """A text in which the splitter finds no sentence."""
