"""GAN inversion: the w (and noise) whose image matches a target image.

The StyleGAN2-ADA projector (Karras et al. 2020; NVlabs/stylegan2-ada-pytorch `projector.py`,
after StyleGAN2's Image2StyleGAN-like projector): one w, broadcast to all num_ws, starts at the
mean w of `w_avg_samples` mapped z (z = RandomState(123).randn) and is optimised together with
every synthesis noise buffer (`noise_const`, reset to N(0, 1) first) by Adam (betas 0.9, 0.999)
to minimise

    loss = dist(G.synthesis(w + n), target) + regularize_noise_weight * reg(noise)

dist: LPIPS-VGG16 of both images, box-downsampled to 256x256 if larger (the reference's
`vgg16(..., return_lpips=True)` features, squared difference summed). n ~ N(0, s^2) with
s = w_std * initial_noise_factor * max(0, 1 - t / noise_ramp_length)^2, t = step / num_steps,
w_std = sqrt(sum((w - w_avg)^2) / N). The learning rate ramps up linearly over the first
lr_rampup_length of the steps and down along a half cosine over the last lr_rampdown_length.
reg: the multi-scale noise autocorrelation penalty (`noise_regularization`). After every step
each noise buffer is renormalised to zero mean and unit variance.

The reference optimises a copy of G: G's own noise buffers are unchanged afterwards (here they
are restored), and the reference renders its result with them, not with the optimised noise.

`project_batch` generalises it: several targets at once (sharing the noise buffers), W+ (one
w per layer) with an optional pull toward W, and a start from given ws; `project` is its
reference case (one target, W, the mean w as the start).
"""

import contextlib
import dataclasses
import math

import numpy as np
import tensorflow as tf

LPIPS_RESOLUTION = 256  # larger images are box-downsampled to this before the distance
W_STATS_SEED = 123  # the reference's RandomState for the w_avg / w_std samples


@dataclasses.dataclass
class Projection:
    """The result of `project`.

    Attributes:
        w: [num_steps, num_ws, w_dim] float32, w after each step (the last row is the result;
            `w[-1:]` is what the reference saves as projected_w.npz).
        noise: {noise buffer path: [H, W] float32}, the optimised noise after the last step.
        dist: [num_steps] distance at each step (before its update).
        loss: [num_steps] dist + regularize_noise_weight * noise regulariser.
        step_traces: How often the step's tf.function was traced (1: one compiled step).
    """

    w: np.ndarray
    noise: dict
    dist: np.ndarray
    loss: np.ndarray
    step_traces: int


def learning_rate(step, num_steps, initial_learning_rate=0.1, lr_rampdown_length=0.25,
                  lr_rampup_length=0.05):
    """The reference's lr at `step` (0-based): linear ramp-up, half-cosine ramp-down."""
    t = step / num_steps
    ramp = min(1.0, (1.0 - t) / lr_rampdown_length)
    ramp = 0.5 - 0.5 * math.cos(ramp * math.pi)
    ramp = ramp * min(1.0, t / lr_rampup_length)
    return initial_learning_rate * ramp


def w_noise_scale(step, num_steps, w_std, initial_noise_factor=0.05, noise_ramp_length=0.75):
    """Std of the noise added to w at `step`: w_std * factor * max(0, 1 - t / ramp)^2."""
    t = step / num_steps
    return w_std * initial_noise_factor * max(0.0, 1.0 - t / noise_ramp_length) ** 2


def noise_regularization(noise_bufs):
    """Sum over buffers [H, W] and scales (halved by 2x2 averaging down to 8 px, or once for
    smaller ones) of mean(n * roll(n, 1, x))^2 + mean(n * roll(n, 1, y))^2."""
    reg = tf.constant(0.0, tf.float32)
    for buf in noise_bufs:
        noise = tf.convert_to_tensor(buf)[tf.newaxis, :, :, tf.newaxis]
        while True:
            reg += tf.square(tf.reduce_mean(noise * tf.roll(noise, shift=1, axis=2)))
            reg += tf.square(tf.reduce_mean(noise * tf.roll(noise, shift=1, axis=1)))
            if noise.shape[1] <= 8:
                break
            noise = tf.nn.avg_pool2d(noise, 2, 2, "VALID")
    return reg


