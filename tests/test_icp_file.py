"""The ICP file: round trip, validation with line numbers, versions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.criteria import Criterion
from icpkit.errors import IcpFileError, OutputExistsError
from icpkit.icp import ICP, Scoring, Segment

values = st.lists(
    st.sampled_from(["saas", "fintech", "retail", "e-commerce"]),
    min_size=1,
    max_size=3,
    unique=True,
)
bands = st.tuples(st.integers(0, 500), st.integers(1, 5000)).filter(lambda t: t[0] < t[1])
criteria = st.one_of(
    st.builds(lambda v: Criterion(column="industry", in_=tuple(v)), values),
    st.builds(lambda b: Criterion(column="employees", between=(float(b[0]), float(b[1]))), bands),
    st.builds(
        lambda d: Criterion(column="funded", within_days=d, before="close_date"),
        st.integers(1, 720),
    ),
    st.builds(lambda b: Criterion(column="leadership_change", is_=b), st.booleans()),
    st.builds(lambda v: Criterion(column="tech", has_none=tuple(v), category="live chat"), values),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(criteria, min_size=1, max_size=3), min_size=0, max_size=3),
    st.lists(criteria, max_size=2),
)
def test_yaml_round_trip_is_exact_and_deterministic(segments, disq):
    icp = ICP(
        segments=[Segment(id=f"seg-{i}", name=f"s{i}", must=m) for i, m in enumerate(segments)],
        disqualifiers=disq,
    )
    text = icp.to_yaml()
    back = ICP.from_yaml(text)
    assert back == icp
    assert back.to_yaml() == text


def _icp_text() -> str:
    icp = ICP(
        segments=[
            Segment(
                id="seg-1",
                name="midmarket saas",
                must=[
                    Criterion(column="industry", in_=("saas",)),
                    Criterion(column="employees", between=(200.0, 1000.0)),
                ],
            )
        ]
    )
    return icp.to_yaml()


def test_error_names_line_and_field_for_a_bad_band():
    text = _icp_text().replace("between: [200, 1000]", "between: [2000, 1000]")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "2000" in t)
    with pytest.raises(IcpFileError) as exc:
        ICP.from_yaml(text, file="icp.yaml")
    err = exc.value
    assert err.field == "segments.0.must.1"
    assert err.line is not None and abs(err.line - line) <= 1
    assert "icp.yaml:" in str(err) and "lower bound" in str(err)


def test_error_for_unknown_key_and_two_operators():
    text = _icp_text().replace("    in: [saas]", "    in: [saas]\n    colour: blue")
    with pytest.raises(IcpFileError, match="colour"):
        ICP.from_yaml(text)
    text = _icp_text().replace("    in: [saas]", "    in: [saas]\n    is: true")
    with pytest.raises(IcpFileError, match="exactly one operator"):
        ICP.from_yaml(text)


def test_newer_format_is_refused_clearly():
    text = _icp_text().replace("format: 1", "format: 99")
    with pytest.raises(IcpFileError, match="newer than this icpkit"):
        ICP.from_yaml(text)


def test_invalid_yaml_and_non_mapping():
    with pytest.raises(IcpFileError) as exc:
        ICP.from_yaml("segments: [\n  - id: x\n", file="f.yaml")
    assert exc.value.line is not None
    with pytest.raises(IcpFileError, match="mapping"):
        ICP.from_yaml("- 1\n- 2\n")


def test_tier_thresholds_must_fall():
    with pytest.raises(ValueError, match="fall strictly"):
        Scoring(tiers={"A": 10, "B": 20, "C": 5})


def test_save_is_atomic_and_refuses_overwrite(tmp_path):
    icp = ICP.from_yaml(_icp_text())
    path = tmp_path / "icp.yaml"
    icp.save(path)
    before = path.read_bytes()
    with pytest.raises(OutputExistsError):
        icp.model_copy(update={"version": 2}).save(path)
    assert path.read_bytes() == before
    icp.model_copy(update={"version": 2}).save(path, force=True)
    assert ICP.load(path).version == 2
    assert list(tmp_path.iterdir()) == [path]  # no temp files left behind


def test_missing_file():
    with pytest.raises(IcpFileError, match="no such ICP file"):
        ICP.load("/nonexistent/icp.yaml")
