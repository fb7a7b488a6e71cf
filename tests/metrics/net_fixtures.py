"""Tiny stand-ins for the metric feature networks and independent NumPy references.

Nothing here downloads anything: the stand-ins have the real files' node names / key names and
the shapes that matter, with random weights.
"""

import numpy as np
import tensorflow as tf

FEATURE_DIM = 2048
NUM_LOGITS = 1008


# --------------------------------------------------------------------------------------------
# NumPy references.

def resize_bilinear_tf1_np(images, out_h, out_w):
    """TF1 ResizeBilinear (align_corners=False, half_pixel_centers=False) in float64 NumPy."""
    images = np.asarray(images, np.float64)
    _, in_h, in_w, _ = images.shape

    def axis(in_size, out_size):
        src = np.arange(out_size) * (in_size / out_size)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, in_size - 1)
        return lo, hi, src - lo

    y0, y1, fy = axis(in_h, out_h)
    x0, x1, fx = axis(in_w, out_w)
    top = images[:, y0][:, :, x0] * (1 - fx)[None, None, :, None] + \
        images[:, y0][:, :, x1] * fx[None, None, :, None]
    bottom = images[:, y1][:, :, x0] * (1 - fx)[None, None, :, None] + \
        images[:, y1][:, :, x1] * fx[None, None, :, None]
    return top * (1 - fy)[None, :, None, None] + bottom * fy[None, :, None, None]


def conv2d_np(x, kernel, bias, stride, pad):
    """Cross-correlation like torch.nn.Conv2d: x [N, H, W, C], kernel HWIO, symmetric zero pad."""
    x = np.pad(np.asarray(x, np.float64), [(0, 0), (pad, pad), (pad, pad), (0, 0)])
    kh, kw = kernel.shape[:2]
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))
    windows = windows[:, ::stride, ::stride]  # [N, Ho, Wo, C, kh, kw]
    out = np.tensordot(windows, np.asarray(kernel, np.float64), axes=([4, 5, 3], [0, 1, 2]))
    return out + np.asarray(bias, np.float64)


def max_pool_np(x, k, s):
    """Max-pool with floor rounding (torch.nn.MaxPool2d(k, s), TF 'VALID')."""
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(1, 2))[:, ::s, ::s]
    return windows.max(axis=(4, 5))


# --------------------------------------------------------------------------------------------
# A tiny TensorFlow FID graph (classify_image_graph_def.pb stand-in).

def build_fid_graph_def(seed=0, add_shapes=True, weights_identity=False, with_softmax=True,
                        device=None):
    """GraphDef with the real graph's names where it matters, and its random constants.

    DecodeJpeg/contents -> DecodeJpeg -> Cast -> ExpandDims [1, H, W, 3] -> ResizeBilinear
    (299x299, TF1) -> Sub 128 -> Mul 1/128 -> AvgPool 23/23 [1, 13, 13, 3] -> 1x1 conv to 2048
    + bias + ReLU -> AvgPool 13 `pool_3` [1, 1, 1, 2048] -> Reshape [1, 2048] (batch 1 hard-coded,
    as in the real graph) -> `softmax/logits/MatMul` with Const `softmax/weights` [2048, 1008]
    -> BiasAdd `softmax/logits` with `softmax/biases` -> Softmax `softmax`.

    `device` is written into every node's device field (a file's stale placement).

    Returns:
        (serialised GraphDef bytes, dict of the NumPy constants).
    """
    rng = np.random.RandomState(seed)
    params = {
        "conv_w": (rng.randn(1, 1, 3, FEATURE_DIM) * 0.7).astype(np.float32),
        "conv_b": (rng.randn(FEATURE_DIM) * 0.2).astype(np.float32),
        "softmax_w": (rng.randn(FEATURE_DIM, NUM_LOGITS) * 0.05).astype(np.float32),
        "softmax_b": (rng.randn(NUM_LOGITS) * 3).astype(np.float32),
    }
    graph = tf.Graph()
    with graph.as_default():
        contents = tf.compat.v1.placeholder(tf.string, [], name="DecodeJpeg/contents")
        decoded = tf.io.decode_jpeg(contents, channels=3, name="DecodeJpeg")
        cast = tf.cast(decoded, tf.float32, name="Cast")
        expand = tf.expand_dims(cast, 0, name="ExpandDims")
        size = tf.constant([299, 299], tf.int32, name="ResizeBilinear/size")
        resized = tf.raw_ops.ResizeBilinear(images=expand, size=size, align_corners=False,
                                            half_pixel_centers=False, name="ResizeBilinear")
        x = tf.multiply(tf.subtract(resized, 128.0, name="Sub"), 1 / 128.0, name="Mul")
        x = tf.nn.avg_pool2d(x, 23, 23, "VALID", name="pre_pool")
        x = tf.nn.conv2d(x, tf.constant(params["conv_w"], name="conv/weights"), 1, "VALID",
                         name="conv/Conv2D")
        x = tf.nn.relu(tf.nn.bias_add(x, tf.constant(params["conv_b"], name="conv/biases")),
                       name="conv/Relu")
        pool3 = tf.nn.avg_pool2d(x, 13, 13, "VALID", name="pool_3")
        if with_softmax:
            flat = tf.reshape(pool3, [1, FEATURE_DIM], name="pool_3/_reshape")
            weights = tf.constant(params["softmax_w"], name="softmax/weights")
            if weights_identity:
                weights = tf.identity(weights, name="softmax/weights/read")
            logits = tf.matmul(flat, weights, name="softmax/logits/MatMul")
            logits = tf.nn.bias_add(logits, tf.constant(params["softmax_b"],
                                                        name="softmax/biases"),
                                    name="softmax/logits")
            tf.nn.softmax(logits, name="softmax")
    graph_def = graph.as_graph_def(add_shapes=add_shapes)
    if device:
        for node in graph_def.node:
            node.device = device
    return graph_def.SerializeToString(), params


