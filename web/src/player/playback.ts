/** Runs `then` once `video` knows its length (now, if it does); the returned function calls it off. */
export function whenMetadata(video: HTMLVideoElement, then: () => void): () => void {
  if (video.readyState >= 1) {
    then();
    return () => undefined;
  }
  video.addEventListener("loadedmetadata", then, { once: true });
  return () => video.removeEventListener("loadedmetadata", then);
}

/** Starts playing at `time`, once the video knows its length. */
export function playFrom(video: HTMLVideoElement | null, time: number): void {
  if (!video) return;
  whenMetadata(video, () => {
    video.currentTime = time;
    void video.play()?.catch(() => undefined);
  });
}
