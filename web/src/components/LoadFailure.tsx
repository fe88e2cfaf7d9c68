import type { ReactNode } from "react";
import { Link } from "react-router";
import { ApiError } from "../api/errors";
import { ErrorMessage } from "./ErrorMessage";
import { PageTitle } from "./SiteName";

/**
 * A page's one thing (a video, a playlist) could not be loaded: gone (404:
 * `gone` says what may have happened), or a failure that may pass (with Try
 * again); `back` leads somewhere that works.
 */
export function LoadFailure({
  what,
  error,
  onRetry,
  gone,
  back,
  say,
}: {
  what: string;
  error: unknown;
  onRetry: () => void;
  gone: ReactNode;
  back: { to: string; label: string };
  /** How the failure is worded (see ErrorMessage). */
  say?: ((error: unknown) => string) | undefined;
}) {
  const notFound = error instanceof ApiError && error.status === 404;
  const heading = notFound ? `${what[0]!.toUpperCase()}${what.slice(1)} not found` : `Could not load the ${what}`;
  return (
    <section className="page narrow">
      <PageTitle title={heading} />
      <h1>{heading}</h1>
      {notFound ? <p>{gone}</p> : <ErrorMessage error={error} onRetry={onRetry} say={say} />}
      <p>
        <Link to={back.to}>{back.label}</Link>
      </p>
    </section>
  );
}
