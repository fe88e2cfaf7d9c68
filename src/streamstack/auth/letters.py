"""The mails the auth module sends: reset links, links that confirm a new sign-in email,
security notices, invites, replies to one's comments, and admins' notices (a video that
failed to transcode, a comment reported).

Plain text and short. A notice says what changed, when (UTC), from which browser or
device when the service knows it, and what to do if it was not the owner; it carries no
link that signs anyone in (a mail can be forwarded, or read by whoever took the inbox).

A mail owed is first a *letter*: its kind and the few facts its writer needs, kept in the
database until it is sent (:class:`ResetLetter`, :class:`InviteLetter`,
:class:`EmailConfirmLetter`, :class:`Notice`, :class:`ReplyLetter`,
:class:`FailedTranscodeLetter`, :class:`ReportedCommentLetter`).
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import uuid
from collections.abc import Sequence
from typing import ClassVar, Literal

import msgspec

from streamstack.auth.unsubscribe import Links
from streamstack.contracts.catalogue import ORIGINAL_MISSING_DETAIL
from streamstack.kernel.mail import Mail

#: The Account page, where a reply mail says its reader can stop them.
ACCOUNT_PATH = "/account"
#: The label of the Account page's checkbox, which a reply mail names (as the page does).
REPLY_MAIL_CHOICE = "Email me when someone replies to my comments"
#: The label of the Account page's checkbox (admins only), which an admin's notice names.
ADMIN_MAIL_CHOICE = "Email me when a video fails to transcode or a comment is reported"
#: How long after an admin's notice others of its kind are not mailed, in its words.
ADMIN_QUIET_WORDS = "ten minutes"
#: The most of a video's title a reply mail's subject names.
SUBJECT_TITLE_MAX = 80
#: The longest device description a notice quotes from a User-Agent it cannot name.
DEVICE_MAX_CHARS = 60
#: What a notice of the owner's own change says (an admin's says what fits).
IF_YOU = "If this was you, there is nothing to do."
IF_NOT_YOU = (
    "If this was not you, sign in and change your password now (or use "
    '"Forgot your password?"), then check your two-factor authentication; if you can no '
    "longer sign in, ask an administrator of {site} for help."
)
#: What a notice of a change an admin made says: it was not the owner's, whatever they did.
IF_UNEXPECTED = "If you did not expect this, ask an administrator of {site} about it."
#: To an address that no longer signs in: neither signing in nor a reset link works with it.
IF_NOT_YOU_OLD_EMAIL = (
    "If this was not you, ask an administrator of {site} to restore it: you can no longer "
    "sign in with this address."
)
_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("streamstack", "the streamstack command"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


@dataclasses.dataclass(frozen=True, slots=True)
class Change:
    """A change to an account that its owner is told of: to whom, when, from what, on
    which server (``site``: ``STREAMSTACK_SITE_NAME``, as the mails name it)."""

    to: str
    at: datetime.datetime
    user_agent: str | None = None
    site: str = dataclasses.field(kw_only=True)


class ResetLetter(msgspec.Struct, frozen=True, tag="reset"):
    """A reset link asked for ``email``: the code is issued when the mail is written, and
    only if an enabled account has the email (the request reads no account)."""

    KIND: ClassVar[str] = "reset_mail"
    email: str


class InviteLetter(msgspec.Struct, frozen=True, tag="invite"):
    """The link of invite ``invite_id``, its code sealed (``kernel/sealing.py``, bound to the
    invite): the invite keeps only the code's hash, and the admin holds the same code (the
    mailed link also names the address, for the register page to fill in)."""

    KIND: ClassVar[str] = "invite_mail"
    invite_id: uuid.UUID
    sealed_code: str


class EmailConfirmLetter(msgspec.Struct, frozen=True, tag="email_confirm"):
    """The link that makes pending email ``pending_id`` its account's sign-in email, its
    code sealed (``kernel/sealing.py``, bound to the pending email): only the code's hash
    is kept, and nothing is sent once the code is used, withdrawn or expired."""

    KIND: ClassVar[str] = "email_confirm_mail"
    pending_id: uuid.UUID
    sealed_code: str


def email_confirm_context(pending_id: uuid.UUID) -> str:
    """What a pending email's sealed code is bound to: it opens for that one only."""
    return f"email_confirm:{pending_id}"


