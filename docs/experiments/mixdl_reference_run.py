#!/usr/bin/env python
"""Runs the authors' MixDL training (reyllama/mixdl @ 668d158: `train_mixdl.train` +
`model_cdc.py`) on the CPU, on the 10 images of our `configs/mixdl_demo.flags` (builtin:shapes,
first 10, 32x32), and records loss curves, noise strengths and sample grids (issue 29).

Usage (a torch venv: torch 2.13.0+cpu, torchvision, numpy, Pillow; tfgan_fs not needed):
    python docs/experiments/mixdl_reference_run.py --mixdl=/path/to/reyllama/mixdl \
        --iters=1000 --threads=1 --out=/tmp/mixdl_ref

Nothing of the checkout is modified or copied. Every stub / runtime patch is marked PATCH n
below and listed in docs/mixdl_quality.md.
"""

import argparse
import json
import math
import os
import random
import re
import sys
import textwrap
import time
import types
import warnings

import numpy
import numpy as np
import torch
import torch.utils.cpp_extension
from torch import nn, optim
from torch.nn import functional as F
from torch.utils import data

# --------------------------------------------------------------------------- stubs (before any
# import of the checkout)

# PATCH 1: `.cuda()` is the identity (train_mixdl.py:368 and model_cdc.py:793 call it on fresh
# zero matrices). Same stub as tests/fewshot/fixtures/make_fixtures.py.
torch.Tensor.cuda = lambda self, *args, **kwargs: self


# PATCH 2: rosinality's `op` JIT-compiles CUDA extensions at import; `load` compiles nothing.
# MixDL's op has CPU branches (fused_leaky_relu -> F.leaky_relu(x + b, 0.2) * sqrt(2);
# upfirdn2d -> upfirdn2d_native; conv2d_gradfix -> F.conv2d off CUDA) that never touch the
# compiled module. The pure-torch fused_bias_act (make_parity_fixtures.py) is attached for
# completeness; MixDL never calls it on the CPU.
def _fused_bias_act_cpu(x, bias, refer, act, grad, alpha, scale):
    assert act == 3 and grad in (0, 1), (act, grad)
    if bias.numel():
        x = x + bias.view(1, -1, *[1] * (x.ndim - 2))
    if grad == 0:
        y = torch.where(x > 0, x, x * alpha)
    else:
        ref = refer if refer.numel() else torch.zeros_like(x)
        y = torch.where(ref > 0, x, x * alpha)
    return y * scale


def _no_compile_load(name, *args, **kwargs):
    mod = types.SimpleNamespace(name=name)
    if name == 'fused':
        mod.fused_bias_act = _fused_bias_act_cpu
    return mod


torch.utils.cpp_extension.load = _no_compile_load


# PATCH 3: torchvision 0.28's CUDA wheel registers meta kernels that fail on torch+cpu; the
# module is replaced by an empty one (as tests/nada/fixtures/make_layer_fixtures.py does).
def _import_torchvision():
    try:
        import torchvision  # noqa: F401
    except RuntimeError:
        for name in [m for m in sys.modules if m == 'torchvision' or m.startswith('torchvision.')]:
            del sys.modules[name]
        sys.modules['torchvision._meta_registrations'] = types.ModuleType(
            'torchvision._meta_registrations')
        import torchvision  # noqa: F401
    return sys.modules['torchvision']


torchvision = _import_torchvision()


# PATCH 4: `tqdm` and `lmdb` are not installed in the torch venv. `tqdm` (train_mixdl.py:11,
# used for the progress bar at :165 / :430) is a pass-through iterable whose set_description
# prints every 50 iterations; `lmdb` (dataset.py, imported via train_mixdl.py:22 and
# calc_inception/fid) is an empty module: the LMDB dataset is not used (in-memory loader).
class _Tqdm:
    def __init__(self, iterable=None, initial=0, **kwargs):
        self.iterable, self.n = iterable, initial

    def __iter__(self):
        for x in self.iterable:
            yield x
            self.n += 1

    def set_description(self, s):
        if self.n % 50 == 0:
            print(f'[{self.n}] {s}', flush=True)


_tq = types.ModuleType('tqdm')
_tq.tqdm = _Tqdm
sys.modules.setdefault('tqdm', _tq)
sys.modules.setdefault('lmdb', types.ModuleType('lmdb'))
# wandb: not installed, so train_mixdl's own `except ImportError: wandb = None` applies.

