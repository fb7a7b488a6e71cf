"""Style-mixing figures (Karras et al. 2019/2020; NVlabs `style_mixing.py`).

Each row source r and column source c is mapped to ws [num_ws, w_dim]; cell (r, c) is the
synthesis of the row's ws with the column's ws at the chosen layer indices (`styles`, e.g.
0-6: the coarse styles of the column). The picture is the reference's layout: an empty
top-left tile, the column sources across the first row, the row sources down the first column
and the mixes in between.
"""

import numpy as np
import tensorflow as tf

from tfgan_fs import images as image_io


def mix_ws(row_ws, col_ws, styles):
    """ws [R, C, num_ws, w_dim]: row_ws [R, num_ws, w_dim] with col_ws [C, num_ws, w_dim] at
    the layer indices `styles`.

    Raises:
        ValueError: A style index outside [0, num_ws).
    """
    row_ws, col_ws = np.asarray(row_ws, np.float32), np.asarray(col_ws, np.float32)
    num_ws = row_ws.shape[1]
    bad = [s for s in styles if not 0 <= s < num_ws]
    if bad:
        raise ValueError(f"styles {bad} are not layers of this network (it has num_ws = "
                         f"{num_ws}: indices 0-{num_ws - 1})")
    mixed = np.repeat(row_ws[:, np.newaxis], len(col_ws), axis=1)
    mixed[:, :, list(styles)] = col_ws[np.newaxis][:, :, list(styles)]
    return mixed


def style_mixing_grid(G, row_ws, col_ws, styles, noise_mode="const", batch=16):
    """The reference's style-mixing picture of ws [R, num_ws, w_dim] and [C, num_ws, w_dim].

    Returns:
        (grid, cells, row_images, col_images): grid uint8 [(R + 1) H, (C + 1) W, ch] (top-left
        black), cells uint8 [R, C, H, W, ch], the sources' own images [R, ...] and [C, ...].
    """
    mixed = mix_ws(row_ws, col_ws, styles)
    rows, cols = len(row_ws), len(col_ws)

    @tf.function
    def synthesize(ws):
        return G.synthesis(ws, noise_mode=noise_mode)

    ws = np.concatenate([np.asarray(row_ws, np.float32), np.asarray(col_ws, np.float32),
                         mixed.reshape((-1,) + mixed.shape[2:])])
    imgs = np.concatenate([image_io.to_uint8(synthesize(tf.constant(ws[i:i + batch])))
                           for i in range(0, len(ws), batch)])
    row_imgs, col_imgs, cells = imgs[:rows], imgs[rows:rows + cols], imgs[rows + cols:]
    tiles = np.zeros(((rows + 1) * (cols + 1),) + imgs.shape[1:], np.uint8)
    tiles = tiles.reshape((rows + 1, cols + 1) + imgs.shape[1:])
    tiles[0, 1:] = col_imgs
    tiles[1:, 0] = row_imgs
    tiles[1:, 1:] = cells.reshape((rows, cols) + imgs.shape[1:])
    grid = image_io.make_grid(tiles.reshape((-1,) + imgs.shape[1:]), cols + 1)
    return grid, tiles[1:, 1:], row_imgs, col_imgs