def w_stats(G, w_avg_samples=10000, c=None, batch=1000):
    """(w_avg [w_dim], w_std) of the ws of z = RandomState(123).randn(w_avg_samples, z_dim)."""
    z = np.random.RandomState(W_STATS_SEED).randn(w_avg_samples, G.z_dim).astype(np.float32)
    labels = np.zeros([1, G.c_dim], np.float32) if c is None else np.asarray(c, np.float32)
    ws = []
    for i in range(0, w_avg_samples, batch):
        chunk = z[i:i + batch]
        w = G.mapping(tf.constant(chunk), tf.constant(np.repeat(labels, len(chunk), 0)))
        ws.append(np.asarray(tf.cast(w[:, 0], tf.float32)))
    ws = np.concatenate(ws)
    w_avg = ws.mean(axis=0)
    w_std = float(np.sqrt(np.sum((ws - w_avg) ** 2) / w_avg_samples))
    return w_avg, w_std


def noise_buffers(G):
    """G's synthesis noise buffers (the `noise_const` variables), in layer order."""
    return [v for v in G.synthesis.weights if v.path.endswith("noise_const")]


@contextlib.contextmanager
def assigned_noise(G, noise):
    """Sets G's noise buffers to `noise` ({path: [H, W]}) inside the block, then restores them."""
    buffers = {v.path: v for v in noise_buffers(G)}
    unknown = sorted(set(noise) - set(buffers))
    if unknown:
        raise ValueError(f"G has no noise buffers {unknown} (has {sorted(buffers)})")
    saved = {path: buffers[path].numpy() for path in noise}
    try:
        for path, value in noise.items():
            buffers[path].assign(value)
        yield
    finally:
        for path, value in saved.items():
            buffers[path].assign(value)


def downsample_to_lpips(images):
    """Box-averages NHWC images larger than 256x256 to 256x256 (torch's mode='area')."""
    size = images.shape[1]
    if size > LPIPS_RESOLUTION:
        if size % LPIPS_RESOLUTION:
            raise ValueError(f"image size {size} is not a multiple of {LPIPS_RESOLUTION}")
        factor = size // LPIPS_RESOLUTION
        images = tf.nn.avg_pool2d(images, factor, factor, "VALID")
    return images


def _as_rgb(images):
    return tf.tile(images, [1, 1, 1, 3]) if images.shape[-1] == 1 else images


