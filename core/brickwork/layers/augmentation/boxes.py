"""Bounding boxes for the augmentation layers: Keras's formats, conversion
and clipping, written with :mod:`brickwork.ops`.

Formats (Keras's names): ``xyxy``, ``yxyx``, ``xywh``, ``center_xywh``,
``center_yxhw`` in pixels and ``rel_xyxy``, ``rel_yxyx``, ``rel_xywh``,
``rel_center_xywh`` as fractions of the image size. Boxes are
``(..., 4)`` float32 arrays; labels ``(...)`` ints, ``-1`` for no box.
"""
from __future__ import annotations

from brickwork import ops

SUPPORTED_FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy",
                     "rel_yxyx", "rel_xywh", "rel_center_xywh")


def check_format(layer_name, bounding_box_format):
    if str(bounding_box_format).lower() not in SUPPORTED_FORMATS:
        raise ValueError(f"Layer {layer_name!r}: unknown `bounding_box_format` "
                         f"{bounding_box_format!r}. Expected one of {SUPPORTED_FORMATS}.")


def densify(bounding_boxes, layer_name="layer"):
    """``{"boxes": float32 array, "labels": array}`` from arrays or nested lists
    (ragged lists padded with boxes of zeros and labels -1)."""
    if (not isinstance(bounding_boxes, dict) or "boxes" not in bounding_boxes
            or "labels" not in bounding_boxes):
        raise ValueError(f"Layer {layer_name!r}: `bounding_boxes` must be a dict with keys "
                         f"'boxes' and 'labels'. Received: {bounding_boxes!r}")
    boxes, labels = bounding_boxes["boxes"], bounding_boxes["labels"]
    if (isinstance(boxes, list) and boxes and isinstance(boxes[0], list) and boxes[0]
            and isinstance(boxes[0][0], list)):  # ragged batch: pad to the longest
        longest = max(len(b) for b in boxes)
        boxes = [list(b) + [[0, 0, 0, 0]] * (longest - len(b)) for b in boxes]
        labels = [list(lab) + [-1] * (longest - len(lab)) for lab in labels]
        labels = ops.convert_to_tensor(labels, dtype="int32")
    else:
        labels = ops.convert_to_tensor(labels)
    boxes = ops.convert_to_tensor(boxes, dtype="float32")
    if ops.shape(boxes)[-1] != 4:
        raise ValueError(f"Layer {layer_name!r}: bounding boxes must have 4 coordinates in the "
                         f"last axis. Received: boxes.shape={tuple(ops.shape(boxes))}")
    result = dict(bounding_boxes)
    result.update(boxes=ops.cast(boxes, "float32"), labels=labels)
    return result


def _split(boxes):
    return [ops.getitem(boxes, (Ellipsis, slice(i, i + 1))) for i in range(4)]


def _join(parts):
    return ops.concatenate(parts, axis=-1)


def _to_xyxy(boxes, source, height, width):
    a, b, c, d = _split(boxes)
    if source == "xyxy":
        return boxes
    if source == "yxyx":
        return _join([b, a, d, c])
    if source == "xywh":
        return _join([a, b, ops.add(a, c), ops.add(b, d)])
    if source == "center_xywh":
        return _join([ops.subtract(a, ops.divide(c, 2.0)), ops.subtract(b, ops.divide(d, 2.0)),
                      ops.add(a, ops.divide(c, 2.0)), ops.add(b, ops.divide(d, 2.0))])
    if source == "center_yxhw":
        return _join([ops.subtract(b, ops.divide(d, 2.0)), ops.subtract(a, ops.divide(c, 2.0)),
                      ops.add(b, ops.divide(d, 2.0)), ops.add(a, ops.divide(c, 2.0))])
    absolute = _to_xyxy(boxes, source[len("rel_"):], None, None)
    x1, y1, x2, y2 = _split(absolute)
    return _join([ops.multiply(x1, width), ops.multiply(y1, height), ops.multiply(x2, width),
                  ops.multiply(y2, height)])


