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

export function listSessions(signal?: AbortSignal): Promise<Session[]> {
  return apiRequest<Session[]>("/auth/sessions", { signal });
}

export function revokeSession(id: string): Promise<void> {
  return apiRequest<void>(`/auth/sessions/${encodeURIComponent(id)}`, { method: "DELETE" });
}

export function listUsers(
  query: { page?: number; page_size?: number; q?: string },
  signal?: AbortSignal,
): Promise<Page<User>> {
  return apiRequest<Page<User>>("/auth/users", { query: { ...query }, signal });
}

export function setUserRole(id: string, role: Role): Promise<User> {
  return apiRequest<User>(`/auth/users/${encodeURIComponent(id)}`, { method: "PATCH", body: { role } });
}
