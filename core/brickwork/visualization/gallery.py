"""Galleries of images with matplotlib: plain, with boxes, with masks.

matplotlib is imported when a gallery is drawn, not before.
"""
from __future__ import annotations

import math

import numpy as np

from brickwork.visualization.draw import (check_batched, draw_bounding_boxes,
                                          draw_segmentation_masks, resolve_data_format, to_numpy)


def _pyplot(function_name):
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(f"The `{function_name}` function requires the `matplotlib` package. "
                          f"Please install it with `pip install matplotlib`.") from exc
    return plt


def _to_0_255(images, value_range):
    """Images in ``value_range`` mapped linearly to [0, 255] (float32)."""
    low, high = (float(v) for v in value_range)
    images = np.asarray(images, dtype="float32")
    if (low, high) == (0.0, 255.0):
        return images
    return (images - np.float32(low)) / np.float32(high - low) * np.float32(255.0)


def plot_image_gallery(images, y_true=None, y_pred=None, label_map=None, rows=None, cols=None,
                       value_range=(0, 255), scale=2, path=None, show=None, transparent=True,
                       dpi=60, legend_handles=None, data_format=None):
    """Show a batch of images in a grid, as ``keras.visualization.plot_image_gallery``.

    Args:
        images: a batch of images, ``(batch, height, width, channels)`` with
            1, 3 or 4 channels (or channels first, see ``data_format``).
        y_true: class ids of the images, written above each as "Label: ...".
        y_pred: predicted class ids, written as "Pred: ...".
        label_map: a dict from class id to name; required with y_true or y_pred.
        rows, cols: the grid. Defaults: ``ceil(sqrt(batch))`` rows and as
            many columns as the batch needs; cells past the batch stay empty,
            images past the grid are left out.
        value_range: the range of the image values, mapped to [0, 255].
        scale: inches per grid cell. Defaults to 2.
        path: save the gallery there (then it is not shown).
        show: show the gallery with ``plt.show()``; defaults to True when
            ``path`` is None.
        transparent: save with a transparent background. Defaults to True.
        dpi: resolution of the saved file. Defaults to 60.
        legend_handles: matplotlib ``Patch`` handles for a legend.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Returns:
        The matplotlib ``Figure`` (Keras returns None). It is closed when
        saved or shown, still open otherwise.
    """
    plt = _pyplot("plot_image_gallery")
    if path is not None and show:
        raise ValueError("plot_gallery() expects either `path` to be set, or `show` to be true.")
    if (y_true is not None or y_pred is not None) and label_map is None:
        raise ValueError("If `y_true` or `y_pred` are provided, a `label_map` must also be "
                         "provided.")
    show = (path is None) if show is None else show
    data_format = resolve_data_format(data_format)
    images = to_numpy(images)
    if np.ndim(images) != 4:
        raise ValueError("`plot_images_gallery()` requires you to batch your `np.array` "
                         "samples together.")
    if data_format == "channels_first":
        images = np.transpose(images, (0, 2, 3, 1))
    batch_size = images.shape[0]
    rows = int(rows or max(1, math.ceil(math.sqrt(batch_size))))
    cols = int(cols or max(1, math.ceil(batch_size / rows)))
    images = _to_0_255(images[:rows * cols], value_range)
    images = np.clip(images, 0, 255).astype("uint8")
    y_true = None if y_true is None else np.asarray(to_numpy(y_true)).reshape(-1)
    y_pred = None if y_pred is None else np.asarray(to_numpy(y_pred)).reshape(-1)

    fig, axes = plt.subplots(nrows=rows, ncols=cols, figsize=(cols * scale, rows * scale),
                             frameon=False, layout="tight", squeeze=False, sharex="row",
                             sharey="col")
    fig.subplots_adjust(wspace=0, hspace=0)
    if legend_handles is not None:
        fig.legend(handles=legend_handles, loc="lower center")

    def name_of(value):
        value = value.item() if hasattr(value, "item") else value
        return label_map.get(value, "Unknown")

    for index, axis in enumerate(axes.reshape(-1)):
        axis.axis("off")
        if index >= len(images):
            continue
        image = images[index]
        if image.shape[-1] == 1:
            axis.imshow(image[..., 0], cmap="gray", vmin=0, vmax=255)
        else:
            axis.imshow(image)
        axis.margins(x=0, y=0)
        title = []
        if y_true is not None and index < len(y_true):
            title.append(f"Label: {name_of(y_true[index])}")
        if y_pred is not None and index < len(y_pred):
            title.append(f"Pred: {name_of(y_pred[index])}")
        if title:
            axis.set_title("  ".join(title), fontsize=8)

    if path is not None:
        fig.savefig(path, pad_inches=0, bbox_inches="tight", transparent=transparent, dpi=dpi)
        plt.close(fig)
    elif show:
        plt.show()
        plt.close(fig)
    return fig