def fid_graph_expected_np(images, params):
    """pool_3 [N, 2048] and bias-free logits [N, 1008] of the tiny graph, in NumPy."""
    x = resize_bilinear_tf1_np(images, 299, 299)
    x = (x - 128.0) / 128.0
    n = x.shape[0]
    x = x.reshape(n, 13, 23, 13, 23, 3).mean(axis=(2, 4))
    x = np.maximum(x @ params["conv_w"][0, 0].astype(np.float64) + params["conv_b"], 0)
    pool3 = x.mean(axis=(1, 2))
    return pool3, pool3 @ params["softmax_w"].astype(np.float64)


# --------------------------------------------------------------------------------------------
# A tiny Inception SavedModel (TF-GAN / TF-Hub module stand-in).

SAVED_MODEL_PROBE = (150, 77)  # a pixel the tiny SavedModel reports


class TinyInceptionModule(tf.Module):
    """Reports per-image channel means, two pixels and H, W of its (preprocessed) input."""

    def __init__(self, with_logits=True):
        super().__init__()
        self.with_logits = with_logits
        self.proj = tf.Variable(np.random.RandomState(3).randn(11, NUM_LOGITS).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([None, 299, 299, 3], tf.float32, name="images")])
    def serve(self, images):
        n = tf.shape(images)[0]
        hw = tf.cast(tf.tile(tf.shape(images)[None, 1:3], [n, 1]), tf.float32)
        py, px = SAVED_MODEL_PROBE
        head = tf.concat([tf.reduce_mean(images, axis=[1, 2]), images[:, 0, 0, :],
                          images[:, py, px, :], hw], axis=1)  # [N, 11]
        pool3 = tf.reshape(tf.pad(head, [[0, 0], [0, FEATURE_DIM - 11]]), [-1, 1, 1, FEATURE_DIM])
        out = {"pool_3": pool3}
        if self.with_logits:
            out["logits"] = tf.matmul(head, self.proj)
        return out


def write_tiny_saved_model(path, with_logits=True):
    module = TinyInceptionModule(with_logits)
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return module.proj.numpy()


def tiny_saved_model_expected_np(images, proj):
    """What TinyInceptionModule returns for images preprocessed as the loader documents."""
    x = (resize_bilinear_tf1_np(images, 299, 299) - 128.0) / 128.0
    py, px = SAVED_MODEL_PROBE
    n = x.shape[0]
    head = np.concatenate([x.mean(axis=(1, 2)), x[:, 0, 0], x[:, py, px],
                           np.tile([[299.0, 299.0]], [n, 1])], axis=1)
    pool3 = np.pad(head, [(0, 0), (0, FEATURE_DIM - 11)])
    return pool3, head @ proj.astype(np.float64)


# --------------------------------------------------------------------------------------------
# LPIPS.

LPIPS_SHIFT = np.array([-0.030, -0.088, -0.188])
LPIPS_SCALE = np.array([0.458, 0.448, 0.450])

# Written out again here (not imported) so that the reference is independent of the module.
VGG_LAYERS = [  # stages of (kind, ...): ("conv", index, cin, cout, k, stride, pad), ("pool", k, s)
    [("conv", 0, 3, 64, 3, 1, 1), ("conv", 2, 64, 64, 3, 1, 1)],
    [("pool", 2, 2), ("conv", 5, 64, 128, 3, 1, 1), ("conv", 7, 128, 128, 3, 1, 1)],
    [("pool", 2, 2), ("conv", 10, 128, 256, 3, 1, 1), ("conv", 12, 256, 256, 3, 1, 1),
     ("conv", 14, 256, 256, 3, 1, 1)],
    [("pool", 2, 2), ("conv", 17, 256, 512, 3, 1, 1), ("conv", 19, 512, 512, 3, 1, 1),
     ("conv", 21, 512, 512, 3, 1, 1)],
    [("pool", 2, 2), ("conv", 24, 512, 512, 3, 1, 1), ("conv", 26, 512, 512, 3, 1, 1),
     ("conv", 28, 512, 512, 3, 1, 1)],
]
ALEX_LAYERS = [
    [("conv", 0, 3, 64, 11, 4, 2)],
    [("pool", 3, 2), ("conv", 3, 64, 192, 5, 1, 2)],
    [("pool", 3, 2), ("conv", 6, 192, 384, 3, 1, 1)],
    [("conv", 8, 384, 256, 3, 1, 1)],
    [("conv", 10, 256, 256, 3, 1, 1)],
]
LAYERS = {"vgg": VGG_LAYERS, "alex": ALEX_LAYERS}


