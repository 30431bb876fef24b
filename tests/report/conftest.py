"""Fixtures for the report tests: headless Chromium, an artifacts folder, and real ICPs.

The ICPs are discovered once per session: the demo base (planted truth), the Crunchbase 2013
export and the Telco customer base from ``../shared`` (skipped with a message where missing).
Screenshots go to ``$ICPKIT_ARTIFACTS`` when set (CI uploads that folder), else a temporary
folder: never into the repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from icpkit.icp import ICP
from icpkit.io import read_table
from tests.helpers import REPO, shared_file


@dataclass(frozen=True)
class Case:
    """An ICP file and the accounts it was fitted on."""

    name: str
    icp_path: Path
    accounts_path: Path

    @property
    def icp(self) -> ICP:
        return ICP.load(self.icp_path)

    def accounts(self) -> pl.DataFrame:
        return read_table(self.accounts_path)


@pytest.fixture(scope="session")
def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        script = REPO / ".ci" / "chromium.sh"
        try:
            subprocess.run(["bash", str(script)], check=True, capture_output=True, timeout=600)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            pytest.skip(
                f"chromium is not installed and .ci/chromium.sh could not install it: {exc}"
            )
        found = shutil.which("chromium")
    if found is None:
        pytest.skip("chromium is not available (run .ci/chromium.sh)")
    return found


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env = os.environ.get("ICPKIT_ARTIFACTS")
    d = Path(env) if env else tmp_path_factory.mktemp("artifacts")
    d.mkdir(parents=True, exist_ok=True)
    return d


def _discover(name: str, src: Path, d: Path, **kw: object) -> Case:
    from icpkit.pipeline import discover_file

    run = discover_file(src, folds=2, baseline=False, name=name, **kw)  # type: ignore[arg-type]
    path = d / f"{name.split()[0].lower()}.yaml"
    run.icp.save(path)
    return Case(name, path, src)


@pytest.fixture(scope="session")
def demo_case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    from icpkit.sample.customers import TECH_CATEGORIES, write_demo_files

    d = tmp_path_factory.mktemp("demo-report")
    paths = write_demo_files(d, n=6000, seed=7)
    cmap = {k.lower(): [v] for k, v in TECH_CATEGORIES.items()}
    return _discover("Demo ICP", paths["customers"], d, category_map=cmap)


@pytest.fixture(scope="session")
def crunchbase_case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    src = shared_file("data", "crunchbase-2013", "crunchbase-companies.csv")
    return _discover("Crunchbase ICP", src, tmp_path_factory.mktemp("cb-report"), strict=False)


@pytest.fixture(scope="session")
def telco_case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    src = shared_file("data", "telco-churn", "Telco-Customer-Churn.csv")
    return _discover("Telco ICP", src, tmp_path_factory.mktemp("telco-report"))


@pytest.fixture(
    scope="session",
    params=[
        "demo",
        pytest.param("crunchbase", marks=pytest.mark.slow),
        pytest.param("telco", marks=pytest.mark.slow),
    ],
)
def case(request: pytest.FixtureRequest) -> Case:
    return request.getfixturevalue(f"{request.param}_case")
