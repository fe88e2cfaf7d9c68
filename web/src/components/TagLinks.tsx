import { Link } from "react-router";
import { tagPath } from "../lib/paths";

/** An item's tags, each a link to the videos with that tag; nothing when there are none. */
export function TagLinks({ tags, label, className }: { tags: readonly string[]; label: string; className: string }) {
  if (tags.length === 0) return null;
  return (
    <ul className={className} aria-label={label}>
      {tags.map((tag) => (
        <li key={tag}>
          <Link className="tag" to={tagPath(tag)}>
            {tag}
          </Link>
        </li>
      ))}
    </ul>
  );
}
