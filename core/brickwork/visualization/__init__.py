"""``brickwork.visualization``: Keras 3's ``keras.visualization`` functions.

Drawing boxes and masks on batches of images (NumPy in, NumPy out) and
showing image galleries with matplotlib. matplotlib is optional and imported
only when a gallery is drawn or a box label is written.
"""
from brickwork.visualization.draw import draw_bounding_boxes, draw_segmentation_masks
from brickwork.visualization.gallery import (plot_bounding_box_gallery, plot_image_gallery,
                                             plot_segmentation_mask_gallery)

__all__ = ["draw_bounding_boxes", "draw_segmentation_masks", "plot_bounding_box_gallery",
           "plot_image_gallery", "plot_segmentation_mask_gallery"]
