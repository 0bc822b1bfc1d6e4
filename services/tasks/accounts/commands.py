"""``duban admin create|reset``: an account made, or its password reset, from the command
line (an administrator locked out, the first one of a deployment). The password is
generated and printed once, or read from standard input (``--password-stdin``)."""

from __future__ import annotations

import argparse
import sys

from shared.config import Settings
from shared.runtime import service_runtime
from shared.service import Command

ROLES = ("admin", "supervisor", "leader", "unit")


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["create", "reset"])
    parser.add_argument("--login", required=True, help="登录名")
    parser.add_argument("--name", help="姓名（create；默认同登录名）")
    parser.add_argument("--role", choices=ROLES, default="admin", help="create：默认 admin")
    parser.add_argument("--government", help="所属政府（admin 以外必填）")
    parser.add_argument("--unit", help="unit 角色的单位（须在单位名录中）")
    parser.add_argument("--leader", help="leader 角色所代表的领导")
    parser.add_argument(
        "--password-stdin", action="store_true", help="从标准输入读密码，而不是生成一个"
    )


def admin(args: argparse.Namespace, settings: Settings) -> int:
    from services.tasks.access.principal import Role
    from services.tasks.accounts import service
    from services.tasks.errors import Conflict, Forbidden, Invalid, NotFound
    from services.tasks.spec import SPEC  # imported when run: the spec lists this command

    given = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
    runtime = service_runtime(SPEC, settings)
    runtime.migrate()
    try:
        with runtime.sessions.begin() as session:
            if args.action == "create":
                account, plain = service.create_account(
                    session,
                    service.CLI,
                    login=args.login,
                    display_name=args.name or args.login,
                    role=Role(args.role),
                    government_id=args.government,
                    unit=args.unit,
                    leader=args.leader,
                    password=given,
                )
            else:
                account = service.find_by_login(session, args.login)
                plain, _ = service.reset_password(session, service.CLI, account, given)
            login = account.login
    except (Conflict, Forbidden, Invalid, NotFound) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        runtime.dispose()
    done = "已开设账户" if args.action == "create" else "已重置密码并解除锁定"
    print(f"{done}：{login}")
    if plain is not None:
        print(f"密码 (password, shown once / 只显示这一次)：{plain}")
        print("首次登录后请立即修改密码 (change it after the first login)。")
    return 0


COMMANDS = (
    Command(
        name="admin",
        help="create a person's account, or reset its password (printed once)",
        add_arguments=_arguments,
        run=admin,
    ),
)
