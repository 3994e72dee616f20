"""The `ecomon` command: one entry point for operators, analysts and integrators.

Each capability owns its command group in its own package (`<package>/cli.py` exposing `register(app)`),
so this module only wires them together.
"""

from __future__ import annotations

import typer

from ecomon import demo
from ecomon.evaluation import cli as evaluation_cli
from ecomon.ingest.files import cli as files_cli
from ecomon.ingest.hj212 import cli as hj212_cli
from ecomon.quality import audit_cli, pipeline_cli, review_cli
from ecomon.quality import cli as quality_cli
from ecomon.registry import cli as registry_cli
from ecomon.reports import cli as reports_cli
from ecomon.runtime import cli as runtime_cli
from ecomon.standards import cli_air, cli_ecology, cli_env
from ecomon.store import cli as store_cli
from ecomon.web.auth import cli as user_cli

app = typer.Typer(
    name="ecomon",
    help="ecomon 生态环境监测平台 — ecological-environment monitoring platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

eval_app = typer.Typer(help="按国家标准评价数据文件 / evaluate data files by the national standards.", no_args_is_help=True)
cli_air.register(eval_app)
cli_env.register(eval_app)
cli_ecology.register(eval_app)
app.add_typer(eval_app, name="eval")

demo.register(app)
evaluation_cli.register(app)
files_cli.register(app)
hj212_cli.register(app)
quality_cli.register(app)
pipeline_cli.register(app)
audit_cli.register(app)
review_cli.register(app)
registry_cli.register(app)
reports_cli.register(app)
runtime_cli.register(app)
store_cli.register(app)
user_cli.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
