"""Training: the neuron, XOR, the digits, labels, validation, early stopping, callbacks."""

from __future__ import annotations

import numpy as np
import pytest

import vecnn
from vecnn import EarlyStopping, Network


def _separable(m=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2, m))
    y = (X[0] - 0.5 * X[1] > 0.1).astype(int)
    return X, y


def test_xor_is_learned_by_a_2_4_1_network():
    X = np.array([[0, 0, 1, 1], [0, 1, 0, 1]], dtype=float)
    y = np.array([0, 1, 1, 0])
    net = Network.from_sizes([2, 4, 1], hidden="tanh", output="sigmoid", seed=1)
    net.fit(X, y, lr=0.05, epochs=500, batch_size=None, verbose=0)
    np.testing.assert_array_equal(net.predict(X), y)


def test_single_neuron_threshold_trades_recall_for_precision():
    X, y = _separable(seed=1)
    neuron = Network.from_sizes([2, 1], output="sigmoid", seed=0)
    history = neuron.fit(X, y, lr=0.05, epochs=40, verbose=0)
    assert history["loss"][-1] < history["loss"][0]
    noisy = np.random.default_rng(2).normal(size=X.shape) * 0.8 + X  # overlapping classes
    precisions, recalls = [], []
    for theta in (0.2, 0.5, 0.8):
        predicted = neuron.predict(noisy, threshold=theta)
        precisions.append(vecnn.metrics.precision_score(y, predicted))
        recalls.append(vecnn.metrics.recall_score(y, predicted))
    assert precisions[0] < precisions[1] < precisions[2]
    assert recalls[0] > recalls[1] > recalls[2]


def test_digits_reach_096_test_accuracy():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, test_size=0.25, random_state=0, stratify=y
    )
    net = Network.from_sizes([64, 64, 10], output="softmax", seed=0)
    net.fit(X_train.T, y_train, lr=3e-3, epochs=25, batch_size=32, verbose=0)
    assert vecnn.metrics.accuracy_score(y_test, net.predict(X_test.T)) >= 0.96


@pytest.mark.parametrize("output", ["softmax", "sigmoid"])
def test_string_labels_come_back_from_predict(output):
    rng = np.random.default_rng(0)
    centers = np.array([[0, 4, 0], [0, 0, 4]])
    labels = rng.integers(0, 3, size=240)
    X = centers[:, labels] + rng.normal(size=(2, 240)) * 0.5
    names = np.array(["cat", "dog", "emu"])[labels]
    net = Network.from_sizes([2, 8, 3], output=output, seed=0)
    net.fit(X, names, lr=0.02, epochs=30, verbose=0)
    assert list(net.classes_) == ["cat", "dog", "emu"]
    assert net.task == "multiclass"
    predicted = net.predict(X)
    assert predicted.dtype.kind == "U" and (predicted == names).mean() > 0.95
    scores = net.evaluate(X, names)
    assert scores["accuracy"] > 0.95 and {"loss", "precision", "recall", "f1"} <= set(scores)


def test_binary_labels_of_any_type():
    X, y = _separable()
    labels = np.where(y == 1, "spam", "ham")
    net = Network.from_sizes([2, 1], seed=0)
    net.fit(X, labels, lr=0.05, epochs=30, verbose=0)
    assert list(net.classes_) == ["ham", "spam"]
    assert set(net.predict(X)) <= {"ham", "spam"}
    assert (net.predict(X) == labels).mean() > 0.95


def test_multilabel_with_a_threshold_per_unit():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 400))
    Y = np.vstack([X[0] > 0, X[1] > 0, X[0] + X[2] > 0]).astype(float)  # (3, m) indicator
    net = Network.from_sizes([3, 16, 3], output="sigmoid", seed=0)
    net.fit(X, Y, lr=0.01, epochs=40, verbose=0)
    assert net.task == "multilabel"
    predicted = net.predict(X, threshold=[0.5, 0.5, 0.5])
    assert predicted.shape == (3, 400) and (predicted == Y).mean() > 0.9
    with pytest.raises(ValueError, match=r"a number in \(0, 1\)"):  # θ > 1 fired nothing
        net.predict(X, threshold=[1.1, 1.1, 1.1])


