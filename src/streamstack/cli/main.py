"""The entry point: parse the command line, run the command, one-line configuration errors."""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, get_args

from streamstack.catalogue.schemas import SortOrder, StatusFilter
from streamstack.cli.captions import run_captions
from streamstack.cli.commands import run_create_admin, run_dev, run_migrate, run_serve
from streamstack.cli.comments import run_comments
from streamstack.cli.exits import MEANINGS, CommandFailed, Exit, Failure
from streamstack.cli.invites import lifetime, run_invites
from streamstack.cli.items import ACTIONS, PROCESSING_WORDS, processing_filter, run_items
from streamstack.cli.likes import LIKE_ACTIONS
from streamstack.cli.login import run_login, run_logout
from streamstack.cli.output import print_failure
from streamstack.cli.probe import run_probe
from streamstack.cli.scheduling import item_or_word
from streamstack.cli.sharing import SHARE_ACTIONS
from streamstack.cli.statistics import STATS_ACTION
from streamstack.cli.storage import run_storage
from streamstack.cli.thumbnail import moment, run_thumbnail
from streamstack.cli.transcode import run_transcode
from streamstack.cli.upload import run_upload
from streamstack.cli.uploads import run_uploads
from streamstack.cli.users import CHANGES, run_users
from streamstack.cli.worker import run_worker
from streamstack.cli.workers import run_workers
from streamstack.contracts.auth import Role
from streamstack.contracts.caption_encodings import CAPTION_ENCODINGS
from streamstack.contracts.catalogue import MediaVisibility
from streamstack.contracts.limits import (
    AUDIT_GRACE_MAX_SECONDS,
    LIST_LIMIT_MAX,
    STILL_IMAGE_MAX_BYTES,
    STILL_IMAGE_MAX_SIDE,
)
from streamstack.settings import MODULE_NAMES, SettingsError

Command = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: parse, run, and turn configuration problems into one-line errors."""
    args = parse_command_line(build_parser(), sys.argv[1:] if argv is None else argv)
    command: Command = args.command
    as_json = bool(getattr(args, "json", False))
    try:
        code = command(args)
    except CommandFailed as exc:
        where = " ".join(filter(None, (args.command_name, getattr(args, "action", None))))
        code = print_failure(where, exc.failure, as_json=as_json)
    except SettingsError as exc:
        # One line a problem (a refusal may name several modules), each saying it is one.
        code = print_failure("error", Failure(str(exc), code="usage"), as_json=as_json)
    except KeyboardInterrupt:
        code = Exit.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`streamstack … | head`): end quietly, as shell tools do.
        # Output goes nowhere from here, or the interpreter's last flush raises again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 128 + signal.SIGPIPE
    sys.exit(code)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="streamstack",
        description="StreamStack, a self-hostable video platform.",
        epilog="exit codes (with --json, an error is one JSON object on stderr):\n"
        + "\n".join(f"  {code.value:<3} {meaning}" for code, meaning in MEANINGS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command_parser = sub.add_parser(
            command.name, help=command.help, description=command.description
        )
        command.declare(command_parser)
    return parser


def parse_command_line(parser: argparse.ArgumentParser, words: Sequence[str]) -> argparse.Namespace:
    """``words`` parsed by ``parser``, a command's ids also after its options
    (``items publish --server URL ID…``, as scripts write them): argparse gives a list of ids
    its place, empty, before the first option and refuses the ids after it, so a command
    left with words over is read again by its own parser, options and ids intermixed."""
    args, extras = parser.parse_known_args(words)
    if not extras:
        return args
    command = next((c for c in COMMANDS if words and c.name == words[0]), None)
    if command is None:
        return parser.parse_args(words)
    alone = argparse.ArgumentParser(
        prog=f"{parser.prog} {command.name}", description=command.description
    )
    command.declare(alone)
    try:
        return alone.parse_intermixed_args(words[1:])
    except TypeError:  # a command whose arguments cannot be intermixed: argparse's own error
        return parser.parse_args(words)


def audit_grace(text: str) -> int:
    """``storage audit --grace``: whole seconds, 0 to the contract's most."""
    try:
        seconds = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= seconds <= AUDIT_GRACE_MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"between 0 and {AUDIT_GRACE_MAX_SECONDS} seconds")
    return seconds


