"""Sampling pictures of a StarGAN v2 `Translator`: the reference's grids and its video_ref.

The layouts are those of clovaai/stargan-v2 `core/utils.py` (Choi et al., CVPR 2020, figures of
the paper), tiles without padding:

- `latent_grid` (`translate_using_latent`): the sources in the first row, then one row per
  (target domain, z): G(x, lerp(s_avg_y, F_y(z), psi)) for every source x.
- `reference_grid` (`translate_using_reference`): a white top-left tile, the sources across
  the top, the references down the left and G(x_src, E_y(x_ref)) in between.
- `cycle_grid` (`translate_and_reconstruct`): rows sources, references, translations
  G(x_src, E(x_ref, y_ref)) and reconstructions G(G(x_src, s_ref), E(x_src, y_src)).
- `interpolation_frames` (`video_ref`): for each pair of consecutive references of one domain,
  frames of G(x_src, lerp(s_prev, s_next, alpha)) with the references sliding up on the left.
- `iter_latent_frames` (`video_latent`): the same walk between the styles of consecutive
  latents of each target domain.

Images are float NHWC arrays in [-1, 1] (as the networks take them); pictures and frames are
uint8 (`tfgan_fs.images.to_uint8`, the reference's rounding). The network calls are
`tf.function`s traced once per translator and image size (`compiled`); every batch of work is
cut into chunks of `batch_size`. `snapshot_pictures` gives the pictures training saves.
"""


import numpy as np
import tensorflow as tf

from tfgan_fs import images as image_io

DEFAULT_BATCH = 16
MEAN_STYLE_LATENTS = 10000  # the reference's z_many: latents averaged into a domain's mean style
SNAPSHOT_DOMAINS = 5        # debug_image: latent rows for the first min(num_domains, 5) domains
NUM_OUTS_PER_DOMAIN = 10    # the reference's --num_outs_per_domain (latents per domain)
VIDEO_HOLD = 10             # video_ref repeats its last frame 10 times
VIDEO_FRAME_MS = 70         # the reference's video: 30 fps played at half speed (setpts 2*PTS)


# ----------------------------------------------------------------------------------------------
# Compiled network calls.

class CompiledTranslator:
    """The network calls of a `Translator` as `tf.function`s with fixed input signatures.

    Each function is traced once per image size (the batch dimension is left open, so the last,
    smaller chunk does not retrace). Outputs are float32 NumPy arrays.

    Args:
        translator: A `tfgan_fs.translation.Translator`.
    """

    def __init__(self, translator):
        self.translator = translator
        self._functions = {}

    def _function(self, name, *specs):
        key = (name,) + tuple(tuple(spec.shape) for spec in specs)
        fn = self._functions.get(key)
        if fn is None:
            method = {"style_latent": self.translator.style_latent,
                      "style_reference": self.translator.style_reference,
                      "translate": self.translator.translate}[name]
            fn = tf.function(lambda *args: tf.cast(method(*args), tf.float32),
                             input_signature=list(specs))
            self._functions[key] = fn
        return fn

    def style_latent(self, z, y):
        """F_y(z): z [N, latent_dim], y [N] -> [N, style_dim]."""
        fn = self._function("style_latent",
                            tf.TensorSpec([None, self.translator.latent_dim], tf.float32),
                            tf.TensorSpec([None], tf.int32))
        return fn(tf.constant(z, tf.float32), tf.constant(y, tf.int32)).numpy()

    def style_reference(self, x, y):
        """E_y(x): x [N, H, W, 3], y [N] -> [N, style_dim]."""
        fn = self._function("style_reference", tf.TensorSpec([None] + list(x.shape[1:]),
                                                             tf.float32),
                            tf.TensorSpec([None], tf.int32))
        return fn(tf.constant(x, tf.float32), tf.constant(y, tf.int32)).numpy()

    def translate(self, x, s):
        """G(x, s) (with the FAN's masks of x when w_hpf > 0): -> [N, H, W, 3]."""
        fn = self._function("translate", tf.TensorSpec([None] + list(x.shape[1:]), tf.float32),
                            tf.TensorSpec([None, s.shape[-1]], tf.float32))
        return fn(tf.constant(x, tf.float32), tf.constant(s, tf.float32)).numpy()


