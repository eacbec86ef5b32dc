import pandas as pd
import pytest

from prunegate.data.tables import DataFileError, read_table, sklearn_digits, table_fingerprint, write_table


def test_embedded_digits_has_the_documented_shape():
    frame = sklearn_digits()
    assert frame.shape == (1797, 65)
    assert frame["target"].nunique() == 10
    assert frame.drop(columns="target").to_numpy().max() == 16


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_write_then_read_round_trips(tmp_path, suffix):
    frame = pd.DataFrame({"pixel a, b": [1.0, 2.0], "label (name)": ["x", "y"]})
    write_table(frame, tmp_path / f"table{suffix}")
    pd.testing.assert_frame_equal(read_table(tmp_path / f"table{suffix}"), frame)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\n\n", "no columns"),
        (b"a,b,target\n", "header .* but no data rows"),
        (b"a,b,target\n1,2,0\n3,4,1\n5,", "truncated"),
        (b'a,b,target\n1,2,0\n3,"4,1\n', "not a well-formed CSV"),
    ],
)
def test_unusable_csv_is_refused_with_a_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(DataFileError, match=message):
        read_table(path)


def test_csv_without_final_newline_but_complete_is_accepted(tmp_path):
    path = tmp_path / "ok.csv"
    path.write_bytes(b"a,b,target\n1,2,0\n3,4,1")
    assert len(read_table(path)) == 2


def test_truncated_parquet_and_unknown_suffix_and_missing_file(tmp_path):
    write_table(pd.DataFrame({"a": range(100)}), tmp_path / "t.parquet")
    data = (tmp_path / "t.parquet").read_bytes()
    (tmp_path / "t.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFileError, match="cannot read as parquet"):
        read_table(tmp_path / "t.parquet")
    with pytest.raises(DataFileError, match="unsupported file type"):
        read_table(tmp_path / "t.xlsx")
    with pytest.raises(DataFileError, match="does not exist"):
        read_table(tmp_path / "absent.csv")


def test_fingerprint_changes_with_any_value_or_column_name():
    frame = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
    assert table_fingerprint(frame) == table_fingerprint(frame.copy())
    changed = frame.copy()
    changed.loc[1, "b"] = 5
    assert table_fingerprint(changed) != table_fingerprint(frame)
    assert table_fingerprint(frame.rename(columns={"b": "c"})) != table_fingerprint(frame)
