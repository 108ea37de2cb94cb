import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.canonical import canonical_json

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


def _reference(value: object) -> bytes | None:
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, ValueError, UnicodeEncodeError):
        return None


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_fast_path_matches_rfc8785(value: object) -> None:
    expected = _reference(value)
    if expected is None:
        with pytest.raises((rfc8785.CanonicalizationError, ValueError, UnicodeEncodeError)):
            canonical_json(value)
    else:
        assert canonical_json(value) == expected


def test_known_answers() -> None:
    # RFC 8785 §3.2.3 sorting and number formatting.
    assert canonical_json({"b": 1, "a": [True, None, "x"]}) == b'{"a":[true,null,"x"],"b":1}'
    assert canonical_json({"n": 1.0, "e": 1e21}) == b'{"e":1e+21,"n":1}'
    assert canonical_json({"\u20ac": 1, "\r": 2, "1": 3}) == '{"\\r":2,"1":3,"\u20ac":1}'.encode()
    assert canonical_json("\u0007\n") == b'"\\u0007\\n"'
    assert canonical_json({"课程": "计算机"}) == '{"课程":"计算机"}'.encode()


def test_unsafe_integer_goes_to_reference() -> None:
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical_json({"i": 2**60})
    assert canonical_json(2**53 - 1) == b"9007199254740991"


@settings(max_examples=3000, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False) | st.decimals(0, 30, places=1).map(float))
def test_floats_take_the_fast_path_only_where_it_matches_rfc8785(value: float) -> None:
    assert canonical_json({"credits": value, "list": [value]}) == rfc8785.dumps(
        {"credits": value, "list": [value]}
    )


def test_float_bounds_of_the_fast_path() -> None:
    for value in (3.5, 0.1, 1e-4, 1.5e-4, 9.5e15, 1e16 + 2.0, 1e-5, 4.0, 1e21, 123456.789):
        assert canonical_json(value) == rfc8785.dumps(value)
