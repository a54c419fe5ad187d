"""Every public layer class answers ``help(layers.X)`` as Keras's docs do:
a summary, an ``Args:`` section naming each constructor argument, the input
and output shapes, and an example (issue 19, item 5)."""
import inspect
import re

import pytest

from brickwork import layers

# Arguments every layer takes through **kwargs (documented once, on Layer).
_BASE_ARGUMENTS = {"self", "kwargs", "name", "dtype", "trainable", "autocast", "input_shape",
                   "input_dim", "batch_size", "batch_input_shape", "seed_generator"}


def _public_layer_classes():
    seen = {}
    for name in layers.__all__:
        value = getattr(layers, name)
        if inspect.isclass(value) and issubclass(value, layers.Layer) and value not in seen.values():
            seen[value.__name__] = value
    return sorted(seen.items())


LAYER_CLASSES = _public_layer_classes()


@pytest.mark.parametrize("name,cls", LAYER_CLASSES, ids=[name for name, _ in LAYER_CLASSES])
def test_layer_is_documented_as_keras_documents_it(name, cls):
    doc = inspect.getdoc(cls) or ""
    assert doc and not doc.startswith("Layer"), f"{name} has no docstring of its own"
    assert "Args:" in doc, f"{name}'s docstring has no Args: section"
    documented = set(re.findall(r"^\s{4}(\w+)(?:\s*\(.*?\))?:", doc.split("Args:", 1)[1], re.M))
    arguments = [p for p in inspect.signature(cls.__init__).parameters
                 if p not in _BASE_ARGUMENTS and not p.startswith("_")]
    missing = [a for a in arguments if a not in documented]
    assert not missing, f"{name}'s Args: section does not describe {missing}"
    assert re.search(r"(Input|Output) shape", doc), f"{name}'s docstring gives no input/output shape"
    assert "Example" in doc, f"{name}'s docstring has no example"


def test_the_layer_reference_page_lists_every_layer():
    import importlib.util
    import pathlib
    path = pathlib.Path(__file__).resolve().parent.parent / "tools" / "layer_reference.py"
    spec = importlib.util.spec_from_file_location("layer_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0, "run python tools/layer_reference.py"
