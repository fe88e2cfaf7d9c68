import type { SortOrder } from "../api/catalogue";
import { chosen } from "./urlQuery";

/** The orders a list of videos may be shown in (Browse, the library), as the API names them. */
export const SORTS: { value: SortOrder; label: string }[] = [
  { value: "newest", label: "Newest first" },
  { value: "oldest", label: "Oldest first" },
  { value: "title", label: "Title (A–Z)" },
  { value: "shortest", label: "Shortest first" },
  { value: "longest", label: "Longest first" },
  { value: "popular", label: "Most viewed" },
];

/** The order a `?sort=` asks for; the older `duration` (shortest first) keeps working in links. */
export function sortFrom(value: string | null): SortOrder {
  if (value === "duration") return "shortest";
  return chosen(SORTS, value) ?? "newest";
}
