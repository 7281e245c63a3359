"""vecnn.sklearn: scikit-learn's estimator checks, its tools, and what the adapter adds."""

from __future__ import annotations

import copy
import math
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_digits, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import log_loss, precision_score, recall_score
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

import vecnn
from vecnn.nn import BatchNorm, Dropout
from vecnn.sklearn import MLPClassifier, MLPRegressor, NeuronClassifier


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """The matrices here are small: BLAS threads only oversubscribe a shared machine."""
    with threadpool_limits(1):
        yield


# ------------------------------------------------------------------ estimator checks
# Small networks and few epochs keep the checks quick; the second three turn on the
# options scikit-learn's MLP lacks.
CHECKED = [
    MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=100),
    MLPRegressor(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=100),
    NeuronClassifier(learning_rate_init=0.01, max_iter=100),
    MLPClassifier(
        hidden_layer_sizes=(8, 8),
        learning_rate_init=0.01,
        max_iter=60,
        head="ovr",
        dropout=0.1,
        batch_norm=True,
        class_weight="balanced",
    ),
    MLPRegressor(
        hidden_layer_sizes=(8,),
        activation="tanh",
        solver="sgd",
        learning_rate_init=0.01,
        max_iter=60,
        batch_norm=True,
    ),
    NeuronClassifier(threshold=0.3, solver="rmsprop", learning_rate_init=0.01, max_iter=100),
    # the defaults, with scikit-learn's own MLPRegressor(max_iter=30) budget: every check
    MLPRegressor(max_iter=30),
    NeuronClassifier(max_iter=30),
]

BALANCED_IN_PARTIAL_FIT = (
    "class_weight='balanced' is refused by partial_fit (one batch's class counts are not the "
    "data's), as SGDClassifier refuses it; these checks call partial_fit"
)
CLASS_WEIGHT_MULTILABEL = (
    "class_weight weights the classes of a label vector; it is refused for multilabel y"
)
NOT_REPETITION = (
    "batch normalization (statistics of the batch's examples) and dropout (one mask per "
    "example) see how many examples there are, not their weights: a weight of 2 is not a "
    "repeated example"
)
THRESHOLD = (
    "predict fires where predict_proba ≥ threshold = 0.3, by design, so it is not the argmax "
    "of predict_proba (decision_function > 0 does agree with predict)"
)


def expected_failed_checks(estimator):
    """The checks each configuration fails by design, with the reason."""
    params = estimator.get_params()
    failures = {}
    if params.get("class_weight") == "balanced":
        for check in (
            "check_fit_score_takes_y",
            "check_n_features_in_after_fitting",
            "check_estimators_partial_fit_n_features",
        ):
            failures[check] = BALANCED_IN_PARTIAL_FIT
    if params.get("class_weight") is not None:
        for check in (
            "check_classifiers_multilabel_representation_invariance",
            "check_classifiers_multilabel_output_format_predict",
            "check_classifiers_multilabel_output_format_predict_proba",
            "check_classifiers_multilabel_output_format_decision_function",
        ):
            failures[check] = CLASS_WEIGHT_MULTILABEL
    if params.get("batch_norm") or params.get("dropout"):
        for data in ("dense", "sparse"):
            failures[f"check_sample_weight_equivalence_on_{data}_data"] = NOT_REPETITION
    if params.get("threshold", 0.5) != 0.5:
        failures["check_classifiers_train"] = THRESHOLD
    return failures


@parametrize_with_checks(CHECKED, expected_failed_checks=expected_failed_checks, xfail_strict=True)
def test_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


# ------------------------------------------------------------------------- data
@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.25, random_state=0, stratify=y)


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


@pytest.fixture(scope="module")
def blobs():
    X, y = make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=3, class_sep=2.0, random_state=0
    )
    return X, np.array(["ant", "bee", "cat"])[y]


def quiet(estimator, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args, **kwargs)


# ------------------------------------------------------------------ accuracy in line
@pytest.mark.parametrize("dataset", ["digits", "cancer"])
def test_accuracy_in_line_with_scikit_learns_mlp(dataset, request):
    X_train, X_test, y_train, y_test = request.getfixturevalue(dataset)
    settings = dict(hidden_layer_sizes=(64,), max_iter=60, random_state=0)
    ours = quiet(MLPClassifier(**settings), X_train, y_train).score(X_test, y_test)
    theirs = quiet(SklearnMLPClassifier(**settings), X_train, y_train).score(X_test, y_test)
    assert ours > 0.93
    assert abs(ours - theirs) < 0.03, (ours, theirs)