CHANNELS_LOW = 64   # ours: min(cbase / res, cmax) = 64 at 4, 8, 16 px
CHANNELS_32 = 32    # ours: 1024 / 32 = 32 at 32 px


# PATCH 5 (architecture, documented text substitution of model_cdc.py, as
# make_parity_fixtures.py `shrink` does): the three channel tables `4: 512,` `8: 512,`
# `16: 512,` -> 64 and `32: 512,` -> 32 (rows >= 64 px unused at 32 px, unchanged); the constant
# 512 of the other hard-coded places -> 64 (= channels[4] = cmax): Patch_Discriminator's
# `temp1.shape[1] == 512` / `temp2.shape[1] == 512`, Extra's four `ConvLayer(512, 1, 3)`,
# `sim_linear = EqualLinear(512, 512)` (it acts on final_linear[0]'s channels[4] features).
def substitute(text):
    counts = {}
    text, counts['table_4_8_16'] = re.subn(r'^(\s+)(4|8|16): 512,$', rf'\1\2: {CHANNELS_LOW},',
                                           text, flags=re.M)
    text, counts['table_32'] = re.subn(r'^(\s+)32: 512,$', rf'\g<1>32: {CHANNELS_32},', text,
                                       flags=re.M)
    for old, new, key in [
            ('.shape[1] == 512)', f'.shape[1] == {CHANNELS_LOW})', 'patch_condition'),
            ('ConvLayer(512, 1, 3)', f'ConvLayer({CHANNELS_LOW}, 1, 3)', 'extra'),
            ('EqualLinear(512, 512, activation=None)',
             f'EqualLinear({CHANNELS_LOW}, {CHANNELS_LOW}, activation=None)', 'sim_linear')]:
        counts[key] = text.count(old)
        text = text.replace(old, new)
    expected = dict(table_4_8_16=9, table_32=3, patch_condition=2, extra=4, sim_linear=1)
    assert counts == expected, (counts, expected)
    return text, counts


def import_model(root):
    path = os.path.join(root, 'model_cdc.py')
    with open(path) as f:
        text, counts = substitute(f.read())
    mod = types.ModuleType('model_cdc_sub')
    mod.__file__ = path
    exec(compile(text, f'{path} (substituted)', 'exec'), mod.__dict__)
    return mod, counts


# PATCH 6: MixDL's D-step W+ bug (train_mixdl.py:249-253, :255-258). As published the first
# `try` succeeds with W+ latents [N, 10, 512] and `torch.matmul(alpha, w)` (:254) with alpha
# [N, N] raises outside any try. Each block is replaced by its `except` body: the 2-D W path
# of the G step (:344-346), the same fix as make_parity_fixtures.py MIXDL_DSTEP_PATCH.
MIXDL_DSTEP_PATCH = [
    ('''    try:
        fake_img, w = generator([z], return_latents=True)  # (Batch, 512)
    except:
        w = generator.get_latent(z)  # (Batch, 512)
        fake_img, _ = generator([w], return_feats=False, input_is_latent=True)
''', '''    w = generator.get_latent(z)  # (Batch, 512)
    fake_img, _ = generator([w], return_feats=False, input_is_latent=True)
'''),
    ('''    try:
        interp_img, _ = generator(w, return_feats=False, input_is_latent=True)
    except:
        interp_img, _ = generator([w], return_feats=False, input_is_latent=True)
''', '''    interp_img, _ = generator([w], return_feats=False, input_is_latent=True)
''')]

TRAIN_FIRST, TRAIN_LAST = 159, 494  # `def train(` ... the closing `)` of torch.save


def patched_train(tm, path):
    with open(path) as f:
        lines = f.read().splitlines()
    block = lines[TRAIN_FIRST - 1:TRAIN_LAST]
    assert block[0].startswith('def train(args, loader, generator'), block[0]
    assert block[-1] == '                )', repr(block[-1])
    assert lines[TRAIN_LAST].strip() == '' and lines[TRAIN_LAST + 2].startswith('if __name__')
    code = '\n'.join(block) + '\n'
    for old, new in MIXDL_DSTEP_PATCH:
        old = textwrap.indent(old, ' ' * 8)  # the blocks sit at 12 spaces in the file
        new = textwrap.indent(new, ' ' * 8)
        assert code.count(old) == 1, old
        code = code.replace(old, new)
    ns = tm.__dict__
    exec(compile(code, f'{path}:{TRAIN_FIRST}-{TRAIN_LAST} (patched 249-258)', 'exec'), ns)
    return ns['train']


