"""The request a job was submitted with, kept under `<state>/requests/<job id>.json`.

It is written before the first submit and never rewritten, so a resubmission (after a lost answer,
a crash, a redeploy that changed the callback URL or the code) sends ICE the very same bytes with
the same ClientToken: ICE answers with the job it already has instead of
`IdempotentParameterMismatch`. The result manifest shows its effective form, without the callback
address's token.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ValidationError

from highlights import user_data
from highlights.callback_auth import without_token
from highlights.ports import SubmitRequest

# The UserData keys the pipeline adds to a job's own (the manifest's rules keep them free).
PIPELINE_JOB_KEY = user_data.JOB_ID
NOTIFY_KEY = user_data.NOTIFY_ADDRESS
CONFIGS = ("InputConfig", "EditingConfig", "OutputConfig", "TemplateConfig")


def compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class StoredRequest(BaseModel):
    version: int = 2
    input_config: str
    output_config: str
    editing_config: str | None = None
    template_config: str | None = None
    user_data: dict[str, Any]  # the job's UserData without NotifyAddress, in the order sent
    notify_url: str | None = None

    @classmethod
    def for_job(
        cls, wire: dict[str, str], user_data: dict[str, Any] | None, job_id: str, notify: str | None
    ) -> StoredRequest:
        return cls(
            input_config=wire["InputConfig"],
            output_config=wire["OutputConfig"],
            editing_config=wire.get("EditingConfig"),
            template_config=wire.get("TemplateConfig"),
            user_data={**(user_data or {}), PIPELINE_JOB_KEY: job_id},
            notify_url=notify,
        )

    @classmethod
    def parse(cls, data: bytes) -> StoredRequest | None:
        """The stored request, also in the first version's form (the effective request itself);
        None when unreadable."""
        try:
            document = json.loads(data)
        except ValueError:
            return None
        if not isinstance(document, dict):
            return None
        if document.get("version") == 2:
            try:
                return cls.model_validate(document)
            except ValidationError:
                return None
        return cls._from_version_1(document)

    @classmethod
    def _from_version_1(cls, document: dict[str, Any]) -> StoredRequest | None:
        # Version 1 kept the parsed configs; the wire form was their compact JSON, so it comes back
        # exactly (key order survives a JSON round trip).
        if not isinstance(document.get("InputConfig"), dict):
            return None
        user_data = dict(document.get("UserData") or {})
        notify = user_data.pop(NOTIFY_KEY, None)
        return cls(
            input_config=compact(document["InputConfig"]),
            output_config=compact(document.get("OutputConfig") or {}),
            editing_config=(
                compact(document["EditingConfig"]) if "EditingConfig" in document else None
            ),
            template_config=(
                compact(document["TemplateConfig"]) if "TemplateConfig" in document else None
            ),
            user_data=user_data,
            notify_url=notify if isinstance(notify, str) else None,
        )

    def encode(self) -> bytes:
        return json.dumps(self.model_dump(), ensure_ascii=False, indent=1).encode()

    def submit_request(self) -> SubmitRequest:
        return SubmitRequest(
            input_config=self.input_config,
            output_config=self.output_config,
            editing_config=self.editing_config,
            template_config=self.template_config,
            user_data=dict(self.user_data),
        )

    def effective(self) -> dict[str, Any]:
        """The request as the result manifest shows it: configs parsed, the token left out."""
        shown: dict[str, Any] = {
            "InputConfig": json.loads(self.input_config),
            "OutputConfig": json.loads(self.output_config),
        }
        if self.editing_config is not None:
            shown["EditingConfig"] = json.loads(self.editing_config)
        if self.template_config is not None:
            shown["TemplateConfig"] = json.loads(self.template_config)
        user_data = dict(self.user_data)
        if self.notify_url:
            user_data[NOTIFY_KEY] = without_token(self.notify_url)
        shown["UserData"] = user_data
        return shown

    def output_media_url(self) -> str | None:
        output = json.loads(self.output_config)
        url = output.get("MediaURL") if isinstance(output, dict) else None
        return url if isinstance(url, str) else None

    def output_target(self) -> tuple[Any, ...]:
        """Where the videos go (MediaURL, or the VOD form): two jobs with the same target write
        the same files."""
        output = json.loads(self.output_config)
        if not isinstance(output, dict):
            return ()
        return tuple(output.get(k) for k in ("MediaURL", "StorageLocation", "FileName"))

    def requested_count(self) -> int:
        output = json.loads(self.output_config)
        count = output.get("Count", 1) if isinstance(output, dict) else 0
        return count if isinstance(count, int) and not isinstance(count, bool) else 0
