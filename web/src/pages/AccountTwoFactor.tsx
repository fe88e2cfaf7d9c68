import { useCallback, useEffect, useState, type FormEvent } from "react";
import { disableTwoFactor, enableTwoFactor, getTwoFactor, renewRecoveryCodes, startTwoFactor } from "../api/auth";
import { ApiError, refusalSentence } from "../api/errors";
import type { TwoFactorSetup, TwoFactorStatus } from "../api/schema";
import { useAuth } from "../auth/useAuth";
import { CurrentPasswordField, TwoFactorCodeField } from "../components/AccountFields";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorMessage, FormError } from "../components/ErrorMessage";
import { FocusedMessage } from "../components/FocusedMessage";
import { SubmitButton } from "../components/SubmitButton";
import { chunk, ChunkUnloaded } from "../lib/chunk";
import { formatDate } from "../lib/format";
import { useAction } from "../lib/useAction";
import { useAsync } from "../lib/useAsync";
import { useSiteName } from "../lib/siteName";
import { copyText } from "../player/CopyMomentLink";

/** At or below this many recovery codes left, the page warns to make new ones. */
const FEW_RECOVERY_CODES = 2;

/** Said when the first code came after the setup's 15 minutes, back at the password. */
const SETUP_EXPIRED = "This setup expired (it lasts 15 minutes). Enter your password to start again.";

/** Where a refusal is told: at the password, at the code, or under the form. */
type RefusedAt = "password" | "code" | "form";

/** A two-factor request's refusal, in words, and the field it is about. */
function twoFactorRefusal(err: unknown): { at: RefusedAt; message: string } {
  const code = err instanceof ApiError ? err.code : null;
  if (code === "wrong_password") return { at: "password", message: "The password is not correct." };
  if (code === "invalid_code") {
    return { at: "code", message: "That code is not right, or was used already. Codes change every 30 seconds." };
  }
  if (code === "two_factor_not_set_up") return { at: "form", message: SETUP_EXPIRED };
  if (code === "two_factor_on") return { at: "form", message: "Two-factor authentication is already on." };
  if (code === "two_factor_off") return { at: "form", message: "Two-factor authentication is already off." };
  return { at: "form", message: refusalSentence(err) };
}

/**
 * A form's request whose refusal is told at the field it is about (see twoFactorRefusal);
 * `onRefused` hears the refusal's code, for a state the page must leave (already on, expired).
 */
function useTwoFactorAction(onRefused?: (code: string) => void) {
  const action = useAction();
  const [at, setAt] = useState<RefusedAt>("form");
  const run = (key: string, body: () => Promise<void>) =>
    action.run(
      key,
      (err) => {
        const refusal = twoFactorRefusal(err);
        setAt(refusal.at);
        if (err instanceof ApiError) onRefused?.(err.code);
        return refusal.message;
      },
      body,
    );
  const errorAt = (where: RefusedAt) => (at === where ? action.error : null);
  return { busy: action.running !== null, run, errorAt };
}

/**
 * The Account page's "Two-factor authentication": off, how to turn it on (password, QR code,
 * first code); on, since when, the recovery codes left, new ones, and turning it off. New
 * recovery codes are shown once, until "Done".
 */
export function TwoFactorSection({ onOthersSignedOut }: { onOthersSignedOut: () => void }) {
  const { user, updateUser } = useAuth();
  const { data: status, error, reload } = useAsync(useCallback((signal: AbortSignal) => getTwoFactor(signal), []));
  const [codes, setCodes] = useState<ShownCodes | null>(null);

  const changed = (on: boolean) => {
    if (user) updateUser({ ...user, two_factor: on });
    reload();
  };
  const shown = (fresh: string[], renewed: boolean) => {
    setCodes({ codes: fresh, renewed });
    changed(true);
    // Turning it on signed every other session out: the page's list of them is old news.
    if (!renewed) onOthersSignedOut();
  };

  return (
    <section aria-labelledby="two-factor-title" data-testid="two-factor">
      <h2 id="two-factor-title">Two-factor authentication</h2>
      <ErrorMessage error={error} onRetry={reload} />
      {codes ? (
        <RecoveryCodesShown shown={codes} email={user?.email ?? ""} onDone={() => setCodes(null)} />
      ) : status === null ? (
        !error && <p role="status">Loading…</p>
      ) : status.enabled ? (
        <TwoFactorOn status={status} onCodes={(fresh) => shown(fresh, true)} onOff={() => changed(false)} />
      ) : (
        <TwoFactorOff onOn={(fresh) => shown(fresh, false)} onAlreadyOn={() => changed(true)} />
      )}
    </section>
  );
}