def invite_context(invite_id: uuid.UUID) -> str:
    """What an owed invite's sealed code is bound to: it opens for that invite only."""
    return f"invite:{invite_id}"


#: ``email_changed`` goes to the old address, ``email_given`` to the new one (an admin's
#: change only: the owner's own was confirmed from it); ``made_admin`` and ``made_viewer``
#: tell an admin's change of the account's role.
NoticeSubject = Literal[
    "password_changed",
    "email_changed",
    "email_given",
    "made_admin",
    "made_viewer",
    "two_factor_on",
    "two_factor_off",
    "recovery_codes",
]


class Notice(msgspec.Struct, frozen=True, tag="notice"):
    """A security notice to ``to``: what changed (``subject``), when, from what; ``by`` says
    by whom or how when it matters (``reset``, ``admin``); ``new_email`` an email change's;
    ``withdrawn_email`` the change of sign-in email a new password cancelled (absent from
    notices owed before: none)."""

    KIND: ClassVar[str] = "notice_mail"
    subject: NoticeSubject
    to: str
    at: datetime.datetime
    user_agent: str | None = None
    by: Literal["owner", "reset", "admin"] = "owner"
    new_email: str | None = None
    withdrawn_email: str | None = None


class ReplyLetter(msgspec.Struct, frozen=True, tag="reply", kw_only=True):
    """A reply to a comment of account ``user_id``: who replied, on which video, what they
    said (an excerpt, plain text) and the SPA's path to read it. The address is read when
    the mail is written, and nothing is sent if the account is gone, disabled or no longer
    wants such mail by then."""

    KIND: ClassVar[str] = "reply_mail"
    user_id: uuid.UUID
    replier_name: str
    item_title: str
    excerpt: str
    link_path: str
    #: Whether the replier was an admin (named so); absent from letters owed before: not.
    by_admin: bool = False


class FailedTranscodeLetter(msgspec.Struct, frozen=True, tag="transcode_failed", kw_only=True):
    """To admin ``user_id``: the transcoding of a video failed for good (its title, the
    failure's detail, whether viewers can still play it) and the Library's path. Sent only
    if the account is still an enabled admin that wants such mail when it is written."""

    KIND: ClassVar[str] = "transcode_failed_mail"
    user_id: uuid.UUID
    item_title: str
    detail: str
    still_plays: bool
    link_path: str


class ReportedCommentLetter(msgspec.Struct, frozen=True, tag="comment_reported", kw_only=True):
    """To admin ``user_id``: a viewer reported a comment (on which video, an excerpt, the
    reason given if any) and the path of the admins' Comments page. Sent as
    :class:`FailedTranscodeLetter` is."""

    KIND: ClassVar[str] = "comment_reported_mail"
    user_id: uuid.UUID
    item_title: str
    excerpt: str
    reason: str | None
    link_path: str


#: A letter to an admin about something that needs them.
AdminLetter = FailedTranscodeLetter | ReportedCommentLetter
#: A mail owed, as recorded.
Letter = (
    ResetLetter
    | InviteLetter
    | EmailConfirmLetter
    | Notice
    | ReplyLetter
    | FailedTranscodeLetter
    | ReportedCommentLetter
)


def notice_mail(notice: Notice, site: str) -> Mail:
    """The mail of a security notice from the server named ``site``."""
    change = Change(notice.to, notice.at, notice.user_agent, site=site)
    match notice.subject:
        case "password_changed":
            return password_changed(
                change, by_reset=notice.by == "reset", withdrawn_email=notice.withdrawn_email
            )
        case "email_changed":
            return email_changed(change, notice.new_email or "", by_admin=notice.by == "admin")
        case "email_given":
            return email_given(change)
        case "made_admin" | "made_viewer":
            return role_changed(change, admin=notice.subject == "made_admin")
        case "two_factor_on":
            return two_factor_on(change)
        case "two_factor_off":
            return two_factor_off(change, by_admin=notice.by == "admin")
        case "recovery_codes":
            return recovery_codes_renewed(change)


def reset_mail(email: str, link: str, expires_at: datetime.datetime, site: str) -> Mail:
    """The mail that carries a reset link to the owner of ``email`` on the server ``site``."""
    until = expires_at.strftime("%H:%M UTC")
    text = (
        "Hello,\n\n"
        f"Someone asked to reset the password of the {site} account {email}.\n\n"
        "To choose a new password, open this link:\n\n"
        f"{link}\n\n"
        f"It works once, within an hour (until {until}).\n\n"
        "If you did not ask for this, ignore this mail: your password stays as it is.\n"
    )
    return Mail(to=email, subject=f"Reset your {site} password", text=text, link=link)


