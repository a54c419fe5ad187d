"""Built-in layers that have no ONNX converter, and why (the export error
quotes the reason)."""
from __future__ import annotations

_STRINGS = ("it works on strings (vocabulary lookups, tokenizing, FarmHash/SipHash of the "
            "values' text), which a numeric ONNX graph cannot express; run it in the input "
            "pipeline and export the model from its integer output on")

#: Layer class name -> why it is not exported.
REASONS = {
    "StringLookup": _STRINGS,
    "TextVectorization": _STRINGS,
    "Hashing": ("it hashes the text of each value (FarmHash64, or SipHash with a salt, of "
                "str(value), integers included), which has no ONNX operator; " + _STRINGS[
                    _STRINGS.index("run it"):]),
    "HashedCrossing": _STRINGS,
    "Lambda": "its function is arbitrary Python, with no layer graph to export",
    "Wrapper": "it is an abstract base class (subclasses define `call`); a subclass needs its "
               "own converter",
}


def reason_for(layer):
    return REASONS.get(type(layer).__name__)


def refuse_string_input(model, input_name):
    """A model input of strings: the error names the string layers' reason."""
    from brickwork.export.graph import ExportError
    string_layers = ", ".join(name for name, reason in REASONS.items() if reason == _STRINGS
                              or name == "Hashing")
    raise ExportError(f"Model {model.name!r}: input {input_name!r} holds strings, and an ONNX "
                      f"graph written by brickwork is numeric: string layers ({string_layers}) "
                      f"are not exported, since vocabulary lookups, tokenizing and hashing of "
                      f"text have no numeric ONNX form. Run them in the input pipeline and "
                      f"export the model from their integer output on.")
