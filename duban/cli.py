"""The ``duban`` command: its general commands (run, serve, migrate, events-doc) and every
command the services declare in their specs (``duban parse``, ``duban holidays load``, …)."""

from __future__ import annotations

import argparse
import logging
import logging.config
import os
import sys
from pathlib import Path

from pydantic import SecretStr

from duban.services import SERVICE_NAMES, specs
from shared.config import Settings
from shared.identity.sessions import session_settings
from shared.identity.verify import identity_settings, new_token
from shared.logs import log_config
from shared.runtime import Runtime
from shared.service import ServiceSpec


def _serve(runtime: Runtime, settings: Settings, port: int | None, simulated: bool = False) -> None:
    import uvicorn

    app = runtime.create_app()
    if simulated:
        from duban.simulated import mount_simulator

        mount_simulator(app)
    uvicorn.run(
        app,
        host=settings.host,
        port=port or settings.port,
        log_level=settings.log_level.lower(),
        log_config=log_config(settings.log_level),
        loop="uvloop",
        http="httptools",
    )


def _kept_secret(path: Path) -> str:
    """A random secret kept in ``path`` (readable by its owner only), made the first time."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as file:
            file.write(new_token() + "\n")
    return path.read_text().strip()


def _run_admin_token(data_dir: Path) -> None:
    """`duban run` is usable at once, though every door is locked: without a configured
    bootstrap admin token it makes one, keeps it in ``<data dir>/admin-token`` (readable by
    its owner only) and says where. `duban serve`, a deployment, is always given its own."""
    if identity_settings().admin_token is not None:
        return
    path = data_dir / "admin-token"
    os.environ["DUBAN_ADMIN_TOKEN"] = _kept_secret(path)
    identity_settings.cache_clear()
    logging.getLogger("duban").warning("bootstrap admin token (管理员令牌): see %s", path.resolve())


def _run_session_key(data_dir: Path) -> None:
    """Likewise the key that signs people's sessions: ``<data dir>/session-key``."""
    if session_settings().key is not None:
        return
    os.environ["DUBAN_SESSION_KEY"] = _kept_secret(data_dir / "session-key")
    session_settings.cache_clear()


def _run_accounts(settings: Settings, demo: bool) -> None:
    """The first start makes the administrator ``admin`` and prints its generated password,
    once, on standard output (never in a log); ``--demo`` adds the demo logins."""
    from services.tasks.accounts.demo import FIRST_ADMIN, demo_accounts, first_admin
    from services.tasks.spec import SPEC
    from shared.runtime import service_runtime

    tasks = service_runtime(SPEC, settings)
    try:
        tasks.migrate()
        with tasks.sessions.begin() as session:
            password = first_admin(session)
            if demo:
                demo_accounts(session)
    finally:
        tasks.dispose()
    if password is not None:
        print(
            "\n首次启动，已创建管理员账户 / first start, administrator account created:\n"
            f"  登录名 login: {FIRST_ADMIN}\n"
            f"  密码 password: {password}\n"
            "  只显示这一次，请立即登录并修改 / shown once: log in and change it now\n"
            "  忘记时 / if lost: duban admin reset --login admin\n",
            flush=True,
        )


def _refuse_weak_secrets(settings: Settings, services: tuple[str, ...]) -> bool:
    """In production mode, True (and why, on stderr) when a secret the services need is
    missing, short or a placeholder."""
    if not settings.production:
        return False
    from shared.secrets import weak_secrets

    def plain(secret: SecretStr | None) -> str | None:
        return secret.get_secret_value() if secret else None

    required = {
        "DUBAN_ADMIN_TOKEN": plain(identity_settings().admin_token),
        "DUBAN_OPERATOR_TOKEN": plain(settings.operator_token),
        "DUBAN_SESSION_KEY": plain(session_settings().key),
    }
    optional = {}
    if "intake" in services:
        from services.intake.settings import intake_settings

        optional["DUBAN_INTAKE_OA_WEBHOOK_SECRET"] = plain(intake_settings().oa_webhook_secret)
    found = weak_secrets(required, optional)
    if found:
        print("生产模式拒绝启动：" + "；".join(found), file=sys.stderr)
    return bool(found)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    if args.port is not None:
        settings.port = args.port
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    logging.getLogger("duban").info("data directory: %s", settings.data_dir.resolve())
    if _refuse_weak_secrets(settings, SERVICE_NAMES):
        return 2
    if args.demo:
        if settings.production:
            print("生产模式拒绝启动：--demo 的演示账户密码是公开的", file=sys.stderr)
            return 2
        os.environ["DUBAN_DEMO"] = "true"  # the login page lists the demo logins
    _run_admin_token(settings.data_dir)
    _run_session_key(settings.data_dir)
    _run_accounts(settings, args.demo)
    simulated = _run_simulator(settings)
    if args.demo:
        _run_demo(settings)
    _serve(Runtime(settings, specs()), settings, args.port, simulated)
    return 0


def _run_demo(settings: Settings) -> None:
    """The demo county, loaded through the HTTP APIs once the server answers (duban/demo.py)."""
    from duban.demo import beijing_today, load_when_up

    token = identity_settings().admin_token
    assert token is not None  # _run_admin_token made one
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    base = f"http://{host}:{settings.port}"
    load_when_up(base, token.get_secret_value(), settings.data_dir, beijing_today())


