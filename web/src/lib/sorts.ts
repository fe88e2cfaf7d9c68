import type { SortOrder } from "../api/catalogue";
import { chosen } from "./urlQuery";

type Sort = { value: SortOrder; label: string };

/** The orders a list of videos may be shown in (Browse, the library), as the API names them. */
export const SORTS: Sort[] = [
  { value: "newest", label: "Newest first" },
  { value: "oldest", label: "Oldest first" },
  { value: "title", label: "Title (A–Z)" },
  { value: "shortest", label: "Shortest first" },
  { value: "longest", label: "Longest first" },
  { value: "popular", label: "Most viewed" },
];

/** The library's scheduled drafts are first listed as they fall due ("Soonest first": the soonest publish time; a longer label was cut off in the toolbar): what an admin checks next. */
const SCHEDULED_SORTS: Sort[] = [{ value: "due", label: "Soonest first" }, ...SORTS];

/** The orders a list of `status` may be shown in. */
export function sortsFor(status?: string): Sort[] {
  return status === "scheduled" ? SCHEDULED_SORTS : SORTS;
}

/** The order of a list of `status` without a `?sort=`. */
export function defaultSort(status?: string): SortOrder {
  return status === "scheduled" ? "due" : "newest";
}

/**
 * The order a `?sort=` asks for, among those of the list's `status` (the library's scheduled
 * drafts may go by publish time); the older `duration` (shortest first) keeps working in links.
 */
export function sortFrom(value: string | null, status?: string): SortOrder {
  if (value === "duration") return "shortest";
  return chosen(sortsFor(status), value) ?? defaultSort(status);
}
