"""Why a transcode failed, in a code the worker stores and words a person can act on."""

from __future__ import annotations

#: The failure codes and what they mean to the uploader.
REASONS = {
    "unreadable": "the file could not be read: it may be damaged or truncated",
    "no_video": "the file has neither a video nor an audio stream",
    "no_frame": "no video frame (or, in a file of sound alone, no sound) could be decoded",
    "too_large": "the video's frame size is larger than allowed",
    "too_small": "the video's picture is too small to transcode",
    "encode_failed": "encoding the video failed",
    "out_of_memory": "transcoding this video needs more memory than the worker allows",
}


#: Reasons that mean the original cannot be read through: it would not play as it is either.
ORIGINAL_UNREADABLE = frozenset({"unreadable", "no_video", "no_frame"})


class TranscodeError(Exception):
    """A transcode that cannot succeed on this input; ``reason`` is a key of ``REASONS``.

    Retrying does not help (the input is the problem), so the worker marks the item
    ``failed`` with :attr:`message` instead of redelivering the job.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        # Both values go to Exception.args, so the error pickles across the sandbox's pipe.
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail

    @property
    def message(self) -> str:
        """The reason in a person's words, with the technical detail when there is one."""
        text = REASONS.get(self.reason, self.reason)
        return f"{text} ({self.detail})" if self.detail else text

    def __str__(self) -> str:
        return self.message
