"""deploy/k8s: the kustomize base and the production overlay, rendered and validated offline.

No cluster and no `kustomize` binary where the tests run, so ``render()`` applies the subset of
kustomize the manifests use (resources, namespace, labels, images, JSON6902 patches) -- the
manifests must stay within it -- and every rendered object is validated by kubernetes-validate
in strict mode (unknown fields fail) against the Kubernetes releases still supported. No
database needed.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
PRODUCTION = K8S / "overlays" / "production"
SUPPORTED_KEYS = {"apiVersion", "kind", "resources", "namespace", "labels", "images", "patches"}
CLUSTER_SCOPED = {"Namespace", "PersistentVolume", "ClusterRole", "ClusterRoleBinding"}


def _bundled_versions() -> list[str]:
    schemas = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    found = {m.group(1) for p in schemas.iterdir()
             if (m := re.fullmatch(r"v(\d+\.\d+)\.0-local-strict", p.name))}
    return sorted(found, key=lambda v: tuple(map(int, v.split("."))))


# Upstream Kubernetes supports its three newest minor releases; those are the newest three the
# installed kubernetes-validate bundles (uv.lock pins it: upgrading it moves the window).
KUBERNETES_VERSIONS = _bundled_versions()[-3:]


# -- a small kustomize ------------------------------------------------------------------------
def _pointer(path: str) -> list[str | int]:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path.lstrip("/").split("/")]
    return [int(p) if p.isdigit() else p for p in parts]


def _json_patch(doc: dict, operations: list[dict]) -> None:
    for op in operations:
        *parents, last = _pointer(op["path"])
        target = doc
        for key in parents:
            target = target[key]
        if op["op"] == "replace":
            target[last]
            target[last] = op["value"]
        elif op["op"] == "add":
            if isinstance(target, list):
                target.insert(len(target) if last == "-" else last, op["value"])
            else:
                target[last] = op["value"]
        elif op["op"] == "remove":
            del target[last]
        else:
            raise AssertionError(f"unsupported patch op {op['op']}")


def render(directory: Path) -> list[dict]:
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - SUPPORTED_KEYS
    assert not unknown, f"{directory}: kustomize features the test does not render: {unknown}"
    docs: list[dict] = []
    for resource in kustomization.get("resources", []):
        path = (directory / resource).resolve()
        if path.is_dir():
            docs += render(path)
        else:
            docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    for pairs in kustomization.get("labels", []):
        for doc in docs:
            doc["metadata"].setdefault("labels", {}).update(pairs["pairs"])
    for image in kustomization.get("images", []):
        for doc in docs:
            for container in _containers(doc):
                name, _, _tag = container["image"].partition(":")
                if name == image["name"]:
                    container["image"] = f"{image.get('newName', name)}:{image['newTag']}"
    for patch in kustomization.get("patches", []):
        target = patch["target"]
        matched = [d for d in docs if d["kind"] == target["kind"]
                   and d["metadata"]["name"] == target["name"]]
        assert matched, f"patch target {target} matches nothing"
        for doc in matched:
            _json_patch(doc, yaml.safe_load(patch["patch"]))
    if "namespace" in kustomization:
        for doc in docs:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc["metadata"]["namespace"] = kustomization["namespace"]
    return docs


def _pod_spec(doc: dict) -> dict | None:
    if doc["kind"] in ("Deployment", "Job"):
        return doc["spec"]["template"]["spec"]
    return None


def _containers(doc: dict) -> list[dict]:
    spec = _pod_spec(doc)
    return (spec.get("initContainers", []) + spec["containers"]) if spec else []


def _one(docs: list[dict], kind: str, name: str) -> dict:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


RENDERED = {"base": render(BASE), "production": render(PRODUCTION)}


# -- validity ---------------------------------------------------------------------------------
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("variant", sorted(RENDERED))
def test_every_manifest_is_valid_kubernetes_in_strict_mode(variant, version):
    for doc in copy.deepcopy(RENDERED[variant]):
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']} on {version}: {exc.message} "
                        f"at {'/'.join(map(str, exc.path))}")


def test_supported_versions_are_recent():
    assert len(KUBERNETES_VERSIONS) == 3 and KUBERNETES_VERSIONS[0] >= "1.32"


def test_secret_example_is_valid_and_is_not_deployed():
    example = yaml.safe_load((BASE / "secret.example.yaml").read_text())
    kubernetes_validate.validate(example, KUBERNETES_VERSIONS[-1], strict=True)
    assert not [d for d in RENDERED["production"] if d["kind"] == "Secret"]


# -- what an operator relies on -----------------------------------------------------------------
@pytest.mark.parametrize("variant", sorted(RENDERED))
def test_workloads_web_worker_beat_and_a_migrate_job(variant):
    docs = RENDERED[variant]
    commands = {d["metadata"]["name"]: d["spec"]["template"]["spec"]["containers"][0]["command"]
                for d in docs if d["kind"] in ("Deployment", "Job")}
    assert commands["saas-platform-web"][0] == "gunicorn"
    assert commands["saas-platform-worker"][:4] == ["celery", "-A", "saas_platform", "worker"]
    assert commands["saas-platform-beat"][:4] == ["celery", "-A", "saas_platform", "beat"]
    assert commands["saas-platform-migrate"] == ["python", "manage.py", "migrate_all"]
    assert _one(docs, "Job", "saas-platform-migrate")["spec"]["template"]["spec"][
        "restartPolicy"] == "Never"


def test_exactly_one_beat_stopped_before_its_successor_starts():
    beat = _one(RENDERED["production"], "Deployment", "saas-platform-beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert not [d for d in RENDERED["production"] if d["kind"] == "HorizontalPodAutoscaler"
                and d["spec"]["scaleTargetRef"]["name"] == "saas-platform-beat"]


def test_web_probes_liveness_healthz_readiness_readyz_on_the_served_port():
    web = _one(RENDERED["production"], "Deployment", "saas-platform-web")
    container = web["spec"]["template"]["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    gunicorn_port = re.search(r"get\('PORT', '(\d+)'\)",
                              (ROOT / "deploy" / "gunicorn.conf.py").read_text()).group(1)
    assert ports["http"] == int(gunicorn_port)
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    # No Host header: the probes answer on the pod IP (tests/core/test_health.py).
    assert "httpHeaders" not in container["readinessProbe"]["httpGet"]


@pytest.mark.parametrize("variant", sorted(RENDERED))
def test_pods_run_as_the_images_non_root_user_on_a_read_only_root(variant):
    uid = re.search(r"--uid (\d+)", (ROOT / "deploy" / "Dockerfile").read_text()).group(1)
    for doc in RENDERED[variant]:
        spec = _pod_spec(doc)
        if spec is None:
            continue
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] == int(uid)
        assert spec["automountServiceAccountToken"] is False
        volumes = {v["name"]: v for v in spec["volumes"]}
        for container in spec["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"]["drop"] == ["ALL"]
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert "emptyDir" in volumes[mounts["/tmp"]]  # noqa: S108 -- the pod's own /tmp
            assert mounts["/app/.data/archives"] == "archives"
            for kind in ("requests", "limits"):
                assert set(container["resources"][kind]) == {"cpu", "memory"}, doc["metadata"]


@pytest.mark.parametrize("variant", sorted(RENDERED))
def test_settings_from_the_configmap_secrets_from_a_secret(variant):
    docs = RENDERED[variant]
    config = _one(docs, "ConfigMap", "saas-platform-config")
    secret_keys = set(yaml.safe_load((BASE / "secret.example.yaml").read_text())["stringData"])
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= secret_keys
    assert not secret_keys & set(config["data"]), "a secret in the ConfigMap"
    for doc in docs:
        for container in _containers(doc):
            sources = container["envFrom"]
            assert {"configMapRef": {"name": "saas-platform-config"}} in sources
            assert {"secretRef": {"name": "saas-platform-secrets"}} in sources
            assert "env" not in container  # nothing secret inlined


def test_ingress_serves_the_base_domain_and_every_tenant_subdomain():
    docs = RENDERED["production"]
    domain = _one(docs, "ConfigMap", "saas-platform-config")["data"]["BASE_DOMAIN"]
    ingress = _one(docs, "Ingress", "saas-platform")
    hosts = [rule["host"] for rule in ingress["spec"]["rules"]]
    assert hosts == [domain, f"*.{domain}"]
    assert set(ingress["spec"]["tls"][0]["hosts"]) == set(hosts)
    service = _one(docs, "Service", "saas-platform-web")
    for rule in ingress["spec"]["rules"]:
        backend = rule["http"]["paths"][0]["backend"]["service"]
        assert backend["name"] == service["metadata"]["name"]
    web = _one(docs, "Deployment", "saas-platform-web")
    labels = web["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()


def test_web_and_worker_have_autoscalers_and_disruption_budgets():
    docs = RENDERED["production"]
    for name in ("saas-platform-web", "saas-platform-worker"):
        deployment = _one(docs, "Deployment", name)
        hpa = _one(docs, "HorizontalPodAutoscaler", name)
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                                 "name": name}
        assert hpa["spec"]["minReplicas"] >= 2
        pdb = _one(docs, "PodDisruptionBudget", name)
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]


def test_network_policy_admits_only_the_ingress_controller_to_web():
    policies = [d for d in RENDERED["production"] if d["kind"] == "NetworkPolicy"]
    ingress_rules = [(p["spec"]["podSelector"]["matchLabels"], rule)
                     for p in policies for rule in p["spec"].get("ingress", [])]
    assert len(ingress_rules) == 1
    selector, rule = ingress_rules[0]
    assert selector["app.kubernetes.io/component"] == "web"
    assert rule["ports"] == [{"protocol": "TCP", "port": 8000}]
    default = _one(RENDERED["production"], "NetworkPolicy", "saas-platform-default")
    assert default["spec"]["policyTypes"] == ["Ingress", "Egress"]


def test_production_overlay_sets_namespace_and_image_everywhere():
    for doc in RENDERED["production"]:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "saas-platform"
        for container in _containers(doc):
            assert container["image"] == "registry.example.com/saas-platform:1.0.0"
    assert _one(RENDERED["production"], "Namespace", "saas-platform")["metadata"]["labels"][
        "pod-security.kubernetes.io/enforce"] == "restricted"
