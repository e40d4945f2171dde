"""What can be checked of the deployment without a cloud account: s.yaml, the RAM policy and the
settings the functions run with."""

from __future__ import annotations

import ast
import importlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from highlights.config import PLATFORM_SETTINGS, Settings, variable
from highlights.jobs.layout import BucketLayout

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT.parent / "shared" / "reference" / "fc3" / "schema.json"
MAGIC = re.compile(r"\$\{([^}]+)\}")


def resolve(value: Any, variables: dict[str, Any]) -> Any:
    """Stand-ins for Serverless Devs' magic variables, as `s deploy` would fill them."""
    if isinstance(value, dict):
        return {k: resolve(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, variables) for v in value]
    if isinstance(value, str):

        def fill(match: re.Match[str]) -> str:
            expr = match.group(1).strip()
            if expr.startswith("vars."):
                return str(resolve(variables[expr[5:]], variables))
            if expr.startswith("config("):
                return "1234567890"
            env = re.match(r"env\('([A-Z_]+)'(?:,\s*'([^']*)')?\)", expr)
            assert env, f"unknown magic variable {expr}"
            return env.group(2) if env.group(2) is not None else f"<{env.group(1)}>"

        return MAGIC.sub(fill, value)
    return value


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    raw = yaml.safe_load((ROOT / "s.yaml").read_text())
    assert raw["edition"] == "3.0.0"
    return {
        **raw,
        "resources": resolve(raw["resources"], raw["vars"]),
        "vars": resolve(raw["vars"], raw["vars"]),
    }


def functions(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: r["props"] for name, r in spec["resources"].items() if r["component"] == "fc3"}


def test_every_handler_exists_and_imports(spec: dict[str, Any]) -> None:
    for props in functions(spec).values():
        hooks = props.get("instanceLifecycleConfig", {}).values()
        for handler in [props["handler"], *(hook["handler"] for hook in hooks)]:
            module, _, attribute = handler.rpartition(".")
            assert callable(getattr(importlib.import_module(module), attribute)), handler
        assert props["runtime"] in ("python3.10", "python3.12")


def test_triggers_are_the_three_kinds_the_design_names(spec: dict[str, Any]) -> None:
    kinds = {
        name: [t["triggerType"] for t in props.get("triggers", [])]
        for name, props in functions(spec).items()
    }
    assert kinds == {
        "highlights-submit": ["oss"],
        "highlights-callback": ["http"],
        "highlights-reconcile": ["timer"],
        "highlights-deadletter": [],
    }
    [http] = functions(spec)["highlights-callback"]["triggers"]
    assert http["triggerConfig"] == {"authType": "anonymous", "methods": ["POST"]}


def test_oss_trigger_matches_the_settings_and_nothing_written_matches_it(
    spec: dict[str, Any],
) -> None:
    submit = functions(spec)["highlights-submit"]
    [trigger] = submit["triggers"]
    key_filter = trigger["triggerConfig"]["filter"]["key"]
    env = submit["environmentVariables"]
    settings = Settings.from_env(env)
    assert key_filter == {"prefix": settings.inbox_prefix, "suffix": ".json"}
    assert set(trigger["triggerConfig"]["events"]) == {
        "oss:ObjectCreated:PutObject",
        "oss:ObjectCreated:PostObject",
        "oss:ObjectCreated:CompleteMultipartUpload",
        "oss:ObjectCreated:PutSymlink",
    }
    layout: BucketLayout = settings.layout()
    written = [
        layout.record("j-1"),
        layout.inflight("j-1", 1),
        layout.rejection(f"{settings.inbox_prefix}a.json"),
        layout.cursor,
        layout.fallback_result("j-1"),
        f"{layout.dead_letters}x.json",
        f"{layout.state}requests/j-1.json",
        layout.result("j-1", "a", f"{settings.inbox_prefix}videos/v_{{index}}.mp4"),
    ]
    assert [
        k
        for k in written
        if k.startswith(key_filter["prefix"]) and k.endswith(key_filter["suffix"])
    ] == []


def test_asynchronous_functions_keep_failed_events(spec: dict[str, Any]) -> None:
    for name in ("highlights-submit", "highlights-reconcile"):
        config = functions(spec)[name]["asyncInvokeConfig"]
        assert 0 <= config["maxAsyncRetryAttempts"] <= 8
        assert config["destinationConfig"]["onFailure"]["destination"].endswith(
            "functions/highlights-deadletter"
        )


def _read_variables() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "shared" / "highlights").rglob("*.py"):
        names |= set(
            re.findall(
                r"[\"'](HIGHLIGHTS_[A-Z_]+|ALIBABA_CLOUD_[A-Z_]+|FC_[A-Z_]+)[\"']", path.read_text()
            )
        )
    return names


