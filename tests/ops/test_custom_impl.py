"""impl='auto'|'ref'|'custom' selection, the fallback warning, and impl plumbing to networks."""

import warnings

import numpy as np
import pytest
import tensorflow as tf

from tfgan_fs import ops
from tfgan_fs.networks.stylegan2 import Discriminator, Generator
from tfgan_fs.ops import impl as impl_lib
from tfgan_fs.ops import loader

MISSING = loader.CustomOps(None, None, False, "no build for these sources")


@pytest.fixture
def missing_build(monkeypatch):
    """The custom ops as if never built; the warn-once memory is reset before and after."""
    monkeypatch.setattr(loader, "load_custom_ops", lambda: MISSING)
    monkeypatch.delenv("TFGAN_FS_REQUIRE_CUSTOM_OPS", raising=False)
    loader.warn_fallback_once.cache_clear()
    yield
    loader.warn_fallback_once.cache_clear()


def test_auto_without_build_warns_once_and_runs_reference(missing_build):
    x = tf.ones([1, 4, 4, 2])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        y1 = ops.upsample2d(x, ops.setup_filter([1, 3, 3, 1]))
        y2 = ops.bias_act(x, act="relu")
    fallback = [w for w in caught if issubclass(w.category, ops.CustomOpsFallbackWarning)]
    assert len(fallback) == 1, [str(w.message) for w in caught]
    assert "python tools/build_ops.py" in str(fallback[0].message)
    assert y1.shape == (1, 8, 8, 2)
    np.testing.assert_allclose(y2, np.sqrt(2) * np.ones([1, 4, 4, 2]), rtol=1e-6)


def test_custom_or_required_without_build_is_an_error(missing_build, monkeypatch):
    with pytest.raises(RuntimeError, match="bias_act: the custom ops are not available.*"
                                           "python tools/build_ops.py"):
        ops.bias_act(tf.ones([2]), impl="custom")
    monkeypatch.setenv("TFGAN_FS_REQUIRE_CUSTOM_OPS", "1")
    with pytest.raises(RuntimeError, match="upfirdn2d: the custom ops are not available"):
        ops.upfirdn2d(tf.ones([1, 4, 4, 1]), None)
    assert ops.select_impl("op", "ref") == "ref"  # ref never needs the build


def test_invalid_impl():
    with pytest.raises(ValueError, match="impl must be one of 'auto', 'ref', 'custom'"):
        ops.bias_act(tf.ones([2]), impl="cuda")
    with pytest.raises(ValueError, match="impl must be one of"):
        Generator(z_dim=4, c_dim=0, w_dim=4, img_resolution=4, img_channels=1, impl="fast")


def test_availability_report(custom_ops):
    report = ops.custom_ops_available()
    assert report["loaded"] and report["ops"] == ("upfirdn2d", "bias_act")
    assert report["path"] == custom_ops.path and report["error"] is None


def test_auto_follows_the_device_table(custom_ops, monkeypatch):
    monkeypatch.delenv("TFGAN_FS_REQUIRE_CUSTOM_OPS", raising=False)
    monkeypatch.setattr(impl_lib, "_device", lambda: "CPU")
    for op_name in ("upfirdn2d", "bias_act"):
        want = "custom" if ops.AUTO_PREFERS_CUSTOM[(op_name, "CPU")] else "ref"
        assert ops.select_impl(op_name, "auto") == want
        assert ops.select_impl(op_name, "auto", unsupported="float64 inputs") == "ref"
        assert ops.select_impl(op_name, "custom") == "custom"
    # A GPU with a CPU-only build: the reference, with the fallback warning.
    monkeypatch.setattr(impl_lib, "_device", lambda: "GPU")
    monkeypatch.setattr(loader, "load_custom_ops", lambda: custom_ops.__class__(
        custom_ops.module, custom_ops.path, False, None))
    loader.warn_fallback_once.cache_clear()
    with pytest.warns(ops.CustomOpsFallbackWarning, match="without CUDA kernels"):
        assert ops.select_impl("upfirdn2d", "auto") == "ref"
    loader.warn_fallback_once.cache_clear()


