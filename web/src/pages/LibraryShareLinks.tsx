import { useCallback, useId, useState, type FormEvent } from "react";
import { ApiError, errorSentence } from "../api/errors";
import type { CatalogueItem } from "../api/schema";
import { RowPanelButton } from "../components/RowPanelButton";
import {
  createShareLink,
  listShareLinks,
  SHARE_REFUSALS,
  stopShareLink,
  type ShareLink,
} from "../api/shares";
import { ActionButton } from "../components/ActionButton";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorMessage, FormError } from "../components/ErrorMessage";
import { FocusedMessage, type Notice } from "../components/FocusedMessage";
import { InputField, SelectField } from "../components/Field";
import { RevocableItem, RevocableList } from "../components/RevocableList";
import { SubmitButton } from "../components/SubmitButton";
import { formatDate, formatDuration } from "../lib/format";
import { isWithin, parseMoment } from "../lib/moment";
import { absoluteUrl, atMoment } from "../lib/paths";
import { useAction, type Action } from "../lib/useAction";
import { useAsync } from "../lib/useAsync";
import { copyText } from "../player/CopyMomentLink";

/** How long a new link works, in days; "never" until it is stopped. 7 days unless chosen. */
const EXPIRY_CHOICES = [
  { value: "1", label: "1 day" },
  { value: "7", label: "7 days" },
  { value: "30", label: "30 days" },
  { value: "never", label: "Never" },
] as const;

const PUBLISH_FIRST = "Publish the video to share it by link.";

