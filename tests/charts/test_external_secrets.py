"""External Secrets in both charts: an ExternalSecret, besides existingSecret, for each database
URL and the signing key (charts/meatyapis) and the Grafana admin credentials
(charts/monitoring), valid against the External Secrets CRD schema; no generator Job then; the
ones hook Jobs read are hooks ahead of them; bad values fail naming them."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.charts import quality
from tests.charts.meatyapis import CHART, CHART_DIR, NAMESPACE, container, objects
from tests.charts.monitoring import objects as monitoring_objects
from tests.charts.render import find_object, find_objects, render_chart, render_error

GATEWAY = CHART_DIR / "ci" / "04-gateway-api-values.yaml"
STORE = {"secretStoreRef": {"kind": "ClusterSecretStore", "name": "vault"}}


def external_secret(**overrides: Any) -> dict[str, Any]:
    return {"enabled": True, **STORE, "remoteRef": {"key": "k"}, **overrides}


@pytest.fixture(scope="module")
def rendered() -> list[dict[str, Any]]:
    return render_chart(CHART, values_files=[GATEWAY], namespace=NAMESPACE)


def secret_ref(objs: list[dict[str, Any]], component: str, name: str) -> dict[str, Any]:
    env = container(objs, component)["env"]
    ref: dict[str, Any] = next(e for e in env if e["name"] == name)["valueFrom"]["secretKeyRef"]
    return ref


def test_database_urls_and_the_signing_key_come_from_external_secrets(
    rendered: list[dict[str, Any]],
) -> None:
    flask = find_object(rendered, "ExternalSecret", "meatyapis-flask-db")["spec"]
    assert flask["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "vault"}
    assert flask["target"] == {"name": "meatyapis-flask-db", "creationPolicy": "Orphan",
                               "deletionPolicy": "Retain"}  # fmt: skip
    assert flask["data"] == [
        {"secretKey": "DATABASE_URL",
         "remoteRef": {"key": "meatyapis/catalog-database", "property": "url"}}
    ]  # fmt: skip
    assert secret_ref(rendered, "flask", "DATABASE_URL") == {
        "name": "meatyapis-flask-db",
        "key": "DATABASE_URL",
    }
    # an existingSecret name is the Secret the ExternalSecret writes
    assert find_object(rendered, "ExternalSecret", "identity-database")
    assert secret_ref(rendered, "fastapi", "DATABASE_URL")["name"] == "identity-database"
    token = find_object(rendered, "ExternalSecret", "meatyapis-fastapi-token")["spec"]
    assert token["secretStoreRef"] == {"kind": "SecretStore", "name": "identity"}
    assert token["data"] == [
        {"secretKey": "TOKEN_SECRET", "remoteRef": {"key": "meatyapis/token-signing-key"}}
    ]
    assert secret_ref(rendered, "fastapi", "TOKEN_SECRET")["name"] == "meatyapis-fastapi-token"
    assert find_objects(rendered, "Job", "meatyapis-fastapi-token-generator") == []
    assert find_objects(rendered, "Role", "meatyapis-fastapi-token-generator") == []


def test_they_are_hooks_ahead_of_the_migration_jobs_that_read_them(
    rendered: list[dict[str, Any]],
) -> None:
    """Migrations run before any release object exists (pre-install; Argo CD: PreSync), so the
    Secrets they read come from earlier hooks; re-creating the hook keeps the Secret (Orphan)."""
    for secret in find_objects(rendered, "ExternalSecret"):
        annotations = secret["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
        assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation"
        for job in find_objects(rendered, "Job"):
            weight = job["metadata"]["annotations"]["helm.sh/hook-weight"]
            assert int(annotations["helm.sh/hook-weight"]) < int(weight)


def test_external_secrets_match_their_crd_schema(rendered: list[dict[str, Any]]) -> None:
    secrets = find_objects(rendered, "ExternalSecret") + find_objects(
        monitoring_objects({"grafana": {"admin": {"externalSecret": external_secret()}}}),
        "ExternalSecret",
    )
    assert len(secrets) == 4
    assert quality.custom_resource_errors(secrets) == []
    broken = copy.deepcopy(secrets[:2])
    broken[0]["spec"]["target"]["creationPolicy"] = "Sometimes"
    del broken[1]["spec"]["data"][0]["remoteRef"]["key"]
    errors = quality.custom_resource_errors(broken)
    assert len(errors) == 2, errors
    assert "creationPolicy must be equal to one of the allowed values" in errors[0]
    assert "remoteRef must have required property" in errors[1]


def test_grafana_admin_credentials_from_an_external_secret() -> None:
    objs = monitoring_objects(
        {"grafana": {"admin": {"externalSecret": external_secret(remoteRef={"key": "grafana"})}}}
    )
    secret = find_object(objs, "ExternalSecret", "monitoring-grafana-admin")
    assert secret["metadata"]["annotations"] == {"argocd.argoproj.io/sync-wave": "-1"}
    assert secret["spec"]["target"] == {
        "name": "monitoring-grafana-admin",
        "creationPolicy": "Owner",
    }
    assert secret["spec"]["data"] == [
        {"secretKey": "admin-user", "remoteRef": {"key": "grafana", "property": "username"}},
        {"secretKey": "admin-password", "remoteRef": {"key": "grafana", "property": "password"}},
    ]
    assert find_objects(objs, "Job") == []
    grafana = find_object(objs, "Deployment", "monitoring-grafana")["spec"]["template"]["spec"]
    volume = next(v for v in grafana["volumes"] if v["name"] == "admin")
    assert volume["secret"]["secretName"] == "monitoring-grafana-admin"


def test_no_external_secret_by_default() -> None:
    assert find_objects(objects(), "ExternalSecret") == []
    assert find_objects(monitoring_objects(), "ExternalSecret") == []


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {
                "fastapi": {
                    "tokenSecret": {
                        "externalSecret": external_secret(
                            secretStoreRef={"kind": "ClusterSecretStore", "name": ""}
                        )
                    }
                }
            },
            "fastapi.tokenSecret.externalSecret.secretStoreRef.name is required",
        ),
        (
            {
                "fastapi": {
                    "tokenSecret": {"externalSecret": external_secret(remoteRef={"key": ""})}
                }
            },
            "fastapi.tokenSecret.externalSecret.remoteRef.key is required",
        ),
        (
            {"flask": {"database": {"type": "external"}}},
            "flask.database.external.existingSecret is required when flask.database.type=external",
        ),
    ],
)
def test_bad_external_secret_values_fail_naming_them(values: dict[str, Any], message: str) -> None:
    assert message in render_error(CHART, values, namespace=NAMESPACE)


def test_the_schema_rejects_an_unknown_store_kind() -> None:
    values = {
        "flask": {
            "database": {
                "type": "external",
                "external": {
                    "externalSecret": external_secret(secretStoreRef={"kind": "Vault", "name": "v"})
                },
            }
        }
    }
    assert "secretStoreRef.kind" in render_error(CHART, values, namespace=NAMESPACE)


def test_bad_grafana_external_secret_values_fail_naming_them() -> None:
    from tests.charts.monitoring import CHART as MONITORING
    from tests.charts.monitoring import NAMESPACE as MONITORING_NAMESPACE

    values = {"grafana": {"admin": {"externalSecret": external_secret(remoteRef={"key": ""})}}}
    error = render_error(MONITORING, values, namespace=MONITORING_NAMESPACE)
    assert "grafana.admin.externalSecret.remoteRef.key is required" in error