def test_regression_single_and_multi_output():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2, 300))
    y = 3 * X[0] - 2 * X[1] + 0.5
    net = Network.from_sizes([2, 1], output="linear", seed=0)
    net.fit(X, y, lr=0.05, epochs=60, verbose=0)
    assert net.task == "regression" and net.predict(X).shape == (300,)
    assert net.evaluate(X, y)["r2"] > 0.99
    Y2 = np.vstack([y, -y])
    net2 = Network.from_sizes([2, 2], output="linear", seed=0)
    net2.fit(X, Y2, lr=0.05, epochs=60, verbose=0)
    assert net2.predict(X).shape == (2, 300)


def test_one_hot_targets_and_full_batch():
    X, y = _separable()
    Y = np.eye(2)[:, y]
    net = Network.from_sizes([2, 2], output="softmax", seed=0)
    history = net.fit(X, Y, lr=0.1, epochs=50, batch_size=None, verbose=0)
    assert list(net.classes_) == [0, 1]
    assert history["accuracy"][-1] > 0.95


def test_history_validation_and_printing(capsys):
    X, y = _separable()
    net = Network.from_sizes([2, 4, 1], seed=0)
    history = net.fit(X, y, epochs=3, validation_split=0.25, verbose=1)
    assert len(history) == 3 and history.epoch == [0, 1, 2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"} <= set(history.history)
    printed = capsys.readouterr().out
    assert "epoch 3/3" in printed and "val_loss" in printed
    history = net.fit(X, y, epochs=2, validation_data=(X[:, :50], y[:50]), verbose=0)
    assert len(history["val_loss"]) == 2


def test_early_stopping_restores_the_best_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5, 40))
    y = rng.integers(0, 2, size=40)  # noise: validation loss soon rises
    X_val, y_val = rng.normal(size=(5, 40)), rng.integers(0, 2, size=40)
    net = Network.from_sizes([5, 64, 1], seed=0)
    stopper = EarlyStopping(patience=3)
    history = net.fit(
        X,
        y,
        lr=0.05,
        epochs=200,
        validation_data=(X_val, y_val),
        early_stopping=stopper,
        verbose=0,
    )
    assert history.stopped_epoch is not None and len(history) < 200
    best = history.best_epoch
    assert best == int(np.argmin(history["val_loss"]))
    assert len(history) == best + 1 + 3
    restored = net.evaluate(X_val, y_val)["loss"]
    assert restored == pytest.approx(history["val_loss"][best], rel=1e-5)


def test_callbacks_see_steps_and_epochs_and_can_stop():
    class Recorder(vecnn.Callback):
        def __init__(self):
            self.steps, self.epochs = 0, []

        def on_batch_end(self, network, step, logs):
            self.steps += 1
            assert np.isfinite(logs["loss"])

        def on_epoch_end(self, network, epoch, logs):
            self.epochs.append(epoch)
            return epoch == 2

    X, y = _separable(m=100)
    recorder = Recorder()
    history = Network.from_sizes([2, 1], seed=0).fit(
        X, y, epochs=10, batch_size=25, callbacks=[recorder], verbose=0
    )
    assert recorder.epochs == [0, 1, 2] and recorder.steps == 12 and len(history) == 3


def test_same_seed_gives_identical_training_and_global_state_is_untouched():
    X, y = _separable()
    state = np.random.get_state()[1].copy()
    runs = []
    for _ in range(2):
        net = vecnn.Network(
            [
                vecnn.nn.Dense(2, 8, "relu", seed=0),
                vecnn.nn.Dropout(0.3),
                vecnn.nn.Dense(8, 1, "sigmoid", seed=1),
            ],
            seed=5,
        )
        net.fit(X, y, epochs=3, verbose=0)
        runs.append(net.state_dict())
    for name in runs[0]:
        np.testing.assert_array_equal(runs[0][name], runs[1][name])
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_float32_stays_float32_and_float64_works():
    X, y = _separable()
    for dtype in ("float32", "float64"):
        net = Network.from_sizes([2, 3, 1], seed=0, dtype=dtype)
        net.fit(X, y, epochs=2, verbose=0)
        assert all(p.dtype == dtype for p in net.parameters())
        assert net.predict_proba(X).dtype == dtype


