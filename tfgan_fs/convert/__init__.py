"""Import of official StyleGAN2-ADA network pickles (PyTorch, and TF1 where feasible), StarGAN v2
checkpoints and rosinality-format StyleGAN2 checkpoints (.pt; also written).

Security: unpickling a file can execute arbitrary code, and official pickles even embed Python
source (torch_utils.persistence, dnnlib.tflib). This package never uses `pickle.load` on them:
`restricted_unpickler.RestrictedUnpickler` constructs only an allow-list of container, NumPy and
tensor types rebuilt by our own functions, never executes the embedded source, and refuses
everything else (`PickleRefusedError`). Still, only convert pickles from sources you trust.

Modules: `restricted_unpickler` (allow-listed unpickling, NumPy stand-ins), `torch_tensors`
(tensors and storages without torch), `network_pickle` (pickle -> plain networks),
`pt_kwargs` (reference kwargs -> tfgan_fs configs), `tf1_legacy` (TF1 -> reference names, as
legacy.py), `weights` (names and layouts), `convert` (build, assign, write the run dir),
`torch_zip` (zip-based torch.save files), `stargan_v2` (official StarGAN v2 checkpoints),
`rosinality_layout` (rosinality <-> StyleGAN2-ADA names), `rosinality` (reading .pt files),
`torch_save` and `rosinality_writer` (writing them without torch), `sources` (run directories
and network files wherever a network is read).
"""

from tfgan_fs.convert.convert import ConvertedNetworks, convert_pickle, write_run_dir
from tfgan_fs.convert.errors import ConversionError, PickleRefusedError, UnsupportedNetworkError
from tfgan_fs.convert.network_pickle import read_network_pickle

__all__ = ["ConvertedNetworks", "convert_pickle", "write_run_dir", "ConversionError",
           "PickleRefusedError", "UnsupportedNetworkError", "read_network_pickle"]