def test_xla_uses_the_reference(custom_ops):
    f = ops.setup_filter([1, 3, 3, 1])
    x = tf.constant(np.random.default_rng(0).normal(size=[1, 6, 6, 2]), tf.float32)
    auto = tf.function(lambda x: ops.bias_act(ops.upsample2d(x, f), act="lrelu"),
                       jit_compile=True)
    ref = ops.bias_act(ops.upsample2d(x, f, impl="ref"), act="lrelu", impl="ref")
    np.testing.assert_allclose(auto(x), ref, rtol=1e-5, atol=1e-6)
    custom = tf.function(lambda x: ops.upsample2d(x, f, impl="custom"), jit_compile=True)
    with pytest.raises(RuntimeError, match="no XLA kernel"):
        custom(x)


def _op_types(fn, *specs):
    graph = tf.function(fn).get_concrete_function(*specs).graph
    types = set()
    for op in graph.get_operations():
        types.add(op.type)
    for func in graph._functions.values():  # nested functions (custom gradients)
        types.update(node.op for node in func.cached_definition.node_def)
    return types


def test_networks_with_impl_ref_use_stock_ops_only(custom_ops):
    """What SavedModel export relies on: G and D rebuilt from a config with impl='ref'."""
    kwargs = dict(c_dim=0, img_resolution=8, img_channels=3)
    G = Generator(z_dim=8, w_dim=8, mapping_kwargs=dict(num_layers=1),
                  synthesis_kwargs=dict(channel_base=64, channel_max=8), impl="custom", **kwargs)
    D = Discriminator(channel_base=64, channel_max=8, impl="custom",
                      epilogue_kwargs=dict(mbstd_group_size=2), **kwargs)
    G_ref = Generator.from_config(G.get_config() | {"impl": "ref"})
    D_ref = Discriminator.from_config(D.get_config() | {"impl": "ref"})
    assert G.get_config()["impl"] == "custom" and G_ref.get_config()["impl"] == "ref"
    z, img = tf.TensorSpec([2, 8]), tf.TensorSpec([2, 8, 8, 3])
    custom_types = {"TfganFsUpFirDn2D", "TfganFsBiasAct"}
    assert custom_types <= _op_types(lambda z: G(z, noise_mode="const"), z)
    assert custom_types <= _op_types(lambda i: D(i), img)
    assert not custom_types & _op_types(lambda z: G_ref(z, noise_mode="const"), z)
    assert not custom_types & _op_types(lambda i: D_ref(i), img)
    # Same weights, same function.
    for dst, src in zip(G_ref.weights, G.weights):
        dst.assign(src)
    zv = tf.constant(np.random.default_rng(0).normal(size=[2, 8]), tf.float32)
    np.testing.assert_allclose(G(zv, noise_mode="const"), G_ref(zv, noise_mode="const"),
                               rtol=1e-4, atol=1e-5)


def test_train_options_carry_impl():
    from tfgan_fs.data import open_dataset
    from tfgan_fs.methods import BUILTIN, OptionsError, ResolveEnv
    from tfgan_fs.training.resume import apply_resume_overrides
    env = ResolveEnv(info=open_dataset("builtin:shapes?resolution=16&count=8").info)
    opts = BUILTIN.resolve({"data": "builtin:shapes", "impl": "ref"}, env)
    assert opts.config.G_kwargs["impl"] == "ref" and opts.config.D_kwargs["impl"] == "ref"
    with pytest.raises(OptionsError, match="--impl: must be one of"):
        BUILTIN.resolve({"data": "builtin:shapes", "impl": "cuda"}, env)
    resumed = apply_resume_overrides(BUILTIN, BUILTIN.options_from_json(opts.to_json()),
                                     {"impl": "custom"}, 1)
    assert resumed.config.G_kwargs["impl"] == "custom"
    assert resumed.config.D_kwargs["impl"] == "custom"
