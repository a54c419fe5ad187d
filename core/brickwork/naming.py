"""Automatic object names (``dense``, ``dense_1``, ...) as Keras makes them."""
import collections
import re

from brickwork import global_state

_uids = collections.defaultdict(int)


def to_snake_case(name: str) -> str:
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
    return name


def get_uid(prefix=""):
    """How many times ``get_uid(prefix)`` (or ``auto_name(prefix)``) was
    called, this call included: 1, 2, ... (``keras.backend.get_uid``);
    ``clear_session`` starts again at 1."""
    _uids[prefix] += 1
    return _uids[prefix]


def auto_name(prefix: str) -> str:
    """``prefix`` the first time, then ``prefix_1``, ``prefix_2``, ..."""
    count = get_uid(prefix) - 1
    return prefix if count == 0 else f"{prefix}_{count}"


@global_state.on_clear_session
def reset_names() -> None:
    _uids.clear()
