from __future__ import annotations

import pytest

from highlights.config import Settings, SettingsError


def settings(**env: str) -> Settings:
    return Settings.from_env({"HIGHLIGHTS_STORE": "/tmp/bucket", **env})


def test_local_defaults() -> None:
    s = settings()
    assert (s.producer, s.region, s.inbox_prefix, s.state_prefix) == (
        "local",
        "cn-shanghai",
        "manifests/",
        ".highlights/",
    )
    assert s.bucket is None and s.max_job_age == 86400


def test_oss_store_needs_a_region_and_defaults_to_ice() -> None:
    with pytest.raises(SettingsError, match="HIGHLIGHTS_REGION"):
        Settings.from_env({"HIGHLIGHTS_STORE": "oss://films"})
    s = Settings.from_env({"HIGHLIGHTS_STORE": "oss://films", "FC_REGION": "cn-beijing"})
    assert (s.bucket, s.producer, s.region) == ("films", "ice", "cn-beijing")


def test_callback_keys_are_a_list_and_never_printed() -> None:
    s = settings(HIGHLIGHTS_CALLBACK_KEYS=" a1B2c3 , d4E5f6,")
    assert s.callback_keys == ("a1B2c3", "d4E5f6")
    assert "a1B2c3" not in repr(s)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"HIGHLIGHTS_STORE": ""}, "HIGHLIGHTS_STORE"),
        ({"HIGHLIGHTS_STORE": "oss://No_Such"}, "HIGHLIGHTS_STORE"),
        ({"HIGHLIGHTS_PRODUCER": "cloud"}, "HIGHLIGHTS_PRODUCER"),
        ({"HIGHLIGHTS_REGION": "eu-west-1"}, "HIGHLIGHTS_REGION"),
        ({"FC_REGION": "eu-west-1"}, "FC_REGION"),
        ({"HIGHLIGHTS_INBOX_PREFIX": "manifests"}, "HIGHLIGHTS_INBOX_PREFIX"),
        ({"HIGHLIGHTS_STATE_PREFIX": "/state/"}, "HIGHLIGHTS_STATE_PREFIX"),
        ({"HIGHLIGHTS_MAX_JOB_AGE": "soon"}, "HIGHLIGHTS_MAX_JOB_AGE"),
        ({"HIGHLIGHTS_MAX_JOB_AGE": "0"}, "HIGHLIGHTS_MAX_JOB_AGE"),
        ({"HIGHLIGHTS_CALLBACK_URL": "ftp://x"}, "HIGHLIGHTS_CALLBACK_URL"),
        ({"HIGHLIGHTS_CALLBACK_URL": "https://cb.example.com/ice"}, "HIGHLIGHTS_CALLBACK_KEYS"),
        ({"HIGHLIGHTS_CALLBACK_DEADLINE": "3s"}, "HIGHLIGHTS_CALLBACK_DEADLINE"),
        ({"HIGHLIGHTS_CALLBACK_DEADLINE": "-1"}, "HIGHLIGHTS_CALLBACK_DEADLINE"),
    ],
)
def test_bad_settings_name_their_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        settings(**env)


def test_callback_deadline() -> None:
    assert settings().callback_deadline == 2.0
    assert settings(HIGHLIGHTS_CALLBACK_DEADLINE="1.5").callback_deadline == 1.5


def test_a_layout_that_retriggers_itself_is_refused_at_start_up() -> None:
    with pytest.raises(SettingsError, match="trigger"):
        settings(HIGHLIGHTS_INBOX_PREFIX="", HIGHLIGHTS_STATE_PREFIX="state/")
    with pytest.raises(SettingsError, match="trigger"):
        settings(HIGHLIGHTS_INBOX_PREFIX="jobs/", HIGHLIGHTS_STATE_PREFIX="jobs/.state/")


@pytest.mark.parametrize(
    ("raw", "seconds"), [("3600", 3600), ("90m", 5400), ("6h", 21600), ("2d", 172800)]
)
def test_durations(raw: str, seconds: float) -> None:
    assert settings(HIGHLIGHTS_MAX_JOB_AGE=raw).max_job_age == seconds


@pytest.mark.parametrize(
    ("raw", "size"),
    [
        ("", 4 << 20),
        ("1048576", 1 << 20),
        ("512K", 512 << 10),
        ("2m", 2 << 20),
        (" 8 MiB ", 8 << 20),
    ],
)
def test_manifest_size_cap(raw: str, size: int) -> None:
    assert settings(HIGHLIGHTS_MAX_MANIFEST_BYTES=raw).max_manifest_bytes == size


@pytest.mark.parametrize("raw", ["0", "1023", "65M", "1G", "-1", "4.5M", "lots", "²", "9" * 40])
def test_bad_manifest_size_cap_names_its_variable(raw: str) -> None:
    with pytest.raises(SettingsError, match="HIGHLIGHTS_MAX_MANIFEST_BYTES"):
        settings(HIGHLIGHTS_MAX_MANIFEST_BYTES=raw)


def test_outputs_may_not_go_under_the_state_or_the_inbox() -> None:
    s = settings(HIGHLIGHTS_STATE_PREFIX="state/", HIGHLIGHTS_INBOX_PREFIX="in/")
    assert s.reserved_prefixes == ("state/", "in/")
    assert settings().reserved_prefixes == (".highlights/", "manifests/")
