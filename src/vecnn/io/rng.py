"""A ``numpy.random.Generator``'s state as JSON (``rng_state``), and a generator made from
such a state (``generator_from_state``)."""

from __future__ import annotations

import json
from typing import Any

from vecnn.backend.host import xp
from vecnn.io.format import _EXPECTED_ERRORS, _check_json

_BIT_GENERATORS = {"PCG64": xp.random.PCG64, "PCG64DXSM": xp.random.PCG64DXSM}
"""The bit generators whose state ``rng_state`` records (their states are plain ints)."""


def rng_state(generator: Any) -> dict[str, Any]:
    """The JSON-able state of a ``numpy.random.Generator`` on PCG64 (NumPy's default).

    Its 128-bit integers are plain Python ints, which JSON stores exactly.
    """
    state = generator.bit_generator.state
    if state.get("bit_generator") not in _BIT_GENERATORS:
        raise ValueError(
            f"cannot record a {state.get('bit_generator')} generator; checkpoints support "
            f"{', '.join(_BIT_GENERATORS)} (numpy.random.default_rng's)"
        )
    _check_json(state, "the generator state", 8)
    return json.loads(json.dumps(state))


def generator_from_state(state: Any) -> Any:
    """A new ``numpy.random.Generator`` in the recorded ``state`` (see ``rng_state``)."""
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in _BIT_GENERATORS:
        raise ValueError(
            f"unknown generator state {name!r:.80}; known: {', '.join(_BIT_GENERATORS)}"
        )
    bit_generator = _BIT_GENERATORS[name]()
    try:
        bit_generator.state = state
    except _EXPECTED_ERRORS as error:
        raise ValueError(f"invalid {name} generator state: {error}") from None
    return xp.random.Generator(bit_generator)
