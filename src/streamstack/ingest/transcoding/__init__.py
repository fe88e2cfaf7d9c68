"""Transcoding: one uploaded video into an HLS ladder and seek-preview storyboards.

The job worker spools the original to a bounded local file and calls
:func:`streamstack.ingest.transcoding.pipeline.transcode` in the media sandbox; the
arguments are plain picklable values and this package imports only PyAV, msgspec and the
standard library::

    result = await sandbox.call(
        transcode, str(spooled), str(output_dir), TranscodeOptions(demuxer=demuxer),
        returns=TranscodeResult,
        limits=Limits(
            memory_bytes=address_space_bytes(width, height),  # ladder.address_space_bytes
            file_bytes=2**30, open_files=32, workdir=str(scratch),
        ),
        seconds=..., progress=(Progress, on_progress),
    )
    # SandboxRaised(kind="TranscodeError") -> TranscodeError(*arguments): mark failed.

Then it uploads ``result.files`` in their order (audio tracks, lowest rung first, master
playlist last)
under the item's prefix. All rungs come out of one decoding pass and finish together; a
worker that wants an item playable early runs ``TranscodeOptions(max_rungs=1)`` first and
the whole ladder after, whose package replaces the first one.

- :mod:`.ladder` -- which rungs, their sizes and bitrate caps (the table), H.264
  profile and level, frame rate, GOP, and the memory a transcode needs;
- :mod:`.timeline` -- deinterlacing, rotation and the constant-rate output timeline
  (variable frame rate sources stay in sync); :mod:`.hdr` -- PQ/HLG to SDR BT.709;
- :mod:`.rendition` -- one rung (scale, x264) or one audio track (AAC), each in its own
  thread, the FFmpeg ``hls`` muxer writing CMAF (fragmented MP4) segments;
- :mod:`.soundtracks` -- which audio tracks of the source are kept, what the master
  playlist calls them, and their way onto the video's timeline; :mod:`.languages` -- a
  stream's language tag and title, for audio and subtitle tracks alike;
- :mod:`.playlists` and :mod:`.packaging` -- the master playlist (bandwidths measured
  from the segments, codec strings read from the encoder's SPS) and the result;
- :mod:`.storyboard` -- JPEG sprite sheets and their WebVTT;
- :mod:`.staging` -- everything is written under a temporary name and renamed into place
  at the end, so a killed run never leaves a playlist listing a partial rendition;
- :mod:`.pipeline` -- the entry point and the decoding loop; :mod:`.results` and
  :mod:`.errors` -- what goes in and comes out.

Audio-only input is refused (:class:`.errors.TranscodeError` with reason ``no_video``);
ingest queues no job for it: such items play from their original
(:func:`streamstack.ingest.jobs.needs_transcoding`).
"""
