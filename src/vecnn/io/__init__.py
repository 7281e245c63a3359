"""Model files: a network (and, for checkpoints, its optimizer and training state) as data.

A model file is data, never code: loading uses only ``json`` and ``xp.frombuffer``, layer
types resolve through the closed registry ``vecnn.nn.LAYER_TYPES``, and nothing in the file
can name a Python object, change how it is loaded, or make the loader open another path.
Saving is atomic: a file is either the previous one, byte for byte, or the new one.

One job per module; each imports only modules listed above it:

- ``atomic``: ``atomic_write`` and ``atomic_write_bytes``; a command's outputs
  (``output_file``, ``write_output``, ``check_output_path``) and inputs (``protect_inputs``).
- ``format``: the layout (documented there), its constants and limits, and the JSON a
  header may hold.
- ``parse``: a header's bytes to a dict, as strict and bounded JSON.
- ``validate``: every key and value of a parsed header; the tensor table as a plan.
- ``rng``: a generator's state as JSON, and back.
- ``writer``: ``save``.
- ``reader``: ``read``, ``load`` and ``ModelFile`` (the order of the loader's checks).
- ``checkpoint``: ``save_checkpoint`` and ``load_checkpoint``.
"""

from vecnn.errors import ModelFormatError
from vecnn.io.atomic import (
    STANDARD_OUTPUT,
    atomic_write,
    atomic_write_bytes,
    check_output_path,
    output_file,
    protect_inputs,
    write_output,
)
from vecnn.io.checkpoint import load_checkpoint, save_checkpoint
from vecnn.io.format import (
    FORMAT_VERSION,
    MAGIC,
    MAX_HEADER_BYTES,
    MAX_JSON_DEPTH,
    MAX_RANK,
    PREFIX_SIZE,
)
from vecnn.io.reader import ModelFile, load, read
from vecnn.io.rng import generator_from_state, rng_state
from vecnn.io.writer import save

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
