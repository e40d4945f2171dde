"""The `highlights` command."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from highlights.config import SettingsError

if TYPE_CHECKING:
    from highlights.bootstrap import BucketView
    from highlights.config import Settings


RESUMES = "an unfinished render resumes at the next `highlights serve` or `run`"
SIGPIPE_EXIT = 128 + 13  # what a shell reports for a command whose reader went away (| head)


class CommandError(Exception):
    """A mistake on the command line: one line, saying what to do instead."""


def main(argv: Sequence[str] | None = None) -> int:
    from highlights.local.logs import add_options, configured

    parser = _parser()
    add_options(parser)  # -v, --log-format, --debug: before or after the command's name
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    # SIGTERM (a service manager, `kill`) stops as Ctrl-C does: cleanly, through the same path.
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with configured(args.verbose, args.log_format, tracebacks=args.debug):
            return _command(args)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _command(args: argparse.Namespace) -> int:
    """The command, and how it ends: errors a user can cause in one line (--debug: the
    traceback), Ctrl-C in one line and 130, a closed stdout quietly."""
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        engine = args.handler in (_run, _serve, _retry, _demo)
        _say("interrupted" + (f": {RESUMES}" if engine else ""))
        return 130
    except BrokenPipeError:
        # Nothing reads stdout any more (`| head`): end as a pipeline expects, without the
        # interpreter's complaint when it flushes stdout at exit.
        with contextlib.suppress(AttributeError, OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return SIGPIPE_EXIT
    except (CommandError, SettingsError) as exc:
        if args.debug:
            raise
        _say(f"error: {exc}")
        return 2
    except Exception as exc:
        if args.debug:
            raise
        _say(f"error: {_one_line(exc)} (--debug shows the traceback)")
        return 1


def _say(text: str) -> None:
    with contextlib.suppress(OSError, ValueError):  # stderr may be gone too
        print(text, file=sys.stderr, flush=True)


def _one_line(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror and exc.filename:
        text = f"{exc.filename}: {exc.strerror}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())[:500]


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="highlights",
        description="Movie highlight videos with Alibaba Cloud ICE, or locally with ffmpeg.",
    )
    sub = parser.add_subparsers(metavar="COMMAND")

    validate = sub.add_parser("validate", help="check manifests against the contract")
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    validate.add_argument("--json", action="store_true", help="machine-readable output")
    validate.add_argument(
        "--region", help="region jobs are submitted in (default HIGHLIGHTS_REGION or FC_REGION)"
    )
    validate.set_defaults(handler=_validate)

    bucket_help = "the folder that stands for the bucket (default HIGHLIGHTS_STORE, else ./bucket)"
    run = sub.add_parser(
        "run", help="one manifest end to end on the local engine, in the foreground"
    )
    run.add_argument("manifest", type=Path, metavar="MANIFEST")
    run.add_argument("--bucket", type=Path, help=bucket_help)
    run.add_argument("--region", help="region of the OSS URLs (default cn-shanghai)")
    run.add_argument("--timeout", type=float, default=3600, help="seconds to wait (default 3600)")
    run.set_defaults(handler=_run)

    serve = sub.add_parser("serve", help="watch the inbox, serve callbacks, reconcile on a timer")
    serve.add_argument("--bucket", type=Path, help=bucket_help)
    serve.add_argument("--region", help="region of the OSS URLs (default cn-shanghai)")
    serve.add_argument("--port", type=int, default=8790, help="callback port on 127.0.0.1 (8790)")
    serve.add_argument("--reconcile-every", type=float, default=15.0, metavar="SECONDS")
    serve.set_defaults(handler=_serve)

    status = sub.add_parser("status", help="a job's record and result (JOB id or MANIFEST file)")
    status.add_argument("target", nargs="?", metavar="JOB|MANIFEST")
    status.add_argument("--bucket", type=Path, help=bucket_help + "; oss:// works too")
    status.set_defaults(handler=_status)

    jobs = sub.add_parser("jobs", help="every job in the bucket and its state")
    jobs.add_argument("--bucket", type=Path, help=bucket_help)
    jobs.set_defaults(handler=_jobs)

    dead = sub.add_parser("dead-letters", help="events Function Compute gave up on")
    dead.add_argument("--bucket", type=Path, help="a folder bucket (default: HIGHLIGHTS_STORE)")
    dead.set_defaults(handler=_dead_letters)

    retry = sub.add_parser("retry", help="run a failed, partial or timed-out job again")
    retry.add_argument("job", metavar="JOB")
    retry.add_argument("--bucket", type=Path, help=bucket_help)
    retry.add_argument("--timeout", type=float, default=3600)
    retry.set_defaults(handler=_retry)

    submit = sub.add_parser(
        "submit", help="check manifests, upload them into a bucket's inbox, follow their jobs"
    )
    submit.add_argument("files", nargs="+", type=Path, metavar="MANIFEST")
    submit.add_argument(
        "--to",
        required=True,
        metavar="oss://BUCKET|DIR",
        help="the bucket (credentials and endpoint as the functions read them), or a folder bucket",
    )
    submit.add_argument("--region", help="region jobs run in (default HIGHLIGHTS_REGION)")
    submit.add_argument("--no-wait", action="store_true", help="return once uploaded")
    submit.add_argument("--timeout", type=float, default=3600, help="seconds to follow (3600)")
    submit.set_defaults(handler=_submit)

    demo = sub.add_parser("demo", help="generate media and manifests of both modes, and run them")
    demo.add_argument(
        "--bucket", type=Path, default=Path("demo-bucket"), help="(default ./demo-bucket)"
    )
    demo.set_defaults(handler=_demo)

    schema = sub.add_parser("schema", help="print the manifest's JSON Schema")
    schema.add_argument(
        "--write", action="store_true", help="write schema/*.schema.json instead of printing"
    )
    schema.set_defaults(handler=_schema)
    return parser


def _folder(args: argparse.Namespace) -> Path:
    """The folder bucket: --bucket, else HIGHLIGHTS_STORE when it is a folder, else ./bucket."""
    if args.bucket is not None:
        return Path(args.bucket)
    store = os.environ.get("HIGHLIGHTS_STORE", "")
    if store.startswith("oss://"):
        raise CommandError(
            f"HIGHLIGHTS_STORE is {store}: this command works on a folder bucket: pass --bucket DIR"
        )
    return Path(store or "bucket")


def _local(args: argparse.Namespace, *, existing: bool = False) -> Settings:
    """The local engine's settings: the environment's, with the folder as the store (made when
    missing, unless it must be `existing`)."""
    from highlights.local.platform import local_settings

    folder = _folder(args)
    if existing and not folder.is_dir():
        raise CommandError(f"no bucket folder at {folder}: pass --bucket DIR")
    if folder.exists() and not folder.is_dir():
        raise CommandError(f"{folder} is a file: pass --bucket DIR, a folder (made if missing)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(
            f"cannot make the bucket folder {folder}: {exc.strerror}: pass --bucket DIR"
        ) from None
    return local_settings(folder, env=os.environ, region=getattr(args, "region", None))


def _engine(
    command: Callable[[Settings], int], *, existing: bool = False
) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        return command(_local(args, existing=existing))

    return handler


def _run(args: argparse.Namespace) -> int:
    from highlights.local.run import run

    return _engine(lambda s: run(args.manifest, s, timeout=args.timeout))(args)


def _serve(args: argparse.Namespace) -> int:
    from highlights.local.serve import serve

    if not 0 <= args.port <= 65535:
        raise CommandError(f"--port {args.port}: a port is 0-65535 (0: any free one)")
    return _engine(lambda s: serve(s, port=args.port, reconcile_every=args.reconcile_every))(args)


def _retry(args: argparse.Namespace) -> int:
    from highlights.local.run import retry

    return _engine(lambda s: retry(s, args.job, timeout=args.timeout), existing=True)(args)


def _view(args: argparse.Namespace) -> tuple[BucketView, Path | None]:
    """The bucket a read-only command reads: a folder given or configured (never created), or
    the OSS bucket HIGHLIGHTS_STORE names."""
    from highlights.bootstrap import view
    from highlights.config import Settings

    store = os.environ.get("HIGHLIGHTS_STORE", "")
    if args.bucket is None and store.startswith("oss://"):
        return view(Settings.from_env()), None
    folder = _folder(args)
    if not folder.is_dir():
        raise CommandError(
            f"no bucket folder at {folder}: pass --bucket DIR, or set HIGHLIGHTS_STORE"
        )
    settings = Settings.from_env(store=str(folder), producer="local", callback_url=None)
    return view(settings), folder.resolve()


def _status(args: argparse.Namespace) -> int:
    from highlights.local.browse import status

    def command(bucket: BucketView, root: Path | None) -> int:
        if root is not None and args.target and _outside(Path(args.target), root):
            raise CommandError(
                f"{args.target} is not in the bucket {root}: give its copy there (under "
                f"{bucket.layout.inbox}) or its job id (`highlights jobs` lists them)"
            )
        return status(bucket, root, args.target)

    return _read_only(args, command)


def _outside(path: Path, root: Path) -> bool:
    """A manifest file that exists, outside the folder bucket."""
    try:
        return path.is_file() and not path.resolve().is_relative_to(root)
    except (OSError, ValueError):  # a name too long for the filesystem, a NUL: not a file
        return False


def _jobs(args: argparse.Namespace) -> int:
    from highlights.local.browse import jobs

    return _read_only(args, lambda v, root: jobs(v))


def _dead_letters(args: argparse.Namespace) -> int:
    from highlights.local.browse import dead_letters

    return _read_only(args, lambda v, root: dead_letters(v))


def _read_only(args: argparse.Namespace, command: Callable[[BucketView, Path | None], int]) -> int:
    bucket, root = _view(args)
    return command(bucket, root)


def _submit(args: argparse.Namespace) -> int:
    from highlights.local.submit import submit, target

    try:
        settings = target(args.to, region=args.region)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return submit(
        args.files, settings, human=_human, wait_for_jobs=not args.no_wait, timeout=args.timeout
    )


def _demo(args: argparse.Namespace) -> int:
    from highlights.demo import demo

    return _engine(demo)(args)


def _validate(args: argparse.Namespace) -> int:
    from highlights.config import Settings, region_from
    from highlights.manifest import validate_manifest
    from highlights.manifest.loading import oversized
    from highlights.manifest.vocabulary import REGIONS

    if args.region is not None and args.region not in REGIONS:
        raise CommandError(f"--region {args.region!r}: choose one of {', '.join(REGIONS)}")
    region = args.region or region_from()
    # The size cap and the reserved prefixes as the pipeline has them (any store will do).
    checks = Settings.from_env(store=".", producer="local", callback_url=None)
    max_bytes, reserved = checks.max_manifest_bytes, checks.reserved_prefixes
    results: dict[str, dict[str, object]] = {}
    status = 0
    for path in args.files:
        try:
            with path.open("rb") as f:
                data = f.read(max_bytes + 1)  # never more: the file may be huge, or endless
                size = max(os.fstat(f.fileno()).st_size, len(data))
        except OSError as exc:
            results[str(path)] = {"readable": False, "error": exc.strerror or str(exc)}
            status = 2
            continue
        if len(data) > max_bytes:
            validation = oversized(size, max_bytes, exact=size > len(data))
        else:
            validation = validate_manifest(
                data, region=region, max_bytes=max_bytes, reserved_prefixes=reserved
            )
        results[str(path)] = validation.to_dict()
        if not validation.ok and status == 0:
            status = 1
    if args.json:
        json.dump({"region": region, "files": results}, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        for name, result in results.items():
            print(_human(name, result))
    return status


def _human(name: str, result: dict[str, object]) -> str:
    if result.get("readable") is False:
        return f"{name}: cannot read: {result['error']}"
    errors = result["errors"]
    warnings = result["warnings"]
    assert isinstance(errors, list) and isinstance(warnings, list)
    head = (
        f"{name}: valid ({result['mode']})"
        if result["valid"]
        else f"{name}: {len(errors)} error(s)"
    )
    if warnings:
        head += f", {len(warnings)} warning(s)"
    lines = [head]
    for problem in [*errors, *warnings]:
        where = problem["path"]
        if "line" in problem:
            where += f" (line {problem['line']}, column {problem['column']})"
        lines.append(f"  {problem['severity']:<8} {where}: {problem['message']}")
        if "accepted" in problem:
            lines.append(f"  {'':<8} accepted: {problem['accepted']}")
    return "\n".join(lines)


def _schema(args: argparse.Namespace) -> int:
    from highlights.schemas import SCHEMAS, render

    if not args.write:
        print(render("manifest"), end="")
        return 0
    folder = Path("schema")
    folder.mkdir(exist_ok=True)
    for name in SCHEMAS:
        (folder / f"{name}.schema.json").write_text(render(name), encoding="utf-8")
        print(f"wrote {folder / name}.schema.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