# --------------------------------------------------------------------------- recording

class Recorder:
    def __init__(self, args, generator, g_ema, discriminator, extra, log_path, every):
        self.args, self.g, self.g_ema = args, generator, g_ema
        self.every, self.i = every, 0
        self.every_print = os.environ.get('PRINT_ALL') == '1'
        self.f = open(log_path, 'w')
        self.cur = {}
        self.kl = []
        self.d_calls = []
        self.extra_calls = 0
        self.t0 = time.time()
        self.t_last = self.t0
        extra.register_forward_hook(self._e_hook)

    def _e_hook(self, module, inputs, out):
        self.extra_calls += 1

    def noise_weights(self, g):
        return {n: float(p.detach()) for n, p in g.named_parameters() if n.endswith('noise.weight')}

    def reduce_loss_dict(self, orig):
        def wrapped(loss_dict):
            out = orig(loss_dict)
            self.end_iteration(out)
            return out
        return wrapped

    def d_logistic_loss(self, orig):
        def wrapped(real_pred, fake_pred):
            loss = orig(real_pred, fake_pred)
            self.cur['D_adv'] = float(loss.detach())  # before train's in-place `d_loss += rel`
            self.cur['D_real_softplus'] = float(F.softplus(-real_pred).mean().detach())
            self.cur['D_fake_softplus'] = float(F.softplus(fake_pred).mean().detach())
            self.cur['D_real_logits_shape'] = list(real_pred.shape)
            self.cur['D_fake_logits_shape'] = list(fake_pred.shape)
            return loss
        return wrapped

    def g_nonsaturating_loss(self, orig):
        def wrapped(fake_pred):
            loss = orig(fake_pred)
            self.cur['G_adv'] = float(loss.detach())
            self.cur['G_fake_logits_shape'] = list(fake_pred.shape)
            return loss
        return wrapped

    def end_iteration(self, reduced):
        i = self.i
        which = i % self.args.mixup_every
        rec = dict(iter=i, mixup=which == 0, **self.cur)
        if which == 0:
            # kl_loss calls of this iteration: D step (:265) then G step (:380)
            assert len(self.kl) == 2, self.kl
            rec['D_rel_loss'] = self.args.d_kl_wt * self.kl[0]
            rec['G_rel_loss'] = self.args.kl_wt * self.kl[1]
            rec['D_kl_raw'], rec['G_kl_raw'] = self.kl
        else:
            assert not self.kl, self.kl
        rec['D_total'] = float(reduced['d'].mean())
        rec['G_total'] = float(reduced['g'].mean())
        rec['r1'] = float(reduced['r1'].mean())
        rec['path'] = float(reduced['path'].mean())
        rec['real_score'] = float(reduced['real_score'].mean())
        rec['fake_score'] = float(reduced['fake_score'].mean())
        rec['extra_calls_total'] = self.extra_calls
        now = time.time()
        rec['elapsed_s'] = round(now - self.t0, 2)
        if i % self.every == 0 or i == self.args.iter - 1 or (i % self.every == 1):
            nw = self.noise_weights(self.g)
            rec['noise_G'] = nw
            rec['noise_G_last'] = nw[self.last_key]
            rec['noise_Gema_last'] = self.noise_weights(self.g_ema)[self.last_key]
            self.f.write(json.dumps(rec) + '\n')
            self.f.flush()
        if i % self.every == 0 or self.every_print:
            print(f'iter {i} mixup={which == 0} G_adv={rec.get("G_adv"):.4f} '
                  f'G_rel={rec.get("G_rel_loss", float("nan")):.4f} D_adv={rec.get("D_adv"):.4f} '
                  f'D_rel={rec.get("D_rel_loss", float("nan")):.4f} '
                  f'noise_last={self.noise_weights(self.g)[self.last_key]:+.5f} '
                  f'{(now - self.t_last):.3f}s since last print', flush=True)
            self.t_last = now
        self.cur, self.kl = {}, []
        self.i += 1


class RecordingKLDivLoss(nn.KLDivLoss):
    recorder = None

    def forward(self, inp, target):
        out = super().forward(inp, target)
        self.recorder.kl.append(float(out.detach()))
        return out


