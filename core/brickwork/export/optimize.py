"""Peephole clean-up of the emitted nodes."""
from __future__ import annotations


def _perm(node):
    for attribute in node.attribute:
        if attribute.name == "perm":
            return list(attribute.ints)
    return None


def remove_inverse_transposes(nodes, protected):
    """Drop ``Transpose(Transpose(x, p), q)`` where ``q`` undoes ``p`` (the
    NHWC->NCHW->NHWC pairs between two convolutions); uses of the second
    output read ``x`` instead. Names in ``protected`` are never removed."""
    producer = {}
    for node in nodes:
        for output in node.output:
            producer[output] = node
    rename, dropped = {}, set()
    for node in nodes:
        for i, name in enumerate(node.input):
            if name in rename:
                node.input[i] = rename[name]
        if node.op_type != "Transpose" or node.output[0] in protected:
            continue
        first = producer.get(node.input[0])
        if first is None or first.op_type != "Transpose":
            continue
        p, q = _perm(first), _perm(node)
        if p is None or q is None or len(p) != len(q):
            continue
        if [p[axis] for axis in q] == list(range(len(p))):
            rename[node.output[0]] = first.input[0]
            dropped.add(id(node))
    kept = [node for node in nodes if id(node) not in dropped]
    used = {name for node in kept for name in node.input} | set(protected)
    # A first Transpose whose output nobody reads any more goes too.
    while True:
        unused = [node for node in kept
                  if node.op_type == "Transpose" and node.output[0] not in used]
        if not unused:
            return kept
        gone = {id(node) for node in unused}
        kept = [node for node in kept if id(node) not in gone]
        used = {name for node in kept for name in node.input} | set(protected)