def test_every_variable_the_code_reads_is_set_or_has_a_default(spec: dict[str, Any]) -> None:
    read = _read_variables()
    assert "HIGHLIGHTS_STORE" in read  # the scan works
    for name, props in functions(spec).items():
        env = props["environmentVariables"]
        with_defaults = {variable(name) for name in Settings.model_fields} - {"HIGHLIGHTS_STORE"}
        missing = read - set(env) - with_defaults - set(PLATFORM_SETTINGS)
        assert not missing, (
            f"{name}: read by the code, not set in s.yaml and without a default: {missing}"
        )
        Settings.from_env({**env, "FC_REGION": "cn-shanghai"})  # a bad value would name itself here


def test_secrets_come_from_the_deploy_environment(spec: dict[str, Any]) -> None:
    raw = (ROOT / "s.yaml").read_text()
    assert "HIGHLIGHTS_CALLBACK_KEYS: ${env('HIGHLIGHTS_CALLBACK_KEYS')}" in raw
    assert not re.search(r"(?i)(AccessKey(Secret|Id)|LTAI[0-9A-Za-z]{8,})\s*:", raw)


OSS2_ACTIONS = {
    "get_object": "oss:GetObject",
    "head_object": "oss:GetObject",
    "get_object_meta": "oss:GetObject",
    "put_object": "oss:PutObject",
    "delete_object": "oss:DeleteObject",
    "batch_delete_objects": "oss:DeleteObject",
    "list_objects": "oss:ListObjects",
    "list_objects_v2": "oss:ListObjects",
    "copy_object": "oss:PutObject",
}


def _calls(path: Path, receiver: str) -> set[str]:
    """Methods called on `receiver` (an attribute or a name) in a module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
            if name == receiver:
                found.add(node.func.attr)
    return found


def test_ram_policy_covers_exactly_the_calls_the_code_makes() -> None:
    policy = json.loads((ROOT / "infra" / "ram-policy.json").read_text())
    allowed = {
        a
        for s in policy["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    oss_calls = _calls(ROOT / "shared" / "highlights" / "storage" / "oss.py", "_bucket")
    unknown = oss_calls - set(OSS2_ACTIONS)
    assert not unknown, f"map these oss2 calls to RAM actions in OSS2_ACTIONS: {unknown}"
    ice_calls = _calls(
        ROOT / "shared" / "highlights" / "producers" / "ice" / "producer.py", "client"
    )
    ice_actions = {
        "ice:" + "".join(w.capitalize() for w in call.removesuffix("_with_options").split("_"))
        for call in ice_calls
    }
    assert ice_actions == {
        "ice:SubmitBatchMediaProducingJob",
        "ice:GetBatchMediaProducingJob",
        "ice:ListBatchMediaProducingJobs",
    }
    assert allowed == {OSS2_ACTIONS[c] for c in oss_calls} | ice_actions | {"fc:InvokeFunction"}
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        if any(a.startswith("oss:") for a in statement["Action"]):
            resources = (
                statement["Resource"]
                if isinstance(statement["Resource"], list)
                else [statement["Resource"]]
            )
            assert all(r.startswith("acs:oss:*:*:BUCKET") for r in resources), (
                "OSS access is limited to the bucket"
            )
            assert all(r != "acs:oss:*:*:BUCKET/*" for r in resources), "and to prefixes within it"


def test_the_role_may_invoke_exactly_the_dead_letter_destinations(spec: dict[str, Any]) -> None:
    """Function Compute delivers an event out of retries to its onFailure destination as the
    function's role: the role needs fc:InvokeFunction on that function, and on nothing else."""
    policy = json.loads((ROOT / "infra" / "ram-policy.json").read_text())
    granted = {
        resource
        for s in policy["Statement"]
        if "fc:InvokeFunction" in s["Action"]
        for resource in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    }
    destinations = set()
    for props in functions(spec).values():
        target = (
            props.get("asyncInvokeConfig", {})
            .get("destinationConfig", {})
            .get("onFailure", {})
            .get("destination")
        )
        if target:
            service, product, _region, _account, name = target.split(":", 4)
            destinations.add(f"{service}:{product}:*:*:{name}")
    assert destinations == {"acs:fc:*:*:functions/highlights-deadletter"}
    assert granted == destinations
    [statement] = [s for s in policy["Statement"] if "fc:InvokeFunction" in s["Action"]]
    assert statement["Action"] == ["fc:InvokeFunction"]


def test_trust_policy_lets_only_function_compute_assume_the_role() -> None:
    trust = json.loads((ROOT / "infra" / "ram-trust-policy.json").read_text())
    [statement] = trust["Statement"]
    assert statement["Principal"] == {"Service": ["fc.aliyuncs.com"]}


def test_props_validate_against_the_fc3_schema(spec: dict[str, Any]) -> None:
    if not SCHEMA.exists():
        pytest.skip("../shared/reference/fc3/schema.json is not beside this checkout")
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    for name, props in functions(spec).items():
        errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(props), key=str)
        assert not errors, f"{name}: {[e.message for e in errors][:3]}"
