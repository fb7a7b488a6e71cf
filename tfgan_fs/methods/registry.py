"""The method registry: the one place where `--method=NAME` becomes code.

`BUILTIN` holds the methods of this toolkit, in the order `--help` lists them (the first is the
default). A registry is immutable; `with_method` gives one with another spec added, so a new
method is one module with a `MethodSpec` plus one line in `BUILTIN` (or a call of
`with_method` where a program builds its own registry). The registry also checks that the
methods agree on the flags they share (one kind per flag name), says which methods read a flag,
and reads `training_options.json` back into `TrainingOptions` with the right config class.
"""

import json
import types

from tfgan_fs.methods import cdc, mixdl, nada, stargan_v2, stylegan2
from tfgan_fs.methods.options import (OptionsError, TrainingOptions, options_from_legacy,
                                      require)
from tfgan_fs.methods.spec import GENERAL_SETTINGS, unread_flags_error


class Registry:
    """An immutable mapping from method names to MethodSpecs.

    Args:
        specs: MethodSpecs, the first the default method.

    Raises:
        ValueError: if two specs share a name, or declare the same flag with different kinds.
    """

    def __init__(self, specs):
        specs = tuple(specs)
        names = [spec.name for spec in specs]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate method names in {names}")
        self._specs = types.MappingProxyType({spec.name: spec for spec in specs})
        self._settings = types.MappingProxyType(self._collect_settings())

    def _collect_settings(self):
        """{flag: (Setting, ...)}: the general flags and every method's, each kind checked."""
        found = {}
        for s in GENERAL_SETTINGS + tuple(x for spec in self._specs.values()
                                          for x in spec.settings()):
            same = found.setdefault(s.name, [])
            if same and (same[0].kind, same[0].item) != (s.kind, s.item):
                raise ValueError(f"--{s.name} is declared as a {same[0].kind.__name__} "
                                 f"({same[0].owner}) and a {s.kind.__name__} ({s.owner})")
            if s not in same:
                same.append(s)
        return {name: tuple(settings) for name, settings in found.items()}

    @property
    def default(self):
        """The default method's spec (the first)."""
        return next(iter(self._specs.values()))

    def names(self):
        return tuple(self._specs)

    def specs(self):
        return tuple(self._specs.values())

    def settings(self):
        """{flag name: [its Settings]} of every flag a method reads (shared flags may have one
        Setting per declaring method, with their own help texts)."""
        return self._settings

    def get(self, name):
        """The spec of `--method=name` (None: the default)."""
        if name is None:
            return self.default
        require(name in self._specs, "method",
                f"must be one of {', '.join(self._specs)}, got {name!r}")
        return self._specs[name]

    def with_method(self, spec):
        """A registry with `spec` added (replacing a spec of the same name)."""
        return Registry([s for s in self.specs() if s.name != spec.name] + [spec])

    def readers(self, flag):
        """Names of the methods that read `flag`."""
        return [spec.name for spec in self.specs() if flag in spec.flag_names()]

    def check_flags(self, spec, args):
        """Raises OptionsError naming the given flags (not None) that `spec` does not read."""
        unread = sorted(k for k, v in args.items()
                        if v is not None and k in self._settings and k not in spec.flag_names())
        if unread:
            raise unread_flags_error(spec, unread, self.readers)

    def resolve(self, args, env):
        """TrainingOptions of `args` ({flag: value or None}; 'method' picks the spec)."""
        spec = self.get(args.get("method"))
        self.check_flags(spec, args)
        return spec.resolve(args, env)

    def options_from_json(self, text):
        """TrainingOptions of a `training_options.json` (also one written before the
        registry, whose method settings were spread over several fields)."""
        raw = json.loads(text)
        if "schedule" not in raw:
            spec = self.get(raw.get("method_name"))
            return options_from_legacy(raw, spec.config_class, spec.unit)
        spec = self.get(raw["method"])
        try:
            return TrainingOptions.from_dict(raw, spec.config_class)
        except TypeError as err:
            raise OptionsError(f"training_options.json of --method={spec.name}: {err}") from err


BUILTIN = Registry([stylegan2.SPEC, mixdl.SPEC, cdc.SPEC, nada.SPEC, stargan_v2.SPEC])
