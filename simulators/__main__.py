"""``python -m simulators --port 8900``: the simulator alone, with the development defaults."""

from __future__ import annotations

import argparse

import uvicorn

from simulators.app import create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="simulators", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    args = parser.parse_args(argv)
    print(f"simulator: http://{args.host}:{args.port}/ (messages page)")
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
