import { errorMessage } from "../api/errors";

export function ErrorMessage({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (error == null) return null;
  return (
    <div className="error-box" role="alert">
      <p>{errorMessage(error)}</p>
      {onRetry && (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
