import pytest

from ews.kernel.yamldata import yaml_mapping


class DataError(ValueError):
    pass


def test_a_mapping_is_returned():
    assert yaml_mapping("a: 1\nb: [x, y]\n", "f.yaml") == {"a": 1, "b": ["x", "y"]}


@pytest.mark.parametrize("text, problem", [
    ("a: [1, 2\n", "f.yaml: not valid YAML"),
    ("- a\n- b\n", "f.yaml: expected a mapping at the top level, got list"),
    ("", "f.yaml: expected a mapping at the top level, got NoneType"),
    ("!!python/object:os.system {}\n", "f.yaml: not valid YAML"),
])
def test_bad_data_names_the_file_with_the_callers_error(text, problem):
    with pytest.raises(DataError, match=problem):
        yaml_mapping(text, "f.yaml", DataError)