def test_initial_weights_are_scikit_learns_for_the_same_random_state(cancer):
    """Drawn as scikit-learn's MLP draws them (Glorot uniform, biases too, from
    ``RandomState(random_state)``): one epoch at a negligible step leaves them in place."""
    X, _, y, _ = cancer
    for activation in ("relu", "logistic"):
        settings = dict(
            hidden_layer_sizes=(7, 5),
            activation=activation,
            learning_rate_init=1e-12,
            max_iter=1,
            random_state=3,
        )
        ours = quiet(MLPClassifier(**settings), X, y)
        theirs = quiet(SklearnMLPClassifier(**settings), X, y)
        for mine, reference in zip(
            ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_, strict=True
        ):
            np.testing.assert_allclose(mine, reference, atol=1e-9)


def test_digits_pipeline_scores_what_scikit_learns_does_in_cross_validation():
    X, y = load_digits(return_X_y=True)
    scores = {}
    for name, cls in (("ours", MLPClassifier), ("theirs", SklearnMLPClassifier)):
        pipeline = make_pipeline(
            StandardScaler(), cls(hidden_layer_sizes=(32,), max_iter=40, random_state=0)
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            scores[name] = cross_val_score(pipeline, X, y, cv=3).mean()
    assert scores["ours"] > 0.88
    assert abs(scores["ours"] - scores["theirs"]) < 0.01, scores


def test_the_cost_is_scikit_learns_with_alpha_as_l2(cancer):
    """One full-batch epoch with a negligible step records J at the initial weights:
    the mean log-loss plus (alpha / (2 n)) Σ ‖W‖², scikit-learn's cost with λ = alpha."""
    X, _, y, _ = cancer
    alpha = 3.0
    est = MLPClassifier(
        hidden_layer_sizes=(5,),
        alpha=alpha,
        batch_size=len(y),
        learning_rate_init=1e-12,
        max_iter=1,
        random_state=0,
    )
    quiet(est, X, y)
    penalty = alpha / (2 * len(y)) * sum(float((W**2).sum()) for W in est.coefs_)
    expected = log_loss(y, est.predict_proba(X)) + penalty
    assert est.loss_curve_[0] == pytest.approx(expected, rel=1e-6)

    reg = MLPRegressor(
        hidden_layer_sizes=(5,),
        alpha=alpha,
        batch_size=len(y),
        learning_rate_init=1e-12,
        max_iter=1,
        random_state=0,
    )
    target = X[:, 0] + 2 * X[:, 1]
    quiet(reg, X, target)
    penalty = alpha / (2 * len(y)) * sum(float((W**2).sum()) for W in reg.coefs_)
    half_mse = 0.5 * float(((reg.predict(X) - target) ** 2).mean())
    assert reg.loss_curve_[0] == pytest.approx(half_mse + penalty, rel=1e-6)


# ------------------------------------------------------------------- the ecosystem
def test_pipeline_grid_search_and_cross_validation(blobs):
    X, y = blobs
    pipeline = make_pipeline(
        StandardScaler(),
        MLPClassifier(
            hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=40, random_state=0
        ),
    )
    search = GridSearchCV(
        pipeline,
        {"mlpclassifier__alpha": [1e-4, 1e-1], "mlpclassifier__head": ["softmax", "ovr"]},
        cv=3,
    )
    quiet(search, X, y)
    assert search.best_score_ > 0.85
    assert set(search.predict(X)) <= {"ant", "bee", "cat"}

    Xr, yr = make_regression(n_samples=150, n_features=5, noise=1.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(
            make_pipeline(
                StandardScaler(),
                MLPRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01, random_state=0),
            ),
            Xr,
            yr / yr.std(),
            cv=3,
        )
    assert scores.mean() > 0.9


def test_clone_gives_an_unfitted_copy_with_the_same_parameters(blobs):
    X, y = blobs
    est = quiet(MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, dropout=0.2), X, y)
    twin = clone(est)
    assert twin.get_params() == est.get_params()
    assert not hasattr(twin, "network_")
    with pytest.raises(NotFittedError):
        twin.predict(X)


