import { errorSentence } from "../api/errors";

/** A failure said in a box, with Try again when given; `say` words it (a video's viewer: videoErrorSentence). */
export function ErrorMessage({
  error,
  onRetry,
  say = errorSentence,
}: {
  error: unknown;
  onRetry?: (() => void) | undefined;
  say?: ((error: unknown) => string) | undefined;
}) {
  if (error == null) return null;
  return (
    <div className="error-box" role="alert">
      <p>{say(error)}</p>
      {onRetry && (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** A short error under a form or an action, announced as it appears; nothing when there is none. */
export function FormError({ message, testId }: { message: string | null | undefined; testId?: string }) {
  if (!message) return null;
  return (
    <p className="form-error" role="alert" data-testid={testId}>
      {message}
    </p>
  );
}
