"""Location overlays as ops use them: a new location is one folder, and a version is
released location by location with an `images:` pin in one overlay."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.deploy.invariants import service_deployments
from tests.deploy.support import (
    DEPLOY,
    K8S,
    LOCATION_OVERLAYS,
    SERVICES,
    base_image_tags,
    by_kind,
    load_one,
    render,
)

KUBERNETES_VERSION = "1.30.0"
DIGEST = "sha256:" + "0123456789abcdef" * 4


def _scratch_tree(tmp_path: Path) -> Path:
    """A copy of deploy/k8s, so a test may add or edit overlays without touching the repo."""
    tree = tmp_path / "k8s"
    shutil.copytree(K8S, tree)
    return tree


def _images(docs: list[dict]) -> dict[str, str]:
    return {name: d["spec"]["template"]["spec"]["containers"][0]["image"]
            for name, d in service_deployments(by_kind(docs, "Deployment")).items()}


def _pin(overlay: Path, pins: list[dict]) -> None:
    spec = load_one(overlay / "kustomization.yaml")
    spec["images"] = pins
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))


def test_a_new_location_is_a_copied_overlay_folder_and_renders_and_validates(tmp_path,
                                                                           kustomize):
    tree = _scratch_tree(tmp_path)
    source, new = LOCATION_OVERLAYS[0], "san-marcos"
    folder = tree / "overlays" / new
    shutil.copytree(tree / "overlays" / source, folder)
    title = source.replace("-", " ").title()
    for path in folder.iterdir():
        path.write_text(path.read_text().replace(source, new).replace(title, "San Marcos"))
    docs = render(folder)
    assert list(by_kind(docs, "Namespace")) == [f"clinic-{new}"]
    deployments = service_deployments(by_kind(docs, "Deployment"))
    assert set(deployments) == set(SERVICES)
    for deployment in deployments.values():
        assert deployment["spec"]["template"]["metadata"]["labels"]["clinic/location"] == new
    location = next(c for n, c in by_kind(docs, "ConfigMap").items()
                    if n.startswith("location-config-"))
    assert yaml.safe_load(location["data"]["location.yaml"])["location_id"] == new
    validator = pytest.importorskip("kubernetes_validate")
    for doc in docs:
        validator.validate(doc, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("pin", [{"newTag": "9.9.9"}, {"digest": DIGEST}], ids=["tag", "digest"])
def test_an_images_pin_in_one_overlay_changes_only_that_location(tmp_path, kustomize, pin):
    tree = _scratch_tree(tmp_path)
    pinned, *others = LOCATION_OVERLAYS
    before = {loc: _images(render(tree / "overlays" / loc)) for loc in LOCATION_OVERLAYS}
    _pin(tree / "overlays" / pinned, [{"name": "clinic-intake", **pin}])
    after = {loc: _images(render(tree / "overlays" / loc)) for loc in LOCATION_OVERLAYS}
    suffix = f":{pin['newTag']}" if "newTag" in pin else f"@{pin['digest']}"
    registry_name = before[pinned]["intake"].rsplit(":", 1)[0]
    assert after[pinned]["intake"] == registry_name + suffix
    assert after[pinned]["scheduling"] == before[pinned]["scheduling"]
    assert after[pinned]["billing"] == before[pinned]["billing"]
    for other in others:
        assert after[other] == before[other]
    tag = base_image_tags()["clinic-intake"]
    assert before[pinned]["intake"].endswith(f"/clinic-intake:{tag}")


def test_a_scheduling_pin_moves_the_location_apply_job_with_the_service(tmp_path, kustomize):
    """The Job applying the location file runs the version its location's scheduling runs."""
    tree = _scratch_tree(tmp_path)
    pinned = LOCATION_OVERLAYS[0]
    _pin(tree / "overlays" / pinned, [{"name": "clinic-scheduling", "digest": DIGEST}])
    docs = render(tree / "overlays" / pinned)
    job = by_kind(docs, "Job")["scheduling-apply-location"]
    image = job["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == _images(docs)["scheduling"] and image.endswith(f"/clinic-scheduling@{DIGEST}")


def test_location_source_files_stay_where_the_dev_stack_reads_them():
    for location in LOCATION_OVERLAYS:
        assert (DEPLOY / "locations" / f"{location}.yaml").is_file()