def compiled(translator):
    """The `CompiledTranslator` of `translator`, made once and kept on it (so that repeated
    snapshots reuse the traced functions); a `CompiledTranslator` is returned as it is."""
    if isinstance(translator, CompiledTranslator):
        return translator
    fns = translator.__dict__.get("_compiled_functions")
    if fns is None:
        fns = CompiledTranslator(translator)
        translator._compiled_functions = fns
    return fns


# ----------------------------------------------------------------------------------------------
# Checks and chunked calls.

def _images(x, what, size=None):
    """x as float32 [N, H, W, 3]; a ValueError naming `what` and the expected shape otherwise."""
    x = np.asarray(x, np.float32)
    expected = f"[N, {size}, {size}, 3]" if size else "[N, H, W, 3]"
    if x.ndim != 4 or x.shape[-1] != 3 or not len(x) or (size and x.shape[1:3] != (size, size)):
        raise ValueError(f"{what} must be images of shape {expected} in [-1, 1], got "
                         f"{list(x.shape)}")
    return x


def _domains(y, n, num_domains, what):
    """y as int32 [n] (a scalar is repeated); a ValueError for indices out of range."""
    y = np.asarray(y)
    if y.ndim == 0:
        y = np.full([n], y)
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{what} must be {n} integer domain indices, got {y.tolist()}")
    if len(y) and (y.min() < 0 or y.max() >= num_domains):
        raise ValueError(f"{what}: domain indices must be in [0, {num_domains - 1}] (the "
                         f"network has {num_domains} domains), got {y.tolist()}")
    return y.astype(np.int32)


def _check_batch(batch_size):
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")


def _chunked(fn, arrays, batch_size):
    """fn over `batch_size` rows of the arrays at a time, outputs concatenated."""
    _check_batch(batch_size)
    n = len(arrays[0])
    return np.concatenate([fn(*[a[i:i + batch_size] for a in arrays])
                           for i in range(0, n, batch_size)])


def style_latent(translator, z, y, batch_size=DEFAULT_BATCH):
    """s = F_y(z) as float32 [N, style_dim] (z [N, latent_dim], y [N] or one domain)."""
    fns = compiled(translator)
    t = fns.translator
    z = np.asarray(z, np.float32)
    if z.ndim != 2 or z.shape[1] != t.latent_dim or not len(z):
        raise ValueError(f"z must have shape [N, {t.latent_dim}], got {list(z.shape)}")
    y = _domains(y, len(z), t.num_domains, "y")
    return _chunked(fns.style_latent, [z, y], batch_size)


def style_reference(translator, x_ref, y_ref, batch_size=DEFAULT_BATCH):
    """s = E_y(x_ref) as float32 [N, style_dim] (x_ref at the network's size)."""
    fns = compiled(translator)
    t = fns.translator
    x_ref = _images(x_ref, "references", t.img_size)
    y_ref = _domains(y_ref, len(x_ref), t.num_domains, "y_ref")
    return _chunked(fns.style_reference, [x_ref, y_ref], batch_size)


def translate(translator, x, s, batch_size=DEFAULT_BATCH):
    """G(x, s) as float32 [N, H, W, 3] for images x [N, H, W, 3] and styles s [N, style_dim]."""
    fns = compiled(translator)
    x, s = _images(x, "images"), np.asarray(s, np.float32)
    if s.shape != (len(x), fns.translator.style_dim):
        raise ValueError(f"styles must have shape [{len(x)}, {fns.translator.style_dim}], got "
                         f"{list(s.shape)}")
    return _chunked(fns.translate, [x, s], batch_size)


def translate_pairs(translator, x_src, s, src_index, batch_size=DEFAULT_BATCH, tile_size=None):
    """uint8 [P, H, W, 3] translations G(x_src[src_index[p]], s[p]), `batch_size` at a time.

    Sources are gathered per chunk, so P may be large (all sources x all styles). With
    `tile_size` each result is resized (bilinear, antialiased) to tile_size x tile_size.
    """
    fns = compiled(translator)
    _check_batch(batch_size)
    x_src, s = _images(x_src, "sources"), np.asarray(s, np.float32)
    src_index = np.asarray(src_index, np.int64)
    out = []
    for i in range(0, len(s), batch_size):
        fake = fns.translate(x_src[src_index[i:i + batch_size]], s[i:i + batch_size])
        out.append(image_io.to_uint8(_resize(fake, tile_size)))
    return np.concatenate(out)


