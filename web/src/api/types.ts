// Shapes of the StreamStack public API (/api/v1/...).

export type Role = "viewer" | "admin";

export interface User {
  id: string;
  email: string;
  display_name: string | null;
  role: Role;
  created_at: string;
}

export interface TokenResponse {
  access_token: string;
  refresh_token: string | null;
  token_type: "bearer";
  expires_in: number;
}

export interface Session {
  id: string;
  created_at: string;
  last_used_at: string | null;
  user_agent: string | null;
  current: boolean;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  page_size: number;
}

export type MediaStatus = "draft" | "published";

export interface MediaItem {
  id: string;
  title: string;
  description: string;
  status: MediaStatus;
  s3_key: string;
  size_bytes: number;
  content_type: string;
  duration_seconds: number | null;
  video_codec: string | null;
  audio_codec: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  thumbnail_s3_key: string | null;
  thumbnail_url: string | null;
  tags: string[];
  created_by: string;
  created_at: string;
  updated_at: string;
  published_at: string | null;
}

export type SortOrder = "newest" | "oldest" | "title" | "duration";
export type StatusFilter = MediaStatus | "all";

export interface CatalogueQuery {
  q?: string;
  tag?: string;
  sort?: SortOrder;
  page?: number;
  page_size?: number;
  /** Only honoured for admins. */
  status?: StatusFilter;
}

export interface MediaPatch {
  title?: string;
  description?: string;
  tags?: string[];
  status?: MediaStatus;
}

export interface StreamToken {
  stream_url: string;
  expires_in: number;
}

export type JobState = "uploading" | "processing" | "done" | "failed";

export interface IngestJob {
  upload_id: string;
  state: JobState;
  item: MediaItem | null;
  error: string | null;
}
