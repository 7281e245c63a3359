"""From CSV text to X and Y: standardization, one-hot, missing values, the target's task
and classes, column matching and the config round trip (ROBUSTNESS.md §D)."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest

from vecnn.csvfile import Chunk, read_csv
from vecnn.errors import DataError
from vecnn.preprocessing import Preprocessor


@pytest.fixture
def table(tmp_path):
    """``table(text)``: the text written to a CSV file and read back, with its path."""
    count = 0

    def make(text: str) -> tuple[Chunk, str]:
        nonlocal count
        count += 1
        path = tmp_path / f"t{count}.csv"
        path.write_bytes(text.encode("utf-8"))
        return read_csv(path), str(path)

    return make


def csv_text(columns: dict[str, list[object]]) -> str:
    names = list(columns)
    rows = zip(*columns.values(), strict=True)
    return ",".join(names) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows)


def fit_error(chunk, path, target=("y",), **kwargs) -> DataError:
    with pytest.raises(DataError) as info:
        Preprocessor.fit(chunk, list(target), path=path, **kwargs)
    assert str(info.value).startswith(path)
    return info.value


# -------------------------------------------------------------------------- features
def test_numeric_columns_are_standardized_like_numpy(table):
    rng = np.random.default_rng(0)
    a = rng.normal(3.0, 2.5, 50).round(4)
    b = rng.integers(-100, 100, 50)
    chunk, path = table(csv_text({"a": list(a), "b": list(b), "y": [0, 1] * 25}))
    pre = Preprocessor.fit(chunk, ["y"], path=path)
    first, second = pre.features
    assert first.mean == pytest.approx(np.mean(a), rel=1e-14)
    assert first.std == pytest.approx(np.std(a), rel=1e-14)
    assert second.mean == pytest.approx(np.mean(b), rel=1e-14)
    assert second.std == pytest.approx(np.std(b), rel=1e-14)
    X = pre.transform(chunk, path)
    assert X.shape == (2, 50)
    assert X.dtype == np.float64
    np.testing.assert_allclose(X[0], (a - a.mean()) / a.std(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(X.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=1), 1.0, rtol=1e-12)
    assert pre.feature_names == ["a", "b"]


@pytest.mark.parametrize("value", ["5", "0.1", "0.7", "123.456", "-2.2", "0"])
def test_a_constant_column_gets_std_1(table, value):
    # np.std([0.1] * 3) is 1.4e-17, not 0: rounding must not blow the column up.
    chunk, path = table(csv_text({"c": [value] * 7, "x": range(7), "y": [0, 1] * 3 + [0]}))
    pre = Preprocessor.fit(chunk, ["y"], path=path)
    feature = pre.features[0]
    assert feature.std == 1.0
    assert feature.mean == pytest.approx(float(value))
    X = pre.transform(chunk, path)
    np.testing.assert_allclose(X[0], 0.0, atol=1e-12)


def test_huge_values_do_not_overflow_the_statistics(table):
    chunk, path = table(csv_text({"big": ["1e308", "-1e308", "1e308", "5e307"], "y": "abab"}))
    pre = Preprocessor.fit(chunk, ["y"], path=path)
    feature = pre.features[0]
    assert math.isfinite(feature.mean) and math.isfinite(feature.std) and feature.std > 0
    assert np.isfinite(pre.transform(chunk, path)).all()
    json.dumps(pre.config(), allow_nan=False)


def test_text_columns_are_one_hot_with_sorted_categories(table):
    chunk, path = table(
        csv_text({"color": ["red", "blue", "green", "blue"], "n": [1, 2, 3, 4], "y": "abab"})
    )
    pre = Preprocessor.fit(chunk, ["y"], path=path)
    assert pre.features[0].categories == ["blue", "green", "red"]
    assert pre.feature_names == ["color=blue", "color=green", "color=red", "n"]
    X = pre.transform(chunk, path)
    np.testing.assert_array_equal(
        X[:3], [[0, 1, 0, 1], [0, 0, 1, 0], [1, 0, 0, 0]]
    )  # one 1 per example
    new, new_path = table("color,n,y\npurple,1,a\nred,2,b\n")
    X = pre.transform(new, new_path)
    np.testing.assert_array_equal(X[:3, 0], [0, 0, 0])  # unseen: no category
    np.testing.assert_array_equal(X[:3, 1], [0, 0, 1])


@pytest.mark.parametrize("token", ["", "NA", "nan", "?", "null", "N/A", "None", "NaN"])
def test_missing_values_are_refused_naming_line_column_and_impute(table, token):
    chunk, path = table(f"a,b,y\n1,x,0\n2,y,1\n{token},z,0\n4,x,1\n")
    error = fit_error(chunk, path)
    assert error.line == 4
    assert error.column == "a"
    assert "missing value" in str(error)
    assert repr(token) in str(error)
    assert "--impute" in str(error)
    assert str(error).startswith(f"{path}:4: column 'a':")


def test_missing_text_values_are_refused_too(table):
    chunk, path = table("a,b,y\n1,x,0\n2,,1\n3,z,0\n")
    error = fit_error(chunk, path)
    assert (error.line, error.column) == (3, "b")
    assert "--impute" in str(error)


def test_missing_values_at_transform_time_without_impute(table):
    chunk, path = table("a,b,y\n1,x,0\n2,y,1\n")
    pre = Preprocessor.fit(chunk, ["y"], path=path)
    new, new_path = table("a,b\n1,x\nNA,y\n")
    with pytest.raises(DataError, match="--impute") as info:
        pre.transform(new, new_path)
    assert (info.value.line, info.value.column) == (3, "a")
    new, new_path = table("a,b\n1,x\n2,?\n")
    with pytest.raises(DataError, match="--impute") as info:
        pre.transform(new, new_path)
    assert (info.value.line, info.value.column) == (3, "b")


def test_a_row_of_empty_fields_is_missing_values_not_dropped(table):
    chunk, path = table("a,b,y\n1,x,0\n,,\n2,y,1\n")
    error = fit_error(chunk, path)
    assert error.line == 3


@pytest.mark.parametrize(
    ("impute", "expected"), [("mean", 8.0 / 3.0), ("median", 1.0), ("most_frequent", 1.0)]
)
def test_impute_fills_with_training_statistics(table, impute, expected):
    # Present values of a: 1, 1, 6; of b: x, y, x. Text is filled with its most frequent.
    chunk, path = table("a,b,y\n1,x,0\n1,y,1\n6,x,0\n,,1\n")
    pre = Preprocessor.fit(chunk, ["y"], impute=impute, path=path)
    a, b = pre.features
    assert a.fill == pytest.approx(expected)
    assert b.fill == "x"
    assert a.mean == pytest.approx(8.0 / 3.0)  # statistics of the present values only
    assert a.std == pytest.approx(np.std([1.0, 1.0, 6.0]))
    X = pre.transform(chunk, path)
    assert X[0, 3] == pytest.approx((expected - a.mean) / a.std)
    np.testing.assert_array_equal(X[1:, 3], [1, 0])  # b filled with "x"
    new, new_path = table("a,b\nNA,\n")
    np.testing.assert_allclose(pre.transform(new, new_path), X[:, 3:])


def test_impute_median_of_an_even_count(table):
    chunk, path = table("a,y\n1,0\n2,1\n10,0\n20,1\nNA,0\n")
    pre = Preprocessor.fit(chunk, ["y"], impute="median", path=path)
    assert pre.features[0].fill == 6.0


def test_impute_fill_is_learned_even_when_training_has_no_missing_value(table):
    chunk, path = table("a,b,y\n1,x,0\n3,x,1\n5,z,0\n")
    pre = Preprocessor.fit(chunk, ["y"], impute="most_frequent", path=path)
    assert pre.features[1].fill == "x"
    new, new_path = table("a,b\n?,\n")
    np.testing.assert_allclose(pre.transform(new, new_path)[1:, 0], [1.0, 0.0])


def test_unknown_impute_is_refused(table):
    chunk, path = table("a,y\n1,0\n2,1\n")
    with pytest.raises(DataError, match="impute"):
        Preprocessor.fit(chunk, ["y"], impute="zero", path=path)


def test_a_column_of_only_missing_values(table):
    chunk, path = table("a,b,y\nNA,1,0\n,2,1\n")
    error = fit_error(chunk, path, impute="mean")
    assert error.column == "a"
    assert "missing" in str(error)


@pytest.mark.parametrize(
    ("bad", "hint"), [("abc", False), ('"1,5"', True), ("$3", False)]
)  # "inf": see test_a_value_that_is_no_finite_number_is_named_by_its_problem
def test_a_non_number_in_a_numeric_column(table, bad, hint):
    values = ["1", "2.5", "3", bad, "4", "5"]
    chunk, path = table(csv_text({"x": ["p", "q"] * 3, "age": values, "y": [0, 1] * 3}))
    error = fit_error(chunk, path)
    assert (error.line, error.column) == (5, "age")
    token = bad.strip('"')
    assert f"could not convert {token!r} to a number" in str(error)
    assert ("decimal comma" in str(error)) == hint


def test_a_whole_column_with_decimal_commas_is_refused_not_one_hot(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_bytes(b"height;weight;y\n1,80;72,5;a\n1,65;60,1;b\n1,72;80,0;a\n")
    chunk = read_csv(path)
    error = fit_error(chunk, str(path))
    assert (error.line, error.column) == (2, "height")
    assert "could not convert '1,80' to a number" in str(error)
    assert "decimal comma" in str(error)


def test_a_non_number_at_transform_time(table):
    chunk, path = table("age,y\n1,0\n2,1\n")
    pre = Preprocessor.fit(chunk, ["y"], path=path)
    new, new_path = table("age\n3\nabc\n")
    with pytest.raises(DataError, match="could not convert 'abc' to a number") as info:
        pre.transform(new, new_path)
    assert (info.value.line, info.value.column) == (3, "age")


# ---------------------------------------------------------------------------- target
def test_a_missing_target_column_lists_the_available_columns(table):
    chunk, path = table("age,height,label\n1,2,a\n3,4,b\n")
    error = fit_error(chunk, path, target=["Label"])
    assert "'Label' not found" in str(error)
    assert "age, height, label" in str(error)
    pre = Preprocessor.fit(chunk, ["label"], path=path)
    other, other_path = table("age,height\n1,2\n")
    with pytest.raises(DataError, match="available columns: age, height"):
        pre.target.encode(other, other_path)


@pytest.mark.parametrize("label", ["yes", "1", "1.0"])
def test_a_one_class_target_is_refused(table, label):
    chunk, path = table(csv_text({"x": [1, 2, 3], "y": [label, label, label]}))
    error = fit_error(chunk, path)
    assert "class" in str(error)
    assert error.column == "y"


def test_labels_1_and_1_0_are_one_class(table):
    chunk, path = table(csv_text({"x": [1, 2, 3, 4], "y": ["1", "1.0", "0", "0.0"]}))
    pre = Preprocessor.fit(chunk, ["y"], path=path)
    assert pre.target.task == "binary"
    assert pre.target.classes == ["0", "1"]
    assert pre.target.encode(chunk, path).tolist() == ["1", "1", "0", "0"]
    chunk, path = table(csv_text({"x": [1, 2, 3], "y": ["1", "1.0", "1.00"]}))
    assert "one class" in str(fit_error(chunk, path))


def test_non_integer_labels_written_two_ways_are_one_class(table):
    chunk, path = table(csv_text({"x": [1, 2, 3, 4], "y": ["0.5", "0.50", "1.5", "1.5"]}))
    pre = Preprocessor.fit(chunk, ["y"], task="multiclass", path=path)
    assert pre.target.classes == ["0.5", "1.5"]


@pytest.mark.parametrize(
    ("labels", "task", "classes"),
    [
        (["cat", "dog", "dog", "cat"], "binary", ["cat", "dog"]),
        (["cat", "dog", "emu", "cat"], "multiclass", ["cat", "dog", "emu"]),
        (["0", "1", "1", "0"], "binary", ["0", "1"]),
        (["3", "1", "2", "10"] * 2, "multiclass", ["1", "2", "3", "10"]),
        (["-1", "1", "1", "-1"], "binary", ["-1", "1"]),
        (["2", "10", "b", "a"], "multiclass", ["2", "10", "a", "b"]),
    ],
)
def test_auto_task_for_labels(table, labels, task, classes):
    chunk, path = table(csv_text({"x": range(len(labels)), "y": labels}))
    pre = Preprocessor.fit(chunk, ["y"], path=path)
    assert pre.target.task == task
    assert pre.target.classes == classes


def test_integers_with_up_to_20_values_are_classes_more_are_regression(table):
    labels = [str(i % 20) for i in range(60)]
    chunk, path = table(csv_text({"x": range(60), "y": labels}))
    pre = Preprocessor.fit(chunk, ["y"], path=path)
    assert pre.target.task == "multiclass"
    assert pre.target.classes == [str(i) for i in range(20)]  # numeric order: "2" before "10"
    labels = [str(i % 21) for i in range(63)]
    chunk, path = table(csv_text({"x": range(63), "y": labels}))
    assert Preprocessor.fit(chunk, ["y"], path=path).target.task == "regression"


def test_floats_are_regression(table):
    chunk, path = table(csv_text({"x": [1, 2, 3, 4], "y": ["0.5", "1.5", "0.5", "2.25"]}))
    pre = Preprocessor.fit(chunk, ["y"], path=path)
    assert pre.target.task == "regression"


def test_a_float_target_with_a_typo_is_refused_not_taken_as_classes(table):
    y = ["0.5", "1.25", "2.5", "oops", "3.75", "1.5"]
    chunk, path = table(csv_text({"x": range(6), "y": y}))
    error = fit_error(chunk, path)
    assert (error.line, error.column) == (5, "y")
    assert "could not convert 'oops' to a number" in str(error)


def test_a_missing_target_value_is_refused(table):
    chunk, path = table("x,y\n1,a\n2,NA\n3,b\n")
    error = fit_error(chunk, path)
    assert (error.line, error.column) == (3, "y")
    assert "missing target value 'NA'" in str(error)
    chunk, path = table("x,y\n1,0.5\n2,\n3,1.5\n")
    error = fit_error(chunk, path, task="regression")
    assert (error.line, error.column) == (3, "y")


def test_explicit_tasks(table):
    chunk, path = table(csv_text({"x": [1, 2, 3, 4], "y": ["1", "2", "3", "1"]}))
    assert Preprocessor.fit(chunk, ["y"], task="regression", path=path).target.task == (
        "regression"
    )
    with pytest.raises(DataError, match="binary needs 2 classes"):
        Preprocessor.fit(chunk, ["y"], task="binary", path=path)
    with pytest.raises(DataError, match="unknown task"):
        Preprocessor.fit(chunk, ["y"], task="clustering", path=path)
    chunk, path = table(csv_text({"x": [1, 2, 3], "y": ["a", "b", "c"]}))
    with pytest.raises(DataError, match="could not convert 'a' to a number"):
        Preprocessor.fit(chunk, ["y"], task="regression", path=path)


def test_target_given_as_a_string(table):
    chunk, path = table("x,label\n1,a\n2,b\n")
    pre = Preprocessor.fit(chunk, "label", path=path)
    assert pre.target.names == ["label"]
    assert pre.feature_columns == ["x"]


@pytest.mark.parametrize("target", [[], ["y", "y"]])
def test_bad_target_lists(table, target):
    chunk, path = table("x,y\n1,a\n2,b\n")
    fit_error(chunk, path, target=target)


def test_every_column_a_target_or_no_rows(table):
    chunk, path = table("y\na\nb\n")
    assert "no feature columns" in str(fit_error(chunk, path))
    empty = Chunk.from_rows(["x", "y"], [], [])
    with pytest.raises(DataError, match="no data rows"):
        Preprocessor.fit(empty, ["y"], path="mem")


def test_multilabel_with_several_0_1_columns(table):
    chunk, path = table("x,a,b,c\n1,0,1,1\n2,1,0,1.0\n3,0,0,0\n")
    pre = Preprocessor.fit(chunk, ["a", "b", "c"], path=path)
    assert pre.target.task == "multilabel"
    assert pre.feature_columns == ["x"]
    Y = pre.target.encode(chunk, path)
    np.testing.assert_array_equal(Y, [[0, 1, 0], [1, 0, 0], [1, 1, 0]])


def test_multilabel_refuses_a_value_other_than_0_or_1(table):
    chunk, path = table("x,a,b\n1,0,1\n2,1,2\n")
    error = fit_error(chunk, path, target=["a", "b"])
    assert (error.line, error.column) == (3, "b")
    assert "0 or 1" in str(error)
    chunk, path = table("x,a\n1,0\n2,yes\n")
    error = fit_error(chunk, path, target=["a"], task="multilabel")
    assert (error.line, error.column) == (3, "a")


def test_several_targets_need_multilabel_or_regression(table):
    chunk, path = table("x,a,b\n1,0,1\n2,1,0\n")
    with pytest.raises(DataError, match="multilabel or regression"):
        Preprocessor.fit(chunk, ["a", "b"], task="multiclass", path=path)


def test_regression_target_is_standardized_and_decode_inverts_it(table):
    y1 = [10.0, 12.5, 7.25, 30.0, 11.0]
    y2 = [-1.0, 0.0, 1.0, 2.0, 3.0]
    chunk, path = table(csv_text({"x": range(5), "y1": y1, "y2": y2}))
    pre = Preprocessor.fit(chunk, ["y1", "y2"], task="regression", path=path)
    target = pre.target
    assert target.mean == pytest.approx([np.mean(y1), np.mean(y2)])
    assert target.std == pytest.approx([np.std(y1), np.std(y2)])
    Y = target.encode(chunk, path)
    assert Y.shape == (2, 5)
    np.testing.assert_allclose(Y.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(Y.std(axis=1), 1.0)
    np.testing.assert_allclose(target.decode(Y), [y1, y2], rtol=1e-12)


def test_a_constant_regression_target_gets_std_1(table):
    chunk, path = table(csv_text({"x": range(4), "y": ["0.1"] * 4}))
    pre = Preprocessor.fit(chunk, ["y"], task="regression", path=path)
    assert pre.target.std == [1.0]
    np.testing.assert_allclose(pre.target.decode(pre.target.encode(chunk, path)), [[0.1] * 4])


def test_decode_is_only_for_regression(table):
    chunk, path = table("x,y\n1,a\n2,b\n")
    pre = Preprocessor.fit(chunk, ["y"], path=path)
    with pytest.raises(ValueError, match="regression"):
        pre.target.decode(np.zeros((1, 2)))


# ------------------------------------------------------------------------ columns
@pytest.fixture
def fitted(table):
    chunk, path = table(
        "age,city,height,label\n30,Paris,1.8,a\n41,Rome,1.6,b\n25,Oslo,1.7,a\n52,Rome,1.9,b\n"
    )
    return Preprocessor.fit(chunk, ["label"], path=path), chunk, path


def test_check_columns_lists_missing_and_unexpected(fitted, tmp_path):
    pre, _, _ = fitted
    with pytest.raises(DataError) as info:
        pre.check_columns(["Age", "city", "weight"], "new.csv")
    message = str(info.value)
    assert message.startswith("new.csv:")
    assert "missing columns: age, height" in message
    assert "unexpected columns: Age, weight" in message
    with pytest.raises(DataError, match=r"missing columns: height\)"):
        pre.check_columns(["age", "city"], "new.csv")
    with pytest.raises(DataError, match="unexpected columns: label"):
        pre.check_columns(["age", "city", "height", "label"], "new.csv")


def test_check_columns_accepts_reordered_and_allowed_columns(fitted):
    pre, _, _ = fitted
    pre.check_columns(["height", "age", "city"], "new.csv")
    pre.check_columns(["height", "label", "age", "city"], "new.csv", allow=["label"])


def test_transform_takes_columns_by_name(fitted, table):
    pre, chunk, path = fitted
    X = pre.transform(chunk, path)
    reordered, new_path = table(
        "label,height,city,age\na,1.8,Paris,30\nb,1.6,Rome,41\na,1.7,Oslo,25\nb,1.9,Rome,52\n"
    )
    np.testing.assert_array_equal(pre.transform(reordered, new_path), X)


def test_transform_with_a_missing_column_names_it(fitted, table):
    pre, _, _ = fitted
    chunk, path = table("age,city\n30,Paris\n")
    with pytest.raises(DataError, match="missing columns: height") as info:
        pre.transform(chunk, path)
    assert str(info.value).startswith(path)


# ------------------------------------------------------------------------- config
def test_config_is_json_and_round_trips(table):
    chunk, path = table(
        "age,city,height,label\n30,Paris,1.8,a\n41,Rome,NA,b\n25,,1.7,c\n52,Rome,1.9,b\n"
    )
    pre = Preprocessor.fit(chunk, ["label"], impute="median", path=path)
    config = pre.config()
    text = json.dumps(config, allow_nan=False)
    again = Preprocessor.from_config(json.loads(text))
    assert again.config() == config
    np.testing.assert_array_equal(again.transform(chunk, path), pre.transform(chunk, path))
    assert again.feature_names == pre.feature_names
    assert again.target.classes == ["a", "b", "c"]
    assert again.target.encode(chunk, path).tolist() == pre.target.encode(chunk, path).tolist()


def test_regression_and_multilabel_configs_round_trip(table):
    chunk, path = table("x,a,b\n1,0.5,2\n2,1.5,4\n3,0.25,8\n")
    pre = Preprocessor.fit(chunk, ["a", "b"], task="regression", path=path)
    again = Preprocessor.from_config(json.loads(json.dumps(pre.config())))
    np.testing.assert_array_equal(again.target.encode(chunk, path), pre.target.encode(chunk, path))
    chunk, path = table("x,a,b\n1,0,1\n2,1,0\n")
    pre = Preprocessor.fit(chunk, ["a", "b"], path=path)
    again = Preprocessor.from_config(json.loads(json.dumps(pre.config())))
    assert again.target.task == "multilabel"
    np.testing.assert_array_equal(again.target.encode(chunk, path), pre.target.encode(chunk, path))


def test_a_config_without_target(fitted):
    pre, chunk, path = fitted
    config = pre.config()
    config["target"] = None
    again = Preprocessor.from_config(config)
    assert again.target is None
    np.testing.assert_array_equal(again.transform(chunk, path), pre.transform(chunk, path))


def _bad_configs():
    """(what, mutate) pairs, each breaking one thing of a valid config."""

    def setter(*keys, value):
        def mutate(c):
            node = c
            for key in keys[:-1]:
                node = node[key]
            node[keys[-1]] = value

        return mutate

    def deleter(*keys):
        def mutate(c):
            node = c
            for key in keys[:-1]:
                node = node[key]
            del node[keys[-1]]

        return mutate

    return [
        ("extra top key", setter("extra", value=1)),
        ("missing target key", deleter("target")),
        ("features not a list", setter("features", value=7)),
        ("features a dict", setter("features", value={"a": 1})),
        ("no features", setter("features", value=[])),
        ("feature not a dict", setter("features", 0, value="age")),
        ("feature name not str", setter("features", 0, "name", value=3)),
        ("unknown kind", setter("features", 0, "kind", value="ordinal")),
        ("kind missing", deleter("features", 0, "kind")),
        ("numeric extra key", setter("features", 0, "scale", value=1.0)),
        ("numeric key missing", deleter("features", 0, "fill")),
        ("mean a string", setter("features", 0, "mean", value="3")),
        ("mean a bool", setter("features", 0, "mean", value=True)),
        ("mean nan", setter("features", 0, "mean", value=float("nan"))),
        ("mean inf", setter("features", 0, "mean", value=float("inf"))),
        ("std zero", setter("features", 0, "std", value=0.0)),
        ("std negative", setter("features", 0, "std", value=-1.0)),
        ("std inf", setter("features", 0, "std", value=float("inf"))),
        ("fill nan", setter("features", 0, "fill", value=float("nan"))),
        ("fill string", setter("features", 0, "fill", value="3")),
        ("categories not list", setter("features", 1, "categories", value="abc")),
        ("categories empty", setter("features", 1, "categories", value=[])),
        ("category not str", setter("features", 1, "categories", value=["a", 1])),
        ("category twice", setter("features", 1, "categories", value=["a", "a"])),
        ("category fill not str", setter("features", 1, "fill", value=1)),
        ("category extra key", setter("features", 1, "mean", value=0.0)),
        ("duplicate feature", lambda c: c["features"].append(copy.deepcopy(c["features"][0]))),
        ("target not dict", setter("target", value=["label"])),
        ("target extra key", setter("target", "extra", value=None)),
        ("target task unknown", setter("target", "task", value="clustering")),
        ("target task auto", setter("target", "task", value="auto")),
        ("target task unhashable", setter("target", "task", value=["binary"])),
        ("target names not list", setter("target", "names", value="label")),
        ("target names empty", setter("target", "names", value=[])),
        ("target name not str", setter("target", "names", value=[1])),
        ("classes missing", setter("target", "classes", value=None)),
        ("classes not str", setter("target", "classes", value=["a", 2])),
        ("one class", setter("target", "classes", value=["a"])),
        ("class twice", setter("target", "classes", value=["a", "a"])),
        ("classes unhashable", setter("target", "classes", value=[["a"], ["b"]])),
        ("binary with 3 classes", setter("target", "classes", value=["a", "b", "c"])),
        ("mean for classes", setter("target", "mean", value=[0.0])),
    ]


def _regression_bad_configs():
    def target_setter(key, value):
        def mutate(c):
            c["target"][key] = value

        return mutate

    return [
        ("std missing", target_setter("std", None)),
        ("std zero", target_setter("std", [0.0])),
        ("std nan", target_setter("std", [float("nan")])),
        ("mean inf", target_setter("mean", [float("inf")])),
        ("mean wrong length", target_setter("mean", [0.0, 1.0])),
        ("mean a number", target_setter("mean", 0.0)),
        ("classes for regression", target_setter("classes", ["a", "b"])),
    ]


def test_from_config_refuses_malformed_configs(fitted, table):
    pre, _, _ = fitted
    good = pre.config()
    assert good["target"]["task"] == "binary"
    Preprocessor.from_config(copy.deepcopy(good))
    for what, mutate in _bad_configs():
        config = copy.deepcopy(good)
        mutate(config)
        with pytest.raises(ValueError, match="preprocessing config"):
            Preprocessor.from_config(config)
            pytest.fail(f"accepted: {what}")

    chunk, path = table("x,y\n1,0.5\n2,1.5\n")
    regression = Preprocessor.fit(chunk, ["y"], task="regression", path=path).config()
    Preprocessor.from_config(copy.deepcopy(regression))
    for what, mutate in _regression_bad_configs():
        config = copy.deepcopy(regression)
        mutate(config)
        with pytest.raises(ValueError, match="preprocessing config"):
            Preprocessor.from_config(config)
            pytest.fail(f"accepted: {what}")


@pytest.mark.parametrize("config", [None, [], "features", 3, {"features": []}])
def test_from_config_refuses_non_dicts(config):
    with pytest.raises(ValueError, match="preprocessing config"):
        Preprocessor.from_config(config)


# linnerud: 20 rows of exercise counts and body measures, all integers written as floats.
LINNERUD_WEIGHT = [191, 189, 193, 162, 189, 182, 211, 167, 176, 154]
LINNERUD_WEIGHT += [169, 166, 154, 247, 193, 202, 176, 157, 156, 138]


def test_integers_mostly_distinct_are_regression_and_say_why(table):
    weight = [f"{w}.0" for w in LINNERUD_WEIGHT]  # 16 distinct values in 20 rows
    chunk, path = table(csv_text({"Chins": range(20), "Weight": weight}))
    target = Preprocessor.fit(chunk, ["Weight"], path=path).target
    assert target.task == "regression"
    assert target.reason == "16 distinct integers in 20 rows: too many to be classes"
    # --task overrides the decision: 16 classes.
    forced = Preprocessor.fit(chunk, ["Weight"], task="multiclass", path=path).target
    assert forced.task == "multiclass" and len(forced.classes) == 16
    assert forced.reason == "--task multiclass was given"


def test_every_target_error_names_the_task_and_how_to_change_it(table):
    weight = [str(w) for w in LINNERUD_WEIGHT]
    chunk, path = table(csv_text({"Chins": range(20), "Weight": weight, "Waist": range(20)}))
    error = fit_error(chunk, path, target=("Weight", "Waist"))
    assert "a multi-label target must be 0 or 1; found '191'" in error.reason
    assert "(the target was taken as multilabel: 2 target columns; " in error.reason
    assert "use --task regression for numeric targets)" in error.reason
    assert Preprocessor.fit(chunk, ["Weight", "Waist"], task="regression", path=path)
    chunk, path = table(csv_text({"x": range(6), "y": ["1", "2", "1", "2", "1", "oops"]}))
    error = fit_error(chunk, path, task="binary")
    assert "--task binary needs 2 classes; the target has 3" in error.reason
    assert "taken as binary: --task binary was given; use --task regression" in error.reason
    chunk, path = table(csv_text({"x": range(4), "y": ["0.5", "1.5", "x", "2.5"]}))
    error = fit_error(chunk, path, task="regression")
    assert "could not convert 'x' to a number" in error.reason
    assert "use --task multiclass to treat the values as classes)" in error.reason


# ------------------------------------------- issue 11: numbers named by their problem
@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("1e400", "'1e400' is beyond the largest number a float holds"),
        ("inf", "'inf' is infinite; vecnn needs finite numbers"),
        ("-Infinity", "'-Infinity' is infinite"),
        ('"1,000"', "'1,000' has a thousands separator; write 1000"),
        ('"1,5"', "a decimal comma? write 1.5"),
    ],
)
def test_a_value_that_is_no_finite_number_is_named_by_its_problem(table, token, message):
    """Item 20: these were "could not convert", and 1,000 got the decimal-comma hint."""
    chunk, path = table(f"a,y\n1,0\n2,1\n{token},0\n4,1\n")
    error = fit_error(chunk, path)
    assert error.line == 4 and error.column == "a"
    assert message in str(error)


def test_a_value_beyond_float32_after_scaling_names_file_line_and_column(table):
    """Item 20: 1e39 at predict time gave "contains infinity" with no file or line."""
    chunk, path = table("a,y\n1,0\n2,1\n3,0\n4,1\n")
    preprocessing = Preprocessor.fit(chunk, ["y"], path=path)
    new, new_path = table("a,y\n1,0\n1e39,1\n")
    with pytest.raises(DataError) as info:
        preprocessing.transform(new, new_path)
    error = info.value
    assert (error.path, error.line, error.column) == (new_path, 3, "a")
    assert "'1e39' is too large" in str(error) and "float32" in str(error)


@pytest.mark.parametrize("scale", [1e-160, 1e-200, 1e-300])
def test_tiny_values_keep_their_spread(table, scale):
    """Item 15: below ~1e-160 the standard deviation underflowed to 0 and the feature
    was flattened (its std taken as 1)."""
    base = np.linspace(1.0, 4.0, 20).round(3)
    values = base * scale
    chunk, path = table(csv_text({"a": [repr(float(v)) for v in values], "y": [0, 1] * 10}))
    preprocessing = Preprocessor.fit(chunk, ["y"], path=path)
    (feature,) = preprocessing.features
    assert feature.std == pytest.approx(np.std(base) * scale, rel=1e-6)
    X = preprocessing.transform(chunk, path)
    np.testing.assert_allclose(X[0], (base - base.mean()) / np.std(base), rtol=1e-5, atol=1e-9)


def test_a_tiny_regression_target_decodes_to_itself(table):
    """Item 15: a target of order 4e-299 decoded wrongly."""
    y = np.linspace(4.0, 7.0, 20).round(3) * 1e-299
    chunk, path = table(csv_text({"a": list(range(20)), "y": [repr(float(v)) for v in y]}))
    target = Preprocessor.fit(chunk, ["y"], "regression", path=path).target
    encoded = target.encode(chunk, path)
    assert np.ptp(encoded) > 1  # standardized, not flattened
    np.testing.assert_allclose(target.decode(encoded)[0], y, rtol=1e-9)
