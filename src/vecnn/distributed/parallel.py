"""What the training loop calls when it runs on several ranks (see docs/distributed.md).

``DataParallel`` is made once per ``fit``: ``check`` (the fingerprint), ``start`` (rank 0's
parameters, the layers' view of the global batch), then per step ``shard`` (this rank's
part of a global batch), ``local_cost`` (the cost scaled by ``m_r / B``),
``reduce_gradients`` (one in-place Allreduce per dtype), ``add_l2`` and ``reduce_sums``
(the logs); ``finish`` at the end.
"""

from __future__ import annotations

import hashlib
from typing import Any

from vecnn.backend import Array, xp
from vecnn.distributed.base import Distributed, DistributedMismatchError
from vecnn.nn.sequential import Sequential


class GlobalBatch:
    """The global mini-batch this rank's columns belong to, as the layers see it.

    ``width`` is ``B``, the global batch's number of examples; ``columns`` (a slice or an
    index array) the positions of this rank's columns in it. Dropout draws its mask
    ``(n, B)`` and keeps ``columns``; batch norm sums its statistics with ``allreduce_``.
    """

    def __init__(self, distributed: Distributed) -> None:
        self.allreduce_ = distributed.allreduce_
        self.width = 0
        self.columns: Any = slice(0, 0)


class DataParallel:
    """The ranks' shared training of one network; ``examples`` is the global ``m``."""

    def __init__(self, distributed: Distributed, m_local: int) -> None:
        if not isinstance(distributed, Distributed):
            raise TypeError(
                f"distributed must be a vecnn.distributed object such as MPI(); got {distributed!r}"
            )
        self.distributed = distributed
        self.rank, self.size = distributed.rank, distributed.size
        if distributed.shard == "given":
            counts = distributed.allgather(int(m_local))
            self.examples = sum(counts)
            self.offset = sum(counts[: self.rank])
        else:
            self.examples, self.offset = m_local, 0
        self.m_local = m_local
        self.batch = GlobalBatch(distributed)

    # ------------------------------------------------------------------ the start
    def check(self, identity: dict[str, Any]) -> None:
        """Refuse, on every rank alike, when the ranks' ``identity`` values differ."""
        everyone = self.distributed.allgather(identity)
        first = everyone[0]
        differences = []
        for rank, theirs in enumerate(everyone[1:], start=1):
            for key in sorted(set(first) | set(theirs)):
                if first.get(key) != theirs.get(key):
                    differences.append(
                        f"{key} is {theirs.get(key)!r} on rank {rank} but "
                        f"{first.get(key)!r} on rank 0"
                    )
        if differences:
            raise DistributedMismatchError(
                "the ranks were given different data or settings, so training was refused "
                "on every rank: "
                + "; ".join(differences[:6])
                + ". Run the same fit on every rank: the same data (with shard='split'), "
                "network, seed and settings"
            )

    def start(self, network: Sequential) -> None:
        """Rank 0's parameters and buffers on every rank; the layers see the global batch."""
        for p in network.parameters():
            self.distributed.bcast_(p.data)
        for buffer in network.named_buffers().values():
            self.distributed.bcast_(buffer)
        for layer in network.layers:  # read by those whose forward needs the whole batch
            layer.global_batch = self.batch

    def finish(self, network: Sequential) -> None:
        for layer in network.layers:
            layer.global_batch = None

    # ------------------------------------------------------------------ each step
    def shard(self, index: Array) -> Array:
        """This rank's example indices (into its own rows) of the global batch ``index``."""
        width = len(index)
        self.batch.width = width
        if self.distributed.shard == "given":
            mine = (index >= self.offset) & (index < self.offset + self.m_local)
            self.batch.columns = xp.flatnonzero(mine)
            return index[mine] - self.offset
        bounds = _split_bounds(width, self.size)
        begin, end = bounds[self.rank], bounds[self.rank + 1]
        self.batch.columns = slice(begin, end)
        return index[begin:end]

    def local_cost(self, cost: Any, output: Any, share: float) -> Any:
        """``J_r = share · cost`` with ``share = m_r / B`` (with example weights, this rank's
        share of the batch's total weight), so that the ranks' ``J_r`` sum to the batch's
        ``J``; a rank with no columns (or no weight): a zero that still reaches every
        layer's backward, whose collective operations the other ranks wait for."""
        if share == 0:
            return (output * 0.0).sum()
        return cost * share

    def reduce_gradients(self, optimizer: Any) -> None:
        """The global batch's gradient on every rank: one in-place Allreduce per dtype."""
        for flat in flat_gradients(optimizer):
            self.distributed.allreduce_(flat)

    def add_l2(self, weights: list[Any], lam: float, m: float) -> float:
        """Add ``(λ/m) W[l]`` to each reduced ``dW[l]``; the penalty ``(λ/(2m)) Σ ‖W[l]‖²``
        (``m``: the global batch's examples, or their total weight)."""
        if lam == 0:
            return 0.0
        total = 0.0
        for W in weights:
            W.grad += (lam / m) * W.data
            total += float((W.data * W.data).sum())
        return total * lam / (2 * m)

    def reduce_sums(self, *values: float) -> list[float]:
        """Each value summed over the ranks (float64)."""
        array = xp.array(values, dtype=xp.float64)
        self.distributed.allreduce_(array)
        return [float(v) for v in array]

    def validation_columns(self, m_val: int) -> Any:
        """This rank's columns of the validation data: its share with ``"split"``, all of
        its own with ``"given"``."""
        if self.distributed.shard == "given":
            return slice(0, m_val)
        bounds = _split_bounds(m_val, self.size)
        return slice(bounds[self.rank], bounds[self.rank + 1])


def flat_gradients(optimizer: Any) -> list[Array]:
    """Every parameter's gradient gathered into the optimizer's flat buffer of its dtype,
    one per dtype; each ``p.grad`` becomes its view of it (a missing one counts as 0).

    The one place that knows where the flat gradient buffers live.
    """
    return optimizer.flat.gather_grads()


def _split_bounds(width: int, parts: int) -> list[int]:
    """Where ``array_split`` cuts ``width`` items into ``parts``: ``[0, …, width]``."""
    base, extra = divmod(width, parts)
    bounds = [0]
    for part in range(parts):
        bounds.append(bounds[-1] + base + (1 if part < extra else 0))
    return bounds


def digest(*arrays: Array) -> str:
    """SHA-256 of the arrays' shapes, dtypes and bytes (the fingerprint of the data)."""
    hashing = hashlib.sha256()
    for array in arrays:
        contiguous = xp.ascontiguousarray(array)
        hashing.update(f"{contiguous.shape}{contiguous.dtype}".encode())
        hashing.update(contiguous.tobytes())
    return hashing.hexdigest()