@pytest.mark.parametrize(
    ("copier", "solver"),
    [("pickle", "adam"), ("deepcopy", "adam"), ("pickle", "sgd"), ("pickle", "rmsprop")],
)
def test_a_copy_predicts_the_same_and_keeps_training(copier, solver, blobs):
    """The network travels as config + arrays + optimizer state: a copy predicts the same,
    and its optimizer still moves the copy's own weights (the same step as the original)."""
    X, y = blobs
    est = quiet(
        MLPClassifier(
            hidden_layer_sizes=(8,), solver=solver, batch_norm=True, max_iter=5, random_state=0
        ),
        X,
        y,
    )
    twin = pickle.loads(pickle.dumps(est)) if copier == "pickle" else copy.deepcopy(est)
    np.testing.assert_array_equal(twin.predict_proba(X), est.predict_proba(X))
    before = twin.coefs_[0].copy()
    twin.partial_fit(X, y)
    est.partial_fit(X, y)
    assert not np.array_equal(twin.coefs_[0], before)
    np.testing.assert_array_equal(twin.predict_proba(X), est.predict_proba(X))
    assert twin.network_.optimizer_ is not est.network_.optimizer_


def test_a_copy_keeps_the_networks_task_classes_and_threshold(blobs):
    """The pickled network is rebuilt as a model file is loaded (``Network.from_config``):
    its θ came back as 0.5, so ``network_.predict`` fired elsewhere than the original."""
    X, y = blobs
    labels = np.array(["ant", "bee"])[(y == y[0]).astype(int)]
    est = quiet(NeuronClassifier(threshold=0.3, max_iter=5, random_state=0), X, labels)
    for twin in (pickle.loads(pickle.dumps(est)), copy.deepcopy(est)):
        network, original = twin.network_, est.network_
        assert network.threshold == original.threshold == 0.3
        assert (network.task, network.classes_.dtype) == ("binary", original.classes_.dtype)
        np.testing.assert_array_equal(network.classes_, original.classes_)
        np.testing.assert_array_equal(network.predict(X.T), original.predict(X.T))


def test_no_module_but_the_network_sets_its_task_attribute():
    """``Network._task`` (None until fit) is the network's own: others go through
    ``Network.from_config`` or the ``task`` property."""
    import ast
    from pathlib import Path

    package = Path(vecnn.__file__).parent
    writers = [
        path.relative_to(package).as_posix()
        for path in sorted(package.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        for item in (target.elts if isinstance(target, ast.Tuple) else [target])
        if isinstance(item, ast.Attribute) and item.attr == "_task"
    ]
    assert set(writers) == {"train/network.py"}, writers


def test_the_network_is_a_vecnn_network_on_columns(blobs, tmp_path):
    X, y = blobs
    est = quiet(MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0), X, y)
    network = est.network_
    assert isinstance(network, vecnn.Network)
    assert network.n_features == X.shape[1] and network.task == "multiclass"
    np.testing.assert_array_equal(network.predict(X.T), est.predict(X))  # examples as columns
    np.testing.assert_allclose(network.predict_proba(X.T).T, est.predict_proba(X), rtol=1e-12)
    vecnn.save(network, tmp_path / "net.vecnn")
    np.testing.assert_array_equal(vecnn.load(tmp_path / "net.vecnn").predict(X.T), est.predict(X))
    assert len(network.history_) == est.n_iter_


# ------------------------------------------------------------------------- dtype
@pytest.mark.parametrize(
    ("given", "network"),
    [(np.float32, np.float32), (np.float64, np.float64), (np.int64, np.float64)],
)
def test_the_network_computes_in_the_dtype_of_X(given, network, blobs):
    X, y = blobs
    X = (X * 4).astype(given)
    for est in (MLPClassifier(hidden_layer_sizes=(8,), max_iter=3), NeuronClassifier(max_iter=3)):
        target = (y == "ant") if isinstance(est, NeuronClassifier) else y
        quiet(est, X, target)
        assert est.network_.dtype == network
        assert est.predict_proba(X).dtype == network
        assert est.decision_function(X).dtype == network
        assert all(W.dtype == network for W in est.coefs_)
    reg = quiet(MLPRegressor(hidden_layer_sizes=(8,), max_iter=3), X, X[:, 0].astype(float))
    assert reg.predict(X).dtype == network


