"""A small kustomize for the tests: resources, patches, images and labels, as deploy/k8s uses them.

Where `kubectl` is installed, tests check that it renders the same objects as `kubectl kustomize`.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

Manifest = dict[str, Any]
SUPPORTED = {"apiVersion", "kind", "resources", "patches", "images", "labels"}


def load_documents(path: Path) -> list[Manifest]:
    """The non-empty YAML documents of one file."""
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def merge(base: Any, patch: Any) -> Any:
    """Strategic merge as far as these manifests need: maps deep, named lists by name."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    if isinstance(base, list) and isinstance(patch, list) and _named(base) and _named(patch):
        by_name = {item["name"]: item for item in base}
        extra = []
        for item in patch:
            if item["name"] in by_name:
                by_name[item["name"]] = merge(by_name[item["name"]], item)
            else:
                extra.append(copy.deepcopy(item))
        return [*by_name.values(), *extra]
    return copy.deepcopy(patch)


def _named(items: list[Any]) -> bool:
    """Whether every item is a map with a name (containers, env, volumes, volume mounts)."""
    return bool(items) and all(isinstance(i, dict) and "name" in i for i in items)


def _containers(manifest: Manifest) -> list[dict[str, Any]]:
    """The containers of a workload's pod template, if it has one."""
    pod = manifest.get("spec", {}).get("template", {}).get("spec", {})
    return [*pod.get("containers", []), *pod.get("initContainers", [])]


def _set_images(objects: list[Manifest], images: list[dict[str, str]]) -> None:
    """The images transformer: a new name and/or tag for every container using a name."""
    for rule in images:
        for manifest in objects:
            for container in _containers(manifest):
                name = container["image"].split("@")[0].rsplit(":", 1)[0]
                if name != rule["name"]:
                    continue
                tag = rule.get("newTag", container["image"][len(name) + 1 :] or None)
                new_name = rule.get("newName", name)
                container["image"] = f"{new_name}:{tag}" if tag else new_name


def _add_labels(objects: list[Manifest], labels: list[dict[str, Any]]) -> None:
    """The labels transformer without selectors or templates: metadata labels only."""
    for rule in labels:
        if rule.get("includeSelectors") or rule.get("includeTemplates"):
            raise ValueError("kustomize_lite: labels only on metadata")
        for manifest in objects:
            manifest.setdefault("metadata", {}).setdefault("labels", {}).update(rule["pairs"])


def render(directory: Path) -> list[Manifest]:
    """The objects a kustomization directory builds to."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text(encoding="utf-8"))
    unsupported = set(kustomization) - SUPPORTED
    if unsupported:
        raise ValueError(f"kustomize_lite: unsupported fields {sorted(unsupported)}")
    objects: list[Manifest] = []
    for entry in kustomization.get("resources", []):
        path = directory / entry
        objects += render(path) if path.is_dir() else load_documents(path)
    for patch_entry in kustomization.get("patches", []):
        for patch in load_documents(directory / patch_entry["path"]):
            index = _find(objects, patch["kind"], patch["metadata"]["name"])
            objects[index] = merge(objects[index], patch)
    _set_images(objects, kustomization.get("images", []))
    _add_labels(objects, kustomization.get("labels", []))
    return objects


def _find(objects: list[Manifest], kind: str, name: str) -> int:
    """The index of the object a patch targets."""
    for index, manifest in enumerate(objects):
        if manifest["kind"] == kind and manifest["metadata"]["name"] == name:
            return index
    raise ValueError(f"kustomize_lite: no {kind}/{name} to patch")


def normalized(objects: list[Manifest]) -> list[Manifest]:
    """Objects sorted by kind and name, with named lists sorted by name, for comparison."""

    def norm(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: norm(v) for k, v in value.items()}
        if isinstance(value, list):
            items = [norm(v) for v in value]
            return sorted(items, key=lambda i: i["name"]) if _named(items) else items
        return value

    return sorted((norm(o) for o in objects), key=lambda o: (o["kind"], o["metadata"]["name"]))
