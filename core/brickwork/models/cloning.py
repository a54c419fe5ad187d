"""``clone_model``: the same architecture with new layers and fresh weights.

Sequential and functional models are rebuilt layer by layer (each layer
cloned from its config by default, so weights are newly initialized, not
copied); other models go through their config (``get_config`` /
``from_config``). Keras 3's ``keras.models.clone_model`` semantics.
"""
from __future__ import annotations

import inspect

from brickwork import tree
from brickwork.layers.core import Input, InputLayer
from brickwork.models.functional import Functional
from brickwork.models.sequential import Sequential
from brickwork.symbolic import KerasTensor


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """Clone a model: new layers, new weights (initialized afresh, not copied:
    use ``clone.set_weights(model.get_weights())`` to copy them).

    Args:
        model: A Sequential, functional or subclassed model.
        input_tensors: Sequential and functional models only: symbolic
            tensors (``brickwork.Input``) to build the clone on, in the
            structure of ``model.input`` (a single tensor for Sequential).
            By default new inputs like the model's.
        clone_function: ``layer -> new layer``, called once per layer (a
            layer shared between calls is cloned once). By default
            ``layer.__class__.from_config(layer.get_config())``. Returning
            the layer itself shares it with the original model.
        call_function: Functional models only: ``(layer, *args, **kwargs) ->
            outputs``, called instead of ``layer(*args, **kwargs)`` at each
            layer call of the graph (to insert layers, for instance).
        recursive: Also clone nested Sequential and functional models layer
            by layer (with ``clone_function``), rather than passing them to
            ``clone_function`` whole.

    A compiled Sequential or functional model's clone is compiled the same
    way (from its compile config). A subclassed model (or a functional
    subclass with its own ``get_config``) is rebuilt from its config, and
    then takes no ``input_tensors``, ``clone_function`` or
    ``call_function``.
    """
    cache = kwargs.pop("cache", None)
    if kwargs:
        raise ValueError(f"Unexpected keyword argument(s): {tuple(kwargs.keys())}")
    given_clone_function = clone_function
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(
                f"`call_function` argument is not supported with Sequential models. In a "
                f"Sequential model, layers aren't called at model-construction time (they're "
                f"merely listed). Use `call_function` with Functional models only. Received "
                f"model of type '{type(model).__name__}', with call_function={call_function}")
        clone_function = _wrap_clone_function(clone_function, call_function, recursive, cache)
        return _clone_sequential(model, clone_function, input_tensors)
    if isinstance(model, Functional):
        default_config = type(model).get_config is Functional.get_config
        if default_config or given_clone_function is not None or input_tensors is not None:
            clone_function = _wrap_clone_function(clone_function, call_function, recursive,
                                                  cache)
            return _clone_functional(model, clone_function, input_tensors, call_function)
    if given_clone_function is not None or input_tensors is not None:
        raise ValueError(
            f"Arguments `clone_function` and `input_tensors` are only supported for Sequential "
            f"models or Functional models. Received model of type '{type(model).__name__}', "
            f"with clone_function={given_clone_function} and input_tensors={input_tensors}")
    if call_function is not None:
        raise ValueError(f"Argument `call_function` is only supported for Functional models. "
                         f"Received model of type '{type(model).__name__}', with "
                         f"call_function={call_function}")
    from brickwork.saving.serialization import deserialize_keras_object, serialize_keras_object
    config = serialize_keras_object(model)
    return deserialize_keras_object(config, custom_objects={type(model).__name__: type(model)})


def _clone_layer(layer):
    return layer.__class__.from_config(layer.get_config())


def _wrap_clone_function(clone_function, call_function=None, recursive=False, cache=None):
    """``clone_function`` made to clone each layer once (shared layers stay
    shared in the clone) and, with ``recursive``, to descend into nested
    Sequential and functional models."""
    clone_function = clone_function or _clone_layer
    cache = {} if cache is None else cache

    def wrapped(layer):
        if id(layer) in cache:
            return cache[id(layer)]
        if recursive and isinstance(layer, Sequential):
            clone = clone_model(layer, clone_function=clone_function, recursive=True, cache=cache)
        elif recursive and isinstance(layer, Functional):
            clone = clone_model(layer, clone_function=clone_function,
                                call_function=call_function, recursive=True, cache=cache)
        else:
            clone = clone_function(layer)
        cache[id(layer)] = clone
        return clone
    return wrapped