# ------------------------------------------------------------------- class weight
def test_balanced_class_weight_raises_minority_recall():
    X, y = make_classification(
        n_samples=1000,
        n_features=8,
        weights=[0.92, 0.08],
        class_sep=0.5,
        flip_y=0.02,
        random_state=0,
    )
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
    recall = {}
    for class_weight in (None, "balanced"):
        est = MLPClassifier(hidden_layer_sizes=(16,), class_weight=class_weight, random_state=0)
        recall[class_weight] = recall_score(y_test, quiet(est, X_train, y_train).predict(X_test))
    assert recall["balanced"] > recall[None] + 0.15, recall


def test_class_weight_is_a_per_example_weight_on_the_cost(blobs):
    """class_weight={c: w} is sample_weight = w for the examples of class c, exactly."""
    X, y = blobs
    settings = dict(hidden_layer_sizes=(8,), max_iter=10, random_state=0)
    by_class = quiet(MLPClassifier(class_weight={"bee": 3.0}, **settings), X, y)
    by_example = quiet(MLPClassifier(**settings), X, y, sample_weight=np.where(y == "bee", 3, 1))
    np.testing.assert_array_equal(by_class.predict_proba(X), by_example.predict_proba(X))
    assert by_class.loss_curve_ == by_example.loss_curve_


def test_class_weight_mistakes_are_explained(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="not classes: \\['dog'\\]"):
        MLPClassifier(class_weight={"dog": 2.0}).fit(X, y)
    with pytest.raises(ValueError, match="'class_weight' parameter"):
        MLPClassifier(class_weight="auto").fit(X, y)
    with pytest.raises(ValueError, match="not supported for partial_fit"):
        MLPClassifier(class_weight="balanced").partial_fit(X, y, classes=np.unique(y))


def test_weighted_logistic_loss_is_exact():
    """The estimators' weights go into the fused loss: ``Σ s_i L_i / Σ s_i``."""
    rng = np.random.default_rng(0)
    Z = vecnn.Tensor(rng.normal(size=(3, 7)) * 4, requires_grad=True)
    Y = (rng.random((3, 7)) < 0.5).astype(float)
    s = rng.random(7) * 2
    loss = vecnn.ops.binary_cross_entropy_with_logits
    assert vecnn.grad_check(lambda Z: loss(Z, Y, s), Z) < 1e-7
    assert loss(Z, Y, np.ones(7)).item() == pytest.approx(loss(Z, Y).item())


# ------------------------------------------------------------------------ options
def test_dropout_batch_norm_and_the_ovr_head(digits):
    X_train, X_test, y_train, y_test = digits
    est = MLPClassifier(
        hidden_layer_sizes=(64,),
        dropout=0.2,
        batch_norm=True,
        head="ovr",
        max_iter=30,
        random_state=0,
    )
    quiet(est, X_train, y_train)
    kinds = [type(layer) for layer in est.network_.layers]
    assert BatchNorm in kinds and Dropout in kinds
    assert est.out_activation_ == "logistic" and est.network_.n_outputs == 10
    proba = est.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(est.predict_log_proba(X_test), np.log(proba), rtol=1e-9)
    assert est.score(X_test, y_test) > 0.9
    np.testing.assert_array_equal(est.predict(X_test), est.predict(X_test))  # eval: no dropout

    # a last mini-batch of one example (no variance for batch norm) joins the one before it
    quiet(MLPClassifier(batch_norm=True, batch_size=100, max_iter=2), X_train[:201], y_train[:201])

    softmax = quiet(MLPClassifier(hidden_layer_sizes=(8,), max_iter=2), X_train, y_train)
    assert softmax.out_activation_ == "softmax"
    assert not any(isinstance(layer, (BatchNorm, Dropout)) for layer in softmax.network_.layers)


@pytest.mark.parametrize("solver", ["sgd", "rmsprop", "adamw"])
def test_every_solver_learns(solver, cancer):
    X_train, X_test, y_train, y_test = cancer
    est = MLPClassifier(
        hidden_layer_sizes=(16,),
        solver=solver,
        learning_rate_init=0.01,
        max_iter=30,
        random_state=0,
    )
    assert quiet(est, X_train, y_train).score(X_test, y_test) > 0.9