def _run_simulator(settings: Settings) -> bool:
    """With no real channel configured (and not in production), reminders go to the provider
    simulators this process serves at /simulator, and the operator is told so."""
    from duban.simulated import MOUNT, use_simulator, wants_simulator

    if settings.production or not wants_simulator():
        return False
    use_simulator(settings.port)
    logging.getLogger("duban").warning(
        "no DUBAN_NOTIFY_CHANNELS: reminders go to the provider simulator (模拟器) at "
        "http://%s:%d%s/",
        settings.host,
        settings.port,
        MOUNT,
    )
    return True


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    if _refuse_weak_secrets(settings, (args.service,)):
        return 2
    if args.workers <= 1:
        _serve(Runtime(settings, specs(args.service)), settings, args.port)
        return 0
    import uvicorn

    # Each worker process imports the factory and builds its own runtime.
    os.environ["DUBAN_SERVICE"] = args.service
    uvicorn.run(
        "duban.asgi:service_app",
        factory=True,
        workers=args.workers,
        host=settings.host,
        port=args.port or settings.port,
        log_level=settings.log_level.lower(),
        log_config=log_config(settings.log_level),
        loop="uvloop",
        http="httptools",
    )
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from shared.migrations import downgrade

    runtime = Runtime(settings, specs(*args.services))
    for service in runtime.services.values():
        if args.down:
            downgrade(service.engine, service.name, service.spec.migrations_dir)
        else:
            service.migrate()
        print(f"{service.name}: {'downgraded to base' if args.down else 'at head'}")
    return 0


def cmd_events_doc(args: argparse.Namespace, _settings: Settings) -> int:
    from shared.contracts.docs import render_events_doc

    text = render_events_doc()
    target = Path(args.output)
    if args.check:
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            print(f"{target} is stale: run `duban events-doc`", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


def cmd_events(args: argparse.Namespace, settings: Settings) -> int:
    """The parked events of the services (``duban events parked|show|retry|discard``): the
    same operations as each service's operator API, straight on its database."""
    import json

    from sqlalchemy import inspect

    from shared import parked
    from shared.messaging.inbox import ParkedError
    from shared.messaging.tables import PARKED

    runtime = Runtime(settings, specs(*([args.service] if args.service else [])))
    try:
        for service in runtime.services.values():
            sessions = service.sessions
            if not inspect(service.engine).has_table(PARKED.name):
                print(f"{service.name}：数据库尚未迁移，先运行 duban migrate", file=sys.stderr)
                continue
            if args.action == "parked":
                for row in parked.listed(sessions, args.all):
                    print(json.dumps({"service": service.name, **row}, ensure_ascii=False))
                continue
            shown = parked.found(sessions, args.event_id)
            if shown is None:
                continue
            if args.action == "show":
                result: object = shown
            elif args.action == "retry":
                result = parked.outcome(service.subscriber.retry(args.event_id))
            else:
                result = parked.outcome(service.subscriber.discard(args.event_id, args.by))
            print(json.dumps(result, ensure_ascii=False, indent=2))
            return 0
    except ParkedError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        runtime.stop()
    if args.action != "parked":
        print(f"没有被搁置的事件 {args.event_id}", file=sys.stderr)
        return 1
    return 0


def _add_events_command(sub: argparse._SubParsersAction) -> None:
    events = sub.add_parser("events", help="parked events: list, show, retry, discard")
    actions = events.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("parked", help="list the parked events (one JSON per line)")
    listing.add_argument("--all", action="store_true", help="discarded ones too")
    for name, text in (
        ("show", "one parked event whole: its record and its error"),
        ("retry", "handle it again, then those of its key waiting behind it"),
        ("discard", "give up on it; those of its key waiting behind it are handled"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("event_id")
        if name == "discard":
            action.add_argument("--by", required=True, help="who discards it (kept with it)")
    for action in actions.choices.values():
        action.add_argument("--service", choices=SERVICE_NAMES, help="default: every service")
    events.set_defaults(func=cmd_events)


def _add_general_commands(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="all four services in one process (embedded default)")
    run.add_argument("--port", type=int, default=None)
    run.add_argument(
        "--demo", action="store_true", help="add demo logins, listed on the login page"
    )
    run.set_defaults(func=cmd_run)
    serve = sub.add_parser("serve", help="one service alone (PostgreSQL + Kafka deployment)")
    serve.add_argument("service", choices=SERVICE_NAMES)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=1, help="worker processes (one per core)")
    serve.set_defaults(func=cmd_serve)
    migrate = sub.add_parser("migrate", help="run the services' migrations")
    migrate.add_argument("services", nargs="*", help=f"default: all of {SERVICE_NAMES}")
    migrate.add_argument("--down", action="store_true", help="downgrade to base instead")
    migrate.set_defaults(func=cmd_migrate)
    doc = sub.add_parser("events-doc", help="write the event contract reference")
    doc.add_argument("--output", default="docs/events.md")
    doc.add_argument("--check", action="store_true", help="fail if the file is stale")
    doc.set_defaults(func=cmd_events_doc)
    _add_events_command(sub)


def _add_service_commands(sub: argparse._SubParsersAction, spec: ServiceSpec) -> None:
    for command in spec.commands:  # a name taken twice: argparse refuses it
        parser = sub.add_parser(command.name, help=command.help)
        command.add_arguments(parser)
        parser.set_defaults(func=command.run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="duban", description="督办: key-task supervision")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_general_commands(sub)
    for spec in specs():
        _add_service_commands(sub, spec)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    logging.config.dictConfig(log_config(settings.log_level))
    return args.func(args, settings)


if __name__ == "__main__":
    sys.exit(main())