def email_confirm_mail(
    email: str, link: str, old_email: str, expires_at: datetime.datetime, site: str
) -> Mail:
    """The mail that asks the owner of ``email`` to confirm it as the sign-in email of the
    ``site`` account now signing in with ``old_email`` (shown masked: whoever did not ask
    learns no one's address)."""
    until = expires_at.strftime("%H:%M UTC")
    text = (
        "Hello,\n\n"
        f"Someone asked to sign in to {site} with this email ({email}) instead of "
        f"{masked_email(old_email)}.\n\n"
        "To make it the account's sign-in email, open this link:\n\n"
        f"{link}\n\n"
        f"It works once, within an hour (until {until}).\n\n"
        "If you did not ask for this, ignore this mail: nothing changes without you.\n"
    )
    return Mail(to=email, subject=f"Confirm your new {site} sign-in email", text=text, link=link)


def invite_mail(
    email: str, link: str, inviter: str, expires_at: datetime.datetime, site: str
) -> Mail:
    """The mail that carries an invite link to ``email``, from ``inviter`` (a name), to
    the server ``site``."""
    until = expires_at.strftime("%d %B %Y, %H:%M UTC")
    text = (
        "Hello,\n\n"
        f"{inviter} invited you to make an account on {site}, to watch its videos.\n\n"
        "To make your account, open this link:\n\n"
        f"{link}\n\n"
        f"It works once, until {until}.\n\n"
        "If you do not know who this is, ignore this mail: nothing happens without you.\n"
    )
    return Mail(to=email, subject=f"You are invited to {site}", text=text, link=link)


def reply_mail(to: str, letter: ReplyLetter, origin: str, stop: Links) -> Mail:
    """The mail telling ``to`` that someone replied to their comment: who, on which video,
    the reply quoted, the video's link at ``origin`` and how to stop these mails (``stop``,
    also its one-click header). Plain
    text, so markup in a name or a reply is shown as typed, never run; a name or title is
    one line in the subject, whatever it holds; an admin's name is followed by "(admin)",
    which a viewer's name cannot hold (auth refuses it)."""
    who, title = _one_line(letter.replier_name), _one_line(letter.item_title)
    if letter.by_admin:
        who += " (admin)"
    link = origin + letter.link_path
    text = (
        "Hello,\n\n"
        f'{who} replied to your comment on "{title}":\n\n'
        f"{_quoted(letter.excerpt)}\n\n"
        "To read the conversation and answer, open the video:\n\n"
        f"{link}\n\n"
        "You get this mail because someone replied to your comment. "
        f"{_stopping(stop, REPLY_MAIL_CHOICE, origin)}"
    )
    subject = f'{who} replied to your comment on "{_short(title)}"'
    return Mail(to=to, subject=subject, text=text, link=link, unsubscribe=stop.post)


def failed_transcode_mail(
    to: str, letter: FailedTranscodeLetter, origin: str, site: str, stop: Links
) -> Mail:
    """The mail telling admin ``to`` that a video's transcoding failed for good: which
    video, why, whether viewers still play it, the Library's link and how to stop these
    mails; plain text, the title one line in the subject."""
    title = _one_line(letter.item_title)
    link = origin + letter.link_path
    plays = _failure_consequence(letter)
    text = (
        "Hello,\n\n"
        f'{site} could not transcode the video "{title}" and has given up on it:\n\n'
        f"{_quoted(letter.detail)}\n\n"
        f"{plays}:\n\n"
        f"{link}\n\n"
        f"Other videos failing in the next {ADMIN_QUIET_WORDS} are not mailed: the Library "
        "lists every failed video.\n\n"
        f"{_admin_footer(origin, site, stop)}"
    )
    subject = f'A video failed to transcode: "{_short(title)}"'
    return Mail(to=to, subject=subject, text=text, link=link, unsubscribe=stop.post)