def _resize(x, size):
    if size is None or x.shape[1:3] == (size, size):
        return x
    return tf.image.resize(x, [size, size], "bilinear", antialias=True).numpy()


def mean_styles(translator, num=MEAN_STYLE_LATENTS, seed=0, batch_size=1000):
    """Each domain's mean style, float32 [num_domains, style_dim]: the mean of F_y(z) over `num`
    latents z ~ N(0, I) (numpy.random.RandomState(seed); the same latents for every domain).

    The truncation centre of `latent_grid` (the reference averages 10000 latents).
    """
    t = compiled(translator).translator
    if num < 1:
        raise ValueError(f"num must be >= 1, got {num}")
    z = np.random.RandomState(seed).randn(num, t.latent_dim).astype(np.float32)
    return np.stack([style_latent(translator, z, d, batch_size).mean(axis=0, dtype=np.float64)
                     for d in range(t.num_domains)]).astype(np.float32)


def truncate(s, s_avg, psi):
    """lerp(s_avg, s, psi) = s_avg + psi * (s - s_avg): psi = 1 keeps s, psi = 0 gives s_avg."""
    return s_avg + np.float32(psi) * (s - s_avg)


# ----------------------------------------------------------------------------------------------
# Grids.

def latent_grid(translator, x_src, y_trgs, z_trgs, psi=1.0, s_avg=None, seed=0,
                batch_size=DEFAULT_BATCH):
    """Latent-guided translations (the reference's `translate_using_latent`), uint8 [H', W', 3].

    Row 0 holds the N sources; then, for each target domain y and each latent z (in that
    order), one row of G(x, lerp(s_avg_y, F_y(z), psi)) for every source x.

    Args:
        translator: A `Translator` (or its `compiled` functions).
        x_src: Sources [N, H, W, 3] in [-1, 1]; G is convolutional, so H and W may differ from
            the network's size if the generator's down-sampling divides them.
        y_trgs: Target domain indices [D].
        z_trgs: Latents [K, latent_dim] (each one shared by a whole row, as the reference's
            snapshots) or [K, N, latent_dim] (one per tile).
        psi: Truncation toward the domain's mean style (1 = none).
        s_avg: Mean styles [num_domains, style_dim] (`mean_styles`); computed with `seed` when
            None and psi != 1.
        seed: Seed of the latents of `mean_styles`.
        batch_size: Translations per network call.

    Returns:
        uint8 [(1 + D * K) * H, N * W, 3].
    """
    fns = compiled(translator)
    t = fns.translator
    x_src = _images(x_src, "sources")
    n = len(x_src)
    y_trgs = _domains(np.asarray(y_trgs).reshape([-1]), np.size(y_trgs), t.num_domains,
                      "y_trgs")
    if not len(y_trgs):
        raise ValueError("y_trgs: give at least one target domain")
    z_trgs = np.asarray(z_trgs, np.float32)
    if z_trgs.ndim == 2:
        z_trgs = np.repeat(z_trgs[:, np.newaxis], n, axis=1)
    if z_trgs.ndim != 3 or z_trgs.shape[1:] != (n, t.latent_dim) or not len(z_trgs):
        raise ValueError(f"z_trgs must have shape [K, {t.latent_dim}] or [K, {n}, "
                         f"{t.latent_dim}], got {list(np.shape(z_trgs))}")
    if psi != 1 and s_avg is None:
        s_avg = mean_styles(fns, seed=seed)
    k = len(z_trgs)
    z = np.tile(z_trgs.reshape([k * n, -1]), [len(y_trgs), 1])  # row (y, z), column x
    y = np.repeat(y_trgs, k * n)
    s = style_latent(fns, z, y, batch_size)
    if psi != 1:
        s_avg = np.asarray(s_avg, np.float32)
        if s_avg.shape != (t.num_domains, t.style_dim):
            raise ValueError(f"s_avg must have shape [{t.num_domains}, {t.style_dim}], got "
                             f"{list(s_avg.shape)}")
        s = truncate(s, s_avg[y], psi)
    fakes = translate_pairs(fns, x_src, s, np.tile(np.arange(n), len(y_trgs) * k), batch_size)
    return image_io.make_grid(np.concatenate([image_io.to_uint8(x_src), fakes]), n)


