"""N simulated ranks (threads of one process, ``run_in_process``) reach the one-process result."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from helpers import digits, largest_difference, network, train, weights

from vecnn import ops
from vecnn.autodiff import Tensor
from vecnn.autodiff.gradcheck import grad_check
from vecnn.distributed import DistributedMismatchError, run_in_process
from vecnn.distributed.parallel import GlobalBatch, _split_bounds
from vecnn.nn import Dropout
from vecnn.optim import Adam


@pytest.fixture(scope="module")
def one_process() -> dict[str, list[np.ndarray]]:
    return {dtype: weights(train(None, dtype)) for dtype in ("float64", "float32")}


@pytest.mark.parametrize("size", [1, 2, 3])
def test_ranks_reach_the_one_process_weights(one_process, size):
    for dtype, tolerance in (("float64", 1e-10), ("float32", 1e-5)):
        nets = run_in_process(size, lambda d, dtype=dtype: train(d, dtype))
        first = weights(nets[0])
        for net in nets[1:]:  # every rank holds the same weights, bit for bit
            assert largest_difference(weights(net), first) == 0
        assert largest_difference(first, one_process[dtype]) < tolerance
        if size == 1:
            assert largest_difference(first, one_process[dtype]) == 0


def test_the_ranks_share_one_history(one_process):
    nets = run_in_process(3, lambda d: train(d, epochs=2, validation_split=0.2))
    alone = train(None, epochs=2, validation_split=0.2)
    for key, values in alone.history_.history.items():
        if key == "time":
            continue
        for net in nets:
            assert net.history_.history[key] == pytest.approx(values, rel=1e-9), key


def test_given_shards_train_as_one_process_on_their_concatenation():
    X, y = digits()
    X, y = X[:, :500], y[:500]
    cuts = [0, 170, 340, 500]  # rank r holds examples cuts[r]:cuts[r+1]

    def rank(d):
        part = slice(cuts[d.rank], cuts[d.rank + 1])
        return weights(train(d, epochs=2, data=(X[:, part], y[part])))

    nets = run_in_process(3, rank, shard="given")
    alone = weights(train(None, epochs=2, data=(X, y)))
    assert largest_difference(nets[0], alone) < 1e-10
    assert largest_difference(nets[2], nets[0]) == 0


def test_batches_smaller_than_the_ranks_leave_some_ranks_empty():
    X, y = digits()
    X, y = X[:, :50], y[:50]  # 50 = 3 batches of 16 and one of 2: 3 ranks, one has none
    nets = run_in_process(3, lambda d: weights(train(d, epochs=2, batch_size=16, data=(X, y))))
    alone = weights(train(None, epochs=2, batch_size=16, data=(X, y)))
    assert largest_difference(nets[0], alone) < 1e-10


def test_example_weights_divide_by_the_global_batch_weight():
    example_weights = np.random.default_rng(1).uniform(0, 2, size=1797)
    example_weights[:40] = 0  # some shards weigh nothing

    def make(d):
        return weights(train(d, epochs=1, sample_weight=example_weights, l2=0.1))

    assert largest_difference(run_in_process(3, make)[0], make(None)) < 1e-10


def test_l2_and_clipping_apply_to_the_reduced_gradient():
    def make(d):
        return weights(train(d, epochs=1, l2=0.5, optimizer="sgd", lr=0.1))

    assert largest_difference(run_in_process(2, make)[0], make(None)) < 1e-10


@pytest.mark.parametrize(
    "setting",
    [{"lr": 0.02}, {"seed": 1}, {"batch_size": 16}, {"data": "other"}, {"dtype": "float32"}],
)
def test_ranks_that_disagree_are_refused_on_every_rank(setting):
    X, y = digits()

    def rank(d):
        options = {}
        if d.rank == 1:
            options = dict(setting)
            if options.get("data") == "other":
                options["data"] = (X[:, ::-1].copy(), y[::-1].copy())
        try:
            train(d, epochs=1, **options)
        except DistributedMismatchError as error:
            return str(error)
        return None

    messages = run_in_process(2, rank)
    assert all(message is not None for message in messages)
    assert messages[0] == messages[1]
    assert "rank 1" in messages[0]


def test_given_shards_refuse_validation_split():
    with pytest.raises(ValueError, match="validation_data"):
        run_in_process(2, lambda d: train(d, validation_split=0.2), shard="given")


def test_dropout_draws_the_global_mask_and_keeps_its_columns():
    A = Tensor(np.ones((4, 10)))
    whole = Dropout(0.5, seed=3).forward(A).data
    for begin, end in ((0, 4), (4, 7), (7, 10)):
        layer = Dropout(0.5, seed=3)
        layer.global_batch = GlobalBatch.__new__(GlobalBatch)
        layer.global_batch.width, layer.global_batch.columns = 10, slice(begin, end)
        assert np.array_equal(
            layer.forward(Tensor(np.ones((4, end - begin)))).data, whole[:, begin:end]
        )


def test_synchronized_batch_norm_equals_the_whole_batch_and_its_gradient_checks():
    rng = np.random.default_rng(0)
    Z, G = rng.normal(size=(5, 13)), rng.normal(size=(5, 13))
    gamma, beta = rng.normal(size=(5, 1)), rng.normal(size=(5, 1))
    bounds = _split_bounds(13, 3)

    def run(z, g, b, columns, sync=None):
        out = ops.batch_norm(z, g, b, np.zeros((5, 1)), np.ones((5, 1)), sync=sync)
        return (out * G[:, columns]).sum()

    def leaves(columns):
        return [Tensor(x, requires_grad=True) for x in (Z[:, columns], gamma, beta)]

    whole = leaves(slice(None))
    run(*whole, slice(None)).backward()

    def rank(d):
        columns = slice(bounds[d.rank], bounds[d.rank + 1])
        batch = GlobalBatch(d)
        batch.width, batch.columns = 13, columns
        mine = leaves(columns)
        run(*mine, columns, batch).backward()
        return [t.grad for t in mine]

    parts = run_in_process(3, rank)
    assert np.allclose(np.concatenate([p[0] for p in parts], axis=1), whole[0].grad, atol=1e-13)
    for k in (1, 2):  # dγ, dβ: each rank's part; their sum is the whole batch's
        assert np.allclose(sum(p[k] for p in parts), whole[k].grad, atol=1e-13)
    # and the whole-batch gradient is that of the function (finite differences)
    assert (
        grad_check(
            lambda z, g, b: run(z, g, b, slice(None)), *[Tensor(x) for x in (Z, gamma, beta)]
        )
        < 1e-7
    )


def test_split_bounds_are_array_splits():
    for width in range(0, 12):
        for parts in (1, 2, 3, 5):
            pieces = np.array_split(np.arange(width), parts)
            bounds = _split_bounds(width, parts)
            assert [len(p) for p in pieces] == [b - a for a, b in itertools.pairwise(bounds)]


def test_an_error_on_one_rank_reaches_the_caller_and_frees_the_others():
    def rank(d):
        if d.rank == 1:
            raise RuntimeError("rank 1 failed")
        d.allgather(0)  # would wait forever for rank 1

    with pytest.raises(RuntimeError, match="rank 1 failed"):
        run_in_process(2, rank)


def test_distributed_must_be_a_distributed_object():
    with pytest.raises(TypeError, match="MPI"):
        train("mpi", epochs=1)


def test_resuming_on_another_number_of_ranks_gives_the_one_process_weights():
    def first_part(d):
        net = train(d, epochs=2)
        return net.state_dict(), net.optimizer_.state_dict(), net.rng.bit_generator.state

    saved = run_in_process(2, first_part)[0]  # what a checkpoint holds

    def second_part(d):
        net = network()
        net.load_state_dict(saved[0])
        optimizer = Adam(net.parameters(), lr=1e-2)
        optimizer.load_state_dict(saved[1])
        net.rng.bit_generator.state = saved[2]
        X, y = digits()
        net.fit(X, y, distributed=d, epochs=5, initial_epoch=2, verbose=0, optimizer=optimizer)
        return weights(net)

    resumed = run_in_process(3, second_part)
    assert largest_difference(resumed[0], weights(train(None))) < 1e-10


def test_threads_go_with_distributed_on_the_command_line(tmp_path):
    from vecnn.cli import main

    assert main(["train", str(tmp_path / "x.csv"), "--target", "y", "--threads", "2"]) == 2


def test_only_rank_0_prints_the_command_lines_warnings(monkeypatch, capsys):
    """A rare class (or any warning) is said once for the job, not once per rank."""
    import warnings

    from vecnn.cli import train as train_command
    from vecnn.cli.common import warn

    class Rank:
        def __init__(self, rank):
            self.rank, self.size = rank, 2

    def fake_train(settings, distributed):
        warn(f"class 'x' has one row (rank {distributed.rank})")
        warnings.warn(f"a library warning (rank {distributed.rank})", UserWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(train_command, "_train", fake_train)
    for rank in (1, 0):
        monkeypatch.setattr(train_command, "connect", lambda settings, r=rank: Rank(r))
        settings = train_command.Settings(data="d.csv", target=["y"], layers=[4])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert train_command.train(settings) == 0
        assert [str(w.message) for w in caught] == ([] if rank else ["a library warning (rank 0)"])
    err = capsys.readouterr().err
    assert "rank 0" in err and "rank 1" not in err