class _Adam:
    """torch.optim.Adam (no weight decay), as the reference uses: lr given at each step."""

    def __init__(self, variables, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.m = [tf.Variable(tf.zeros(v.shape), trainable=False) for v in variables]
        self.v = [tf.Variable(tf.zeros(v.shape), trainable=False) for v in variables]
        self.t = tf.Variable(0.0, trainable=False)

    def apply(self, grads, variables, lr):
        self.t.assign_add(1.0)
        correction_1 = 1.0 - self.beta_1 ** self.t
        correction_2 = 1.0 - self.beta_2 ** self.t
        for g, var, m, v in zip(grads, variables, self.m, self.v):
            m.assign(self.beta_1 * m + (1.0 - self.beta_1) * g)
            v.assign(self.beta_2 * v + (1.0 - self.beta_2) * tf.square(g))
            denom = tf.sqrt(v) / tf.sqrt(correction_2) + self.epsilon
            var.assign_sub(lr / correction_1 * m / denom)


def load_target_image(path, resolution, channels=3):
    """The reference's target: the image at `path`, centre-cropped to a square and resized to
    `resolution` with Lanczos; uint8 [resolution, resolution, channels] (channels 1 or 3).

    Raises:
        ValueError: The file is not a readable image (names the file).
    """
    import PIL.Image

    try:
        with PIL.Image.open(path) as image:
            image = image.convert("RGB" if channels == 3 else "L")
    except (OSError, ValueError) as err:  # PIL.UnidentifiedImageError is an OSError
        raise ValueError(f"cannot read the image '{path}': {err}") from err
    w, h = image.size
    s = min(w, h)
    image = image.crop(((w - s) // 2, (h - s) // 2, (w + s) // 2, (h + s) // 2))
    image = image.resize((resolution, resolution), PIL.Image.LANCZOS)
    return np.asarray(image, np.uint8).reshape(resolution, resolution, channels)


def load_projected_w(path, G):
    """ws [N, num_ws, w_dim] float32 from a projected_w.npz (key 'w', [N, num_ws, w_dim] or
    [num_ws, w_dim]), checked against G.

    W+ ws (one w per layer) need G's num_ws. W ws (the same w at every layer, or [N, 1, w_dim])
    are broadcast to G's num_ws, so that a w projected with one network renders with any other
    of the same w_dim (e.g. another resolution).

    Raises:
        ValueError: The file is unreadable, has no 'w', or its shape does not fit G.
    """
    try:
        with open(path, "rb") as f:
            if f.read(2) != b"PK":  # an .npz is a zip archive
                raise ValueError("not an .npz archive")
        data = np.load(path, allow_pickle=False)
        if not hasattr(data, "files"):
            raise ValueError("a single array (.npy), not an .npz archive")
        with data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, EOFError, ValueError) as err:
        raise ValueError(f"cannot read '{path}' as an .npz: {err}") from err
    if "w" not in arrays:
        raise ValueError(f"'{path}' has no array 'w' (has {sorted(arrays)}); "
                         f"tools/project.py writes projected_w.npz with it")
    ws = np.asarray(arrays["w"], np.float32)
    if ws.ndim == 2:
        ws = ws[np.newaxis]
    is_w = ws.ndim == 3 and ws.shape[1] >= 1 and np.all(ws == ws[:, :1])
    if ws.ndim == 3 and ws.shape[2] == G.w_dim and ws.shape[1] != G.num_ws and is_w:
        ws = np.repeat(ws[:, :1], G.num_ws, axis=1)
    if ws.ndim != 3 or ws.shape[1:] != (G.num_ws, G.w_dim):
        raise ValueError(f"'{path}' has w of shape {list(ws.shape)}, but the network takes "
                         f"[N, {G.num_ws}, {G.w_dim}] (num_ws, w_dim; W ws of [N, 1, "
                         f"{G.w_dim}] fit any num_ws): was it projected with another network?")
    return ws


SPACES = ("w", "w+")


@dataclasses.dataclass
class BatchProjection:
    """The result of `project_batch`.

    Attributes:
        w: [N, num_ws, w_dim] float32, the final ws (W: the same w at every layer).
        dist: [num_steps, N] distance of each image at each step (before its update).
        loss: [num_steps] the summed loss at each step.
        recorded: {step: ws [N, num_ws, w_dim]} after the steps asked for (`record_every`).
        noise: {noise buffer path: [H, W]}, the optimised noise (shared by the batch).
        step_traces: How often the step's tf.function was traced.
    """

    w: np.ndarray
    dist: np.ndarray
    loss: np.ndarray
    recorded: dict
    noise: dict
    step_traces: int


def initial_ws(G, init, num, w_avg, space):
    """Start of the optimised ws: [num, 1, w_dim] (W) or [num, num_ws, w_dim] (W+).

    `init` is None (the mean w, as the reference) or ws [num or 1, num_ws, w_dim] (e.g. an
    earlier projected_w.npz); W takes them only if equal at every layer.
    """
    if init is None:
        ws = np.tile(np.asarray(w_avg, np.float32), [num, G.num_ws if space == "w+" else 1, 1])
        return ws
    init = np.asarray(init, np.float32)
    if init.ndim != 3 or init.shape[1:] != (G.num_ws, G.w_dim) or len(init) not in (1, num):
        raise ValueError(f"initial ws must have shape [{num} or 1, {G.num_ws}, {G.w_dim}], got "
                         f"{list(init.shape)}")
    init = np.broadcast_to(init, (num,) + init.shape[1:])
    if space == "w":
        if np.any(init != init[:, :1]):
            raise ValueError("the initial ws differ from layer to layer (W+): project in W+ "
                             "or start from W ws")
        init = init[:, :1]
    return np.array(init)


def project_batch(G, targets, distance_fn, *, space="w", w_plus_reg=0.0, init_ws=None,
                  num_steps=1000, w_avg_samples=10000, initial_learning_rate=0.1,
                  initial_noise_factor=0.05, lr_rampdown_length=0.25, lr_rampup_length=0.05,
                  noise_ramp_length=0.75, regularize_noise_weight=1e5, c=None, seed=303,
                  record_every=None, progress=None):
    """Projects targets [N, R, R, C] into W or W+, all N at once (see the module doc).

    In W each image has one w (broadcast to all layers), as the reference. In W+ it has one w
    per layer (num_ws of them), as the W+ projectors of the StyleGAN ecosystem (Image2StyleGAN,
    Abdal et al. 2019): closer fits, and ws off the mapping's output. `w_plus_reg` adds
    w_plus_reg * mean((w_l - mean_l(w_l))^2) per image, pulling the layers toward one w (W).
    The noise buffers of G are shared by the batch (G has one buffer per layer): with N = 1
    this is the reference projector, with more images their noise is a compromise (the
    results render with G's own noise anyway). The noise added to w is drawn per coordinate.

    Args:
        G: A `tfgan_fs.networks.Generator` (its noise buffers are restored afterwards).
        targets: [N, R, R, C] uint8 or float in [-1, 1] at G's resolution and channels.
        distance_fn: (img0, img1) -> [N] distances of NHWC RGB images in [-1, 1], e.g. LPIPS.
        space: 'w' or 'w+'.
        w_plus_reg: Weight of the pull toward W in W+ (0: none).
        init_ws: None (start at the mean w) or ws [N or 1, num_ws, w_dim] to start from.
        record_every: Keep the ws after every this many steps (and the last), for videos.
        c, seed, num_steps ... regularize_noise_weight: As `project`.
        progress: Optional callable(step, dist [N], loss) after each step.

    Returns:
        A `BatchProjection`.
    """
    if space not in SPACES:
        raise ValueError(f"space must be one of {SPACES}, got {space!r}")
    if num_steps < 1:
        raise ValueError(f"num_steps must be >= 1, got {num_steps}")
    if w_avg_samples < 1:
        raise ValueError(f"w_avg_samples must be >= 1, got {w_avg_samples}")
    if w_plus_reg < 0:
        raise ValueError(f"w_plus_reg must be >= 0, got {w_plus_reg}")
    res, channels = G.img_resolution, G.img_channels
    targets = np.asarray(targets)
    if targets.ndim != 4 or targets.shape[1:] != (res, res, channels):
        raise ValueError(f"targets must have shape [N, {res}, {res}, {channels}] (G's output), "
                         f"got {list(targets.shape)}")
    if G.c_dim and c is None:
        raise ValueError(f"G is conditional ({G.c_dim} classes): pass its label c")
    if c is not None:
        c = np.asarray(c, np.float32).reshape(1, G.c_dim)
    if targets.dtype == np.uint8:
        targets = targets.astype(np.float32) / 127.5 - 1
    target_images = downsample_to_lpips(_as_rgb(tf.constant(targets, tf.float32)))
    num = len(targets)

    w_avg, w_std = w_stats(G, w_avg_samples, c)
    rng = tf.random.Generator.from_seed(seed)
    buffers = noise_buffers(G)
    initial_noise = {v.path: rng.normal(v.shape) for v in buffers}
    w_opt = tf.Variable(initial_ws(G, init_ws, num, w_avg, space), trainable=False)
    repeats = G.num_ws // w_opt.shape[1]
    noise_vars = [v.value for v in buffers]  # the tf.Variables behind the Keras variables
    params = [w_opt] + noise_vars
    adam = _Adam(params)

    @tf.function
    def step_fn(lr, noise_scale):
        with tf.GradientTape() as tape:
            tape.watch(params)
            w_noise = rng.normal(w_opt.shape) * noise_scale
            ws = tf.tile(w_opt + w_noise, [1, repeats, 1])
            synth_images = tf.cast(G.synthesis(ws, noise_mode="const"), tf.float32)
            synth_images = downsample_to_lpips(_as_rgb(synth_images))
            dist = distance_fn(synth_images, target_images)
            loss = tf.reduce_sum(dist) + noise_regularization(noise_vars) * regularize_noise_weight
            if w_plus_reg:
                spread = w_opt - tf.reduce_mean(w_opt, axis=1, keepdims=True)
                loss += w_plus_reg * tf.reduce_sum(tf.reduce_mean(tf.square(spread), [1, 2]))
        adam.apply(tape.gradient(loss, params), params, lr)
        for buf in noise_vars:
            centred = buf - tf.reduce_mean(buf)
            buf.assign(centred * tf.math.rsqrt(tf.reduce_mean(tf.square(centred))))
        return dist, loss

    def current_ws():
        return np.repeat(w_opt.numpy(), repeats, axis=1)

    dists, losses, recorded = [], [], {}
    with assigned_noise(G, initial_noise):
        for step in range(num_steps):
            lr = learning_rate(step, num_steps, initial_learning_rate, lr_rampdown_length,
                               lr_rampup_length)
            scale = w_noise_scale(step, num_steps, w_std, initial_noise_factor,
                                  noise_ramp_length)
            dist, loss = step_fn(tf.constant(lr, tf.float32), tf.constant(scale, tf.float32))
            dists.append(dist)
            losses.append(loss)
            if record_every and (step % record_every == 0 or step == num_steps - 1):
                recorded[step] = current_ws()
            if progress is not None:
                progress(step, np.asarray(dist, np.float32), float(loss))
        noise = {v.path: v.numpy() for v in buffers}
    return BatchProjection(w=current_ws(), dist=np.stack([np.asarray(d) for d in dists]),
                           loss=np.array([float(x) for x in losses], np.float32),
                           recorded=recorded, noise=noise,
                           step_traces=step_fn.experimental_get_tracing_count())


def project(G, target, distance_fn, *, num_steps=1000, w_avg_samples=10000, c=None, seed=303,
            progress=None, **options):
    """Projects `target` into G's W space as the StyleGAN2-ADA reference (see the module doc).

    Args:
        G: A `tfgan_fs.networks.Generator` (its noise buffers are restored afterwards).
        target: [R, R, C] image at G's resolution and channels: uint8 (0-255) or float in
            [-1, 1] (G's output range).
        distance_fn: (img0, img1) -> [N] distances of NHWC RGB images in [-1, 1] of at most
            256x256, e.g. `tfgan_fs.metrics.lpips.LPIPS.load(path)` with VGG weights.
        num_steps, w_avg_samples: The reference's hyperparameters; `options` the others
            (initial_learning_rate ... regularize_noise_weight) and space / w_plus_reg /
            init_ws of `project_batch`.
        c: Label [c_dim] for a conditional G (used for the w statistics), else None.
        seed: Seed of the initial noise buffers and of the noise added to w.
        progress: Optional callable(step, dist, loss) after each step (0-based step; floats).

    Returns:
        A `Projection`.
    """
    res, channels = G.img_resolution, G.img_channels
    target = np.asarray(target)
    if target.shape != (res, res, channels):
        raise ValueError(f"target must have shape [{res}, {res}, {channels}] (G's output), got "
                         f"{list(target.shape)}")
    def report(step, dist, loss):
        if progress is not None:
            progress(step, float(dist[0]), loss)

    result = project_batch(G, target[np.newaxis], distance_fn, num_steps=num_steps,
                           w_avg_samples=w_avg_samples, c=c, seed=seed, record_every=1,
                           progress=report, **options)
    return Projection(w=np.concatenate([result.recorded[i] for i in range(num_steps)]),
                      noise=result.noise, dist=result.dist[:, 0], loss=result.loss,
                      step_traces=result.step_traces)