def data_directory(text: str) -> Path:
    """``--data-dir``: ``~`` expanded (``--data-dir=~/x`` reaches us unexpanded)."""
    return Path(text).expanduser()


@dataclasses.dataclass(frozen=True, slots=True)
class Option:
    """One argument of a subcommand: its flags and what ``add_argument`` is told of it.

    ``env`` names a variable whose value, when it is set as the parser is built, replaces
    the default.
    """

    flags: tuple[str, ...]
    settings: Mapping[str, Any]
    env: str | None = None

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        """Declare this argument on ``parser``."""
        settings = dict(self.settings)
        if self.env is not None:
            settings["default"] = os.environ.get(self.env, settings.get("default"))
        parser.add_argument(*self.flags, **settings)


def option(*flags: str, env: str | None = None, **settings: Any) -> Option:
    """An :class:`Option`, written as ``add_argument`` would be called."""
    return Option(flags, settings, env)


@dataclasses.dataclass(frozen=True, slots=True)
class Subcommand:
    """``streamstack <name>``: its help line, its description, its options, what runs it."""

    name: str
    run: Command
    help: str
    description: str
    options: tuple[Option, ...]

    def declare(self, parser: argparse.ArgumentParser) -> None:
        """Declare this command's options on ``parser``, which runs it."""
        parser.set_defaults(command=self.run, command_name=self.name)
        for option in self.options:
            option.add_to(parser)


def _data_dir(help: str) -> Option:
    return option("--data-dir", type=data_directory, default=None, help=help)


def _password_stdin(help: str) -> Option:
    return option("--password-stdin", action="store_true", help=help)


def _action(*actions: str) -> Option:
    """The first argument of a command with several actions: one of ``actions``."""
    return option("action", choices=actions, metavar="|".join(actions), help="what to do")


_SERVER = option(
    "--server",
    env="STREAMSTACK_SERVER",
    default=None,
    help="base URL of StreamStack (default $STREAMSTACK_SERVER, else the one server "
    "`streamstack login` signed in to, else http://127.0.0.1:8000)",
)
_HEALTH_ENDPOINTS = "/health, /ready, /metrics"
_TOKEN = option(
    "--token",
    env="STREAMSTACK_TOKEN",
    help="an admin access token (default $STREAMSTACK_TOKEN; without one, the sign-in of "
    "`streamstack login --server URL`)",
)
#: The items a command acts on, by id (or none, with the option that lists them instead).
_ITEMS = option("items", type=uuid.UUID, nargs="*", metavar="ITEM", help="an item's id")
_WAIT = option(
    "--wait",
    action="store_true",
    help="then follow the transcoding with a progress line until the item is ready "
    "(exit 1 if it failed)",
)