def plot_bounding_box_gallery(images, bounding_box_format, y_true=None, y_pred=None,
                              value_range=(0, 255), true_color=(0, 188, 212),
                              pred_color=(255, 235, 59), line_thickness=2, font_scale=1.0,
                              text_thickness=None, class_mapping=None, ground_truth_mapping=None,
                              prediction_mapping=None, legend=False, legend_handles=None,
                              rows=None, cols=None, data_format=None, **kwargs):
    """Show a batch of images with their true and predicted boxes, as
    ``keras.visualization.plot_bounding_box_gallery``.

    Args:
        images: a batch of images (see ``plot_image_gallery``).
        bounding_box_format: the boxes' format (see ``draw_bounding_boxes``).
        y_true, y_pred: dicts of ``"boxes"`` and ``"labels"`` (and optionally
            ``"confidences"``), as ``draw_bounding_boxes`` takes.
        value_range: the range of the image values. Defaults to (0, 255).
        true_color, pred_color: RGB colours of true and predicted boxes.
        line_thickness, font_scale, text_thickness: as ``draw_bounding_boxes``.
        class_mapping: class id to name, for both kinds of boxes unless
            ``ground_truth_mapping`` or ``prediction_mapping`` say otherwise.
        legend: add a "Ground Truth" / "Prediction" legend.
        legend_handles: your own legend handles (not with ``legend``).
        rows, cols, data_format, kwargs: passed on to ``plot_image_gallery``.

    Returns:
        What ``plot_image_gallery`` returns: the matplotlib ``Figure``.
    """
    _pyplot("plot_bounding_box_gallery")
    from matplotlib import patches
    prediction_mapping = prediction_mapping or class_mapping
    ground_truth_mapping = ground_truth_mapping or class_mapping
    data_format = resolve_data_format(data_format)
    images = to_numpy(images)
    check_batched(images)
    if data_format == "channels_first":
        images = np.transpose(images, (0, 2, 3, 1))
    # Boxes are drawn in [0, 255]: the colours are given in that range.
    plotted = np.clip(_to_0_255(images, value_range), 0, 255)
    options = {"bounding_box_format": bounding_box_format, "line_thickness": line_thickness,
               "text_thickness": text_thickness, "font_scale": font_scale}
    if y_true is not None:
        plotted = draw_bounding_boxes(plotted.astype("uint8"), y_true, color=true_color,
                                      class_mapping=ground_truth_mapping, **options)
    if y_pred is not None:
        plotted = draw_bounding_boxes(plotted.astype("uint8"), y_pred, color=pred_color,
                                      class_mapping=prediction_mapping, **options)
    if legend:
        if legend_handles:
            raise ValueError("Only pass `legend` OR `legend_handles` to "
                             "`brickwork.visualization.plot_bounding_box_gallery()`.")
        legend_handles = [
            patches.Patch(color=np.array(true_color) / 255.0, label="Ground Truth"),
            patches.Patch(color=np.array(pred_color) / 255.0, label="Prediction"),
        ]
    return plot_image_gallery(plotted, value_range=(0, 255), legend_handles=legend_handles,
                              rows=rows, cols=cols, **kwargs)


def plot_segmentation_mask_gallery(images, num_classes, value_range=(0, 255), y_true=None,
                                   y_pred=None, color_mapping=None, blend=True, alpha=0.8,
                                   ignore_index=-1, data_format=None, **kwargs):
    """Show each image of a batch beside its true and predicted masks, one
    row per image, as ``keras.visualization.plot_segmentation_mask_gallery``.

    Args:
        images: a batch of images (see ``plot_image_gallery``).
        num_classes: how many classes get a colour.
        value_range: the range of the image values. Defaults to (0, 255).
        y_true, y_pred: integer masks, ``(batch, height, width)`` or with a
            trailing 1 (leading 1 after the batch when channels first).
        color_mapping, blend, alpha, ignore_index: as ``draw_segmentation_masks``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        kwargs: passed on to ``plot_image_gallery`` (``path``, ``show``, ...).

    Returns:
        What ``plot_image_gallery`` returns: the matplotlib ``Figure``.
    """
    _pyplot("plot_segmentation_mask_gallery")
    data_format = resolve_data_format(data_format)
    images = to_numpy(images)
    check_batched(images)
    if data_format == "channels_first":
        images = np.transpose(images, (0, 2, 3, 1))
    # Masks are drawn in [0, 255]: the colours are given in that range.
    images = np.clip(_to_0_255(images, value_range), 0, 255)
    batch_size = images.shape[0]

    def drawn(masks):
        masks = np.asarray(to_numpy(masks))
        if data_format == "channels_first" and masks.ndim == 4:
            masks = np.transpose(masks, (0, 2, 3, 1))
        return draw_segmentation_masks(images, masks.astype("int32"), num_classes=num_classes,
                                       color_mapping=color_mapping, alpha=alpha,
                                       ignore_index=ignore_index, blend=blend)

    columns = [images]
    if y_true is not None:
        columns.append(drawn(y_true))
    if y_pred is not None:
        columns.append(drawn(y_pred))
    gallery = np.stack([np.asarray(column[i], dtype="float32")
                        for i in range(batch_size) for column in columns], axis=0)
    return plot_image_gallery(gallery, value_range=(0, 255), rows=batch_size,
                              cols=len(columns), **kwargs)
