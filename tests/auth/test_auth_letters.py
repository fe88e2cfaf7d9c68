"""The words of auth's mails: a browser named plainly, an address masked, no link in a notice."""

from __future__ import annotations

import datetime
import uuid

import msgspec
import pytest

from streamstack.auth import letters
from streamstack.auth.unsubscribe import Links
from streamstack.contracts.catalogue import ORIGINAL_MISSING_DETAIL

AT = datetime.datetime(2026, 3, 1, 9, 5, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("user_agent", "named"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            "Safari on iPhone",
        ),
        ("Mozilla/5.0 (Linux; Android 15) Chrome/131.0 Mobile Safari/537.36", "Chrome on Android"),
        ("curl/8.5.0", "curl/8.5.0"),
        ("x" * 200, "x" * 59 + "…"),
        (None, None),
        ("", None),
    ],
)
def test_a_browser_is_named_plainly(user_agent, named):
    assert letters.device(user_agent) == named


def test_an_address_is_masked_but_for_its_first_letter():
    assert letters.masked_email("nina.thief@example.org") == "n***@example.org"


def test_a_notice_without_a_known_browser_says_no_from_line_and_carries_no_link():
    mail = letters.two_factor_off(
        letters.Change("a@example.org", AT, site="Herons Film Club"), by_admin=True
    )
    assert mail.to == "a@example.org"
    assert mail.link is None
    assert "When: 01 March 2026 at 09:05 UTC" in mail.text
    assert "From:" not in mail.text
    assert "http" not in mail.text
    assert "for your Herons Film Club account a@example.org" in mail.text
    assert "If you did not expect this, ask an administrator of Herons Film Club" in mail.text


ORIGIN = "https://video.example.org"
#: A mail's one-click links, as the service makes them (their token aside).
STOP = Links(post=f"{ORIGIN}/api/v1/auth/unsubscribe?t=1", page=f"{ORIGIN}/unsubscribe#t=1")


def reply_letter(**overrides: str | bool) -> letters.ReplyLetter:
    """A reply letter of Bob's on "Herons", with ``overrides``."""
    facts = {
        "replier_name": "Bob",
        "item_title": "Herons",
        "excerpt": "A heron.",
        "link_path": "/watch/0b1e",
    } | overrides
    return letters.ReplyLetter(user_id=uuid.uuid4(), **facts)


def test_a_reply_mail_says_who_where_what_and_how_to_stop() -> None:
    mail = letters.reply_mail("ada@example.org", reply_letter(), ORIGIN, STOP)
    assert (mail.to, mail.subject) == ("ada@example.org", 'Bob replied to your comment on "Herons"')
    assert mail.link == "https://video.example.org/watch/0b1e"
    assert mail.text == (
        "Hello,\n\n"
        'Bob replied to your comment on "Herons":\n\n'
        "> A heron.\n\n"
        "To read the conversation and answer, open the video:\n\n"
        "https://video.example.org/watch/0b1e\n\n"
        "You get this mail because someone replied to your comment. To stop these mails, "
        "open https://video.example.org/unsubscribe#t=1 and press the button, or "
        'untick "Email me when someone replies to my comments" on your Account page: '
        "https://video.example.org/account\n"
    )
    message = mail.message("StreamStack <no-reply@video.example.org>")
    assert message["List-Unsubscribe"] == f"<{STOP.post}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_reply_mail_names_an_admin_as_one_and_a_viewer_not() -> None:
    """Security walk F1: a viewer named "Admin" was mailed as the admin is."""
    admins = letters.reply_mail("ada@example.org", reply_letter(by_admin=True), ORIGIN, STOP)
    viewers = letters.reply_mail("ada@example.org", reply_letter(replier_name="Bob"), ORIGIN, STOP)
    assert admins.subject == 'Bob (admin) replied to your comment on "Herons"'
    assert 'Bob (admin) replied to your comment on "Herons":' in admins.text
    assert viewers.subject == 'Bob replied to your comment on "Herons"'
    assert "(admin)" not in viewers.text


def test_a_reply_mail_keeps_markup_as_text_and_its_subject_on_one_line() -> None:
    letter = reply_letter(
        replier_name="Eve\r\nBcc: all@example.org",
        item_title="<b>Herons</b>\n" + "long " * 40,
        excerpt="<script>alert(1)</script>\n\nsecond",
    )
    mail = letters.reply_mail("ada@example.org", letter, ORIGIN, STOP)
    assert "\n" not in mail.subject and "\r" not in mail.subject
    assert mail.subject.startswith('Eve Bcc: all@example.org replied to your comment on "<b>Herons')
    assert mail.subject.endswith('…"')
    assert "> <script>alert(1)</script>\n>\n> second\n" in mail.text  # shown as typed
    message = mail.message("StreamStack <no-reply@video.example.org>")
    assert message.get_content_type() == "text/plain"
    assert message["Bcc"] is None
    assert message["List-Unsubscribe"] == f"<{STOP.post}>"


