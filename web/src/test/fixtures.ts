import type { CatalogueItem, InviteView, MediaPage, Playlist } from "../api/schema";
import type { Comment, CommentPage } from "../api/comments";
import type { LikedItem, LikedPage, ViewedLike } from "../api/likes";
import { setSessionMarker } from "../api/session";

export function mediaItem(overrides: Partial<CatalogueItem> = {}): CatalogueItem {
  const id = overrides.id ?? "m-1";
  return {
    id,
    title: "Sunset over the bay",
    description: "A calm evening.",
    status: "published",
    size_bytes: 12_345_678,
    content_type: "video/mp4",
    duration_seconds: 65,
    video_codec: "h264",
    audio_codec: "aac",
    width: 1920,
    height: 1080,
    fps: 30,
    thumbnail_url: `/api/v1/stream/thumbnails/${id}.jpg`,
    poster_url: `/api/v1/stream/thumbnails/${id}-poster.jpg`,
    tags: ["nature", "sea"],
    created_at: "2026-02-01T10:00:00Z",
    updated_at: "2026-02-01T10:00:00Z",
    published_at: "2026-02-01T10:05:00Z",
    ...overrides,
  };
}

export function mediaPage(items: CatalogueItem[], { total = items.length, page = 1, page_size = 24 } = {}): MediaPage {
  return { items, total, page, page_size };
}

/** This browser signed in before: the app restores the session on load. */
export function hadSession(): void {
  setSessionMarker(true);
}

/** A playlist of the viewer's holding `items`, in order. */
export function playlistOf(items: CatalogueItem[], overrides: Partial<Playlist> = {}): Playlist {
  return {
    id: "p-1",
    title: "Cooking",
    description: "",
    visibility: "private",
    mine: true,
    etag: '"e-1"',
    item_count: items.length,
    thumbnail_url: items[0]?.thumbnail_url ?? null,
    created_at: "2026-03-01T10:00:00Z",
    updated_at: "2026-03-01T10:00:00Z",
    items,
    ...overrides,
  };
}

/** An admin's unused invite without a note, as the invite list shows it. */
export function inviteView(overrides: Partial<InviteView> = {}): InviteView {
  return {
    id: "i-1",
    status: "active",
    created_by: "u-admin",
    created_at: "2026-03-01T10:00:00Z",
    expires_at: "2026-03-08T10:00:00Z",
    used_at: null,
    used_by: null,
    revoked_at: null,
    note: null,
    mailed_to: null,
    used_by_account: null,
    used_by_deleted: false,
    created_by_name: "Ada",
    revoked_by: null,
    revoked_by_name: null,
    revoked_reason: null,
    ...overrides,
  };
}

/** Another viewer's comment on m-1. */
export function comment(overrides: Partial<Comment> = {}): Comment {
  return {
    id: "c-1",
    item_id: "m-1",
    body: "Lovely light at the end.",
    author_name: "Bea",
    by_admin: false,
    mine: false,
    created_at: "2026-02-02T10:00:00Z",
    edited_at: null,
    reported: false,
    parent_id: null,
    reply_count: 0,
    removed: null,
    ...overrides,
  };
}

/** A page of comments, newest first: the last one unless `next` says where the following page starts. */
export function commentPage(comments: Comment[], overrides: Partial<CommentPage> = {}): CommentPage {
  return { comments, total: comments.length, enabled: true, next: null, ...overrides };
}

/** An item as the API answers it with its likes: `like_count`, and `liked` for a signed-in viewer. */
export function likedItem(likes: ViewedLike, overrides: Partial<CatalogueItem> = {}): CatalogueItem & ViewedLike {
  return { ...mediaItem(overrides), ...likes };
}

/** A video the viewer liked at `likedAt`. */
export function likedEntry(id: string, title: string, likedAt: string): LikedItem {
  return { item: mediaItem({ id, title, duration_seconds: 95 }), liked_at: likedAt };
}

/** A page of the viewer's liked videos (the first, of 20, unless `overrides` say). */
export function likedPage(items: LikedItem[], overrides: Partial<LikedPage> = {}): LikedPage {
  return { items, total: items.length, page: 1, page_size: 20, ...overrides };
}