def _failure_consequence(letter: FailedTranscodeLetter) -> str:
    """What a failed transcode means for viewers and what the admin can do, up to the
    Library's link: a missing original plays no more and transcoding again cannot help."""
    if letter.detail == ORIGINAL_MISSING_DETAIL:
        had = " Viewers see the version it had until then." if letter.still_plays else ""
        return (
            f"Its video file is missing, so transcoding it again cannot help.{had} In the "
            "Library's failed videos you can upload the file again (Replace video file) or "
            "delete the video"
        )
    plays = (
        "Viewers can still play it as it was."
        if letter.still_plays
        else "It does not play until it is transcoded."
    )
    return f"{plays} In the Library's failed videos you can transcode it again, or replace or delete it"


def reported_comment_mail(
    to: str, letter: ReportedCommentLetter, origin: str, site: str, stop: Links
) -> Mail:
    """The mail telling admin ``to`` that a viewer reported a comment: on which video, the
    comment quoted, the reason given, the Comments page's link and how to stop these mails;
    plain text, the title one line in the subject."""
    title = _one_line(letter.item_title)
    link = origin + letter.link_path
    reason = (
        f"The reason given: {_one_line(letter.reason)}" if letter.reason else "No reason given."
    )
    text = (
        "Hello,\n\n"
        f'A viewer reported a comment on "{title}":\n\n'
        f"{_quoted(letter.excerpt)}\n\n"
        f"{reason}\n\n"
        "To read it and dismiss the report or delete the comment, open the reported "
        "comments:\n\n"
        f"{link}\n\n"
        f"Other reports in the next {ADMIN_QUIET_WORDS} are not mailed: the Comments page "
        "lists every reported comment.\n\n"
        f"{_admin_footer(origin, site, stop)}"
    )
    subject = f'A comment was reported on "{_short(title)}"'
    return Mail(to=to, subject=subject, text=text, link=link, unsubscribe=stop.post)


def _admin_footer(origin: str, site: str, stop: Links) -> str:
    """How an admin of ``site`` stops these mails."""
    return (
        f"You get this mail because you are an administrator of {site}. "
        f"{_stopping(stop, ADMIN_MAIL_CHOICE, origin)}"
    )


def _stopping(stop: Links, choice: str, origin: str) -> str:
    """How to stop mails of a kind: its one-click page, or the Account page's ``choice``."""
    return (
        f"To stop these mails, open {stop.page} and press the button, or untick "
        f'"{choice}" on your Account page: {origin}{ACCOUNT_PATH}\n'
    )


def _quoted(text: str) -> str:
    """``text`` quoted as a mail quotes, each line after "> "."""
    return "\n".join(f"> {line}".rstrip() for line in text.splitlines() or [""])


def _short(title: str) -> str:
    """A one-line title cut to :data:`SUBJECT_TITLE_MAX` characters for a subject."""
    return title if len(title) <= SUBJECT_TITLE_MAX else title[: SUBJECT_TITLE_MAX - 1] + "…"


