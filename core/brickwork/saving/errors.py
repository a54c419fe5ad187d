"""The loader's own errors: every file ``load_model`` or ``load_weights``
cannot load fails with a :class:`LoadError` (a ``ValueError``) that says what
is wrong, whether the file is truncated, hostile, too large for the limits of
``brickwork.saving.load_limits`` or describes a model that cannot be rebuilt.

This module imports nothing from brickwork, so any module may raise these.
"""
from __future__ import annotations


class LoadError(ValueError):
    """A file that cannot be loaded; the message says why."""


class ArchiveError(LoadError):
    """A ``.keras`` file that is not a valid, safe Keras archive."""


class WeightsFileError(LoadError):
    """A weights file that is malformed, refuses to be read safely, or whose
    variables do not fit the model."""


class LoadLimitError(LoadError):
    """The file would make the loader allocate more than the load limit
    allows (see ``brickwork.saving.set_max_load_bytes``)."""


class ConfigError(LoadError):
    """The file's config describes objects that cannot be rebuilt (an invalid
    argument, an inconsistent model)."""


class ConfigTypeError(ConfigError, TypeError):
    """A config error that is also a ``TypeError``, as Keras raises for a
    class it cannot locate or an argument of the wrong type."""


def as_config_error(exc, source):
    """``exc`` (a ValueError or TypeError raised while rebuilding the model
    from ``source``'s config) as the loader's own error, message kept; a
    loader's error wrapped on the way up (by a ``from_config``) is itself."""
    inner = loader_error_in(exc)
    if inner is not None:
        return inner
    kind = ConfigTypeError if isinstance(exc, TypeError) else ConfigError
    error = kind(f"Cannot rebuild the model of {source} from its config: {exc}")
    error.__cause__ = exc
    return error


def loader_error_in(exc):
    """The first ``LoadError`` in ``exc``'s chain of causes, or None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, LoadError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ if exc.__cause__ is not None else (
            None if exc.__suppress_context__ else exc.__context__)
    return None