/** Where turning it on stands; `back`: its setup was cancelled, and Turn on takes the focus again. */
type OffStep =
  | { kind: "idle"; back: boolean }
  | { kind: "password"; notice: string | null }
  | { kind: "setup"; setup: TwoFactorSetup };

/**
 * Off: why to turn it on, then the password, then the app's setup and its first code. Each
 * step takes the focus as it replaces the one whose button was pressed (the password's field,
 * the setup's instructions, said; Turn on after Cancel), else it fell to the page's body.
 */
function TwoFactorOff({ onOn, onAlreadyOn }: { onOn: (codes: string[]) => void; onAlreadyOn: () => void }) {
  const [step, setStep] = useState<OffStep>({ kind: "idle", back: false });
  const cancel = () => setStep({ kind: "idle", back: true });
  return (
    <>
      <p>
        With two-factor authentication on, signing in takes your password and a code from an authenticator app on
        your phone, so someone who learns your password still cannot sign in.
      </p>
      {step.kind === "idle" && (
        <button type="button" className="button primary" autoFocus={step.back} onClick={() => setStep({ kind: "password", notice: null })}>
          Turn on
        </button>
      )}
      {step.kind === "password" && (
        <SetupPasswordForm
          notice={step.notice}
          onStarted={(setup) => setStep({ kind: "setup", setup })}
          onCancel={cancel}
          onAlreadyOn={onAlreadyOn}
        />
      )}
      {step.kind === "setup" && (
        <SetupCodeForm
          setup={step.setup}
          onOn={onOn}
          onExpired={(notice) => setStep({ kind: "password", notice })}
          onCancel={cancel}
          onAlreadyOn={onAlreadyOn}
        />
      )}
    </>
  );
}

/** The password, to start setting up an authenticator app. */
function SetupPasswordForm({
  notice,
  onStarted,
  onCancel,
  onAlreadyOn,
}: {
  notice: string | null;
  onStarted: (setup: TwoFactorSetup) => void;
  onCancel: () => void;
  onAlreadyOn: () => void;
}) {
  const [password, setPassword] = useState("");
  const { busy, run, errorAt } = useTwoFactorAction((code) => code === "two_factor_on" && onAlreadyOn());

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    await run("setup", async () => onStarted(await startTwoFactor(password)));
  }

  return (
    <form className="form compact" onSubmit={(e) => void onSubmit(e)} aria-label="Turn on two-factor authentication">
      {notice && <FocusedMessage message={notice} role="alert" className="notice" testId="two-factor-expired" />}
      <CurrentPasswordField label="Password" autoFocus error={errorAt("password")} value={password} onChange={setPassword} />
      <SetupStepEnd error={errorAt("form")} busy={busy} label={busy ? "Checking…" : "Continue"} onCancel={onCancel} />
    </form>
  );
}

/** The end of a setup step's form: its refusal, then go on or cancel the setup. */
function SetupStepEnd({ error, busy, label, onCancel }: { error: string | null; busy: boolean; label: string; onCancel: () => void }) {
  return (
    <>
      <FormError message={error} testId="two-factor-error" />
      <div className="button-row">
        <SubmitButton className="button primary" busy={busy}>
          {label}
        </SubmitButton>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </>
  );
}

/** "abcd efgh ijkl": a key grouped in fours, to read and type into an app. */
export function groupedKey(secret: string): string {
  return (secret.match(/.{1,4}/g) ?? []).join(" ");
}

/** The QR code library: a chunk of its own, as few ever set up two-factor. */
const qrcode = chunk(() => import("qrcode"));

/** The QR code of `text`: an SVG data: URL (no canvas needed), null until drawn, or why its chunk did not load. */
interface QrCode {
  url: string | null;
  unloaded: ChunkUnloaded | null;
  retry: () => void;
}

