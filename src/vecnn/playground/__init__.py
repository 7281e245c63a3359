"""``vecnn playground``: a local web page that trains a real ``vecnn.Network`` on 2-D data.

The page shows the decision regions, the loss and accuracy curves, each layer's ``W[l]``,
``b[l]``, ``A[l]`` and ``dZ[l]`` as heatmaps titled with their shapes, the equations of
``vecnn explain`` and the graph of one training step. ``Playground(port=0)`` starts the
server (``.url``, ``.serve_forever()``, ``.close()``); everything it sends comes from this
package (no CDN), so it works offline. The command line imports only ``command`` (cheap);
the server and the datasets load on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Playground", "make_dataset"]


def __getattr__(name: str) -> Any:
    if name == "Playground":
        from vecnn.playground.server import Playground

        return Playground
    if name == "make_dataset":
        from vecnn.playground.datasets import make_dataset

        return make_dataset
    raise AttributeError(f"module 'vecnn.playground' has no attribute {name!r}")
