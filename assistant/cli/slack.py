"""``assistant slack``: the Slack bot over Socket Mode (registers itself on the CLI's ``app``).

Socket Mode needs no public URL: the bot opens a WebSocket to Slack with the app-level token
(``ASSISTANT_SLACK_APP_TOKEN``, ``xapp-…``) and posts replies with the bot token
(``ASSISTANT_SLACK_BOT_TOKEN``, ``xoxb-…``). Set-up: docs/slack.md.
"""

from __future__ import annotations

import typer

from ..errors import AssistantError
from .main import EXIT_INPUT, EXIT_OTHER, app, err, fail, out


@app.command("slack")
def slack() -> None:
    """Run the Slack bot over Socket Mode: mentions, DMs and /ask, answered in threads."""
    from ..settings import get_settings

    try:
        settings = get_settings()
    except ValueError as exc:  # pydantic's ValidationError / SettingsError: a bad ASSISTANT_*
        err.print(f"[bold red]error:[/] invalid settings: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_INPUT) from None
    missing = [name for name, value in (
        ("ASSISTANT_SLACK_BOT_TOKEN", settings.slack_bot_token),
        ("ASSISTANT_SLACK_APP_TOKEN", settings.slack_app_token),
    ) if not value]
    if missing:
        err.print(f"[bold red]error:[/] Socket Mode needs {' and '.join(missing)}: the bot "
                  "token (xoxb-…) and an app-level token with connections:write (xapp-…); "
                  "see docs/slack.md", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_INPUT)

    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk.errors import SlackApiError

    from ..bots import bot_state
    from ..bots.slack import build_slack_app
    from ..service import Assistant

    assistant = Assistant(settings)
    try:
        assistant.warm()
    except AssistantError as exc:  # no index yet, a bad Chroma URL, ...
        raise fail(exc) from None
    bolt = build_slack_app(settings, lambda: assistant, bot_state(settings), socket_mode=True)
    out.print(f"Slack bot connecting over Socket Mode (data dir {settings.data_dir}); "
              "Ctrl-C stops it.", highlight=False, soft_wrap=True)
    try:
        SocketModeHandler(bolt, settings.slack_app_token).start()  # type: ignore[no-untyped-call]
    except KeyboardInterrupt:
        out.print("stopped.")
    except SlackApiError as exc:  # e.g. invalid_auth: a wrong or revoked token
        err.print(f"[bold red]error:[/] Slack refused the connection: "
                  f"{exc.response.get('error', exc)}; check ASSISTANT_SLACK_APP_TOKEN "
                  "(xapp-…, scope connections:write) and ASSISTANT_SLACK_BOT_TOKEN",
                  highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_OTHER) from None
    except OSError as exc:  # URLError, DNS, refused connections
        err.print(f"[bold red]error:[/] cannot reach Slack ({exc}); check the network"
                  " and ASSISTANT_SLACK_API_URL", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_OTHER) from None
