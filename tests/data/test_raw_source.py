"""The raw data source: the bundled default is written only when missing, and never over a user file."""

import shutil

import pytest
from tests.conftest import PROJECT_ROOT

from prunegate.data.raw_source import ensure_raw_data, read_raw_data_source
from prunegate.data.tables import DataFileError, read_table


@pytest.fixture
def project(tmp_path):
    shutil.copytree(PROJECT_ROOT / "conf" / "base", tmp_path / "conf" / "base")
    (tmp_path / "conf" / "local").mkdir()
    return tmp_path


def _set_raw_data(project, text):
    (project / "conf/base/globals.yml").write_text(text)


def test_shipped_source_is_the_bundled_digits(project):
    source = read_raw_data_source(project)
    assert source.path == "data/01_raw/digits.csv"
    assert source.embedded == "sklearn_digits"


def test_missing_default_file_is_written_once_from_the_bundled_dataset(project):
    message = ensure_raw_data(project)
    raw = project / "data/01_raw/digits.csv"
    assert "wrote the bundled dataset" in message
    assert read_table(raw).shape == (1797, 65)
    first = raw.read_bytes()
    raw.unlink()
    ensure_raw_data(project)
    assert raw.read_bytes() == first  # same bytes every time: the committed .dvc file stays valid


def test_an_existing_file_is_never_overwritten(project):
    raw = project / "data/01_raw/digits.csv"
    raw.parent.mkdir(parents=True)
    raw.write_text("a user's own file\n")
    assert "left as it is" in ensure_raw_data(project)
    assert raw.read_text() == "a user's own file\n"


def test_own_file_missing_is_a_clear_error(project):
    _set_raw_data(project, "raw_data:\n  path: data/01_raw/mine.parquet\n  embedded: null\n")
    with pytest.raises(DataFileError, match=r"data/01_raw/mine.parquet does not exist"):
        ensure_raw_data(project)


def test_local_override_points_at_another_file(project):
    (project / "conf/local/globals.yml").write_text("raw_data:\n  path: elsewhere.csv\n  embedded: null\n")
    assert read_raw_data_source(project).path == "elsewhere.csv"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("raw_data:\n  path: x.csv\n  embedded: mnist\n", r"raw_data.embedded: unknown bundled dataset"),
        ("raw_data:\n  path: x.csv\n  pth: y.csv\n", r"raw_data.pth: unknown key"),
        ("other: 1\n", r"raw_data.path must name"),
    ],
)
def test_bad_raw_data_config_names_the_key(project, text, message):
    _set_raw_data(project, text)
    with pytest.raises(DataFileError, match=message):
        read_raw_data_source(project)


def test_outside_a_project_the_error_says_where_to_run(tmp_path):
    with pytest.raises(DataFileError, match="not a prunegate project"):
        ensure_raw_data(tmp_path)