#: Every subcommand, in the order ``streamstack --help`` lists them.
COMMANDS = (
    Subcommand(
        "dev",
        run_dev,
        help="all modules in one process on embedded backends, with the SPA",
        description="Run every module in one process on embedded backends (SQLite, local "
        "directory, in-process KV and events) and serve the built SPA from web/dist.",
        options=(
            option("--host", default=None, help="address to listen on (default 127.0.0.1)"),
            option("--port", type=int, default=None, help="port (default 8000)"),
            _data_dir(
                "data directory: database, keys, media (default $STREAMSTACK_DATA_DIR or "
                ".streamstack); give `create-admin` the same one"
            ),
        ),
    ),
    Subcommand(
        "serve",
        run_serve,
        help="one or more modules on the production backends",
        description="Run the named modules against Postgres, NATS and S3 as configured by "
        "STREAMSTACK_* variables; other modules are reached at STREAMSTACK_<MODULE>_URL.",
        options=(
            option(
                "--module",
                action="append",
                dest="modules",
                metavar="NAME",
                help=f"module to mount, repeatable ({', '.join(MODULE_NAMES)})",
            ),
            option("--host", default=None, help="address to listen on"),
            option("--port", type=int, default=None, help="port"),
        ),
    ),
    Subcommand(
        "worker",
        run_worker,
        help="transcoding workers on the shared job queue (no HTTP app)",
        description="Run transcoding workers on the job queue named by STREAMSTACK_* "
        "variables, serving only /health, /ready and /metrics. Start several, anywhere: "
        "they share the queue. Catalogue is reached at STREAMSTACK_CATALOGUE_URL.",
        options=(
            option(
                "--concurrency",
                type=int,
                default=None,
                help="jobs this process runs at once (default $STREAMSTACK_WORKER_CONCURRENCY "
                "or 1)",
            ),
            option("--host", default=None, help=f"address of {_HEALTH_ENDPOINTS}"),
            option("--port", type=int, default=None, help=f"port of {_HEALTH_ENDPOINTS}"),
            _data_dir("data directory (dev)"),
        ),
    ),
    Subcommand(
        "workers",
        run_workers,
        help="whether transcoding works: the jobs waiting and the workers taking them",
        description="Show how many transcoding jobs wait and run, and each transcoding "
        "worker seen (one that stopped drops out at once; one killed, or cut off from the "
        "queue, once it has not been seen for the answer's seen_within_seconds): its id, host, process id, jobs running of how many it "
        "runs at once, and when it started and was last seen. Exit 1 when videos wait and no "
        "worker runs to take them (for scripts and monitoring), when items are queued but "
        "the queue has no job for them (its store lost: it says which to queue again with "
        "transcode --force), or when the server cannot be reached or refuses.",
        options=(
            option("--json", action="store_true", help="print the server's answer as JSON"),
            _SERVER,
            _TOKEN,
        ),
    ),
    Subcommand(
        "migrate",
        run_migrate,
        help="apply database migrations",
        description="Apply every module's migrations to STREAMSTACK_DATABASE_URL (without "
        "one, to the SQLite database of the data directory, which must exist), then name the "
        "database and say of each module with a schema what was done: `auth: auth_0003 → "
        "auth_0013`, `catalogue: already at catalogue_0034`, `ingest: new schema at "
        "ingest_0005`.",
        options=(
            option(
                "--module",
                action="append",
                dest="modules",
                metavar="NAME",
                help=f"module whose schema to migrate, repeatable ({', '.join(MODULE_NAMES)}; "
                "default: every one)",
            ),
            _data_dir("data directory whose SQLite database to migrate (without a database URL)"),
        ),
    ),
    Subcommand(
        "create-admin",
        run_create_admin,
        help="create an admin account, or promote an existing one",
        description="Create an admin with this email, or make the existing account an admin. "
        "Without --password-stdin a new account gets a generated password, printed once; "
        "an existing account keeps its password.",
        options=(
            option("--email", required=True, help="the admin's email"),
            _password_stdin("read the password from standard input"),
            _data_dir(
                "the data directory of `streamstack dev` (default $STREAMSTACK_DATA_DIR or "
                ".streamstack in the current directory): the account goes into its SQLite "
                "database, so pass the same --data-dir to `streamstack dev`. Ignored for the "
                "database when STREAMSTACK_DATABASE_URL is set (production: that database)"
            ),
        ),
    ),
    Subcommand(
        "login",
        run_login,
        help="sign in once; later commands (upload, items, transcode, …) use the sign-in",
        description="Sign in to a StreamStack server and keep the sign-in (a refresh token, "
        "never the password) in $XDG_CONFIG_HOME/streamstack/credentials.json (default "
        "~/.config/streamstack/), readable by you only. `upload` and `transcode` then need no "
        "--token: they renew their access token from the sign-in, even mid-upload.",
        options=(
            _SERVER,
            option("--email", default=None, help="your email (asked for when not given)"),
            _password_stdin("read the password from standard input instead of a prompt"),
            option(
                "--code",
                default=None,
                help="with two-factor authentication on: the code from your authenticator "
                "app, or a recovery code (asked for when needed and not given)",
            ),
        ),
    ),
    Subcommand(
        "logout",
        run_logout,
        help="end the sign-in of `streamstack login`",
        description="End the session on the server (when it can be reached) and remove the "
        "stored sign-in for --server. When the server answers but signs nothing out (busy or "
        "briefly away), the sign-in is kept: run it again later (exit 75).",
        options=(_SERVER,),
    ),
    Subcommand(
        "upload",
        run_upload,
        help="upload a video or sound file through the resumable (tus) endpoint",
        description="Upload FILE to a running StreamStack as an admin, with a progress line "
        "on stderr. The video is public as soon as it is in (it says so), unless --draft "
        "or --schedule WHEN. An interrupted upload resumes where it stopped when the same "
        "command is run again. Prints the created item as JSON; with --wait, once its transcoding "
        "is over, after a second progress line. With --replace ITEM, FILE becomes that "
        "item's video file: it keeps its id, title, description, tags, status, captions, "
        "playlists and views, and plays its old file until the new one is transcoded.",
        options=(
            option("file", type=Path, metavar="FILE", help="the video or sound file to upload"),
            option("--title", default=None, help="the item's title (required without --replace)"),
            option(
                "--replace",
                default=None,
                metavar="ITEM",
                help="replace the video file of this item (its id) instead of making a new one",
            ),
            option("--description", default="", help="the item's description"),
            option("--tags", default="", help="comma-separated tags"),
            option(
                "--draft",
                action="store_true",
                help="keep it a draft (only admins see it) instead of publishing it at once",
            ),
            option(
                "--schedule",
                default=None,
                metavar="WHEN",
                help="keep it a draft until WHEN, then publish it (as `items schedule`: RFC "
                "3339, or 'YYYY-MM-DD HH:MM' in this machine's time zone)",
            ),
            _SERVER,
            _TOKEN,
            option("--chunk-mib", type=int, default=8, help="MiB sent per request (default 8)"),
            option(
                "--retries", type=int, default=5, help="attempts to resume after a network error"
            ),
            option(
                "--limit-mib",
                type=float,
                default=None,
                metavar="MIB_PER_S",
                help="send at most this many MiB per second (default: as fast as the network goes)",
            ),
            _WAIT,
        ),
    ),
    Subcommand(
        "items",
        run_items,
        help="list, edit, schedule, download, share, like, publish, unpublish or delete the "
        "library's videos, see one's statistics, or list the ones you liked",
        description="`items list` prints the library's videos, drafts too, as a table (or "
        "--json), narrowed by the filters. `items edit ITEM` changes the title, description, "
        "tags, visibility or comments (on or off) given (only those), unless someone changed the item since the "
        "command read it (--add-tag/--remove-tag then read it again and try once more); it prints the "
        "item as JSON. `items schedule ITEM WHEN` sets when a draft goes public (WHEN: "
        "RFC 3339, or YYYY-MM-DD HH:MM in this machine's time zone; --cancel: no longer); "
        "it prints the item as JSON. `items download ITEM` saves its original file (the "
        "upload, or the file that replaced it, as stored for streaming: an MP4 or MOV whose "
        "index was at its end has it moved to the front, the same picture and sound but not "
        "the same bytes) at --output or under its title, with a "
        "progress line, going on from a file cut short; it prints where it went. "
        "`items share ITEM` makes a share link, by which anyone who has it watches that "
        "published video without an account (--expires-in-days N: for N days, 1 to 365; "
        "otherwise it never expires; --start 1:30: the link and its embed code start there), "
        "and prints it; `items shares ITEM` lists the video's "
        "links (--json), `items unshare SHARE_ID` stops one: it no longer works. "
        "`items like ITEM` likes a video and `items unlike ITEM` stops liking it (both print "
        "how many people like it); `items liked` lists the videos you liked, the most "
        "recently liked first, 20 to a page (--page N; --json). "
        "`items stats ITEM` says how a video does: its views, the time watched and how far "
        "viewers got, likes, comments and share link opens, with views and time watched by "
        "day (UTC) for the last 30 days (--days N: 1 to 365; --json). "
        "`items publish`, `unpublish` and `delete` act on "
        "each ITEM (its id), or on every video the filters select, one at a time with a "
        "line each, leaving alone those already so (`unpublish` cancels a scheduled "
        "draft's schedule); they print what was done as JSON. "
        "`delete` names the videos and asks first (--yes: without asking; needed where no "
        "terminal can answer); the videos deleted already are listed as gone, not failed, "
        "so a cleanup run again succeeds. Exit 1 if any could not be changed (4 if none of "
        "them exists).",
        options=(
            _action(
                "list",
                "edit",
                "schedule",
                "download",
                *SHARE_ACTIONS,
                *LIKE_ACTIONS,
                STATS_ACTION,
                *ACTIONS,
            ),
            option(
                "items",
                type=item_or_word,
                nargs="*",
                metavar="ITEM",
                help="an item's id (schedule: ITEM WHEN; unshare: a share link's id)",
            ),
            option(
                "--expires-in-days",
                type=int,
                default=None,
                metavar="N",
                help="share: the link works for N days (1 to 365; default: it never expires)",
            ),
            option(
                "--start",
                metavar="TIME",
                help="share: the link and embed code start the video at TIME (1:30, 90, 1m30s)",
            ),
            option("--cancel", action="store_true", help="schedule: publish it at no set time"),
            option("--title", help="edit: the new title"),
            option("--description", help="edit: the new description"),
            option(
                "--description-file",
                metavar="FILE",
                help="edit: the new description from FILE (`-`: standard input)",
            ),
            option(
                "--tags", metavar="A,B", help="edit: all the tags, comma-separated (`''`: none)"
            ),
            option(
                "--add-tag", action="append", metavar="TAG", help="edit: add this tag (repeatable)"
            ),
            option(
                "--remove-tag",
                action="append",
                metavar="TAG",
                help="edit: remove this tag (repeatable)",
            ),
            option(
                "--status",
                choices=get_args(StatusFilter),
                help="drafts, scheduled drafts, published or all",
            ),
            option(
                "--processing",
                type=processing_filter,
                metavar="STATE",
                help=f"in this processing state: {PROCESSING_WORDS}, in the API's words or the "
                "web Library's (in brackets), any case; `outdated`: transcoded by an older version",
            ),
            option(
                "--visibility",
                choices=get_args(MediaVisibility),
                help="edit: listed (in Browse and search) or unlisted (only people with the "
                "link watch it); otherwise: only the listed or the unlisted videos",
            ),
            option(
                "--comments",
                choices=("on", "off"),
                help="edit: on (viewers read and post comments) or off (none shown, none posted)",
            ),
            option("--search", metavar="WORDS", help="title, description and tags contain these"),
            option("--tag", help="tagged so"),
            option(
                "--sort",
                choices=get_args(SortOrder),
                help="list in this order (default newest first; with --status scheduled, "
                "due: the soonest publish time first)",
            ),
            option(
                "--json",
                action="store_true",
                help="list, share, shares, like, unlike, liked, stats: print the server's answer "
                "as JSON (share: the link, its id, url and expiry)",
            ),
            option(
                "--page",
                type=int,
                default=None,
                metavar="N",
                help="liked: show the Nth page of 20 (default 1)",
            ),
            option(
                "--days",
                type=int,
                default=None,
                metavar="N",
                help="stats: the last N days, today the last (1 to 365; default 30)",
            ),
            option("--yes", action="store_true", help="delete: without asking"),
            option(
                "--output",
                type=Path,
                metavar="PATH",
                help="download: save here (default: the title and the original's extension, "
                "in this folder); a file there cut short is finished",
            ),
            _SERVER,
            _TOKEN,
        ),
    ),
    Subcommand(
        "uploads",
        run_uploads,
        help="list unfinished uploads, or cancel one",
        description="List every uploader's unfinished (resumable) uploads, the longest idle "
        "first: bytes received of the whole, how long since bytes last came, when the "
        "server drops it unless it goes on, and who started it (--json: as the server gives "
        "them). With --cancel, cancel one: its stored bytes are deleted at once.",
        options=(
            option(
                "--cancel",
                type=uuid.UUID,
                default=None,
                metavar="ID",
                help="cancel the upload with this id (from the list)",
            ),
            option("--json", action="store_true", help="print the uploads as JSON"),
            _SERVER,
            _TOKEN,
        ),
    ),
    Subcommand(
        "users",
        run_users,
        help="list accounts; disable, enable, set a role or email, reset a password or "
        "two-factor authentication",
        description="`users list` prints every account (id, role, enabled or disabled, when "
        "made, the day it last signed in or never, email, name) as a table, or --json. `users disable USER` signs every session "
        "of it out and refuses its sign-in until `users enable USER`; `users role USER "
        "admin|viewer` sets its role; `users email USER NEW_EMAIL` changes the email it signs "
        "in with (its sessions stay); `users password-reset USER` prints a single-use link "
        "that sets a new password within an hour (earlier ones stop working). USER is an id "
        "or an email. `users two-factor-off USER` turns off their two-factor authentication "
        "(they lost their phone and their recovery codes): they sign in with their password "
        "alone until they set it up again. "
        "The last enabled admin cannot be demoted or disabled. Demoting or disabling an "
        "admin stops every share link they made, for good: how many is said first, then "
        "asked (--yes: without asking; needed where no terminal can answer); nothing is asked "
        "when they made none. Each change "
        "prints the user (or the reset) as JSON; exit 1 when the server refuses or the "
        "question is answered no.",
        options=(
            _action("list", *CHANGES, "password-reset", "two-factor-off"),
            option("user", nargs="?", metavar="USER", help="the user's id or email"),
            option(
                "value",
                nargs="?",
                metavar="ROLE|EMAIL",
                help="role: the new role, "
                + " or ".join(get_args(Role))
                + "; email: the new email",
            ),
            option("--json", action="store_true", help="list: print the users as JSON"),
            option(
                "--yes",
                action="store_true",
                help="disable, role: stop the admin's share links without asking",
            ),
            _SERVER,
            _TOKEN,
        ),
    ),
    Subcommand(
        "invites",
        run_invites,
        help="list, create or revoke registration invites",
        description="`invites list` prints the invites still usable (--all: the used, revoked "
        "and expired ones too) as a table, or --json. `invites create` makes a single-use "
        "code, printed only now with the invite as JSON, with --note to tell it apart and "
        "--expires for how long it lasts (the server's default: 7 days), --email to have the "
        "server mail its link. `invites revoke ID` "
        "revokes an unused one (the server keeps no code, so an invite is named by its id). "
        "Exit 1 when the server refuses.",
        options=(
            _action("list", "create", "revoke"),
            option("invite", nargs="?", metavar="ID", help="revoke: the invite's id"),
            option("--all", action="store_true", help="list: used, revoked and expired too"),
            option(
                "--json",
                action="store_true",
                help="list: print the invites as JSON (create always does)",
            ),
            option("--note", default=None, help="create: a note that tells the invite apart"),
            option(
                "--email",
                default=None,
                metavar="ADDRESS",
                help="create: mail the invite's link to this address (the server must send mail)",
            ),
            option(
                "--expires",
                type=lifetime,
                default=None,
                metavar="DURATION",
                help="create: how long the code lasts, hours (48h) or days (7d)",
            ),
            _SERVER,
            _TOKEN,
        ),
    ),
    Subcommand(
        "comments",
        run_comments,
        help="list comments or a comment's replies, delete or report one, or dismiss its reports",
        description="`comments list ITEM` prints the video's newest comments (--limit, "
        "default 20) as a table: when, who wrote it, how many replies it has, its first line "
        "and its id; it says when comments are off for the video. `comments replies "
        "COMMENT_ID` prints a comment's replies the same way, oldest first (--limit; both "
        "--json). "
        "`comments list` without a video prints every "
        "video's newest comments with the video's title, the author's account id and how many "
        "people reported each "
        "(an admin); --reported only the reported ones, the most recently reported first; "
        "--author USER (an account's id or email) one member's alone. "
        "`comments delete COMMENT_ID` deletes one: an admin any, anyone else their own. "
        "`comments delete --author USER` (an admin) says how many comments the member wrote, "
        "asks, then deletes every one of them (others' replies to them stay) and prints how many "
        "went "
        "as JSON (--yes: without asking; needed where no terminal can answer). "
        "`comments report COMMENT_ID` tells the administrators someone else's comment needs "
        "a look (--reason: why). `comments dismiss COMMENT_ID` clears a comment's reports and "
        "keeps it (an admin). Exit 1 when the server refuses.",
        options=(
            _action("list", "replies", "delete", "report", "dismiss"),
            option(
                "target",
                nargs="?",
                default=None,
                metavar="ITEM|COMMENT_ID",
                help="list: the video's id (none: every video's); otherwise the comment's id",
            ),
            option(
                "--limit",
                type=int,
                default=None,
                metavar="N",
                help=f"list, replies: at most N comments (1 to {LIST_LIMIT_MAX}, default 20)",
            ),
            option(
                "--reported",
                action="store_true",
                help="list without a video: only reported comments, most recently reported first",
            ),
            option(
                "--reason",
                default=None,
                metavar="TEXT",
                help="report: why (optional)",
            ),
            option(
                "--author",
                default=None,
                metavar="USER",
                help="list, delete (an admin): that member's comments (their account's id or email)",
            ),
            option("--yes", action="store_true", help="delete --author: without asking"),
            option("--json", action="store_true", help="list, replies: print the comments as JSON"),
            _SERVER,
            _TOKEN,
        ),
    ),
    Subcommand(
        "transcode",
        run_transcode,
        help="transcode items again (failed ones, or after an upgrade)",
        description="Queue the transcoding of each ITEM (its id), or with --failed of every "
        "item whose transcoding failed, again, from its stored original: once what made it "
        "fail is fixed, or to give a ready item what a newer version makes (every audio "
        "track, say; it plays its package meanwhile). --outdated queues every item this "
        "version would make more of (after an upgrade). An item whose job is queued or "
        "running is refused, unless --force (for jobs the queue lost: NATS's store lost or "
        "recreated); prints a line for each item, its id, where it is and its title, or "
        "with --json the item (with --wait, once its transcoding is over: all are queued "
        "first, then followed in turn).",
        options=(
            _ITEMS,
            option("--failed", action="store_true", help="every item whose transcoding failed"),
            option(
                "--outdated",
                action="store_true",
                help="every video never transcoded, or transcoded by an older version",
            ),
            option(
                "--force",
                action="store_true",
                help="queue the named items even if a job is queued or running for them "
                "(a job the queue lost; one it did not lose runs twice)",
            ),
            option("--json", action="store_true", help="print each item as JSON"),
            _SERVER,
            _TOKEN,
            _WAIT,
        ),
    ),
    Subcommand(
        "captions",
        run_captions,
        help="list, add or remove an item's caption tracks",
        description="`captions list ITEM` prints the item's caption tracks (language, label, "
        "and whether an admin uploaded it or it came inside the video), or --json. "
        "`captions add ITEM LANGUAGE FILE` adds the WebVTT or SubRip FILE as the track in "
        "LANGUAGE (a BCP 47 tag: en, pt-BR), replacing one there (a FILE not saved as "
        "UTF-8 is read in the --encoding it was saved in); `captions remove ITEM "
        "LANGUAGE` removes it. Both print the item's tracks as JSON after the change; exit 1 "
        "when the server refuses (nothing changed then).",
        options=(
            _action("list", "add", "remove"),
            option("item", type=uuid.UUID, metavar="ITEM", help="the item's id"),
            option("language", nargs="?", metavar="LANGUAGE", help="the track's language"),
            option("file", type=Path, nargs="?", metavar="FILE", help="add: the caption file"),
            option(
                "--label",
                default=None,
                help="add: what the player's menu shows (default: the replaced track's label, "
                "or the language)",
            ),
            option(
                "--encoding",
                default=None,
                type=str.lower,  # labels are said in any case (Shift_JIS, Windows-1251)
                choices=[encoding.label for encoding in CAPTION_ENCODINGS],
                metavar="ENCODING",
                help="add: the encoding FILE was saved in, if it is not UTF-8: "
                + ", ".join(f"{e.label} ({e.name.split(' (')[0]})" for e in CAPTION_ENCODINGS),
            ),
            option("--json", action="store_true", help="list: print the tracks as JSON"),
            _SERVER,
            _TOKEN,
        ),
    ),
    Subcommand(
        "thumbnail",
        run_thumbnail,
        help="make an item's thumbnail of a frame, of an image, or the automatic one again",
        description="Make the thumbnail and poster of ITEM (its id) again: of the frame of "
        "its stored original at --at, of an image file (--image: a JPEG, PNG or WebP, at "
        f"most {STILL_IMAGE_MAX_BYTES // 2**20} MiB and {STILL_IMAGE_MAX_SIDE} pixels a side), "
        "or as processing made them (--default: its "
        "frame at 1 s, a sound's cover); prints the new stills' URLs as JSON. Pages loaded "
        "after it show the new one.",
        options=(
            option("item", type=uuid.UUID, metavar="ITEM", help="the item's id"),
            option(
                "--at",
                type=moment,
                metavar="MOMENT",
                help="seconds (12.5) or a clock (1:05, 1:02:05) from the start of the video",
            ),
            option("--image", metavar="FILE", help="a JPEG, PNG or WebP image file"),
            option(
                "--default",
                action="store_true",
                help="the automatic thumbnail again (replacing a chosen frame or image)",
            ),
            _SERVER,
            _TOKEN,
        ),
    ),
    Subcommand(
        "probe",
        run_probe,
        help="read items' files again (chapters, the main sound track)",
        description="Read the stored original of each ITEM (its id), or with --all of every "
        "item in the library, again, as an upload is read now, and record what it finds: "
        "chapters, codecs (the main sound track's), picture size, frame rate, and the length "
        "of an item with no HLS package. For items uploaded before chapters were read. Shows "
        "a progress line and each item it could not read; prints the tally as JSON (which "
        "items changed and got chapters, which failed and why). Exit 1 if any failed.",
        options=(
            _ITEMS,
            option("--all", action="store_true", help="every item in the library, drafts too"),
            _SERVER,
            _TOKEN,
        ),
    ),
    Subcommand(
        "storage",
        run_storage,
        help="audit the buckets for objects of no item (orphans), and delete them",
        description="`storage audit` lists the media and thumbnails buckets on the server "
        "and reports, per bucket, its objects, its orphans (objects of no item and no "
        "unfinished upload, older than STREAMSTACK_INGEST_ORPHAN_GRACE_SECONDS: left by a "
        "take-down given up, a restored database backup, a crash mid-upload) and the keys "
        "it does not recognise (never deleted). With --delete, shows the report, asks, "
        "and deletes the orphans the server's fresh audit finds, printing what went (--yes: "
        "without asking; needed where no terminal can answer). It also names the items whose "
        "files the database records but the buckets lack (a bucket restored from an older "
        "backup) or hold cut short, what viewers get meanwhile and what to do about each. "
        "Exit 1 while any item is missing files or has damaged ones (for cron and "
        "monitoring), if the server cannot be reached or refuses, or the deletion is "
        "declined. --grace SECONDS judges younger objects for "
        "this run (0 right after restoring a database dump); with --delete and --grace 0 "
        "run it while nobody uploads: a file being sent in one request (not resumable) has "
        "no item yet and would be deleted.",
        options=(
            option("action", choices=("audit",), metavar="audit", help="the one action: audit"),
            option(
                "--grace",
                type=audit_grace,
                default=None,
                metavar="SECONDS",
                help="objects of no item younger than this are left alone in this run "
                f"(0-{AUDIT_GRACE_MAX_SECONDS}; default: the server's "
                "STREAMSTACK_INGEST_ORPHAN_GRACE_SECONDS)",
            ),
            option("--delete", action="store_true", help="delete the orphans (asks first)"),
            option("--yes", action="store_true", help="with --delete: delete without asking"),
            option(
                "--limit",
                type=int,
                default=20,
                choices=range(LIST_LIMIT_MAX + 1),
                metavar="N",
                help=f"orphans and unrecognised keys named per bucket (0-{LIST_LIMIT_MAX}, "
                "default 20; all are counted)",
            ),
            option("--json", action="store_true", help="print the server's answer as JSON"),
            _SERVER,
            _TOKEN,
        ),
    ),
)
