"""Drawing on batches of images: bounding boxes and segmentation masks.

Both work on NumPy arrays and return NumPy arrays; they accept brickwork
tensors and CuPy arrays too. Boxes are drawn with the pixels OpenCV's
``cv2.rectangle`` draws (which Keras uses), without needing OpenCV; box
labels are written with matplotlib's bundled DejaVu Sans font, so only they
need matplotlib.
"""
from __future__ import annotations

import numpy as np

BOX_FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw",
               "rel_xyxy", "rel_yxyx", "rel_xywh", "rel_center_xywh")


def to_numpy(x):
    from brickwork import ops
    return ops.convert_to_numpy(x)


def resolve_data_format(data_format):
    data_format = "channels_last" if data_format is None else str(data_format).lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"`data_format` must be 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    return data_format


def check_batched(images):
    shape = np.shape(images)
    if len(shape) != 4:
        raise ValueError(f"`images` must be batched 4D tensor. Received: images.shape={shape}")
    return shape


def boxes_to_xyxy(boxes, bounding_box_format, height, width):
    """Boxes in ``bounding_box_format`` as absolute ``[x1, y1, x2, y2]``
    (float32), the formats of ``keras.utils.bounding_boxes.convert_format``."""
    fmt = str(bounding_box_format).lower()
    if fmt not in BOX_FORMATS:
        raise ValueError(f"Invalid bounding box format {bounding_box_format!r}. "
                         f"Supported formats: {list(BOX_FORMATS)}")
    boxes = np.asarray(to_numpy(boxes), dtype="float32")
    if boxes.shape[-1:] != (4,):
        raise ValueError(f"`boxes` must be a tensor with the last dimension of 4. "
                         f"Received: boxes.shape={boxes.shape}")
    relative = fmt.startswith("rel_")
    fmt = fmt[4:] if relative else fmt
    a, b, c, d = np.moveaxis(boxes, -1, 0)
    if fmt == "xyxy":
        x1, y1, x2, y2 = a, b, c, d
    elif fmt == "yxyx":
        y1, x1, y2, x2 = a, b, c, d
    elif fmt == "xywh":
        x1, y1, x2, y2 = a, b, a + c, b + d
    else:
        cx, cy, w, h = (a, b, c, d) if fmt == "center_xywh" else (b, a, d, c)
        x1, y1, x2, y2 = cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0
    if relative:
        width, height = np.float32(width), np.float32(height)
        x1, x2, y1, y2 = x1 * width, x2 * width, y1 * height, y2 * height
    return np.stack([x1, y1, x2, y2], axis=-1).astype("float32")


def to_uint8_images(images):
    """As Keras draws: floats in [0, 1] are scaled by 255, other floats clipped
    to [0, 255]; then uint8."""
    images = np.asarray(images)
    if images.dtype.kind == "f" and images.size > 0:
        images = np.clip(images, 0, 1) * 255 if images.max() <= 1.0 else np.clip(images, 0, 255)
    return images.astype("uint8")


def _color_for(image, color):
    """``color`` as one value per channel of ``image`` (an RGB colour on a
    one-channel image uses its first value, as OpenCV does)."""
    color = np.asarray(color, dtype="float64").reshape(-1)
    channels = image.shape[-1]
    if color.size < channels:
        color = np.concatenate([color, np.zeros(channels - color.size)])
    return color[:channels]


def draw_rectangle(image, x1, y1, x2, y2, color, thickness):
    """Draw a rectangle outline on ``image`` (H, W, C) in place, with the
    pixels ``cv2.rectangle`` sets: those within ``(thickness + 1) // 2`` of
    the outline (0 for thickness 1), corners rounded; a negative thickness
    fills the rectangle."""
    if thickness == 0:
        raise ValueError("`line_thickness` must be a positive integer (or negative to fill).")
    x1, x2 = sorted((int(x1), int(x2)))
    y1, y2 = sorted((int(y1), int(y2)))
    radius = 0 if thickness < 0 or thickness <= 1 else (int(thickness) + 1) // 2
    height, width = image.shape[:2]
    top, bottom = max(y1 - radius, 0), min(y2 + radius, height - 1)
    left, right = max(x1 - radius, 0), min(x2 + radius, width - 1)
    if top > bottom or left > right:
        return image
    yy, xx = np.mgrid[top:bottom + 1, left:right + 1]
    inside = (xx >= x1) & (xx <= x2) & (yy >= y1) & (yy <= y2)
    if thickness < 0:
        hit = inside
    else:
        to_edge = np.minimum.reduce([xx - x1, x2 - xx, yy - y1, y2 - yy])
        outside = (xx - np.clip(xx, x1, x2)) ** 2 + (yy - np.clip(yy, y1, y2)) ** 2
        hit = np.where(inside, to_edge ** 2, outside) <= radius ** 2
    image[top:bottom + 1, left:right + 1][hit] = _color_for(image, color).astype(image.dtype)
    return image


