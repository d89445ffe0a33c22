"""How Argo CD treats Helm hooks, after gitops-engine's pkg/sync/hook, pkg/sync/syncwaves and
sync_context.go (the code Argo CD syncs with):

- an object with an `argocd.argoproj.io/hook` annotation is an Argo CD hook, and its Helm hook
  annotations are ignored; otherwise one with `helm.sh/hook` (but `crd-install`) is a hook;
- `pre-install` and `pre-upgrade` map to PreSync, `post-install` and `post-upgrade` to PostSync;
  other Helm hooks (`test`, `pre-delete`, …) map to no phase: Argo CD never runs them;
- hooks run on every sync (Argo CD cannot tell an install from an upgrade), ordered by wave:
  `argocd.argoproj.io/sync-wave`, else `helm.sh/hook-weight`, else 0;
- delete policies: `argocd.argoproj.io/hook-delete-policy` plus the mapped
  `helm.sh/hook-delete-policy`; none means BeforeHookCreation. HookSucceeded hooks are deleted
  when the whole operation has succeeded, not when the hook has;
- hooks are not managed resources: never OutOfSync, never pruned.
"""

from __future__ import annotations

from typing import Any

ARGO_HOOK = "argocd.argoproj.io/hook"
HELM_HOOK = "helm.sh/hook"
HELM_PHASES = {
    "pre-install": "PreSync",
    "pre-upgrade": "PreSync",
    "post-install": "PostSync",
    "post-upgrade": "PostSync",
}
ARGO_PHASES = {"PreSync", "Sync", "PostSync", "SyncFail", "PreDelete", "PostDelete", "Skip"}
HELM_DELETE_POLICIES = {
    "before-hook-creation": "BeforeHookCreation",
    "hook-succeeded": "HookSucceeded",
    "hook-failed": "HookFailed",
}


def _annotations(obj: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = obj.get("metadata", {}).get("annotations") or {}
    return found


def _csv(obj: dict[str, Any], key: str) -> list[str]:
    return [part.strip() for part in _annotations(obj).get(key, "").split(",") if part.strip()]


def phases(obj: dict[str, Any]) -> list[str]:
    """The phases the hook runs in, once each."""
    argo = [p for p in _csv(obj, ARGO_HOOK) if p in ARGO_PHASES]
    if argo:
        return list(dict.fromkeys(argo))
    return list(dict.fromkeys(HELM_PHASES[h] for h in _csv(obj, HELM_HOOK) if h in HELM_PHASES))


def is_hook(obj: dict[str, Any]) -> bool:
    annotations = _annotations(obj)
    if ARGO_HOOK in annotations:
        return phases(obj) != ["Skip"]
    return HELM_HOOK in annotations and annotations[HELM_HOOK] != "crd-install"


def wave(obj: dict[str, Any]) -> int:
    annotations = _annotations(obj)
    if "argocd.argoproj.io/sync-wave" in annotations:
        return int(annotations["argocd.argoproj.io/sync-wave"])
    return int(annotations.get("helm.sh/hook-weight", "0"))


def delete_policies(obj: dict[str, Any]) -> set[str]:
    found = set(_csv(obj, "argocd.argoproj.io/hook-delete-policy"))
    found |= {HELM_DELETE_POLICIES[p] for p in _csv(obj, "helm.sh/hook-delete-policy")}
    return found or {"BeforeHookCreation"}
