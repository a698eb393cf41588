import os
import shutil

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=1000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def earlier_run(tmp_path_factory):
    """A results directory written by an earlier run (copied by ``out_dir`` for each test)."""
    import sim
    from sim import storage
    path = tmp_path_factory.mktemp("earlier") / "run"
    storage.write(sim.run("middenhuur-2017", seed=7, months=2), path)
    return path


@pytest.fixture
def out_dir(earlier_run, tmp_path):
    """``--out`` for a test: a copy of an earlier run's results, which bad input must leave alone."""
    path = tmp_path / "results"
    shutil.copytree(earlier_run, path)
    return path


# --- browser tests: pytest-playwright drives Debian's chromium ----------------------------------
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch the system chromium (`playwright install` does not work here). Without it the
    browser tests skip on a developer's machine but fail under CI=true (.ci/run sets it)."""
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
