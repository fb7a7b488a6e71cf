"""Uses an exported generator as a server would: plain TensorFlow, never tfgan_fs.

Usage: python serving_client.py EXPORT_DIR REQUEST.npz RESULT.npz

Loads EXPORT_DIR twice, calls every signature with the arrays of REQUEST.npz (z, c, psi; seeds
and seeds_c for from_seeds, on both loads), runs serving_default once more as TF Serving loads a
model (the restore op in a v1 session), and writes the outputs to RESULT.npz, with the op types
of the graph and those of them that this plain TensorFlow does not know.
"""

import sys

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow.python.framework import op_def_registry


def graph_op_types(path):
    """Op types used by the SavedModel's graph and function library."""
    proto = saved_model_pb2.SavedModel()
    with open(f"{path}/saved_model.pb", "rb") as f:
        proto.ParseFromString(f.read())
    types = set()
    for meta_graph in proto.meta_graphs:
        library = meta_graph.graph_def.library
        functions = {f.signature.name for f in library.function}
        types.update(op.name for op in meta_graph.meta_info_def.stripped_op_list.op)
        types.update(n.op for n in meta_graph.graph_def.node)
        for function in library.function:
            types.update(n.op for n in function.node_def)
        types -= functions
    return sorted(types)


def main(export_dir, request_path, result_path):
    assert "tfgan_fs" not in sys.modules
    request = dict(np.load(request_path))
    psi = tf.constant(request["psi"], tf.float32)
    c = {"c": tf.constant(request["c"])} if "c" in request else {}
    seeds_c = {"c": tf.constant(request["seeds_c"])} if "seeds_c" in request else {}
    results = {}
    for load in (0, 1):
        model = tf.saved_model.load(export_dir)
        sigs = model.signatures
        seeds = sigs["from_seeds"](seeds=tf.constant(request["seeds"]), truncation_psi=psi,
                                   **seeds_c)
        results[f"seeds_images_{load}"] = seeds["images"].numpy()
        results[f"seeds_float_{load}"] = seeds["images_float"].numpy()
    out = sigs["serving_default"](z=tf.constant(request["z"]), truncation_psi=psi, **c)
    results["images"] = out["images"].numpy()
    results["images_float"] = out["images_float"].numpy()
    ws = sigs["mapping"](z=tf.constant(request["z"]), truncation_psi=psi, **c)["ws"]
    results["ws"] = ws.numpy()
    results["synthesis_float"] = sigs["synthesis"](ws=ws)["images_float"].numpy()
    results["signatures"] = np.array(sorted(sigs.keys()))
    # As TF Serving loads it: the SavedModel's restore op run in a session, signatures by name
    # (an export whose signatures read variables that op does not restore fails here).
    with tf.compat.v1.Session(graph=tf.Graph()) as sess:
        meta_graph = tf.compat.v1.saved_model.loader.load(sess, ["serve"], export_dir)
        sig = meta_graph.signature_def["serving_default"]
        feed = {sig.inputs["z"].name: request["z"], sig.inputs["truncation_psi"].name:
                np.float32(request["psi"])}
        if "c" in request:
            feed[sig.inputs["c"].name] = request["c"]
        results["session_images_float"] = sess.run(sig.outputs["images_float"].name, feed)
    types = graph_op_types(export_dir)
    results["op_types"] = np.array(types)
    results["unregistered_op_types"] = np.array(
        [t for t in types if op_def_registry.get(t) is None], dtype=str)
    assert "tfgan_fs" not in sys.modules
    results["tfgan_fs_imported"] = np.array("tfgan_fs" in sys.modules)
    np.savez(result_path, **results)


if __name__ == "__main__":
    main(*sys.argv[1:])