class NNProxy(types.ModuleType):
    """train_mixdl's `nn` with `KLDivLoss` recording its values (PATCH 8)."""

    def __getattr__(self, name):
        if name == 'KLDivLoss':
            return RecordingKLDivLoss
        return getattr(nn, name)


class DiscCounter:
    """Forward hook on Patch_Discriminator: what it returns per call (PATCH-free, a hook)."""

    def __init__(self):
        self.rows = []

    def __call__(self, module, args, kwargs, out):
        logits, sims = out
        self.rows.append(dict(flag=kwargs.get('flag'), sim=kwargs.get('sim', False),
                              real=kwargs.get('real', False), logits=list(logits.shape),
                              sims=None if sims is None else list(sims.shape)))


def save_grid(x, path, nrow=4, scale=1):
    x = ((x.detach().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)  # uint8 (x+1)*127.5
    x = x.permute(0, 2, 3, 1).numpy()
    n, h, w, c = x.shape
    rows = []
    for r in range(math.ceil(n / nrow)):
        row = list(x[r * nrow:(r + 1) * nrow])
        row += [np.zeros_like(x[0])] * (nrow - len(row))
        rows.append(np.concatenate(row, 1))
    grid = np.concatenate(rows, 0)
    from PIL import Image
    im = Image.fromarray(grid)
    im.save(path)
    if scale > 1:
        im.resize((grid.shape[1] * scale, grid.shape[0] * scale), Image.NEAREST).save(
            path.replace('.png', f'_x{scale}.png'))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mixdl', default='/work/refs/reyllama+mixdl')
    ap.add_argument('--out', default='/work/mixdl_ref')
    ap.add_argument('--iters', type=int, default=400)
    ap.add_argument('--lr', type=float, default=0.0025)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--log_every', type=int, default=10)
    ap.add_argument('--sample_every', type=int, default=100)
    a = ap.parse_args()
    root = os.path.abspath(a.mixdl)
    torch.set_num_threads(a.threads)
    warnings.simplefilter('ignore', UserWarning)  # KLDivLoss 'mean', conv2d_gradfix notice
    run_dir = os.path.join(a.out, 'run')
    os.makedirs(os.path.join(run_dir, 'sample'), exist_ok=True)

    sys.path.insert(0, root)
    import train_mixdl as tm  # noqa: E402  (its op / dataset / distributed from the checkout)
    model, counts = import_model(root)

    # ------------------------------------------------------------------ args: argparse defaults
    # (train_mixdl.py:500-542) + the demo's settings
    args = types.SimpleNamespace(
        path='(in-memory)', root=run_dir, arch='stylegan2', iter=a.iters, batch=4, lr=a.lr,
        size=32, n_sample=25, ckpt=None, sample_every=a.sample_every, save_every=10 ** 9,
        mixup_every=2, d_reg_every=16, g_reg_every=4, ada_every=256, n_mlp=2,
        channel_multiplier=2, ub=4, dir_div=1.0, r1=1.0, path_regularize=2, path_batch_shrink=2,
        kl_wt=1000.0, d_kl_wt=1.0, mixing=0.9, augment=False, augment_p=0, ada_target=0.6,
        ada_length=500 * 1000, gaussian=False, uniform=False, wandb=False, local_rank=0)
    args.distributed = False   # train_mixdl.py:546-547 with no WORLD_SIZE
    args.latent = 512          # :554
    args.start_iter = 0        # :555
    device = 'cpu'             # :498 is "cuda"

    random.seed(a.seed)
    numpy.random.seed(a.seed)
    torch.manual_seed(a.seed)

    # ------------------------------------------------------------------ networks, :564-595
    Generator, Extra, Discriminator = model.Generator, model.Extra, model.Patch_Discriminator
    generator = Generator(args.size, args.latent, args.n_mlp,
                          channel_multiplier=args.channel_multiplier).to(device)
    discriminator = Discriminator(args.size, channel_multiplier=args.channel_multiplier).to(device)
    extra = Extra().to(device)
    g_ema = Generator(args.size, args.latent, args.n_mlp,
                      channel_multiplier=args.channel_multiplier).to(device)
    g_ema.eval()
    tm.accumulate(g_ema, generator, 0)
    g_reg_ratio = args.g_reg_every / (args.g_reg_every + 1)
    d_reg_ratio = args.d_reg_every / (args.d_reg_every + 1)
    g_optim = optim.Adam(generator.parameters(), lr=args.lr * g_reg_ratio,
                         betas=(0 ** g_reg_ratio, 0.99 ** g_reg_ratio))
    d_optim = optim.Adam(discriminator.parameters(), lr=args.lr * d_reg_ratio,
                         betas=(0 ** d_reg_ratio, 0.99 ** d_reg_ratio))
    e_optim = optim.Adam(extra.parameters(), lr=args.lr * d_reg_ratio,
                         betas=(0 ** d_reg_ratio, 0.99 ** d_reg_ratio))

    arch = dict(
        substitution_counts=counts,
        g_channels={k: v for k, v in generator.channels.items() if k <= 32},
        g_convs=[(n, tuple(m.conv.weight.shape)) for n, m in generator.named_modules()
                 if type(m).__name__ == 'StyledConv'],
        d_params=sum(p.numel() for p in discriminator.parameters()),
        g_params=sum(p.numel() for p in generator.parameters()),
        extra_params=sum(p.numel() for p in extra.parameters()),
        g_num_layers=generator.num_layers, g_n_latent=generator.n_latent)
    print(json.dumps(arch))

    # D feature maps that Patch_Discriminator.forward inspects at 32 px (for the report)
    with torch.no_grad():
        x = torch.zeros(4, 3, 32, 32)
        inp = discriminator.convs[0](x)
        dmaps = []
        for i in range(1, len(discriminator.convs)):
            t1 = discriminator.convs[i].conv1(inp)
            t2 = discriminator.convs[i].conv2(t1)
            dmaps += [(f'convs.{i}.conv1', list(t1.shape)), (f'convs.{i}.conv2', list(t2.shape))]
            inp = discriminator.convs[i](inp)
    arch['d_maps_32px'] = dmaps
    arch['d_maps_matching_patch_condition'] = [
        n for n, s in dmaps if s[1] == CHANNELS_LOW and s[2] in (32, 16)]

    # ------------------------------------------------------------------ data (PATCH 7)
    # In-memory loader instead of MultiResolutionDataset (LMDB): the 10 PNGs, ToTensor +
    # Normalize(0.5, 0.5) = x / 127.5 - 1, DataLoader(batch 4, RandomSampler, drop_last) as
    # :640-645. The reference's RandomHorizontalFlip (:633, hard-coded) is left out to match
    # our demo (no --mirror).
    imgs = np.load(os.path.join(a.out, 'data', 'images_uint8_nhwc.npy'))
    assert imgs.shape == (10, 32, 32, 3) and imgs.dtype == np.uint8
    real = torch.from_numpy(imgs).permute(0, 3, 1, 2).float() / 127.5 - 1.0

    class Images(data.Dataset):
        def __len__(self):
            return len(real)

        def __getitem__(self, k):
            return real[k]

    dataset = Images()
    loader = data.DataLoader(dataset, batch_size=args.batch,
                             sampler=tm.data_sampler(dataset, shuffle=True, distributed=False),
                             drop_last=True)

    # ------------------------------------------------------------------ patches on train_mixdl
    tm.train = patched_train(tm, os.path.join(root, 'train_mixdl.py'))  # PATCH 6
    rec = Recorder(args, generator, g_ema, discriminator, extra,
                   os.path.join(a.out, 'log.jsonl'), a.log_every)
    last = [n for n, _ in generator.named_parameters() if n.endswith('noise.weight')][-1]
    rec.last_key = last
    # PATCH 8 (recording only, values unchanged): wrappers on the module globals
    # d_logistic_loss, g_nonsaturating_loss, reduce_loss_dict; `nn` proxy whose KLDivLoss
    # records each value.
    tm.d_logistic_loss = rec.d_logistic_loss(tm.d_logistic_loss)
    tm.g_nonsaturating_loss = rec.g_nonsaturating_loss(tm.g_nonsaturating_loss)
    tm.reduce_loss_dict = rec.reduce_loss_dict(tm.reduce_loss_dict)
    RecordingKLDivLoss.recorder = rec
    tm.nn = NNProxy('nn_proxy')

    # PATCH 9: torchvision.utils.save_image lost `range=` (now `value_range=`); the sample
    # snapshots at :466-479 go through a shim that renames it.
    def save_image(tensor, fp, range=None, **kw):
        return torchvision.utils.save_image(tensor, fp, value_range=range, **kw)
    tm.utils = types.SimpleNamespace(save_image=save_image)

    disc_counter = DiscCounter()
    discriminator.register_forward_hook(disc_counter, with_kwargs=True)

    noise_start = dict(G=rec.noise_weights(generator), G_ema=rec.noise_weights(g_ema))
    t0 = time.time()
    tm.train(args, loader, generator, discriminator, extra, g_optim, d_optim, e_optim, g_ema,
             device)
    wall = time.time() - t0
    rec.f.close()
    print(f'done {args.iter} iterations in {wall:.1f} s ({wall / args.iter:.3f} s/iter)')

    # ------------------------------------------------------------------ D behaviour summary
    kinds = {}
    for r in disc_counter.rows:
        key = json.dumps(dict(flag=r['flag'], sim=r['sim'], real=r['real'], logits=r['logits'],
                              sims=r['sims']), sort_keys=True)
        kinds[key] = kinds.get(key, 0) + 1
    arch['d_calls'] = kinds
    arch['extra_forward_calls'] = rec.extra_calls

    # ------------------------------------------------------------------ noise strengths
    noise_end = dict(G=rec.noise_weights(generator), G_ema=rec.noise_weights(g_ema))
    with open(os.path.join(a.out, 'noise_strengths.json'), 'w') as f:
        json.dump(dict(last_conv=last, iterations=args.iter, start=noise_start, end=noise_end),
                  f, indent=1)

    # ------------------------------------------------------------------ sample grids
    torch.manual_seed(1234)
    z = torch.randn(16, args.latent)
    with torch.no_grad():
        g_ema.eval()
        torch.manual_seed(99)
        img_r, _ = g_ema([z], randomize_noise=True)
        img_c, _ = g_ema([z], randomize_noise=False)
        torch.manual_seed(99)
        gimg_r, _ = generator([z], randomize_noise=True)
        gimg_c, _ = generator([z], randomize_noise=False)
        # noise-off reference: every noise input zero
        zeros = [torch.zeros(1, 1, 2 ** ((k + 5) // 2), 2 ** ((k + 5) // 2))
                 for k in range(g_ema.num_layers)]
        img_0, _ = g_ema([z], noise=zeros)
    save_grid(img_r, os.path.join(a.out, 'grid_random_noise.png'), scale=4)
    save_grid(img_c, os.path.join(a.out, 'grid_const_noise.png'), scale=4)
    save_grid(img_0, os.path.join(a.out, 'extra_grid_gema_zero_noise.png'), scale=4)
    save_grid(gimg_r, os.path.join(a.out, 'extra_grid_G_random_noise.png'), scale=4)
    save_grid(gimg_c, os.path.join(a.out, 'extra_grid_G_const_noise.png'), scale=4)
    save_grid(real, os.path.join(a.out, 'extra_grid_reals.png'), nrow=5, scale=4)

    # high-frequency energy of the samples (mean |Laplacian|), for the report
    def hf(x):
        k = torch.tensor([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=torch.float32)
        k = k.view(1, 1, 3, 3).repeat(3, 1, 1, 1)
        return float(F.conv2d(x, k, groups=3).abs().mean())

    arch['laplacian_mean_abs'] = dict(reals=hf(real), g_ema_random_noise=hf(img_r),
                                      g_ema_const_noise=hf(img_c), g_ema_zero_noise=hf(img_0),
                                      G_random_noise=hf(gimg_r), G_const_noise=hf(gimg_c))
    arch['wall_s'] = wall
    arch['s_per_iter'] = wall / args.iter
    arch['iterations'] = args.iter
    arch['args'] = vars(args)
    with open(os.path.join(a.out, 'run_info.json'), 'w') as f:
        json.dump(arch, f, indent=1, default=str)
    torch.save(dict(g=generator.state_dict(), d=discriminator.state_dict(),
                    extra=extra.state_dict(), g_ema=g_ema.state_dict()),
               os.path.join(run_dir, f'final_{args.iter:06d}.pt'))
    print(json.dumps({k: arch[k] for k in ['d_maps_matching_patch_condition', 'd_calls',
                                           'extra_forward_calls', 'laplacian_mean_abs']},
                     indent=1))
    print('noise end G', noise_end['G'])
    print('noise end G_ema', noise_end['G_ema'])


if __name__ == '__main__':
    main()