def test_an_optimizer_object_and_the_names():
    X, y = _separable()
    for name in ("sgd", "momentum", "rmsprop", "adam", "adamw"):
        net = Network.from_sizes([2, 1], seed=0)
        history = net.fit(X, y, optimizer=name, lr=0.05, epochs=5, verbose=0)
        assert history["loss"][-1] < history["loss"][0], name
    net = Network.from_sizes([2, 1], seed=0)
    sgd = vecnn.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    net.fit(X, y, optimizer=sgd, epochs=2, verbose=0)
    with pytest.raises(ValueError, match="other parameters"):
        Network.from_sizes([2, 1]).fit(X, y, optimizer=sgd, verbose=0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_stops_training_with_the_epoch_and_step():
    X, y = _separable()
    net = Network.from_sizes([2, 32, 32, 1], seed=0, dtype="float32")
    with pytest.raises(vecnn.TrainingDivergedError, match=r"epoch \d+, step \d+.*lower learning"):
        net.fit(X * 1e30, y, optimizer="sgd", lr=1e3, epochs=5, verbose=0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"lr": -1.0}, "lr"),
        ({"l2": -0.1}, "l2"),
        ({"validation_split": 1.5}, "validation_split"),
        ({"loss": "hinge"}, "unknown loss"),
        ({"loss": "categorical_cross_entropy"}, "softmax"),
        ({"optimizer": "lbfgs"}, "lbfgs"),
    ],
)
def test_bad_settings_are_refused_naming_the_setting(kwargs, message):
    X, y = _separable()
    with pytest.raises(ValueError, match=message):
        Network.from_sizes([2, 1]).fit(X, y, verbose=0, **kwargs)


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.ones((300, 2)), np.zeros(300), "pass X.T"),
        (np.full((2, 5), np.nan), np.zeros(5), "NaN"),
        (np.full((2, 5), np.inf), np.zeros(5), "infinity"),
        (np.ones((2, 0)), np.zeros(0), "0 sample"),
        (np.ones(2), np.zeros(1), "2D"),
        (np.ones((2, 5)), np.zeros(4), "different numbers of examples"),
        (np.ones((2, 4)), np.array([0.5, 1.5, 2.5, 0.1]), "continuous"),
        (np.ones((2, 4)), np.array(["a", "a", "a", "a"]), "at least 2 classes"),
        (np.ones((2, 3)) + 1j, np.zeros(3), "Complex"),
        (np.ones((2, 4)), np.array([0, 1, 2, 1]), "3 classes"),
    ],
)
def test_bad_data_is_refused_with_the_problem_and_its_fix(X, y, message):
    with pytest.raises(ValueError, match=message):
        Network.from_sizes([2, 1]).fit(X, y, verbose=0)


def test_predict_before_fit_uses_the_output_layer():
    net = Network.from_sizes([2, 1], output="sigmoid", seed=0)
    assert net.task == "binary"
    assert set(net.predict(np.ones((2, 3)))) <= {0, 1}
    net = Network.from_sizes([2, 3], output="softmax", seed=0)
    assert net.predict(np.ones((2, 3))).shape == (3,)


