"""Transcoding: one uploaded video into an HLS ladder and seek-preview storyboards.

The job worker spools the original to a bounded local file and calls
:func:`streamstack.ingest.transcoding.pipeline.transcode` (in a sandboxed child
process: the arguments are plain picklable values and this package imports only PyAV,
msgspec and the standard library). One decoding pass feeds every rung and the
storyboard; what is written, and why each choice, is in the submodules:

- :mod:`.ladder` -- which rungs, their sizes and bitrate caps (the table), H.264
  profile and level, frame rate, GOP;
- :mod:`.timeline` -- rotation, even sizes and the constant-rate output timeline
  (variable frame rate sources stay in sync);
- :mod:`.rendition` -- one rung: scale, x264, AAC, the FFmpeg ``hls`` muxer writing
  CMAF (fragmented MP4) segments;
- :mod:`.playlists` -- the master playlist (bandwidths measured from the segments,
  codec strings read from the encoder's SPS);
- :mod:`.storyboard` -- JPEG sprite sheets and their WebVTT;
- :mod:`.staging` -- everything is written under a temporary name and renamed into place
  at the end, so a killed run never leaves a playlist listing a partial rendition.

Audio-only input is refused (:class:`.errors.TranscodeError` with reason ``no_video``).
Note that ingest itself accepts audio-only uploads today (stored as ``audio/mp4``); the
worker should play such items from their original instead of transcoding them.
"""
