/** Runs `then` once `video` knows its length (now, if it does); the returned function calls it off. */
export function whenMetadata(video: HTMLVideoElement, then: () => void): () => void {
  if (video.readyState >= 1) {
    then();
    return () => undefined;
  }
  video.addEventListener("loadedmetadata", then, { once: true });
  return () => video.removeEventListener("loadedmetadata", then);
}

/**
 * Plays from `time` now, not once the video knows its length: on a slow link that took
 * 10 s under a big play button at 0:00, the press seemingly lost. Before the metadata the
 * time is only where the video will start, so it is set again once the video has it.
 */
export function playFrom(video: HTMLVideoElement | null, time: number): void {
  if (!video) return;
  video.currentTime = time;
  void video.play()?.catch(() => undefined);
  whenMetadata(video, () => {
    if (video.currentTime !== time) video.currentTime = time;
  });
}