/** The QR code of `text`, drawn once its library's chunk loads (again as `retry` asks). */
function useQrCode(text: string): QrCode {
  const [url, setUrl] = useState<string | null>(null);
  const [unloaded, setUnloaded] = useState<ChunkUnloaded | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let current = true;
    void qrcode.load().then(
      async ({ default: QRCode }) => {
        const svg = await QRCode.toString(text, { type: "svg", margin: 2, errorCorrectionLevel: "M" });
        if (current) setUrl(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`);
      },
      async (error: unknown) => {
        const gone = await qrcode.gone();
        if (current) setUnloaded(new ChunkUnloaded(gone, error));
      },
    );
    return () => {
      current = false;
    };
  }, [text, attempt]);
  const retry = () => {
    setUnloaded(null);
    setAttempt((n) => n + 1);
  };
  return { url, unloaded, retry };
}

/** Where the QR code would be when its chunk did not load: the key below does as well; or try again, or reload. */
function QrCodeUnloaded({ unloaded, onRetry }: { unloaded: ChunkUnloaded; onRetry: () => void }) {
  return (
    <p role="status" data-testid="qr-unloaded">
      {unloaded.gone
        ? "The QR code could not be shown: a newer version of the site is out. Enter the key below in your app, or reload the page."
        : "The QR code could not be shown. Enter the key below in your app, or try again."}{" "}
      {!unloaded.gone && (
        <button type="button" className="link-button" onClick={onRetry}>
          Try again
        </button>
      )}
    </p>
  );
}

/**
 * For a viewer setting up on the phone that holds the app, which cannot scan its own screen:
 * a link that opens the app with the QR code's otpauth:// address, and the key with a Copy
 * button (typing 32 letters into an app by hand was the only way, the outside walk found).
 */
function SetupOnThisPhone({ setup }: { setup: TwoFactorSetup }) {
  const [copied, setCopied] = useState("");
  async function copy() {
    // Without the spaces it is grouped by: apps take the key as one word.
    setCopied((await copyText(setup.secret)) ? "Key copied." : "Could not copy: select the key and copy it.");
  }
  return (
    <>
      <p>
        On this phone?{" "}
        <a className="button" href={setup.otpauth_uri} data-testid="two-factor-app-link">
          Open in authenticator app
        </a>
      </p>
      <p className="two-factor-key">
        Can't scan it? Enter this key: <code data-testid="two-factor-key">{groupedKey(setup.secret)}</code>{" "}
        <button type="button" className="button" aria-label="Copy key" onClick={() => void copy()}>
          Copy
        </button>
      </p>
      <p className="muted small" role="status" data-testid="two-factor-key-copied">
        {copied}
      </p>
    </>
  );
}

/** The QR code (and the key as text) to add to an app, and the app's first code to turn it on. */
function SetupCodeForm({
  setup,
  onOn,
  onExpired,
  onCancel,
  onAlreadyOn,
}: {
  setup: TwoFactorSetup;
  onOn: (codes: string[]) => void;
  onExpired: (notice: string) => void;
  onCancel: () => void;
  onAlreadyOn: () => void;
}) {
  const [code, setCode] = useState("");
  const qr = useQrCode(setup.otpauth_uri);
  const { busy, run, errorAt } = useTwoFactorAction((refused) => {
    if (refused === "two_factor_not_set_up") onExpired(SETUP_EXPIRED);
    if (refused === "two_factor_on") onAlreadyOn();
  });

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    await run("enable", async () => onOn(await enableTwoFactor(code)));
  }

  return (
    <form className="form compact" onSubmit={(e) => void onSubmit(e)} aria-label="Set up your authenticator app">
      <FocusedMessage
        message="Scan this QR code with your authenticator app (such as Google Authenticator, Aegis or 1Password)."
        role="status"
        testId="two-factor-scan"
      />
      {qr.url && <img className="qr-code" src={qr.url} alt="QR code to scan with your authenticator app" width={200} height={200} />}
      {qr.unloaded && <QrCodeUnloaded unloaded={qr.unloaded} onRetry={qr.retry} />}
      <SetupOnThisPhone setup={setup} />
      <TwoFactorCodeField
        label="Code from your authenticator app"
        error={errorAt("code")}
        value={code}
        onChange={setCode}
      />
      <SetupStepEnd error={errorAt("form")} busy={busy} label={busy ? "Turning on…" : "Turn on"} onCancel={onCancel} />
    </form>
  );
}

/** The text of the .txt file of recovery codes: what they are, for whom on which server, one code a line. */
export function recoveryCodesText(siteName: string, email: string, codes: readonly string[]): string {
  return [`${siteName} recovery codes for ${email}`, "Each code signs you in once if you lose your phone.", "", ...codes, ""].join("\n");
}

/** Recovery codes shown once: made as two-factor was turned on, or `renewed` in place of the old ones. */
interface ShownCodes {
  codes: string[];
  renewed: boolean;
}

const KEEP_CODES =
  "Keep these recovery codes somewhere safe, such as a password manager or on paper: each one signs you in once if you lose your phone. They are shown only now.";

/** New recovery codes, shown only now: Copy, Download .txt, and Done once they are kept. */
function RecoveryCodesShown({ shown, email, onDone }: { shown: ShownCodes; email: string; onDone: () => void }) {
  const { codes, renewed } = shown;
  const [copied, setCopied] = useState("");
  const text = recoveryCodesText(useSiteName(), email, codes);

  async function copy() {
    setCopied((await copyText(codes.join("\n"))) ? "Copied." : "Could not copy: select the codes and copy them.");
  }

  return (
    <div data-testid="recovery-codes">
      <FocusedMessage
        message={
          renewed
            ? `New recovery codes — the old ones no longer work. ${KEEP_CODES}`
            : `Two-factor authentication is on. Your other sessions were signed out. ${KEEP_CODES}`
        }
        role="status"
        className="notice"
        testId="recovery-codes-advice"
      />
      <ol className="recovery-codes" aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div className="button-row">
        <button type="button" className="button" onClick={() => void copy()}>
          Copy
        </button>
        <a className="button" href={`data:text/plain;charset=utf-8,${encodeURIComponent(text)}`} download="streamstack-recovery-codes.txt">
          Download .txt
        </a>
        <button type="button" className="button primary" onClick={onDone}>
          Done
        </button>
      </div>
      <p className="muted small" role="status" data-testid="recovery-codes-copied">
        {copied}
      </p>
    </div>
  );
}

/** On: since when, the recovery codes left (a warning when few), new ones, and turning it off. */
function TwoFactorOn({
  status,
  onCodes,
  onOff,
}: {
  status: TwoFactorStatus;
  onCodes: (codes: string[]) => void;
  onOff: () => void;
}) {
  const left = status.recovery_codes_left;
  const few = left <= FEW_RECOVERY_CODES;
  const onWhenOff = (code: string) => code === "two_factor_off" && onOff();
  return (
    <>
      <p data-testid="two-factor-since">On since {formatDate(status.enabled_at)}.</p>
      <p className={few ? "notice warning" : undefined} data-testid="recovery-codes-left">
        {left === 1 ? "1 recovery code left." : `${left} recovery codes left.`}
        {few && " Make new recovery codes before you run out: without your phone and a recovery code, only an administrator can let you in."}
      </p>
      <h3>New recovery codes</h3>
      <p>Your current recovery codes will stop working.</p>
      <ProofForm
        label="New recovery codes"
        onProof={async (password, code) => onCodes(await renewRecoveryCodes(password, code))}
        onRefused={onWhenOff}
      />
      <h3>Turn off</h3>
      <ProofForm label="Turn off" destructive onProof={async (p, c) => { await disableTwoFactor(p, c); onOff(); }} onRefused={onWhenOff} />
    </>
  );
}

/**
 * The password and a code (the app's or a recovery code), proving it is the account's owner
 * with the phone at hand; `destructive` asks first (turning two-factor off).
 */
function ProofForm({
  label,
  destructive = false,
  onProof,
  onRefused,
}: {
  label: string;
  destructive?: boolean;
  onProof: (password: string, code: string) => Promise<void>;
  onRefused: (code: string) => void;
}) {
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [confirming, setConfirming] = useState(false);
  const { busy, run, errorAt } = useTwoFactorAction(onRefused);
  const formLabel = destructive ? "Turn off two-factor authentication" : label;

  async function send() {
    setConfirming(false);
    await run(label, () => onProof(password, code));
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (destructive) setConfirming(true);
    else void send();
  }

  return (
    <form className="form compact" onSubmit={onSubmit} aria-label={formLabel}>
      <CurrentPasswordField label="Password" error={errorAt("password")} value={password} onChange={setPassword} />
      <TwoFactorCodeField recovery label="Code from your app, or a recovery code" error={errorAt("code")} value={code} onChange={setCode} />
      <FormError message={errorAt("form")} />
      <div className="button-row">
        <SubmitButton className={destructive ? "button danger" : "button"} busy={busy}>
          {label}
        </SubmitButton>
      </div>
      {confirming && (
        <ConfirmDialog
          title="Turn off two-factor authentication?"
          confirmLabel="Turn off"
          destructive
          onCancel={() => setConfirming(false)}
          onConfirm={() => void send()}
        >
          Signing in will take your password alone, and your recovery codes stop working.
        </ConfirmDialog>
      )}
    </form>
  );
}
