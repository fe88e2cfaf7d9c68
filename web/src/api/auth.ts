import { apiRequest } from "./client";
import type { Page, Role, Session, User } from "./types";

export function register(input: { email: string; password: string; display_name?: string }): Promise<User> {
  return apiRequest<User>("/auth/register", { method: "POST", body: input, auth: false });
}

export function getMe(signal?: AbortSignal): Promise<User> {
  return apiRequest<User>("/auth/me", { signal });
}

export function logout(): Promise<void> {
  return apiRequest<void>("/auth/logout", { method: "POST" });
}

export function logoutAll(): Promise<void> {
  return apiRequest<void>("/auth/logout-all", { method: "POST" });
}

/** The caller's sessions; accepts a bare array or `{items: [...]}`. */
export async function listSessions(signal?: AbortSignal): Promise<Session[]> {
  const body = await apiRequest<Session[] | { items: Session[] }>("/auth/sessions", { signal });
  return Array.isArray(body) ? body : body.items;
}

export function revokeSession(id: string): Promise<void> {
  return apiRequest<void>(`/auth/sessions/${encodeURIComponent(id)}`, { method: "DELETE" });
}

interface UserPageBody {
  items: User[];
  total: number;
  page?: number;
  page_size?: number;
  limit?: number;
  offset?: number;
}

/**
 * One page of users. Sends both `page`/`page_size` and `limit`/`offset` and
 * reads either back, so it works with a page- or an offset-based server.
 */
export async function listUsers(
  query: { page: number; page_size: number; q?: string },
  signal?: AbortSignal,
): Promise<Page<User>> {
  const body = await apiRequest<UserPageBody>("/auth/users", {
    query: { ...query, limit: query.page_size, offset: (query.page - 1) * query.page_size },
    signal,
  });
  const pageSize = body.page_size ?? body.limit ?? query.page_size;
  const page = body.page ?? (body.offset !== undefined ? Math.floor(body.offset / Math.max(1, pageSize)) + 1 : query.page);
  return { items: body.items, total: body.total, page, page_size: pageSize };
}

export function setUserRole(id: string, role: Role): Promise<User> {
  return apiRequest<User>(`/auth/users/${encodeURIComponent(id)}`, { method: "PATCH", body: { role } });
}