def reference_grid(translator, x_src, x_ref, y_ref, batch_size=DEFAULT_BATCH):
    """Reference-guided translations (the reference's `translate_using_reference`, the paper's
    figures), uint8 [(R + 1) * H, (N + 1) * W, 3].

    The top-left tile is white, the N sources run across the top row, the R references down the
    left column, and tile (r + 1, n + 1) is G(x_src[n], E(x_ref[r], y_ref[r])).
    """
    fns = compiled(translator)
    t = fns.translator
    x_src = _images(x_src, "sources", t.img_size)
    x_ref = _images(x_ref, "references", t.img_size)
    n, r = len(x_src), len(x_ref)
    s_ref = style_reference(fns, x_ref, y_ref, batch_size)
    fakes = translate_pairs(fns, x_src, np.repeat(s_ref, n, axis=0), np.tile(np.arange(n), r),
                            batch_size).reshape([r, n] + list(x_src.shape[1:]))
    white = np.full([1] + list(x_src.shape[1:]), 255, np.uint8)
    rows = [np.concatenate([white, image_io.to_uint8(x_src)])]
    rows += [np.concatenate([image_io.to_uint8(x_ref[i:i + 1]), fakes[i]]) for i in range(r)]
    return image_io.make_grid(np.concatenate(rows), n + 1)


def cycle_grid(translator, x_src, y_src, x_ref, y_ref, batch_size=DEFAULT_BATCH):
    """Translation and reconstruction (the reference's `translate_and_reconstruct`), uint8
    [4 * H, N * W, 3]: rows x_src, x_ref, x_fake = G(x_src, E(x_ref, y_ref)) and
    x_rec = G(x_fake, E(x_src, y_src)) (the cycle-consistency check of training snapshots).

    Sources and references are paired: both have N images.
    """
    fns = compiled(translator)
    t = fns.translator
    x_src = _images(x_src, "sources", t.img_size)
    x_ref = _images(x_ref, "references", t.img_size)
    if len(x_ref) != len(x_src):
        raise ValueError(f"cycle_grid pairs each source with a reference: got {len(x_src)} "
                         f"sources and {len(x_ref)} references")
    s_ref = style_reference(fns, x_ref, y_ref, batch_size)
    x_fake = translate(fns, x_src, s_ref, batch_size)
    s_src = style_reference(fns, x_src, y_src, batch_size)
    x_rec = translate(fns, x_fake, s_src, batch_size)
    rows = [image_io.to_uint8(x) for x in (x_src, x_ref, x_fake, x_rec)]
    return image_io.make_grid(np.concatenate(rows), len(x_src))


# ----------------------------------------------------------------------------------------------
# Reference-guided interpolation video.

def video_alphas(start=-5.0, end=5.0, step=0.5, hold=10):
    """The reference's interpolation weights (`get_alphas`): 0, sigmoid(t) for t from `start`
    to `end` (exclusive) by `step`, then `hold` ones: 31 frames per pair by default."""
    t = np.arange(start, end, step)
    return np.concatenate([[0.0], 1.0 / (1.0 + np.exp(-t)), np.ones(hold)]).astype(np.float32)


def reference_pairs(y_ref):
    """(previous, next) indices of consecutive references of one domain, as video_ref walks
    them (a change of domain starts a new walk, no frames between domains)."""
    y_ref = np.asarray(y_ref).reshape([-1])
    return [(i - 1, i) for i in range(1, len(y_ref)) if y_ref[i - 1] == y_ref[i]]


def slide_frames(x_prev, x_next, alphas, margin):
    """The reference's `slide`: uint8 [T, 2H, W + margin, 3], black, where the references
    [x_prev over x_next] (uint8 [H, W, 3] each) slide up: at alpha 0 x_prev fills the bottom
    half, at alpha 1 x_prev the top half and x_next the bottom half."""
    h, w, c = x_prev.shape
    merged = np.concatenate([x_prev, x_next], axis=0)
    canvas = np.zeros([len(alphas), 2 * h, w + margin, c], np.uint8)
    for i, alpha in enumerate(alphas):
        top = int(h * (1 - alpha))
        canvas[i, top:, :w] = merged[:2 * h - top]
    return canvas