def test_a_seeded_network_fixes_the_weights_of_unseeded_layers():
    def build():
        return vecnn.Network(
            [vecnn.nn.Dense(3, 5, "relu"), vecnn.nn.Dense(5, 1, "sigmoid")], seed=11
        )

    a, b = build(), build()
    for name, array in a.state_dict().items():
        np.testing.assert_array_equal(array, b.state_dict()[name])
    fixed = vecnn.nn.Dense(3, 5, seed=1)
    before = fixed.W.data.copy()
    vecnn.Network([fixed, vecnn.nn.Dense(5, 1)], seed=2)
    np.testing.assert_array_equal(fixed.W.data, before)  # a layer's own seed wins


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("inverse_time", [0.1 / (1 + 0.1 * e) for e in range(4)]),
        ("exponential", [0.1 * 0.95**e for e in range(4)]),
        (lambda epoch: 0.1 / (epoch + 1), [0.1, 0.05, 0.1 / 3, 0.025]),
    ],
)
def test_schedules_set_the_learning_rate_of_each_epoch(schedule, expected):
    X, y = _separable(m=64)
    net = Network.from_sizes([2, 1], seed=0)
    history = net.fit(X, y, optimizer="sgd", lr=0.1, epochs=4, schedule=schedule, verbose=0)
    np.testing.assert_allclose(history["lr"], expected, rtol=1e-12)


def test_schedule_objects_and_bad_schedules():
    X, y = _separable(m=64)
    net = Network.from_sizes([2, 1], seed=0)
    sgd = vecnn.optim.SGD(net.parameters(), lr=0.2)
    step = vecnn.optim.StepLR(sgd, step_size=2, gamma=0.5)
    history = net.fit(X, y, optimizer=sgd, epochs=4, schedule=step, verbose=0)
    assert history["lr"] == [0.2, 0.2, 0.1, 0.1]
    with pytest.raises(ValueError, match="unknown schedule"):
        net.fit(X, y, schedule="warmup", verbose=0)
    other = vecnn.optim.SGD(Network.from_sizes([2, 1]).parameters(), lr=0.1)
    with pytest.raises(ValueError, match="another optimizer"):
        net.fit(X, y, optimizer=sgd, schedule=vecnn.optim.StepLR(other, 1), verbose=0)


def test_an_interruption_keeps_the_best_weights_and_the_history_and_propagates():
    class Interrupt(vecnn.Callback):
        def on_epoch_end(self, network, epoch, logs):
            if epoch == 6:
                raise KeyboardInterrupt

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(4, 60)), rng.integers(0, 2, size=60)
    X_val, y_val = rng.normal(size=(4, 30)), rng.integers(0, 2, size=30)
    net = Network.from_sizes([4, 32, 1], seed=0)
    stopper = EarlyStopping(patience=100)
    with pytest.raises(KeyboardInterrupt):
        net.fit(
            X,
            y,
            lr=0.05,
            epochs=50,
            validation_data=(X_val, y_val),
            early_stopping=stopper,
            callbacks=[Interrupt()],
            verbose=0,
        )
    history = net.history_
    assert len(history) == 7 and not net.training
    best = int(np.argmin(history["val_loss"]))
    assert net.evaluate(X_val, y_val)["loss"] == pytest.approx(history["val_loss"][best], rel=1e-5)


def test_resuming_from_an_epoch_reaches_the_weights_of_an_uninterrupted_run(tmp_path):
    X, y = _separable(m=90, seed=3)

    def network():
        return vecnn.Network(
            [vecnn.nn.Dense(2, 6, "relu"), vecnn.nn.Dropout(0.2), vecnn.nn.Dense(6, 1, "sigmoid")],
            seed=4,
        )

    whole = network()
    whole.fit(X, y, epochs=6, batch_size=16, schedule="cosine", verbose=0)

    # stopping after 3 of 6 epochs: the cosine schedule is asked for 6 epochs
    first = network()
    first.fit(
        X, y, epochs=6, batch_size=16, schedule="cosine", verbose=0, callbacks=[_StopAfter(3)]
    )
    path = vecnn.save_checkpoint(first, tmp_path / "c.vecnn", first.optimizer_, epoch=3)
    restored = vecnn.load_checkpoint(path)
    resumed = restored.network
    optimizer = restored.restore_optimizer(vecnn.optim.Adam(resumed.parameters(), lr=1e-3))
    resumed.fit(
        X,
        y,
        optimizer=optimizer,
        epochs=6,
        batch_size=16,
        schedule="cosine",
        initial_epoch=3,
        verbose=0,
    )
    for name, array in whole.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[name], array)