def _font():
    try:
        from matplotlib import font_manager, ft2font
    except ImportError as exc:
        raise ImportError("Writing box labels (`class_mapping`) requires the `matplotlib` "
                          "package. Please install it with `pip install matplotlib`.") from exc
    path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"))
    return ft2font.FT2Font(path)


def text_coverage(text, font_scale=1.0, thickness=1):
    """The text as a coverage bitmap (float in [0, 1], rows by columns) and
    the row of its baseline. Capitals are about 22 pixels tall at scale 1,
    as OpenCV's Hershey Simplex font that Keras writes with."""
    font = _font()
    font.set_size(30.0 * float(font_scale), 72)
    font.set_text(str(text), 0.0)
    font.draw_glyphs_to_bitmap(antialiased=True)
    coverage = np.asarray(font.get_image(), dtype="float32") / 255.0
    grow = max(int(thickness) - 1, 0)  # thicker strokes: dilate right and down
    if grow:
        padded = np.pad(coverage, ((0, grow), (0, grow)))
        grown = padded.copy()
        for dy in range(grow + 1):
            for dx in range(grow + 1):
                grown[dy:, dx:] = np.maximum(grown[dy:, dx:], padded[:padded.shape[0] - dy,
                                                                      :padded.shape[1] - dx])
        coverage = grown
    baseline = coverage.shape[0] - grow - int(round(font.get_descent() / 64.0))
    return coverage, baseline


def draw_text(image, text, org, color, font_scale=1.0, thickness=1):
    """Write ``text`` on ``image`` (H, W, C) in place, its baseline starting at
    ``org`` = (x, y), as ``cv2.putText``'s ``org``."""
    coverage, baseline = text_coverage(text, font_scale, thickness)
    x0, y0 = int(org[0]), int(org[1]) - baseline
    height, width = image.shape[:2]
    rows, cols = coverage.shape
    top, left = max(y0, 0), max(x0, 0)
    bottom, right = min(y0 + rows, height), min(x0 + cols, width)
    if top >= bottom or left >= right:
        return image
    alpha = coverage[top - y0:bottom - y0, left - x0:right - x0, None]
    region = image[top:bottom, left:right].astype("float32")
    blended = region * (1 - alpha) + _color_for(image, color).astype("float32") * alpha
    image[top:bottom, left:right] = np.clip(np.rint(blended), 0, 255).astype(image.dtype)
    return image


def _text_location(x, y, font_scale, thickness):
    """Where Keras puts a box's label: above the box, or inside it near the
    top when there is no room above."""
    font_height = int(font_scale * 12)
    if y - 8 - 2 * font_height > 0:
        return x, y - 8
    return x + 3, y + 2 * font_height + thickness + 3


def draw_bounding_boxes(images, bounding_boxes, bounding_box_format, class_mapping=None,
                        color=(128, 128, 128), line_thickness=2, text_thickness=1,
                        font_scale=1.0, data_format=None):
    """Draw bounding boxes (and their class labels) on a batch of images.

    As ``keras.visualization.draw_bounding_boxes``, without OpenCV: the box
    outlines are the pixels ``cv2.rectangle`` would set; labels are written
    with matplotlib's DejaVu Sans font.

    Args:
        images: a batch of images, ``(batch, height, width, channels)``
            (or channels first, see ``data_format``). Floats with a maximum
            of at most 1 are taken as [0, 1] and scaled to [0, 255].
        bounding_boxes: a dict with ``"boxes"`` ``(batch, num_boxes, 4)``,
            ``"labels"`` ``(batch, num_boxes)`` (boxes labelled -1 are not
            drawn) and optionally ``"confidences"`` ``(batch, num_boxes)``.
        bounding_box_format: the format of the boxes: ``"xyxy"``, ``"yxyx"``,
            ``"xywh"``, ``"center_xywh"``, ``"center_yxhw"``, or ``"rel_xyxy"``,
            ``"rel_yxyx"``, ``"rel_xywh"``, ``"rel_center_xywh"`` (fractions of
            the image's width and height).
        class_mapping: a dict from class id to the name written by the box
            (with ``" | 0.93"``-style confidence when given). None: no text.
        color: RGB colour of boxes and text. Defaults to ``(128, 128, 128)``.
        line_thickness: box line thickness in pixels. Defaults to 2.
        text_thickness: text stroke thickness. Defaults to 1 (None or 0:
            ``line_thickness``).
        font_scale: text size; capitals are about ``22 * font_scale`` pixels tall.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Returns:
        A uint8 NumPy array of the same shape as ``images``, boxes drawn.
    """
    class_mapping = class_mapping or {}
    text_thickness = text_thickness or line_thickness
    data_format = resolve_data_format(data_format)
    images = to_numpy(images)
    check_batched(images)
    if not isinstance(bounding_boxes, dict):
        raise TypeError(f"`bounding_boxes` should be a dict. Received: "
                        f"bounding_boxes={bounding_boxes} of type {type(bounding_boxes)}")
    if "boxes" not in bounding_boxes or "labels" not in bounding_boxes:
        raise ValueError(f"`bounding_boxes` should be a dict containing 'boxes' and 'labels' "
                         f"keys. Received: bounding_boxes={bounding_boxes}")
    if data_format == "channels_first":
        images = np.transpose(images, (0, 2, 3, 1))
    height, width = images.shape[1:3]
    boxes = boxes_to_xyxy(bounding_boxes["boxes"], bounding_box_format, height, width)
    boxes = boxes.astype("int32")
    labels = np.asarray(to_numpy(bounding_boxes["labels"])).astype("int32")
    confidences = bounding_boxes.get("confidences")
    if confidences is not None:
        confidences = np.asarray(to_numpy(confidences))

    drawn = np.array(to_uint8_images(images), copy=True)
    for i in range(drawn.shape[0]):
        image = drawn[i]
        for j in range(boxes.shape[1]):
            label = int(labels[i, j])
            if label == -1:
                continue
            x1, y1, x2, y2 = (int(v) for v in boxes[i, j])
            draw_rectangle(image, x1, y1, x2, y2, color, line_thickness)
            if label in class_mapping:
                text = str(class_mapping[label])
                if confidences is not None:
                    text = f"{text} | {float(confidences[i][j]):.2f}"
                org = _text_location(x1, y1, font_scale, text_thickness)
                draw_text(image, text, org, color, font_scale, text_thickness)
    if data_format == "channels_first":
        drawn = np.transpose(drawn, (0, 3, 1, 2))
    return drawn