def iter_interpolation_frames(translator, x_src, x_ref, y_ref, alphas=None, hold=VIDEO_HOLD,
                              margin=None, tile_size=None, batch_size=DEFAULT_BATCH,
                              progress=None):
    """Yields the frames of `interpolation_frames` one at a time (uint8 [2T, T + m + N T, 3]
    for tile size T and margin m), computing one reference pair at a time."""
    fns = compiled(translator)
    t = fns.translator
    x_src = _images(x_src, "sources", t.img_size)
    x_ref = _images(x_ref, "references", t.img_size)
    y_ref = _domains(y_ref, len(x_ref), t.num_domains, "y_ref")
    pairs = reference_pairs(y_ref)
    if not pairs:
        raise ValueError(f"the interpolation video walks between consecutive references of one "
                         f"domain: got {len(x_ref)} references of domains {y_ref.tolist()} "
                         f"(give at least two references of one domain, next to each other)")
    alphas = video_alphas() if alphas is None else np.asarray(alphas, np.float32).reshape([-1])
    size = tile_size or t.img_size
    margin = size // 8 if margin is None else margin  # 32 at the reference's 256
    s_ref = style_reference(fns, x_ref, y_ref, batch_size)
    src_tiles = image_io.to_uint8(_resize(x_src, size))
    ref_tiles = image_io.to_uint8(_resize(x_ref, size))
    last = None
    for a, b in (progress(pairs) if progress else pairs):
        columns = _style_walk(fns, x_src, src_tiles, s_ref[a], s_ref[b], alphas, size,
                              batch_size)
        frames = np.concatenate([slide_frames(ref_tiles[a], ref_tiles[b], alphas, margin),
                                 columns], axis=2)
        yield from frames
        last = frames[-1]
    for _ in range(hold):
        yield last


def _style_walk(fns, x_src, src_tiles, s_prev, s_next, alphas, size, batch_size):
    """The reference's `interpolate`: uint8 [T, 2 size, N size, 3], each source over its
    translation G(x, lerp(s_prev, s_next, alpha)), one frame per alpha."""
    n = len(x_src)
    s = s_prev + alphas[:, np.newaxis] * (s_next - s_prev)  # torch.lerp
    fakes = translate_pairs(fns, x_src, np.repeat(s, n, axis=0), np.tile(np.arange(n),
                            len(alphas)), batch_size, size)
    fakes = fakes.reshape([len(alphas), n, size, size, 3])
    columns = np.concatenate([np.broadcast_to(src_tiles, fakes.shape), fakes], axis=2)
    return columns.transpose(0, 2, 1, 3, 4).reshape([len(alphas), 2 * size, n * size, 3])


def iter_latent_frames(translator, x_src, y_trgs, z, psi=1.0, s_avg=None, seed=0, alphas=None,
                       hold=VIDEO_HOLD, tile_size=None, batch_size=DEFAULT_BATCH,
                       progress=None):
    """Latent-guided style interpolation (the reference's `video_latent`), frames one at a time.

    For each target domain y, the style walks from lerp(s_avg_y, F_y(z_k), psi) to the next
    latent's, k = 0 ... K - 1 (no frames between domains), one frame per alpha: each source
    above its translation (uint8 [2T, N T, 3], T the tile size). The last frame is held `hold`
    more frames.

    Args:
        translator: A `Translator` (or its `compiled` functions).
        x_src: Sources [N, S, S, 3] in [-1, 1].
        y_trgs: Target domains [D].
        z: Latents [K, latent_dim], K >= 2 (each shared by all sources, as the reference's).
        psi, s_avg, seed: Truncation as `latent_grid`.
        alphas: Interpolation weights per pair (default `video_alphas()`, 31 frames).
        hold, tile_size, batch_size, progress: As `iter_interpolation_frames` (progress wraps
            the list of (domain, k) steps).
    """
    fns = compiled(translator)
    t = fns.translator
    x_src = _images(x_src, "sources")
    y_trgs = _domains(np.asarray(y_trgs).reshape([-1]), np.size(y_trgs), t.num_domains,
                      "y_trgs")
    z = np.asarray(z, np.float32)
    if z.ndim != 2 or z.shape[1] != t.latent_dim or len(z) < 2:
        raise ValueError(f"the latent video walks between latents: z must have shape [K >= 2, "
                         f"{t.latent_dim}], got {list(z.shape)}")
    if psi != 1 and s_avg is None:
        s_avg = mean_styles(fns, seed=seed)
    alphas = video_alphas() if alphas is None else np.asarray(alphas, np.float32).reshape([-1])
    size = tile_size or t.img_size
    src_tiles = image_io.to_uint8(_resize(x_src, size))
    steps = [(y, k) for y in y_trgs for k in range(1, len(z))]
    styles = {}
    last = None
    for y, k in (progress(steps) if progress else steps):
        if y not in styles:
            s = style_latent(fns, z, y, batch_size)
            styles[y] = s if psi == 1 else truncate(s, np.asarray(s_avg, np.float32)[y], psi)
        frames = _style_walk(fns, x_src, src_tiles, styles[y][k - 1], styles[y][k], alphas,
                             size, batch_size)
        yield from frames
        last = frames[-1]
    for _ in range(hold):
        yield last


