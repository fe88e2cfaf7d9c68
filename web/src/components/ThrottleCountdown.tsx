/**
 * A wait the server asked for ("Too many attempts, try again in 30 seconds."), counting down,
 * and said once: an alert whose words changed every second was read out every second. The
 * countdown shown is not live; the alert says the wait the server asked for, in the same
 * words, and stays until the wait is over. Nothing while there is no wait (`atFirst` null).
 */
export function ThrottleCountdown({ left, atFirst, say, testId }: { left: number; atFirst: number | null; say: (seconds: number) => string; testId?: string }) {
  if (atFirst === null) return null;
  return (
    <>
      <p className="form-error" data-testid={testId}>
        {say(left)}
      </p>
      <p className="visually-hidden" role="alert">
        {say(atFirst)}
      </p>
    </>
  );
}
