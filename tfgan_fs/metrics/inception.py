"""Inception-v3 features (pool_3, 2048-d) and logits (1008-d) for FID, KID and IS.

Loaded from a local file (nothing is downloaded):

* **The TensorFlow FID graph** `classify_image_graph_def.pb` from
  http://download.tensorflow.org/models/image/imagenet/inception-2015-12-05.tgz: the network of
  TTUR's `fid.py`, OpenAI's Inception Score code and (translated to TorchScript / pickles) the
  StyleGAN2-ADA reference. This is the path that reproduces published FIDs. The GraphDef is
  imported with TF2's `tf.compat.v1.wrap_function` + `tf.graph_util.import_graph_def`; a batched
  float32 input `[None, None, None, 3]` (values 0-255) replaces the graph's `ExpandDims:0`
  (the single image the graph's own JPEG decoder would produce) and the function is pruned to the
  outputs, so any batch size works and the JPEG-decoding part never runs. The graph itself then
  resizes to 299x299 with its `ResizeBilinear` op (TF1 semantics: align_corners=False,
  half_pixel_centers=False) and maps values with (x - 128) / 128, exactly as in the references;
  callers pass images at their native resolution.

  Outputs: `pool_3:0` ([N, 1, 1, 2048], returned as [N, 2048]) and, for IS, logits computed the
  way OpenAI's Inception Score code and the StyleGAN2-ADA reference's `no_output_bias=True` do:
  pool_3 @ W with W the weight matrix feeding `softmax/logits/MatMul` (`softmax/weights`,
  2048 x 1008) and **no bias**. The graph's own `pool_3/_reshape` -> `softmax` ops hard-code a
  batch of 1 and are never run.

  Graph node names relied on: `ExpandDims` (output 0 is fed), `pool_3` (output 0 is read) and
  `softmax/logits/MatMul` (its second input, followed through Identity ops, is W; when that node
  is absent, `logits` is None). Before import, `_output_shapes` attributes are dropped (a
  precaution: shapes recorded in the file for a batch of 1 must not constrain the batched
  function) and so are device assignments (the caller's device scope places the network).

* **A SavedModel directory** (e.g. a local copy of the TF-GAN / TF-Hub Inception module), whose
  `serving_default` (else `default`, else its only) signature -- or, with no signature, the
  loaded object itself -- takes float32 images at 299x299 scaled to [-1, 1] and returns a dict
  with `pool_3` ([N, 2048] or [N, 1, 1, 2048]) and optionally `logits` ([N, 1008]). The loader
  does the preprocessing of TF-GAN's `preprocess_image`: bilinear resize to 299x299 with the
  same TF1 op as the graph above, then (x - 128) / 128 (so 0 -> -1 and 255 -> 0.9921875).
  Whatever the SavedModel computes is used as is; only the .pb path is known to match
  published FIDs exactly.

Calling: `net(images)` with uint8 or float 0-255 images [N, H, W, C], C in {1, 3} (1-channel
images are repeated to 3) returns {'pool_3': [N, 2048] float32, 'logits': [N, 1008] float32 or
None}. Works eagerly and inside `tf.function` (e.g. per replica under a tf.distribute strategy:
the .pb's weights are constants inside the function, so each replica's device gets its own copy).
"""

import os

import tensorflow as tf

from tfgan_fs.metrics.weights import bad_weights_error, check_exists

IMAGE_SIZE = 299
FEATURE_DIM = 2048
NUM_LOGITS = 1008

INPUT_TENSOR = "ExpandDims:0"
POOL_NODE = "pool_3"
LOGITS_MATMUL_NODE = "softmax/logits/MatMul"
_PREFIX = "inception"


def _node_name(input_name):
    """Node name of a GraphDef input reference ('^ctrl', 'name:1' -> 'name')."""
    return input_name.lstrip("^").split(":")[0]


