import type { MediaPlaylist } from "hls.js";

/**
 * A stand-in for hls.js, which cannot play in jsdom (no MediaSource). A test
 * file installs it with `vi.mock("hls.js", () => import("../test/fakeHls"))`,
 * stubs a `MediaSource` global so the player picks hls.js, and plays the
 * parts of hls.js it needs by hand (e.g. `announceAudio`). The event names
 * are hls.js's own.
 */

/** The fields of an hls.js audio track the player reads. */
export type FakeAudioTrack = Pick<MediaPlaylist, "id" | "name" | "lang" | "default" | "groupId">;

type Listener = (event: string, data?: unknown) => void;

export class FakeHls {
  static readonly Events = {
    MANIFEST_PARSED: "hlsManifestParsed",
    LEVEL_SWITCHED: "hlsLevelSwitched",
    ERROR: "hlsError",
    AUDIO_TRACKS_UPDATED: "hlsAudioTracksUpdated",
    AUDIO_TRACK_SWITCHING: "hlsAudioTrackSwitching",
    AUDIO_TRACK_SWITCHED: "hlsAudioTrackSwitched",
  } as const;
  static readonly ErrorTypes = { NETWORK_ERROR: "networkError", MEDIA_ERROR: "mediaError" } as const;
  /** Every instance made since the last `reset()`, oldest first. */
  static instances: FakeHls[] = [];
  /** Runs inside `loadSource`, i.e. before React has seen the instance (hls.js answering at once). */
  static onLoad: ((hls: FakeHls) => void) | null = null;

  static isSupported(): boolean {
    return true;
  }

  /** The newest instance (the one playing), if any. */
  static latest(): FakeHls | undefined {
    return FakeHls.instances.at(-1);
  }

  static reset(): void {
    FakeHls.instances = [];
    FakeHls.onLoad = null;
  }

  levels: { width?: number; height: number; bitrate: number }[] = [];
  currentLevel = -1;
  audioTracks: FakeAudioTrack[] = [];
  destroyed = false;
  /** What hls.js measured (bit/s); its first guess until a test sets it. */
  bandwidthEstimate: number;
  private trackId = -1;
  private listeners: { event: string; listener: Listener; once: boolean }[] = [];

  constructor(readonly config: { abrEwmaDefaultEstimate?: number } = {}) {
    FakeHls.instances.push(this);
    this.bandwidthEstimate = this.abrEwmaDefaultEstimate;
  }

  /** As hls.js: the first guess it was given (or its own 500 kbit/s). */
  get abrEwmaDefaultEstimate(): number {
    return this.config.abrEwmaDefaultEstimate ?? 500_000;
  }

  get audioTrack(): number {
    return this.trackId;
  }

  /** As hls.js: a valid index switches at once and announces AUDIO_TRACK_SWITCHING. */
  set audioTrack(index: number) {
    const track = this.audioTracks[index];
    if (!track) return;
    this.trackId = index;
    this.trigger(FakeHls.Events.AUDIO_TRACK_SWITCHING, { ...track });
  }

  /**
   * What hls.js does when a manifest's rung brings an audio group: the list
   * goes out (AUDIO_TRACKS_UPDATED, nothing chosen yet), then, unless a
   * listener chose meanwhile, the DEFAULT track (else the first) is chosen.
   */
  announceAudio(tracks: Omit<FakeAudioTrack, "id" | "groupId">[]): void {
    this.audioTracks = tracks.map((track, id) => ({ ...track, id, groupId: "audio" }));
    this.trackId = -1;
    this.trigger(FakeHls.Events.AUDIO_TRACKS_UPDATED, { audioTracks: this.audioTracks });
    if (this.trackId === -1) this.audioTrack = Math.max(0, this.audioTracks.findIndex((t) => t.default));
  }

  /** What hls.js does once the master playlist is read: the rungs (`levels`) are known, MANIFEST_PARSED. */
  announceLevels(levels: { width?: number; height: number; bitrate: number }[]): void {
    this.levels = levels;
    this.trigger(FakeHls.Events.MANIFEST_PARSED, { levels });
  }

  on(event: string, listener: Listener): void {
    this.listeners.push({ event, listener, once: false });
  }

  once(event: string, listener: Listener): void {
    this.listeners.push({ event, listener, once: true });
  }

  /** As hls.js (eventemitter3): `off` takes the function given to `on` or `once`. */
  off(event: string, listener: Listener): void {
    this.listeners = this.listeners.filter((l) => l.event !== event || l.listener !== listener);
  }

  listenerCount(event: string): number {
    return this.listeners.filter((l) => l.event === event).length;
  }

  trigger(event: string, data?: unknown): void {
    for (const l of this.listeners.filter((l) => l.event === event)) {
      if (l.once) this.off(event, l.listener);
      l.listener(event, data);
    }
  }

  /** The master playlist's URL, as hls.js keeps it. */
  url: string | null = null;
  /** How often loading was started again (`startLoad`) since the first load. */
  startLoads = 0;

  /** How often a master playlist was loaded (`loadSource`). */
  sources = 0;

  loadSource(url: string): void {
    this.url = url;
    this.sources += 1;
    FakeHls.onLoad?.(this);
  }

  /** The video hls.js drives, once attached. */
  media: HTMLMediaElement | null = null;

  attachMedia(media: HTMLMediaElement): void {
    this.media = media;
  }

  /** How often loading was stopped (`stopLoad`). */
  stopLoads = 0;

  stopLoad(): void {
    this.stopLoads += 1;
  }

  /** Where each `startLoad` asked to load from (-1: where the video is). */
  startPositions: number[] = [];

  startLoad(position = -1): void {
    this.startLoads += 1;
    this.startPositions.push(position);
  }

  recoverMediaError(): void {}

  destroy(): void {
    this.destroyed = true;
    this.listeners = [];
  }
}

export default FakeHls;