def test_multilabel_targets(blobs):
    X, _ = blobs
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 0] + X[:, 1] > 0]).astype(int)
    est = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0)
    quiet(est, X, Y)
    assert est.predict(X).shape == Y.shape and est.predict_proba(X).shape == Y.shape
    assert (est.predict(X) == Y).mean() > 0.9


# --------------------------------------------------------------------- validation
def test_validation_data_records_the_validation_loss(digits):
    X_train, X_test, y_train, y_test = digits
    est = MLPClassifier(hidden_layer_sizes=(16,), max_iter=8, random_state=0)
    quiet(est, X_train, y_train, validation_data=(X_test, y_test))
    assert len(est.validation_loss_curve_) == len(est.loss_curve_) == est.n_iter_ == 8
    assert est.validation_loss_curve_[-1] == pytest.approx(
        log_loss(y_test, est.predict_proba(X_test)), rel=1e-9
    )
    assert est.validation_loss_curve_[-1] < est.validation_loss_curve_[0]
    assert est.validation_scores_ is None  # scores come with early stopping, as in sklearn
    assert est.network_.history_["val_loss"] == est.validation_loss_curve_

    plain = quiet(MLPClassifier(hidden_layer_sizes=(16,), max_iter=2), X_train, y_train)
    assert plain.validation_loss_curve_ is None


def test_early_stopping_keeps_the_best_validation_score(digits):
    X_train, X_test, y_train, y_test = digits
    est = MLPClassifier(
        hidden_layer_sizes=(16,),
        early_stopping=True,
        n_iter_no_change=3,
        max_iter=200,
        random_state=0,
    )
    est.fit(X_train, y_train, validation_data=(X_test, y_test))
    assert est.n_iter_ < 200 and est.best_loss_ is None
    assert len(est.validation_scores_) == len(est.validation_loss_curve_) == est.n_iter_
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.score(X_test, y_test) == pytest.approx(est.best_validation_score_)

    split = quiet(MLPRegressor(hidden_layer_sizes=(8,), early_stopping=True), X_train, y_train)
    assert len(split.validation_scores_) == split.n_iter_  # R² on 10% held out


# ------------------------------------------------------------------- partial_fit
def test_partial_fit_is_one_epoch_and_refuses_new_classes(blobs):
    X, y = blobs
    est = MLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        est.partial_fit(X, y)
    est.partial_fit(X[y != "cat"], y[y != "cat"], classes=["ant", "bee", "cat"])
    est.partial_fit(X, y)
    assert est.n_iter_ == 2 and est.t_ == (y != "cat").sum() + len(y)
    assert list(est.classes_) == ["ant", "bee", "cat"]
    with pytest.raises(ValueError, match=r"`y` has classes not in `self\.classes_`"):
        est.partial_fit(X[:5], ["ant", "dog", "ant", "ant", "ant"])
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(X[:, :3], y)
    with pytest.raises(ValueError, match="early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=np.unique(y))


def test_warm_start_continues_and_checks_what_changed(blobs):
    X, y = blobs
    est = quiet(MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, warm_start=True), X, y)
    first = list(est.loss_curve_)
    quiet(est, X, y)
    assert est.loss_curve_[:5] == first and len(est.loss_curve_) == 10
    assert est.loss_curve_[5] < first[0]
    with pytest.raises(ValueError, match="same classes"):
        est.fit(X[y != "cat"], y[y != "cat"])
    est.set_params(hidden_layer_sizes=(9,))
    with pytest.raises(ValueError, match="architecture"):
        est.fit(X, y)