def _compile_like(clone, model):
    if getattr(model, "compiled", False):
        config = model.get_compile_config()
        if config is not None:
            clone.compile_from_config(config)


def _clone_sequential(model, clone_function, input_tensors=None):
    if not callable(clone_function):
        raise ValueError(f"Expected `clone_function` argument to be a callable. "
                         f"Received: clone_function={clone_function}")
    new_layers = [clone_function(layer) for layer in model.layers]
    reference = model._input_layer
    if input_tensors is not None:
        if isinstance(input_tensors, (list, tuple)):
            if len(input_tensors) != 1:
                raise ValueError("Argument `input_tensors` must contain a single tensor.")
            input_tensors = input_tensors[0]
        if not isinstance(input_tensors, KerasTensor):
            raise ValueError(f"Argument `input_tensors` must be a KerasTensor. Received invalid "
                             f"value: input_tensors={input_tensors}")
        name = reference.name if reference is not None else None
        optional = reference.optional if reference is not None else False
        new_layers = [Input(tensor=input_tensors, name=name, optional=optional)] + new_layers
    elif reference is not None:
        new_layers = [Input(batch_shape=reference.batch_shape, dtype=reference.dtype,
                            name=reference.name, optional=reference.optional)] + new_layers
    clone = Sequential(new_layers, name=model.name, trainable=model.trainable)
    _compile_like(clone, model)
    return clone


def _clone_functional(model, clone_function, input_tensors=None, call_function=None):
    if not callable(clone_function):
        raise ValueError(f"Expected `clone_function` argument to be a callable. "
                         f"Received: clone_function={clone_function}")
    if input_tensors is not None:
        if not all(isinstance(x, KerasTensor) for x in tree.flatten(input_tensors)):
            raise ValueError(f"All entries in `input_tensors` must be KerasTensors. Received "
                             f"invalid values: inputs_tensors={input_tensors}")
        try:
            tree.assert_same_structure(input_tensors, model._inputs_struct)
        except ValueError as e:
            raise ValueError(f"`input_tensors` must have the same structure as model.input\n"
                             f"Reference structure: {model._inputs_struct}\n"
                             f"Received structure: {input_tensors}") from e
    else:
        def new_input(tensor):
            layer = tensor._keras_history.layer
            return Input(batch_shape=tensor.shape, dtype=tensor.dtype, name=tensor.name,
                         optional=getattr(layer, "optional", False))
        input_tensors = tree.map_structure(new_input, model._inputs_struct)
    values = {id(t): v for t, v in zip(model.inputs, tree.flatten(input_tensors))}
    for node in model._nodes:
        if node.is_input or any(id(t) not in values for t in node.input_tensors):
            continue

        def fill(item):
            return values[id(item)] if isinstance(item, KerasTensor) else item
        args, kwargs = tree.map_structure(fill, node.arguments)
        layer = clone_function(node.layer)
        if call_function is not None:
            outputs = call_function(layer, *args, **kwargs)
        else:
            outputs = layer(*args, **kwargs)
        for tensor, value in zip(node.output_tensors, tree.flatten(outputs)):
            values[id(tensor)] = value
    missing = [t for t in model.outputs if id(t) not in values]
    if missing:
        raise ValueError(f"Could not compute output {missing[0]!r} of model {model.name!r} "
                         f"from the given inputs.")
    output_tensors = tree.pack_like(model._outputs_struct, [values[id(t)] for t in model.outputs])
    cls = type(model) if _functional_like_constructor(type(model)) else Functional
    clone = cls(input_tensors, output_tensors, name=model.name)
    _compile_like(clone, model)
    return clone


def _functional_like_constructor(cls):
    """Whether ``cls(inputs, outputs, name=...)`` builds it as Functional does."""
    try:
        parameters = list(inspect.signature(cls.__init__).parameters)[1:]
        functional = list(inspect.signature(Functional.__init__).parameters)[1:]
    except (TypeError, ValueError):
        return False
    return parameters == functional