def _convs(net):
    return [op for stage in LAYERS[net] for op in stage if op[0] == "conv"]


def _tap_channels(net):
    return [[op for op in stage if op[0] == "conv"][-1][3] for stage in LAYERS[net]]


def random_torch_state_dicts(net, seed=0, scale_channels=1.0, lin_style="lin"):
    """Synthetic torchvision backbone + lpips lin state dicts (torch layouts, NumPy arrays).

    `scale_channels` < 1 shrinks every channel count (the mapping does not fix sizes).
    """
    rng = np.random.RandomState(seed)

    def ch(c):
        return c if c == 3 else max(1, round(c * scale_channels))

    backbone = {}
    for _, index, cin, cout, k, _, _ in _convs(net):
        fan_in = ch(cin) * k * k
        backbone[f"features.{index}.weight"] = (
            rng.randn(ch(cout), ch(cin), k, k) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        backbone[f"features.{index}.bias"] = (rng.randn(ch(cout)) * 0.05).astype(np.float32)
    backbone["classifier.0.weight"] = rng.randn(4, 3).astype(np.float32)  # ignored by the mapping
    backbone["classifier.0.bias"] = rng.randn(4).astype(np.float32)
    lin = {}
    for k, channels in enumerate(_tap_channels(net)):
        key = f"lin{k}.model.1.weight" if lin_style == "lin" else f"lins.{k}.model.1.weight"
        lin[key] = (rng.rand(1, ch(channels), 1, 1) * 0.2).astype(np.float32)
    return backbone, lin


def random_lpips_arrays(net, seed=0):
    """Random weights in the converted .npz format, written independently of the converter."""
    backbone, lin = random_torch_state_dicts(net, seed)
    arrays = {"net": np.array(net), "version": np.array("0.1")}
    for _, index, *_ in _convs(net):
        arrays[f"features.{index}.kernel"] = \
            backbone[f"features.{index}.weight"].transpose(2, 3, 1, 0).copy()
        arrays[f"features.{index}.bias"] = backbone[f"features.{index}.bias"]
    for k in range(5):
        arrays[f"lin{k}"] = lin[f"lin{k}.model.1.weight"].reshape(-1)
    return arrays


def lpips_np(arrays, img0, img1):
    """LPIPS v0.1 in float64 NumPy from .npz-format arrays; images NHWC in [-1, 1]."""
    net = str(arrays["net"])

    def features(img):
        x = (np.asarray(img, np.float64) - LPIPS_SHIFT) / LPIPS_SCALE
        taps = []
        for stage in LAYERS[net]:
            for op in stage:
                if op[0] == "pool":
                    x = max_pool_np(x, op[1], op[2])
                else:
                    _, index, _, _, _, stride, pad = op
                    x = np.maximum(conv2d_np(x, arrays[f"features.{index}.kernel"],
                                             arrays[f"features.{index}.bias"], stride, pad), 0)
            taps.append(x)
        return taps

    total = 0.0
    for k, (f0, f1) in enumerate(zip(features(img0), features(img1))):
        f0 = f0 / (np.sqrt((f0 ** 2).sum(axis=-1, keepdims=True)) + 1e-10)
        f1 = f1 / (np.sqrt((f1 ** 2).sum(axis=-1, keepdims=True)) + 1e-10)
        weighted = ((f0 - f1) ** 2 * np.asarray(arrays[f"lin{k}"], np.float64)).sum(axis=-1)
        total = total + weighted.mean(axis=(1, 2))
    return total


def write_npz(path, arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return str(path)


# --------------------------------------------------------------------------------------------
# VGG16.

def write_legacy_keras_h5(path, model):
    """Writes `model`'s weights in Keras 2's HDF5 layout (that of the keras-applications files):
    root attribute layer_names; per layer a group whose attribute weight_names orders its
    datasets."""
    import h5py

    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [layer.name.encode() for layer in model.layers]
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.2.4"
        for layer in model.layers:
            group = f.create_group(layer.name)
            names = [f"{layer.name}_{'W' if v.ndim > 1 else 'b'}_1:0".encode()
                     for v in layer.get_weights()]
            group.attrs["weight_names"] = names
            for name, value in zip(names, layer.get_weights()):
                group.create_dataset(name.decode(), data=value)
    return str(path)