def default_color_palette(num_classes):
    """Keras's colours for classes 0, 1, ...: class 0 is black."""
    palette = np.array([2 ** 25 - 1, 2 ** 15 - 1, 2 ** 21 - 1])
    return [((i * palette) % 255).tolist() for i in range(num_classes)]


def draw_segmentation_masks(images, segmentation_masks, num_classes=None, color_mapping=None,
                            alpha=0.8, blend=True, ignore_index=-1, data_format=None):
    """Overlay segmentation masks on a batch of images, as
    ``keras.visualization.draw_segmentation_masks``.

    Args:
        images: a batch of images, ``(batch, height, width, channels)``
            with values in [0, 255] (or channels first, see ``data_format``).
        segmentation_masks: integer class ids, ``(batch, height, width)`` or
            ``(batch, height, width, 1)``.
        num_classes: how many classes (ids ``0 .. num_classes - 1``) get a
            colour. None: ``max(segmentation_masks) + 1``, so every id present
            is drawn (Keras takes the maximum itself and leaves that class
            undrawn).
        color_mapping: a dict from class id to an RGB colour; ids missing from
            it are not drawn. None: Keras's palette (class 0 is black).
        alpha: opacity of the colours when blending, in [0, 1].
        blend: mix colours into the image as ``image * (1 - alpha) + color *
            alpha`` (uint8 result); False: paint them over it (float32 result,
            as Keras).
        ignore_index: a class id that is never drawn. Defaults to -1.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``
            (then the masks are ``(batch, 1, height, width)``).

    Returns:
        A NumPy array: the images (channels last) with the masks drawn.
    """
    data_format = resolve_data_format(data_format)
    images = to_numpy(images)
    check_batched(images)
    masks = np.asarray(to_numpy(segmentation_masks))
    if data_format == "channels_first":
        images = np.transpose(images, (0, 2, 3, 1))
        if masks.ndim == 4:
            masks = np.transpose(masks, (0, 2, 3, 1))
    if masks.dtype.kind not in "iu":
        raise TypeError(f"`segmentation_masks` must be in integer dtype. Received: "
                        f"segmentation_masks.dtype={masks.dtype}")
    if masks.ndim == 4 and masks.shape[-1] == 1:
        masks = masks[..., 0]
    if masks.shape != images.shape[:3]:
        raise ValueError(f"`segmentation_masks` must have shape (batch, height, width) or "
                         f"(batch, height, width, 1) matching `images` {images.shape}. "
                         f"Received: segmentation_masks.shape={np.shape(segmentation_masks)}")
    images = images.astype("float32")
    if num_classes is None:
        num_classes = int(masks.max()) + 1 if masks.size else 0
    if color_mapping is None:
        colors = dict(enumerate(default_color_palette(num_classes)))
    else:
        colors = {i: color_mapping[i] for i in range(num_classes) if i in color_mapping}

    painted = images.copy()
    drawn = np.zeros(masks.shape, dtype=bool)
    for class_id, color in colors.items():
        if class_id == ignore_index:
            continue
        where = masks == class_id
        painted[where] = _color_for(painted, color).astype("float32")
        drawn |= where
    if not blend:
        return painted
    mixed = images * (1 - alpha) + painted * alpha
    return np.where(drawn[..., None], mixed, images).astype("uint8")
