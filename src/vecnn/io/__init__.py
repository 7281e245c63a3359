"""Model files: a network (and, for checkpoints, its optimizer and training state) as data.

A model file is data, never code: loading uses only ``json`` and ``xp.frombuffer``, layer
types resolve through the closed registry ``vecnn.nn.LAYER_TYPES``, and nothing in the file
can name a Python object, change how it is loaded, or make the loader open another path.
Saving is atomic: a file is either the previous one, byte for byte, or the new one.

One job per module; each imports only the public names of modules listed above it:

- ``files``: files written safely: ``atomic_write`` and ``atomic_write_bytes`` (from
  ``vecnn._atomic``, level 0, which ``Tensor.draw`` uses too); a command's outputs
  (``output_file``, ``write_output``, ``check_output_path``) and inputs (``protect_inputs``).
- ``format``: the model file: its layout (documented there), limits and the JSON a header
  may hold; ``save``; ``read``, ``load`` and ``ModelFile`` with every check of the loader;
  a generator's state as JSON (``rng_state``, ``generator_from_state``).
- ``checkpoint``: ``save_checkpoint`` and ``load_checkpoint``.
"""

from vecnn.errors import ModelFormatError
from vecnn.io.checkpoint import load_checkpoint, save_checkpoint
from vecnn.io.files import (
    STANDARD_OUTPUT,
    atomic_write,
    atomic_write_bytes,
    check_output_path,
    output_file,
    protect_inputs,
    write_output,
)
from vecnn.io.format import (
    FORMAT_VERSION,
    MAGIC,
    MAX_HEADER_BYTES,
    MAX_JSON_DEPTH,
    MAX_RANK,
    PREFIX_SIZE,
    ModelFile,
    generator_from_state,
    load,
    read,
    rng_state,
    save,
)

__all__ = [
    "FORMAT_VERSION",
    "MAGIC",
    "MAX_HEADER_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_RANK",
    "PREFIX_SIZE",
    "STANDARD_OUTPUT",
    "ModelFile",
    "ModelFormatError",
    "atomic_write",
    "atomic_write_bytes",
    "check_output_path",
    "generator_from_state",
    "load",
    "load_checkpoint",
    "output_file",
    "protect_inputs",
    "read",
    "rng_state",
    "save",
    "save_checkpoint",
    "write_output",
]