def _resize_tf1_bilinear(images, size):
    """TF1 ResizeBilinear (align_corners=False, half_pixel_centers=False), as in the FID graph."""
    return tf.raw_ops.ResizeBilinear(images=images, size=size, align_corners=False,
                                     half_pixel_centers=False)


class InceptionV3:
    """Inception-v3 feature network; build with `InceptionV3.load(path)`.

    Attributes:
        source: The path loaded from.
        kind: 'graph_def' (the TensorFlow FID .pb) or 'saved_model'.
        has_logits: Whether `logits` are available (for IS).
    """

    image_size = IMAGE_SIZE
    feature_dim = FEATURE_DIM

    def __init__(self, fn, source, kind, has_logits):
        """Internal; use `load`. `fn` maps float32 [N, H, W, 3] (0-255) to (pool_3, logits|None)."""
        self._fn = fn
        self.source = source
        self.kind = kind
        self.has_logits = has_logits

    @classmethod
    def load(cls, path, flag=None):
        """Loads classify_image_graph_def.pb (a file) or a SavedModel (a directory).

        Args:
            path: Path of the .pb file or SavedModel directory.
            flag: Optional flag/argument name to cite in the MissingWeightsError message.

        Raises:
            MissingWeightsError: `path` is None or does not exist.
            ValueError: The file is not the expected network (names the file and the problem).
        """
        path = check_exists("inception", path, flag)
        if os.path.isdir(path):
            return cls._load_saved_model(path)
        return cls._load_graph_def(path)

    # ----------------------------------------------------------------------------------------
    # The TensorFlow FID graph.

    @classmethod
    def _load_graph_def(cls, path):
        graph_def = tf.compat.v1.GraphDef()
        with open(path, "rb") as f:
            data = f.read()
        try:
            graph_def.ParseFromString(data)
        except Exception as err:  # google.protobuf.message.DecodeError and friends
            raise bad_weights_error("inception", path, f"not a GraphDef protobuf ({err})") from err
        nodes = {node.name: node for node in graph_def.node}
        missing = [name for name in ("ExpandDims", POOL_NODE) if name not in nodes]
        if missing:
            raise bad_weights_error(
                "inception", path, f"the graph has no node(s) {missing} "
                f"({len(nodes)} nodes; the FID graph feeds ExpandDims:0 and reads pool_3:0)")
        for node in graph_def.node:
            if "_output_shapes" in node.attr:  # shapes recorded for a batch of 1
                del node.attr["_output_shapes"]
            node.device = ""  # placed by the caller (e.g. each replica's device), not the file
        has_logits = LOGITS_MATMUL_NODE in nodes

        def import_graph(images):
            tf.graph_util.import_graph_def(graph_def, input_map={INPUT_TENSOR: images},
                                           name=_PREFIX)
            graph = tf.compat.v1.get_default_graph()
            pool3 = graph.get_tensor_by_name(f"{_PREFIX}/{POOL_NODE}:0")
            features = tf.reshape(pool3, [-1, pool3.shape[-1] or FEATURE_DIM])
            outputs = [features]
            if has_logits:
                matmul = graph.get_operation_by_name(f"{_PREFIX}/{LOGITS_MATMUL_NODE}")
                weights = matmul.inputs[1]
                outputs.append(tf.matmul(features, weights,
                                         transpose_b=matmul.get_attr("transpose_b")))
            return outputs

        spec = tf.TensorSpec([None, None, None, 3], tf.float32, name="images")
        try:
            wrapped = tf.compat.v1.wrap_function(import_graph, [spec])
        except Exception as err:
            raise bad_weights_error("inception", path,
                                    f"importing the graph failed: {err}") from err
        outputs = wrapped.outputs
        if outputs[0].shape[-1] != FEATURE_DIM:
            raise bad_weights_error("inception", path,
                                    f"pool_3 has {outputs[0].shape[-1]} channels, expected "
                                    f"{FEATURE_DIM}")
        if has_logits and outputs[1].shape[-1] != NUM_LOGITS:
            raise bad_weights_error("inception", path,
                                    f"softmax/logits/MatMul gives {outputs[1].shape[-1]} "
                                    f"classes, expected {NUM_LOGITS}")
        pruned = wrapped.prune(feeds=wrapped.inputs[0], fetches=outputs)

        def fn(images):
            results = pruned(images)
            return results[0], (results[1] if has_logits else None)

        return cls(fn, path, "graph_def", has_logits)

    # ----------------------------------------------------------------------------------------
    # A SavedModel with a pool_3 (+ logits) signature.

    @classmethod
    def _load_saved_model(cls, path):
        try:
            module = tf.saved_model.load(path)
        except Exception as err:
            raise bad_weights_error("inception", path,
                                    f"loading it as a SavedModel failed: {err}") from err
        signatures = dict(getattr(module, "signatures", {}) or {})
        signature = None
        for key in ("serving_default", "default"):
            if key in signatures:
                signature = signatures[key]
                break
        if signature is None and len(signatures) == 1:
            signature = next(iter(signatures.values()))
        if signature is not None:
            kwargs = signature.structured_input_signature[1]
            if len(kwargs) != 1:
                raise bad_weights_error("inception", path,
                                        f"the signature takes inputs {sorted(kwargs)}, expected "
                                        "exactly one (the images)")
            input_name = next(iter(kwargs))

            def call(images):
                return signature(**{input_name: images})
        elif callable(module):
            call = module
        else:
            raise bad_weights_error("inception", path,
                                    f"no serving signature (has {sorted(signatures)}) and the "
                                    "loaded object is not callable")

        probe = call(tf.zeros([1, IMAGE_SIZE, IMAGE_SIZE, 3], tf.float32))
        if not isinstance(probe, dict) or "pool_3" not in probe:
            keys = sorted(probe) if isinstance(probe, dict) else type(probe).__name__
            raise bad_weights_error("inception", path,
                                    f"outputs {keys}, expected a dict with 'pool_3' "
                                    "(and optionally 'logits')")
        if probe["pool_3"].shape.num_elements() != FEATURE_DIM:
            raise bad_weights_error("inception", path,
                                    f"pool_3 has shape {probe['pool_3'].shape} for one image, "
                                    f"expected {FEATURE_DIM} features")
        has_logits = "logits" in probe
        if has_logits and probe["logits"].shape.num_elements() != NUM_LOGITS:
            raise bad_weights_error("inception", path,
                                    f"logits have shape {probe['logits'].shape} for one image, "
                                    f"expected {NUM_LOGITS}")

        def fn(images):
            x = _resize_tf1_bilinear(images, [IMAGE_SIZE, IMAGE_SIZE])
            x = (x - 128.0) / 128.0
            out = call(x)
            pool3 = tf.reshape(tf.cast(out["pool_3"], tf.float32), [-1, FEATURE_DIM])
            logits = None
            if has_logits:
                logits = tf.reshape(tf.cast(out["logits"], tf.float32), [-1, NUM_LOGITS])
            return pool3, logits

        net = cls(fn, path, "saved_model", has_logits)
        net._module = module  # keep the SavedModel's variables alive
        return net

    # ----------------------------------------------------------------------------------------

    def __call__(self, images):
        """Features of uint8 / float 0-255 images [N, H, W, C] (C = 1 or 3).

        Returns:
            {'pool_3': [N, 2048] float32, 'logits': [N, 1008] float32, or None without logits}.
        """
        x = tf.convert_to_tensor(images)
        if x.shape.rank != 4:
            raise ValueError(f"images must be [N, H, W, C], got shape {x.shape}")
        if x.dtype != tf.float32:
            x = tf.cast(x, tf.float32)
        channels = x.shape[-1]
        if channels == 1:
            x = tf.tile(x, [1, 1, 1, 3])
        elif channels != 3:
            raise ValueError(f"images must have 1 or 3 channels, got shape {x.shape}")
        pool3, logits = self._fn(x)
        return {"pool_3": pool3, "logits": logits}