class _StopAfter(vecnn.Callback):
    def __init__(self, epochs):
        self.epochs = epochs

    def on_epoch_end(self, network, epoch, logs):
        return epoch + 1 >= self.epochs


def test_an_early_stopping_object_chooses_its_monitor_again_at_each_fit():
    X, y = _separable(m=60)
    net = Network.from_sizes([2, 1], seed=0)
    stopper = EarlyStopping(patience=2)
    net.fit(X, y, epochs=3, validation_split=0.2, early_stopping=stopper, verbose=0)
    assert stopper.monitor == "val_loss"
    net.fit(X, y, epochs=3, early_stopping=stopper, verbose=0)  # no validation data now
    assert stopper.monitor == "loss"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_diverging_step_leaves_batch_norm_statistics_as_they_were():
    X, y = _separable(m=64)
    net = vecnn.Network(
        [
            vecnn.nn.Dense(2, 8),
            vecnn.nn.BatchNorm(8),
            vecnn.nn.Activation("relu"),
            vecnn.nn.Dense(8, 1, "sigmoid"),
        ],
        seed=0,
    )
    net.fit(X, y, epochs=1, verbose=0)
    with pytest.raises(vecnn.TrainingDivergedError):
        net.fit(X * 1e38, y, optimizer="sgd", lr=1e3, epochs=3, verbose=0)
    after = net.state_dict()
    for name in ("running_mean[1]", "running_var[1]"):
        assert np.isfinite(after[name]).all(), name


@pytest.mark.parametrize(
    ("n_outputs", "loss", "output"),
    [(1, "binary_cross_entropy", "sigmoid"), (3, "categorical_cross_entropy", "softmax")],
)
def test_a_cross_entropy_refuses_a_linear_output_naming_the_one_to_use(n_outputs, loss, output):
    # Trained on logits, a linear output would be thresholded at 0.5 (σ = 0.62) by predict
    # and returned as probabilities by predict_proba: refused before any step.
    X, y = _separable()
    y = y if n_outputs == 1 else np.arange(X.shape[1]) % 3
    net = Network([vecnn.nn.Dense(2, 8, activation="relu", seed=0), vecnn.nn.Dense(8, n_outputs)])
    before = net.state_dict()
    with pytest.raises(ValueError, match=f'output="{output}"') as info:
        net.fit(X, y, loss=loss, epochs=1, verbose=0)
    assert "read its outputs (logits) as probabilities" in str(info.value)
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[name])
    # With the output the message names, predictions are probabilities and labels.
    fixed = Network.from_sizes([2, 8, n_outputs], output=output, seed=0)
    fixed.fit(X, y, loss=loss, epochs=5, verbose=0)
    proba = fixed.predict_proba(X)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert set(fixed.predict(X).tolist()) <= set(y.tolist())


def test_the_logged_loss_is_the_cost_the_optimizer_minimizes_penalty_included():
    # One definition of "loss": history["loss"] is the mean over the epoch's examples of
    # the J that on_batch_end sees, J = data cost + (λ/(2 m_b)) Σ‖W[l]‖².
    class Costs(vecnn.Callback):
        def __init__(self):
            self.costs = []

        def on_batch_end(self, network, step, logs):
            self.costs.append(logs["loss"])

    X, y = _separable(m=100)
    costs = Costs()
    net = Network.from_sizes([2, 8, 1], seed=0)
    history = net.fit(X, y, epochs=1, batch_size=40, l2=5.0, callbacks=[costs], verbose=0)
    sizes = [40, 40, 20]
    expected = sum(c * m for c, m in zip(costs.costs, sizes, strict=True)) / 100
    assert history["loss"][0] == pytest.approx(expected, rel=1e-12)
    # ... and it holds the penalty: above the data cost of the same weights (no penalty).
    no_penalty = Network.from_sizes([2, 8, 1], seed=0)
    plain = no_penalty.fit(X, y, epochs=1, batch_size=40, l2=0.0, verbose=0)
    assert history["loss"][0] > plain["loss"][0]