def interpolation_frames(translator, x_src, x_ref, y_ref, alphas=None, hold=VIDEO_HOLD,
                         margin=None, tile_size=None, batch_size=DEFAULT_BATCH, progress=None):
    """Reference-guided style interpolation (the reference's `video_ref`), uint8 frames.

    For each pair of consecutive references of one domain (`reference_pairs`), one frame per
    alpha of G(x_src, lerp(E(x_prev), E(x_next), alpha)); each frame shows, left, the two
    references sliding up (`slide_frames`) and, right, each source above its translation. The
    last frame is held `hold` more frames. Order references by domain to get every pair.

    Args:
        translator: A `Translator` (or its `compiled` functions).
        x_src: Sources [N, S, S, 3] at the network's size S.
        x_ref: References [R, S, S, 3]; y_ref: their domains [R].
        alphas: Interpolation weights per pair (default `video_alphas()`, 31 frames).
        hold: Extra copies of the last frame.
        margin: Black columns right of the sliding references (default tile size / 8, the
            reference's 32 at 256).
        tile_size: Tiles resized to this size (default the network's size).
        batch_size: Translations per network call.
        progress: Optional wrapper of the list of pairs, e.g. `tqdm.tqdm`.

    Returns:
        uint8 [F, 2T, T + margin + N T, 3], F = pairs * len(alphas) + hold, T the tile size.
    """
    return np.stack(list(iter_interpolation_frames(
        translator, x_src, x_ref, y_ref, alphas=alphas, hold=hold, margin=margin,
        tile_size=tile_size, batch_size=batch_size, progress=progress)))


# ----------------------------------------------------------------------------------------------
# Training snapshots.

def snapshot_pictures(translator, x_src, y_src, x_ref, y_ref, z=None, seed=0, psi=1.0,
                      s_avg=None, batch_size=DEFAULT_BATCH):
    """The pictures a StarGAN v2 training snapshot saves (the reference's `debug_image`).

    Args:
        translator: The (EMA) networks; keep one Translator across snapshots so the compiled
            functions are reused.
        x_src, y_src: Fixed sources [N, S, S, 3] and their domains [N].
        x_ref, y_ref: Fixed references [N, S, S, 3] (paired with the sources) and domains [N].
        z: Latents [K, latent_dim] (default `NUM_OUTS_PER_DOMAIN` drawn with
            numpy.random.RandomState(seed)); each is shared by a row.
        seed: Seed of the default z and of the mean styles when psi != 1.
        psi: Truncation of the latent picture (the reference saves 0.5, 0.7 and 1.0).
        s_avg: Mean styles [num_domains, style_dim] when psi != 1 (computed when None).
        batch_size: Translations per network call.

    Returns:
        {'translate_latent': `latent_grid` for the first min(num_domains, 5) domains,
         'translate_reference': `reference_grid`, 'cycle': `cycle_grid`}, uint8 [H, W, 3].
    """
    fns = compiled(translator)
    t = fns.translator
    if z is None:
        z = np.random.RandomState(seed).randn(NUM_OUTS_PER_DOMAIN, t.latent_dim)
    y_trgs = np.arange(min(t.num_domains, SNAPSHOT_DOMAINS))
    return {
        "translate_latent": latent_grid(fns, x_src, y_trgs, z, psi=psi, s_avg=s_avg, seed=seed,
                                        batch_size=batch_size),
        "translate_reference": reference_grid(fns, x_src, x_ref, y_ref, batch_size),
        "cycle": cycle_grid(fns, x_src, y_src, x_ref, y_ref, batch_size),
    }