def test_a_failed_transcode_mail_says_which_why_whether_it_plays_and_how_to_stop() -> None:
    letter = letters.FailedTranscodeLetter(
        user_id=uuid.uuid4(),
        item_title="Herons",
        detail="no video stream decodes",
        still_plays=False,
        link_path="/admin/library?processing=failed",
    )
    mail = letters.failed_transcode_mail(
        "ann@example.org", letter, ORIGIN, "Herons Film Club", STOP
    )
    assert (mail.to, mail.subject) == ("ann@example.org", 'A video failed to transcode: "Herons"')
    assert mail.link == "https://video.example.org/admin/library?processing=failed"
    assert mail.text == (
        "Hello,\n\n"
        'Herons Film Club could not transcode the video "Herons" and has given up on it:\n\n'
        "> no video stream decodes\n\n"
        "It does not play until it is transcoded. In the Library's failed videos you can "
        "transcode it again, or replace or delete it:\n\n"
        "https://video.example.org/admin/library?processing=failed\n\n"
        "Other videos failing in the next ten minutes are not mailed: the Library lists every "
        "failed video.\n\n"
        "You get this mail because you are an administrator of Herons Film Club. To stop these "
        "mails, open https://video.example.org/unsubscribe#t=1 and press the button, or untick "
        '"Email me when a video fails to transcode or a comment is reported" on your Account '
        "page: https://video.example.org/account\n"
    )
    assert mail.unsubscribe == STOP.post
    playing = msgspec.structs.replace(letter, still_plays=True)
    text = letters.failed_transcode_mail("ann@example.org", playing, ORIGIN, "Herons", STOP).text
    assert "Viewers can still play it as it was. In the Library's failed videos" in text


@pytest.mark.parametrize(
    ("still_plays", "said"),
    [
        (False, "Its video file is missing, so transcoding it again cannot help. In the"),
        (True, "cannot help. Viewers see the version it had until then. In the Library's"),
    ],
)
def test_a_failed_transcode_of_a_missing_original_does_not_promise_it_plays(
    still_plays: bool, said: str
) -> None:
    # The walk's finding: an item registered without its file failed to transcode, and the
    # mail said "Viewers can still play it as it was" of a file that was not there.
    letter = letters.FailedTranscodeLetter(
        user_id=uuid.uuid4(),
        item_title="Herons",
        detail=ORIGINAL_MISSING_DETAIL,
        still_plays=still_plays,
        link_path="/admin/library?processing=failed",
    )
    text = letters.failed_transcode_mail("ann@example.org", letter, ORIGIN, "Herons", STOP).text
    assert said in text
    assert "upload the file again (Replace video file) or delete the video:\n\n" in text
    assert "still play" not in text and "transcode it again, or" not in text


def test_a_reported_comment_mail_quotes_it_names_the_reason_and_keeps_one_line_subjects() -> None:
    letter = letters.ReportedCommentLetter(
        user_id=uuid.uuid4(),
        item_title="<b>Herons</b>\r\nBcc: all@example.org " + "long " * 40,
        excerpt="<script>alert(1)</script>\n\nbuy now",
        reason=None,
        link_path="/admin/comments?reported=1",
    )
    mail = letters.reported_comment_mail("ann@example.org", letter, ORIGIN, "Herons", STOP)
    assert "\n" not in mail.subject and "\r" not in mail.subject
    assert mail.subject.startswith('A comment was reported on "<b>Herons</b> Bcc: all@example.org')
    assert mail.subject.endswith('…"')
    assert mail.text.startswith('Hello,\n\nA viewer reported a comment on "<b>Herons</b> Bcc:')
    assert "> <script>alert(1)</script>\n>\n> buy now\n\nNo reason given.\n\n" in mail.text
    assert (
        "To read it and dismiss the report or delete the comment, open the reported "
        "comments:\n\nhttps://video.example.org/admin/comments?reported=1\n\n"
    ) in mail.text
    assert "Other reports in the next ten minutes are not mailed" in mail.text
    given = msgspec.structs.replace(letter, reason="spam\nBcc: x")
    text = letters.reported_comment_mail("ann@example.org", given, ORIGIN, "Herons", STOP).text
    assert "\nThe reason given: spam Bcc: x\n" in text
    message = mail.message("StreamStack <no-reply@video.example.org>")
    assert message.get_content_type() == "text/plain"
    assert message["Bcc"] is None
    assert message["List-Unsubscribe"] == f"<{STOP.post}>"


def test_a_password_notice_owed_before_it_could_name_a_cancelled_email_still_reads() -> None:
    stored = (
        b'{"type":"notice","subject":"password_changed","to":"a@example.org",'
        b'"at":"2026-03-01T09:05:00Z","user_agent":null,"by":"reset","new_email":null}'
    )
    notice = msgspec.json.decode(stored, type=letters.Letter)
    assert isinstance(notice, letters.Notice)
    mail = letters.notice_mail(notice, "Herons Film Club")
    assert "was changed with a password reset link" in mail.text
    assert "sign-in email" not in mail.text
