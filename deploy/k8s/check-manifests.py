#!/usr/bin/python3
"""Checks the manifests of deploy/k8s offline, without a cluster: every document must parse into the typed model of
its kind (Debian's python3-kubernetes), lose nothing when written back (a misspelt or misplaced field would be
dropped, so it shows as a difference), and carry its required fields.

    apt-get install python3-kubernetes python3-yaml
    /usr/bin/python3 deploy/k8s/check-manifests.py [FOLDER]   (exit 0: all good; 1: problems, one a line)

It checks structure, not behaviour: what the objects do was checked against a real container run of the same image
(deploy/container-test.sh), not against a Kubernetes cluster.
"""
import json
import pathlib
import sys

import yaml
from kubernetes import client

KINDS = {
    ("v1", "PersistentVolumeClaim"): "V1PersistentVolumeClaim",
    ("v1", "Service"): "V1Service",
    ("v1", "ServiceAccount"): "V1ServiceAccount",
    ("apps/v1", "Deployment"): "V1Deployment",
    ("rbac.authorization.k8s.io/v1", "Role"): "V1Role",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "V1RoleBinding",
    ("networking.k8s.io/v1", "NetworkPolicy"): "V1NetworkPolicy",
}


class Response:
    def __init__(self, document):
        self.data = json.dumps(document)


def differences(original, written, path=""):
    """Where `written` (the model written back) lacks or changes what `original` (the file) says."""
    if isinstance(original, dict):
        if not isinstance(written, dict):
            return [f"{path}: not an object"]
        found = []
        for key, value in original.items():
            if key not in written:
                found.append(f"{path}.{key}: unknown field (dropped by the {path or 'top'} model)")
            else:
                found += differences(value, written[key], f"{path}.{key}")
        return found
    if isinstance(original, list):
        if not isinstance(written, list) or len(written) != len(original):
            return [f"{path}: list changed"]
        return [d for i, (a, b) in enumerate(zip(original, written)) for d in differences(a, b, f"{path}[{i}]")]
    # Quantities (cpu: 2, nvidia.com/gpu: 1) are strings in the model: a number written as a string is the same.
    same = original == written or (isinstance(written, str) and not isinstance(original, bool) and str(original) == written)
    return [] if same else [f"{path}: {original!r} became {written!r}"]


def check(path, api):
    problems = []
    for number, document in enumerate(yaml.safe_load_all(path.read_text()), 1):
        if document is None:
            continue
        where = f"{path.name} #{number} ({document.get('kind')} {document.get('metadata', {}).get('name')})"
        model = KINDS.get((document.get("apiVersion"), document.get("kind")))
        if model is None:
            problems.append(f"{where}: apiVersion/kind not known to this check")
            continue
        try:
            written = api.sanitize_for_serialization(api.deserialize(Response(document), model))
        except (ValueError, TypeError) as error:
            problems.append(f"{where}: {error}")
            continue
        problems += [f"{where}: {d}" for d in differences(document, written)]
    return problems


def main():
    folder = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent
    api = client.ApiClient()
    listed = yaml.safe_load((folder / "kustomization.yaml").read_text())["resources"]
    files = sorted(folder.glob("*.yaml"))
    problems = [f"kustomization.yaml lists {name}, which is missing" for name in listed if not (folder / name).exists()]
    for path in files:
        if path.name != "kustomization.yaml":
            problems += check(path, api)
    for line in problems:
        print(line)
    print(f"{len(files) - 1} manifest files checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
