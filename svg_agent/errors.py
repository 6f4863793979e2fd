"""The project's own exceptions: each message says what was wrong and what to do."""

from __future__ import annotations


class SvgAgentError(Exception):
    """Base class for errors caused by user input; the CLI prints them as one line."""

    exit_code = 1


class InputError(SvgAgentError):
    """A file, path or value given by the user cannot be used (a usage error: exit 2)."""

    exit_code = 2


class RenderError(SvgAgentError):
    """An SVG could not be rendered (crash, timeout, memory cap)."""


class ConfigError(SvgAgentError):
    """A configuration file or option is wrong."""

    exit_code = 2
