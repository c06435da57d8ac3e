"""`cct-monitor console`: serve the reviewer console; `console users add` manages its accounts file."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
from prometheus_client import CollectorRegistry, start_http_server

from monitor.cli.options import setting_option, settings_from_context
from monitor.console.accounts import ROLES, Account, AccountsError, hash_password, write_account
from monitor.settings import Settings

log = logging.getLogger(__name__)


@click.group(invoke_without_command=True)
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="YAML settings file (as `cct-monitor --config`; given here it wins over that one).")
@setting_option("--log", "log_path", setting="audit.path", help="Decision-log directory (alerts in, reviews out).")
@setting_option("--decisions", setting="console.decisions_path", help="The monitor's decision JSONL (transcript context, timelines).")
@setting_option("--users", setting="console.users_file", type=click.Path(path_type=Path), help="Accounts file.")
@setting_option("--host", setting="console.host", help="Address to listen on.")
@setting_option("--port", setting="console.port", type=int, help="Port to listen on.")
@setting_option("--url", setting="console.url", help="Public base URL (behind TLS: https://…; turns on Secure cookies).")
@setting_option("--rules", setting="rules.paths", multiple=True, type=click.Path(path_type=Path), help="Rule files shown as excerpts.")
@setting_option("--metrics-port", setting="console.metrics_port", type=int, help="Port of the console's /metrics.")
@click.pass_context
def console(ctx: click.Context, config_path: Path | None, **_flags: object) -> None:
    """Serve the reviewer console (see docs/console.md)."""
    if config_path is not None:
        ctx.find_root().obj["config_path"] = config_path
    if ctx.invoked_subcommand is not None:
        return
    serve(settings_from_context(ctx))


def serve(settings: Settings) -> None:
    """Build the console and serve it until interrupted."""
    import uvicorn

    from monitor.console.app import ConsoleConfigError, build_console, create_app

    registry = CollectorRegistry()
    try:
        app = create_app(build_console(settings, registry))
    except (ConsoleConfigError, AccountsError) as exc:
        raise click.ClickException(str(exc)) from None
    c = settings.console
    if settings.metrics.enabled and c.metrics_port is not None:
        server, _thread = start_http_server(c.metrics_port, addr=settings.metrics.host, registry=registry)
        log.info("console metrics on http://%s:%d/metrics", settings.metrics.host, server.server_port)
    config = uvicorn.Config(app, host=c.host, port=c.port, access_log=False, log_config=None,
                            timeout_graceful_shutdown=3, proxy_headers=False)
    server = uvicorn.Server(config)
    # uvicorn prints the bound address itself; tests and scripts read the port from this line.
    log.info("console starting on http://%s:%s (decision log %s)", c.host, c.port, settings.audit.path)
    server.run()
    if not server.started:
        sys.exit(1)


@console.command("demo")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("out/console-demo"),
              show_default=True, help="Where the demo's decision log, decisions file and accounts go (reused if there).")
@setting_option("--port", setting="console.port", type=int, help="Port to listen on.")
@setting_option("--classifier/--no-classifier", setting="classifier.enabled", help="Score chunks with the classifier.")
@setting_option("--rules", setting="rules.paths", multiple=True, type=click.Path(path_type=Path), help="Rule files.")
@click.pass_context
def demo(ctx: click.Context, directory: Path, **_flags: object) -> None:
    """Run the sample broadcast into a decision log, then serve the console on it."""
    from monitor.console.demo import prepare_demo

    setup = prepare_demo(settings_from_context(ctx), directory)
    c = setup.settings.console
    lines = [f"decision log {setup.settings.audit.path}" + (f" ({setup.alerts} alerts)" if setup.password else " (reused)")]
    if setup.password:
        lines.append(f"log in as reviewer, auditor or admin with the password {setup.password}")
    else:
        lines.append(f"accounts reused from {c.users_file} (delete {directory} for new ones)")
    lines.append(f"open http://{c.host}:{c.port}/")
    click.echo("\n".join(lines), err=True)
    serve(setup.settings)


@console.group()
def users() -> None:
    """Console accounts (a YAML file of names, roles and argon2 hashes)."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="reviewer, auditor (read-only) or admin.")
@click.option("--file", "path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Accounts file [default: console.users_file].")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin (first line) instead of prompting.")
@click.option("--no-password", is_flag=True, help="No password: the user can only come in through the trusted proxy header.")
@click.pass_context
def users_add(ctx: click.Context, name: str, role: str, path: Path | None, password_stdin: bool, no_password: bool) -> None:
    """Add or replace user NAME with an argon2id password hash."""
    path = path or settings_from_context(ctx.find_root()).console.users_file
    if path is None:
        raise click.UsageError("give --file or set console.users_file")
    password_hash = None
    if not no_password:
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            password_hash = hash_password(password)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
    try:
        write_account(path, Account(name=name, role=role, password_hash=password_hash))
    except (AccountsError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{name} ({role}) written to {path}")
