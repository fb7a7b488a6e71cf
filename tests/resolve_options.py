"""Options as tools/train.py resolves them, for tests that build runs from flag values."""

from tfgan_fs.methods import BUILTIN, ResolveEnv


def build_options(args, info, num_replicas=1, has_gpu=False):
    """TrainingOptions of `args` ({flag: value, None = not given}; of 'init_from' only whether
    it is set matters) for data `info`, through the built-in registry."""
    args = dict(args)
    env = ResolveEnv(info=info, num_replicas=num_replicas, has_gpu=has_gpu,
                     init_from=bool(args.pop("init_from", None)))
    return BUILTIN.resolve(args, env)