/** `text` as an HTML attribute's value between double quotes (as Python's html.escape: the CLI's embed code). */
function attributeText(text: string): string {
  const entities: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;" };
  return text.replace(/[&<>"']/g, (c) => entities[c] ?? c);
}

/**
 * The `<iframe>` another site's page embeds a link's player with (its embed page at this
 * site's address, starting at `seconds`), titled for screen readers, full screen and
 * picture-in-picture allowed; `streamstack items share` prints the same.
 */
export function embedCode(embedPath: string, title: string, seconds?: number): string {
  const src = attributeText(absoluteUrl(atMoment(embedPath, seconds)));
  return (
    `<iframe src="${src}" width="640" height="360" title="${attributeText(title)}" ` +
    `style="border:0" allow="fullscreen; picture-in-picture" allowfullscreen></iframe>`
  );
}

/**
 * Where a link stands: working, paused while its video is not published (it works again once
 * the video is published again), or ended by its date or by being stopped.
 */
type LinkState = "live" | "paused" | "expired" | "stopped";

function linkState(link: ShareLink, published: boolean, now: number = Date.now()): LinkState {
  if (link.revoked_at) return "stopped";
  if (link.expires_at && Date.parse(link.expires_at) <= now) return "expired";
  return published ? "live" : "paused";
}

/**
 * What unpublishing `videos` did to their share links, in a sentence ("Its 2 share links stop
 * working until you publish it again."); empty when it paused none (`links`: the count the
 * server answered).
 */
export function pausedLinksSentence(links: number, videos: number): string {
  if (links === 0) return "";
  const them = videos === 1 ? "it" : "them";
  if (links === 1) {
    const which = videos === 1 ? "Its share link" : "One share link of theirs";
    return `${which} stops working until you publish ${them} again.`;
  }
  return `${videos === 1 ? "Its" : "Their"} ${links} share links stop working until you publish ${them} again.`;
}

/**
 * What tells a link from the video's others in its buttons' names, short enough to hear:
 * "…3f9a", the end of its secret, as its address shows it (the whole address is 70 characters
 * of random text read out for every button).
 */
function linkTag(link: ShareLink): string {
  return `…${link.path.slice(-4)}`;
}

/** Who made the link, in words. */
function madeBy(link: ShareLink): string {
  return `Made by ${link.created_by_name ?? "an account with no display name"}`;
}

/** Why a link that ended or is paused does not work, when its badge does not say it all. */
function whyNotWorking(link: ShareLink, state: LinkState): string | null {
  if (state === "paused") return "Paused while the video is unpublished: it works again once the video is published.";
  if (state === "stopped" && link.revoked_reason === "maker_no_longer_admin") {
    return `Stopped: ${link.created_by_name ?? "its maker"} is no longer an admin.`;
  }
  return null;
}

/** Why a new link was refused, in words an admin acts on. */
function creationRefused(err: unknown): string {
  if (err instanceof ApiError && err.code === SHARE_REFUSALS.itemNotPublished) return PUBLISH_FIRST;
  if (err instanceof ApiError && err.code === SHARE_REFUSALS.tooMany) {
    return "This video has as many links that work as it may have: stop sharing one to make another.";
  }
  return `Could not create a link: ${errorSentence(err)}`;
}

/**
 * "Share link…" in a library row: opens the video's share links (each with who made it, Copy
 * and Stop sharing; ended ones greyed, with why they stopped) and the form that makes one. A
 * draft's panel says to publish it first; its old links are listed as paused, to be stopped:
 * they work again once it is published.
 */
export function LibraryShareLinks({ item }: { item: CatalogueItem }) {
  return <RowPanelButton label="Share link…" name={`Share link for ${item.title}`} panel={(id) => <ShareLinksPanel id={id} item={item} />} />;
}

/**
 * The panel itself: what a link gives, the form, what was done (focused once a link is
 * stopped: its buttons go with it), and the list.
 */
function ShareLinksPanel({ id, item }: { id: string; item: CatalogueItem }) {
  const fetchLinks = useCallback((signal: AbortSignal) => listShareLinks(item.id, signal), [item.id]);
  const { data: listed, error, loading, reload } = useAsync(fetchLinks);
  const action = useAction();
  const [news, setNews] = useState<Notice | null>(null);
  const said = (text: string) => setNews({ text, focus: false });
  const changed = (notice: Notice) => {
    setNews(notice);
    reload();
  };
  return (
    <section id={id} className="share-panel library-share" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Share links</h3>
      <p className="small">Anyone with this link can watch this video without an account.</p>
      {listed?.embed_sites.length === 0 && (
        <p className="muted small" data-testid="embedding-off">
          Other sites can&apos;t embed videos: embedding is turned off on this server. An admin of the server can turn it on with the
          STREAMSTACK_EMBED_ANCESTORS setting.
        </p>
      )}
      {item.status === "published" ? (
        <NewShareLinkForm itemId={item.id} action={action} onCreated={() => changed({ text: "Link created: copy it below.", focus: false })} />
      ) : (
        <p className="muted small" data-testid="share-publish-first">
          {PUBLISH_FIRST}
        </p>
      )}
      <FormError message={action.error} />
      <FocusedMessage message={news?.text} told={news} focus={news?.focus ?? false} role="status" className="small" testId="share-news" />
      {loading && <p role="status">Loading…</p>}
      <ErrorMessage error={error} onRetry={reload} />
      {listed && (
        <ShareLinkList
          links={listed.links}
          embed={{ title: item.title, duration: item.duration_seconds, sites: listed.embed_sites }}
          published={item.status === "published"}
          action={action}
          onCopied={said}
          onStopped={() => changed({ text: "Stopped: the link no longer works.", focus: true })}
        />
      )}
    </section>
  );
}

/** What a link's embed code is made of: the video's and the server's. */
interface EmbedFacts {
  /** The video's title, which an embed code's frame is named by. */
  title: string;
  /** How long the video plays (null: unknown), which an embed's start time is within. */
  duration: number | null;
  /** The sites that may embed the links' players (`*`: any; none: embedding is off). */
  sites: string[];
}

/** Makes a link that expires after the chosen days (7 by default), or never. */
function NewShareLinkForm({ itemId, action, onCreated }: { itemId: string; action: Action; onCreated: () => void }) {
  const [expiry, setExpiry] = useState("7");
  const create = (event: FormEvent) => {
    event.preventDefault();
    return action.run("create", creationRefused, async () => {
      await createShareLink(itemId, expiry === "never" ? null : Number(expiry));
      onCreated();
    });
  };
  return (
    <form className="toolbar" aria-label="Create a link" onSubmit={(e) => void create(e)}>
      <SelectField label="Expires" value={expiry} choices={EXPIRY_CHOICES} onChange={setExpiry} />
      <SubmitButton className="button primary" busy={action.running !== null}>
        Create a link
      </SubmitButton>
    </form>
  );
}

/** The video's links, newest first; stopping one is confirmed first. */
function ShareLinkList({
  links,
  embed,
  published,
  action,
  onCopied,
  onStopped,
}: {
  links: ShareLink[];
  embed: EmbedFacts;
  /** Whether the video is published: its links are paused while it is not. */
  published: boolean;
  action: Action;
  /** Whether the browser took a link onto the clipboard, in words. */
  onCopied: (message: string) => void;
  onStopped: () => void;
}) {
  const [stopping, setStopping] = useState<ShareLink | null>(null);
  const stop = (link: ShareLink) =>
    action.run(link.id, "Could not stop sharing the link", async () => {
      await stopShareLink(link.id);
      setStopping(null);
      onStopped();
    });
  const busy = action.running !== null;
  return (
    <>
      <RevocableList label="Share links" empty="No links yet." items={links}>
        {(link) => (
          <ShareLinkItem
            link={link}
            embed={embed}
            published={published}
            busy={busy}
            onCopied={onCopied}
            onStop={() => setStopping(link)}
          />
        )}
      </RevocableList>
      {stopping && (
        <ConfirmDialog
          title="Stop sharing this link?"
          confirmLabel="Stop sharing"
          destructive
          busy={action.running === stopping.id}
          onConfirm={() => void stop(stopping)}
          onCancel={() => setStopping(null)}
        >
          <p>This link will no longer work: whoever has it can no longer watch the video, even one already playing.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

const ENDED_LABELS = { paused: "Paused", expired: "Expired", stopped: "Stopped" } as const;

/**
 * One link: its address, who made it, when it was made and ends, how often it was opened, and
 * why it does not work if it does not; Copy, Embed and Stop sharing while it works, Stop sharing
 * while it is paused.
 */
function ShareLinkItem({
  link,
  embed,
  published,
  busy,
  onCopied,
  onStop,
}: {
  link: ShareLink;
  embed: EmbedFacts;
  published: boolean;
  busy: boolean;
  onCopied: (message: string) => void;
  onStop: () => void;
}) {
  const [embedding, setEmbedding] = useState(false);
  const embedPath = link.embed_path;
  const embedId = useId();
  const state = linkState(link, published);
  const why = whyNotWorking(link, state);
  const url = absoluteUrl(link.path);
  const tag = linkTag(link);
  const live = state === "live";
  const stop = <StopButton tag={tag} busy={busy} onStop={onStop} />;
  return (
    <RevocableItem
      testId="share-link"
      ended={!live}
      name={<code className="invite-link">{url}</code>}
      badge={!live && <span className="badge">{ENDED_LABELS[state]}</span>}
      when={linkFacts(link, state)}
      details={
        why && (
          <p className="small" data-testid="share-link-why">
            {why}
          </p>
        )
      }
      opened={live && embedding && embedPath && <EmbedCode id={embedId} link={link} embedPath={embedPath} embed={embed} onCopied={onCopied} />}
      action={
        state === "paused"
          ? stop
          : live && (
              <span className="button-row">
                <CopyButton text={url} label={`Copy link ${tag}`} what="Link" onCopied={onCopied} />
                {/* None where the server lets no site frame its players (EMBED_ANCESTORS 'none'). */}
                {embedPath && <EmbedToggle tag={tag} embedId={embedId} open={embedding} onToggle={() => setEmbedding(!embedding)} />}
                {stop}
              </span>
            )
      }
    />
  );
}

/** Embed: shows or hides a working link's (`tag`: linkTag) embed code (the element `embedId`). */
function EmbedToggle({ tag, embedId, open, onToggle }: { tag: string; embedId: string; open: boolean; onToggle: () => void }) {
  return (
    <button type="button" className="button" aria-expanded={open} aria-controls={embedId} aria-label={`Embed link ${tag}`} onClick={onToggle}>
      Embed
    </button>
  );
}

/** "once", "3 times". */
function times(count: number): string {
  return count === 1 ? "once" : `${count} times`;
}

/**
 * Who made a link, when it was made and ends, how often its page or embed was loaded (played
 * or not: a blog page counts each reader) and how often it played, in one line.
 */
function linkFacts(link: ShareLink, state: LinkState): string {
  const ends = state === "expired" ? "Expired" : "Expires";
  const expires = link.expires_at ? `${ends} ${formatDate(link.expires_at)}` : "Never expires";
  const counts = `Opened ${times(link.opens)} (page loads, embeds included) · Played ${times(link.plays)}`;
  return `${madeBy(link)} · Created ${formatDate(link.created_at)} · ${expires} · ${counts}`;
}

/** Stop sharing the link `tag` (linkTag; confirmed first, by the list). */
function StopButton({ tag, busy, onStop }: { tag: string; busy: boolean; onStop: () => void }) {
  return (
    <ActionButton label={`Stop sharing link ${tag}`} busy={busy} onClick={onStop}>
      Stop sharing
    </ActionButton>
  );
}

/** Copy: puts `text` on the clipboard and says whether the browser took it. */
function CopyButton({
  text,
  label,
  what,
  onCopied,
}: {
  text: string;
  label: string;
  /** What is copied, in words: "Link", "Embed code". */
  what: string;
  onCopied: (message: string) => void;
}) {
  const copy = async () =>
    onCopied(
      (await copyText(text))
        ? `${what} copied.`
        : `This browser would not copy it: select the ${what.toLowerCase()} and copy it.`,
    );
  return (
    // Said what it copies: two buttons both reading "Copy" stood one above the other.
    <button type="button" className="button" aria-label={label} onClick={() => void copy()}>
      Copy {what.toLowerCase()}
    </button>
  );
}

/**
 * Which sites the code works on, where the server names them (STREAMSTACK_EMBED_ANCESTORS):
 * any other shows a blank frame saying the server refused to connect.
 */
function EmbedSites({ sites }: { sites: string[] }) {
  if (sites.length === 0 || sites.includes("*")) return null;
  const named = sites.map((site) => (site === "'self'" ? window.location.origin : site));
  return (
    <p className="small" data-testid="embed-sites">
      Works on: {named.join(", ")}. On other sites the frame stays blank and says the server refused to connect; an admin of the
      server can add a site to the STREAMSTACK_EMBED_ANCESTORS setting.
    </p>
  );
}

/** Where "Start at" has the video begin (none when empty or 0:00), or what is wrong with it. */
function startAt(text: string, duration: number | null): { seconds?: number; problem?: string } {
  const written = text.trim();
  if (!written) return {};
  const seconds = parseMoment(written);
  if (seconds === null) return { problem: "Write the time as minutes and seconds, such as 1:30." };
  if (!isWithin(seconds, duration)) {
    return { problem: `The video is ${formatDuration(duration)} long: choose a time before its end.` };
  }
  return seconds >= 1 ? { seconds } : {};
}

/**
 * A link's embed code: the `<iframe>` to paste into another site's page, to select or copy;
 * with a "Start at" time, the code and a link to copy both start the video there.
 */
function EmbedCode({
  id,
  link,
  embedPath,
  embed: { title, duration, sites },
  onCopied,
}: {
  id: string;
  link: ShareLink;
  embedPath: string;
  embed: EmbedFacts;
  onCopied: (message: string) => void;
}) {
  const [startText, setStartText] = useState("");
  const { seconds, problem } = startAt(startText, duration);
  const code = embedCode(embedPath, title, seconds);
  const linkAt = absoluteUrl(atMoment(link.path, seconds));
  return (
    <div id={id} className="embed-code">
      <InputField
        label="Start at"
        hint="Minutes and seconds, such as 1:30. Leave it empty to start at the beginning."
        error={problem}
        inputMode="numeric"
        placeholder="0:00"
        value={startText}
        onChange={setStartText}
      />
      <label htmlFor={`${id}-code`}>Embed code</label>
      <p className="muted small" id={`${id}-hint`}>
        Paste it into another site&apos;s page to play the video there, for as long as the link works.
      </p>
      <EmbedSites sites={sites} />
      <textarea
        id={`${id}-code`}
        readOnly
        rows={3}
        value={code}
        aria-describedby={`${id}-hint`}
        onFocus={(e) => e.currentTarget.select()}
        data-testid="embed-code"
      />
      <span className="button-row">
        <CopyButton text={code} label="Copy embed code" what="Embed code" onCopied={onCopied} />
        {seconds !== undefined && (
          <CopyButton text={linkAt} label={`Copy link at ${formatDuration(seconds)}`} what={`Link at ${formatDuration(seconds)}`} onCopied={onCopied} />
        )}
      </span>
    </div>
  );
}