def _from_xyxy(boxes, target, height, width):
    x1, y1, x2, y2 = _split(boxes)
    if target == "xyxy":
        return boxes
    if target == "yxyx":
        return _join([y1, x1, y2, x2])
    w, h = ops.subtract(x2, x1), ops.subtract(y2, y1)
    if target == "xywh":
        return _join([x1, y1, w, h])
    cx, cy = ops.add(x1, ops.divide(w, 2.0)), ops.add(y1, ops.divide(h, 2.0))
    if target == "center_xywh":
        return _join([cx, cy, w, h])
    if target == "center_yxhw":
        return _join([cy, cx, h, w])
    relative = _join([ops.divide(x1, width), ops.divide(y1, height), ops.divide(x2, width),
                      ops.divide(y2, height)])
    return _from_xyxy(relative, target[len("rel_"):], None, None)


def convert_format(boxes, source, target, height=None, width=None):
    """Boxes (an array, or a dict with ``"boxes"``) from one format to another;
    ``height`` and ``width`` (numbers or broadcastable arrays) are needed
    when either format is relative."""
    if isinstance(boxes, dict):
        result = dict(boxes)
        result["boxes"] = convert_format(boxes["boxes"], source, target, height, width)
        return result
    source, target = str(source).lower(), str(target).lower()
    for name in (source, target):
        if name not in SUPPORTED_FORMATS:
            raise ValueError(f"convert_format: unknown bounding box format {name!r}. Expected "
                             f"one of {SUPPORTED_FORMATS}.")
    if (source.startswith("rel_") or target.startswith("rel_")) and (height is None
                                                                    or width is None):
        raise ValueError(f"convert_format: converting between {source!r} and {target!r} needs "
                         f"the image `height` and `width`.")
    boxes = ops.cast(boxes, "float32")
    if source == target:
        return boxes
    if source.startswith("rel_") and target.startswith("rel_"):
        source, target = source[len("rel_"):], target[len("rel_"):]
    if height is not None:
        height = ops.cast(height, "float32")
        width = ops.cast(width, "float32")
    return _from_xyxy(_to_xyxy(boxes, source, height, width), target, height, width)


def clip_to_image_size(bounding_boxes, height=None, width=None, bounding_box_format="xyxy"):
    """Clip ``xyxy`` boxes to ``[0, width] x [0, height]`` (``rel_xyxy``: to
    ``[0, 1]``); boxes left with no area get label -1."""
    if bounding_box_format == "xyxy":
        high_x, high_y = ops.cast(width, "float32"), ops.cast(height, "float32")
    elif bounding_box_format == "rel_xyxy":
        high_x = high_y = 1.0
    else:
        raise ValueError(f"clip_to_image_size: `bounding_box_format` must be 'xyxy' or "
                         f"'rel_xyxy'. Received: {bounding_box_format!r}")
    x1, y1, x2, y2 = _split(bounding_boxes["boxes"])
    x1, x2 = ops.clip(x1, 0.0, high_x), ops.clip(x2, 0.0, high_x)
    y1, y2 = ops.clip(y1, 0.0, high_y), ops.clip(y2, 0.0, high_y)
    result = dict(bounding_boxes)
    result["boxes"] = _join([x1, y1, x2, y2])
    if bounding_boxes.get("labels") is not None:
        area = ops.squeeze(ops.multiply(ops.subtract(x2, x1), ops.subtract(y2, y1)), -1)
        labels = bounding_boxes["labels"]
        result["labels"] = ops.where(ops.greater(area, 0), labels,
                                     ops.cast(ops.full_like(labels, -1), ops.dtype_of(labels)))
    return result


def split(boxes):
    """The four coordinate columns of ``(..., 4)`` boxes, each ``(..., 1)``."""
    return _split(boxes)


def join(parts):
    return _join(parts)
