"""Click options that map onto settings fields, so every flag shows its environment variable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from click.core import ParameterSource

from monitor.settings import ENV_DELIMITER, ENV_PREFIX, Settings, load_settings

SETTING_KEY = "cct_setting"


def env_name(dotted: str) -> str:
    """`kafka.group_id` → `CCT_KAFKA__GROUP_ID`."""
    return ENV_PREFIX + dotted.replace(".", ENV_DELIMITER).upper()


def setting_option(*decls: str, setting: str, **kwargs: Any) -> Callable:
    """A click option bound to a dotted settings field; its value overrides YAML and env."""
    kwargs.setdefault("default", None)
    kwargs.setdefault("show_envvar", True)
    kwargs["envvar"] = env_name(setting)

    def decorator(f: Callable) -> Callable:
        f = click.option(*decls, **kwargs)(f)
        option = f.__click_params__[-1]
        option.__dict__[SETTING_KEY] = setting
        return f

    return decorator


def settings_from_context(ctx: click.Context) -> Settings:
    """The effective settings for this invocation: YAML < env < flags bound with `setting_option`.

    A value click read from the environment is left to the settings model, which reads the same
    variable with its own parsing (JSON for lists), so both agree on what it means.
    """
    overrides = {}
    for param in ctx.command.params:
        dotted = param.__dict__.get(SETTING_KEY)
        if dotted is not None:
            if ctx.get_parameter_source(param.name) is ParameterSource.ENVIRONMENT:
                continue
            value = ctx.params.get(param.name)
            if isinstance(value, tuple):
                value = list(value) or None
            overrides[dotted] = value
    root = ctx.find_root().obj or {}
    settings = load_settings(root.get("config_path"), overrides)
    if root.get("log_level"):
        settings.log_level = root["log_level"]
    return settings
