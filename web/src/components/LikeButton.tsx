import { useId, useState } from "react";
import { Link } from "react-router";
import { likeItem, likingOf, unlikeItem, type ViewedLike } from "../api/likes";
import type { CatalogueItem } from "../api/schema";
import { useAuth } from "../auth/useAuth";
import { useReturnHere } from "../auth/RequireAuth";
import { formatLikes } from "../lib/format";
import { useAction } from "../lib/useAction";
import { ActionButton } from "./ActionButton";
import { FormError } from "./ErrorMessage";

/** A thumb raised, outlined; filled while the viewer likes the item. Decoration: the button carries the name. */
function ThumbsUpIcon({ filled = false }: { filled?: boolean }) {
  return (
    <svg className="like-icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
      <path
        d="M7 10v10H4V10h3zm0 0l4-7a2 2 0 0 1 3 2l-1 5h5.5a2 2 0 0 1 2 2.3l-1.2 6A2 2 0 0 1 17.3 20H7"
        fill={filled ? "currentColor" : "none"}
        stroke="currentColor"
        strokeWidth="2"
        strokeLinejoin="round"
      />
    </svg>
  );
}

/**
 * The count beside Like, outside its name (axe: a control's visible text is in its name): a
 * short number to the eye, "12 likes" to a screen reader (`id`: the control's description).
 */
function LikeCount({ id, count }: { id: string; count: number }) {
  return (
    <span className="like-count">
      <span aria-hidden="true">{new Intl.NumberFormat(undefined, { notation: "compact" }).format(count)}</span>
      <span id={id} className="visually-hidden">
        {formatLikes(count)}
      </span>
    </span>
  );
}

/**
 * The watch page's Like: a toggle that flips at once and back if the server refuses, its count
 * beside it (from the server's answer once it comes). Anyone not signed in gets a link to sign
 * in (and back here) looking the same, with the count.
 */
export function LikeButton({ item }: { item: CatalogueItem }) {
  const { status } = useAuth();
  const state = useReturnHere();
  const countId = useId();
  if (status === "authenticated") return <LikeToggle item={item} />;
  if (status === "loading") return null;
  return (
    <span className="like">
      <Link to="/signin" state={state} className="button like-button" aria-describedby={countId}>
        <ThumbsUpIcon />
        Sign in to like this video.
      </Link>
      <LikeCount id={countId} count={likingOf(item).like_count} />
    </span>
  );
}

/** A signed-in viewer's Like: the toggle, its count, and why its last press was refused. */
function LikeToggle({ item }: { item: CatalogueItem }) {
  const countId = useId();
  const [liking, setLiking] = useState<ViewedLike>(() => likingOf(item));
  const { running, error, run } = useAction();
  const liked = liking.liked === true;

  const toggle = () => {
    const before = liking;
    setLiking({ liked: !liked, like_count: Math.max(0, before.like_count + (liked ? -1 : 1)) });
    const failure = liked ? "Could not remove this video from your liked videos" : "Could not like this video";
    void run("like", failure, async () => {
      try {
        setLiking(await (liked ? unlikeItem(item.id) : likeItem(item.id)));
      } catch (err) {
        setLiking(before);
        throw err;
      }
    });
  };

  return (
    <>
      <span className="like">
        <ActionButton
          className={`button like-button${liked ? " liked" : ""}`}
          busy={running !== null}
          toggle
          pressed={liked}
          describedBy={countId}
          onClick={toggle}
        >
          <ThumbsUpIcon filled={liked} />
          Like
        </ActionButton>
        <LikeCount id={countId} count={liking.like_count} />
      </span>
      <FormError message={error} testId="like-error" />
    </>
  );
}

/** The shared page's count, with no button: a link's guest has no account to like with. */
export function LikeTally({ item }: { item: CatalogueItem }) {
  return (
    <p className="like-tally small muted" data-testid="like-tally">
      <ThumbsUpIcon />
      {formatLikes(likingOf(item).like_count)}
    </p>
  );
}