# --------------------------------------------------------------------- the neuron
def test_the_neurons_threshold_trades_recall_for_precision(cancer):
    X_train, X_test, y_train, y_test = cancer
    results = {}
    for threshold in (0.1, 0.5, 0.9):
        est = quiet(NeuronClassifier(threshold=threshold, random_state=0), X_train, y_train)
        predicted = est.predict(X_test)
        results[threshold] = (
            precision_score(y_test, predicted),
            recall_score(y_test, predicted),
            est.decision_function(X_test),
        )
        np.testing.assert_array_equal(predicted, (est.predict_proba(X_test)[:, 1] >= threshold))
        np.testing.assert_array_equal(predicted, est.decision_function(X_test) >= 0)
        # the network keeps the estimator's θ: saved alone, it predicts the same
        assert est.network_.threshold == threshold
        np.testing.assert_array_equal(est.network_.predict(X_test.T), predicted)
    assert results[0.1][1] >= results[0.5][1] >= results[0.9][1]  # recall falls
    assert results[0.1][0] <= results[0.5][0] <= results[0.9][0]  # precision rises
    assert results[0.1][1] > results[0.9][1] and results[0.9][0] > results[0.1][0]
    # the threshold moves the decision, not the training: the same neuron shifted by logit θ
    np.testing.assert_allclose(results[0.9][2], results[0.5][2] - math.log(9), rtol=1e-9)


def test_the_neuron_is_one_logistic_unit(cancer):
    X_train, _, y_train, _ = cancer
    est = quiet(NeuronClassifier(max_iter=20, random_state=0), X_train, y_train)
    assert est.coef_.shape == (1, X_train.shape[1]) and est.intercept_.shape == (1,)
    z = X_train @ est.coef_.T + est.intercept_
    np.testing.assert_allclose(est.predict_proba(X_train)[:, 1], 1 / (1 + np.exp(-z[:, 0])))
    with pytest.raises(ValueError, match="Only binary classification is supported"):
        NeuronClassifier().fit(X_train, np.arange(len(y_train)) % 3)


# ------------------------------------------------------------------- convergence
def test_convergence_warning_and_the_stopping_rule(blobs):
    X, y = blobs
    with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(3\\) reached"):
        est = MLPClassifier(hidden_layer_sizes=(8,), max_iter=3).fit(X, y)
    assert est.n_iter_ == 3 and len(est.loss_curve_) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        stopped = MLPClassifier(hidden_layer_sizes=(8,), tol=10.0, n_iter_no_change=4).fit(X, y)
    assert stopped.n_iter_ == 6  # no epoch improves by tol: more than 4 such epochs stop it
    assert stopped.best_loss_ == min(stopped.loss_curve_)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_divergence_stops_with_vecnns_error():
    X, y = make_regression(n_samples=50, n_features=3, random_state=0)
    with pytest.raises(vecnn.TrainingDivergedError, match="learning_rate_init"):
        MLPRegressor(hidden_layer_sizes=(4,), max_iter=5).fit(X * 1e200, y)


# ------------------------------------------------------------------ bad parameters
@pytest.mark.parametrize(
    ("estimator", "name"),
    [
        (MLPClassifier(hidden_layer_sizes=(0,)), "hidden_layer_sizes"),
        (MLPClassifier(activation="softplus"), "activation"),
        (MLPClassifier(solver="lbfgs"), "solver"),
        (MLPClassifier(learning_rate_init=-1.0), "learning_rate_init"),
        (MLPClassifier(batch_size=0), "batch_size"),
        (MLPClassifier(dropout=1.0), "dropout"),
        (MLPClassifier(early_stopping=True, validation_fraction=0.0), "validation_fraction"),
        (MLPClassifier(head="softmax2"), "head"),
        (MLPRegressor(alpha=-1), "alpha"),
        (MLPRegressor(max_iter=0), "max_iter"),
        (NeuronClassifier(threshold=1.0), "threshold"),
    ],
)
def test_bad_parameters_are_named_in_fit(estimator, name, blobs):
    X, y = blobs
    with pytest.raises(ValueError, match=f"'{name}' parameter must be"):
        estimator.fit(X, y == "ant")


def test_vecnn_imports_without_scikit_learn():
    code = (
        "import sys\n"
        "import vecnn\n"
        "assert 'sklearn' not in sys.modules\n"
        "sys.modules['sklearn'] = None\n"
        "try:\n"
        "    import vecnn.sklearn\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "pip install vecnn[sklearn]" in result.stdout


def test_feature_names_of_a_data_frame(blobs):
    pandas = pytest.importorskip("pandas")
    X, y = blobs
    frame = pandas.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = quiet(MLPClassifier(hidden_layer_sizes=(4,), max_iter=2), frame, y)
    assert list(est.feature_names_in_) == list(frame.columns)