def _one_line(text: str) -> str:
    """``text`` on one line: every run of spaces, line breaks and control characters one
    space (a header holding a line break would be refused, or forge another header)."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def password_changed(change: Change, *, by_reset: bool, withdrawn_email: str | None = None) -> Mail:
    """Notice: the password was changed, by its owner or with a reset link; and the change
    of sign-in email to ``withdrawn_email`` it cancelled, if any, named in full (the owner
    must recognise it; this mail goes to the account's own address)."""
    how = "with a password reset link" if by_reset else "from the account page"
    cancelled = (
        f"\n\nThe change of your sign-in email to {withdrawn_email}, which was waiting for "
        "its link to be opened, was cancelled too. If you asked for it, ask again on your "
        "Account page."
        if withdrawn_email
        else ""
    )
    return _notice(
        change,
        f"Your {change.site} password was changed",
        f"The password of your {change.site} account {change.to} was changed {how}. "
        f"Every other device was signed out.{cancelled}",
    )


def email_changed(change: Change, new_email: str, *, by_admin: bool = False) -> Mail:
    """Notice to the old address: the account now signs in with another email (changed by
    its owner, or by an admin), shown masked (the old mailbox may be no longer the owner's).
    What to do if it was not them fits an address that no longer signs in (walk 51 F2)."""
    who = "An administrator changed it: your" if by_admin else "Its"
    not_you = IF_NOT_YOU_OLD_EMAIL.format(site=change.site)
    return _notice(
        change,
        f"Your {change.site} sign-in email was changed",
        f"Your {change.site} account no longer signs in with {change.to}. {who} sign-in email "
        f"is now {masked_email(new_email)}. Mail about the account goes there from now on.",
        # An admin's change was not the owner's: no "if this was you".
        advice=[not_you] if by_admin else [IF_YOU, not_you],
    )


def email_given(change: Change) -> Mail:
    """Notice to the address an admin made an account's sign-in email: it signs in with it
    now, and a stranger given it by a typo is asked to say so (walk 51 F8)."""
    return _notice(
        change,
        f"Your {change.site} sign-in email is now this address",
        f"An administrator of {change.site} made this address ({change.to}) the sign-in email "
        "of your account: sign in with it from now on, with the same password. Mail about "
        "the account comes here from now on.",
        advice=[
            f"If you have no account on {change.site}, this address was given by mistake: "
            f"tell an administrator of {change.site}."
        ],
    )


def role_changed(change: Change, *, admin: bool) -> Mail:
    """Notice: an admin made the account an admin, or a viewer again, and what it can do
    now (walk 51 F8); the owner did not do it, so no "if this was you"."""
    if admin:
        subject = f"You are now an administrator of {change.site}"
        what = (
            "an administrator: you can now upload videos and manage users and comments, "
            "as well as watch and comment."
        )
    else:
        subject = f"You are no longer an administrator of {change.site}"
        what = (
            "a viewer again: you can watch videos and comment, but no longer upload videos "
            "or manage users and comments. The invites and share links you made stop working."
        )
    return _notice(
        change,
        subject,
        f"An administrator of {change.site} made your account {change.to} {what}",
        advice=[IF_UNEXPECTED.format(site=change.site)],
    )


def two_factor_on(change: Change) -> Mail:
    """Notice: two-factor authentication was turned on."""
    return _notice(
        change,
        "Two-factor authentication is on",
        f"Two-factor authentication was turned on for your {change.site} account {change.to}: "
        "signing in now takes a code from an authenticator app as well as the password. "
        "Every other device was signed out.",
    )


def two_factor_off(change: Change, *, by_admin: bool) -> Mail:
    """Notice: two-factor authentication was turned off, by its owner or by an admin (then
    no "if this was you": it was not them, but they can turn it on again)."""
    who = "An administrator turned" if by_admin else "Someone signed in as you turned"
    advice = [
        IF_UNEXPECTED.format(site=change.site),
        "To turn it on again, sign in and set it up on your Account page.",
    ]
    return _notice(
        change,
        "Two-factor authentication is off",
        f"{who} off two-factor authentication for your {change.site} account {change.to}: "
        "signing in now takes the password alone.",
        advice=advice if by_admin else None,
    )


def recovery_codes_renewed(change: Change) -> Mail:
    """Notice: new recovery codes were made (the old ones stopped working)."""
    return _notice(
        change,
        f"New recovery codes for your {change.site} account",
        f"New two-factor recovery codes were made for your {change.site} account {change.to}; "
        "the old ones no longer work.",
    )


def masked_email(email: str) -> str:
    """``email`` with its local part hidden but for its first character: ``n***@example.org``."""
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}***@{domain}"


def device(user_agent: str | None) -> str | None:
    """A short, plain name of the browser or device a User-Agent header names ("Firefox on
    Linux"), or the header's start when it names none known; None without one."""
    if not user_agent:
        return None
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or system
    short = re.sub(r"\s+", " ", user_agent).strip()
    return short if len(short) <= DEVICE_MAX_CHARS else short[: DEVICE_MAX_CHARS - 1] + "…"


def _notice(
    change: Change, subject: str, what: str, *, advice: Sequence[str] | None = None
) -> Mail:
    """A notice saying ``what`` changed, when and from what, then ``advice`` (each a
    paragraph; by default what to do if it was, or was not, the owner)."""
    when = change.at.astimezone(datetime.UTC).strftime("%d %B %Y at %H:%M UTC")
    source = device(change.user_agent)
    paragraphs = advice if advice is not None else [IF_YOU, IF_NOT_YOU.format(site=change.site)]
    lines = [
        "Hello,",
        "",
        what,
        "",
        f"When: {when}",
        *([f"From: {source}"] if source else []),
        "",
        *(line for paragraph in paragraphs for line in (paragraph, "")),
    ]
    return Mail(to=change.to, subject=subject, text="\n".join(lines))
