"""``duban report …``: the documents and the rebuild from the command line, on the
deployment's database (``duban report ledger --out 台账.xlsx``)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from shared.config import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="what", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--government", default=None, help="政府（默认全部）")
    common.add_argument("--as-of", type=date.fromisoformat, default=None, help="统计日期")
    common.add_argument("--document", default=None, help="只看一份通知（document_id）")
    ledger = sub.add_parser("ledger", parents=[common], help="导出台账（Excel）")
    ledger.add_argument("--out", type=Path, required=True)
    circular = sub.add_parser("circular", parents=[common], help="生成通报（Word）")
    circular.add_argument("--period", required=True, help="报送轮次，如 2022-Q3")
    circular.add_argument("--out", type=Path, required=True)
    order = sub.add_parser("order", parents=[common], help="生成催办单或督办单（Word）")
    order.add_argument("--task", required=True)
    order.add_argument("--unit", required=True)
    order.add_argument("--kind", choices=("urge", "supervise"), default="urge")
    order.add_argument("--out", type=Path, required=True)
    sub.add_parser("rebuild", help="清空统计视图，按事件日志重建")
    digest = sub.add_parser("digest", parents=[common], help="请求发送今日领导红灯日报")
    del digest


def run(args: argparse.Namespace, settings: Settings) -> int:
    from services.reporting import replay
    from services.reporting.api import _issuer, today
    from services.reporting.digest import request_digests
    from services.reporting.documents.circular import circular
    from services.reporting.documents.ledger import ledger
    from services.reporting.documents.orders import order
    from services.reporting.spec import SPEC
    from services.reporting.views.ranking import ranking
    from services.reporting.views.scope import Scope
    from services.reporting.views.snapshot import snapshot
    from shared.runtime import service_runtime

    runtime = service_runtime(SPEC, settings)
    runtime.migrate()
    try:
        if args.what == "rebuild":
            print(f"已按事件日志重建统计视图：{replay.rebuild(runtime.sessions)} 条事件")
            return 0
        scope = Scope(args.government, None)
        as_of = args.as_of or today()
        if args.what == "digest":
            with runtime.sessions.begin() as session:
                print(f"已请求领导日报：{request_digests(session, as_of, args.government)} 份")
            return 0
        with runtime.sessions() as session:
            period = getattr(args, "period", None)
            snap = snapshot(session, scope, as_of, period, args.document)
            issuer, title = _issuer(session, snap, args.document)
            if args.what == "ledger":
                content = ledger(snap, title if args.document else "重点工作")
            elif args.what == "circular":
                content = circular(
                    snap, ranking(session, scope, as_of, period), issuer, period, title
                )
            else:
                found = next((t for t in snap.tasks if t.view.task_id == args.task), None)
                if found is None:
                    print(f"没有任务 {args.task}")
                    return 1
                content = order(found, args.unit, args.kind, issuer, as_of)
        args.out.write_bytes(content)
        print(f"已生成 {args.out}")
        return 0
    finally:
        runtime.dispose()
