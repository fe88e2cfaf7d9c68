import {
  use,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  type Dispatch,
  type DragEvent,
  type FormEvent,
  type RefObject,
  type SetStateAction,
} from "react";
import type { PreviousUpload } from "tus-js-client";
import { listAcceptedFormats } from "../api/ingest";
import type { AcceptedFormats } from "../api/schema";
import { Field } from "../components/Field";
import { DescriptionAndTagsFields, TitleField } from "../components/MediaFields";
import { instantOf, PublishTimeField, publishTimeProblem } from "../components/PublishTimeField";
import { formatBytes, formatDate, parseTags, tagsProblem, titleFromFilename, titleProblem } from "../lib/format";
import { useAsync } from "../lib/useAsync";
import { sentByAnotherTab } from "../upload/otherTab";
import { resumableUploadOf, TusClientContext, type UploadItem } from "../upload/useTusUpload";
import { SubmitButton } from "../components/SubmitButton";

/** What the file picker offers before the server has said what it takes, or when it cannot say. */
const ANY_MEDIA = "video/*,audio/*";

/** The files the picker offers, and whether a chosen file looks like one the server takes. */
interface AcceptedFiles {
  accept: string;
  looksAccepted: (file: File) => boolean;
}

/**
 * The files the server takes (it decides by their bytes), as it lists them: any video or
 * sound, and the endings of the forms a browser may not know as either (.mts, .vob, .mka …).
 * Until it has answered, or if it cannot, any video or sound is offered and no file is
 * doubted: the server decides, and the upload never waits for this list.
 */
function acceptedFiles(formats: AcceptedFormats | null): AcceptedFiles {
  if (formats === null) return { accept: ANY_MEDIA, looksAccepted: () => true };
  const extensions = new Set(formats.formats.flatMap((format) => format.extensions));
  return {
    accept: [ANY_MEDIA, ...[...extensions].map((extension) => `.${extension}`)].join(","),
    looksAccepted(file) {
      const dot = file.name.lastIndexOf(".");
      const extension = dot < 0 ? "" : file.name.slice(dot + 1).toLowerCase();
      return file.type === "" || /^(video|audio)\//.test(file.type) || extensions.has(extension);
    },
  };
}

/** The files the server takes, asked once when the form opens. */
function useAcceptedFiles(): AcceptedFiles {
  const { data } = useAsync(useCallback((signal: AbortSignal) => listAcceptedFormats(signal), []));
  return useMemo(() => acceptedFiles(data), [data]);
}

/** What happens to an upload once it is in: public at once, a draft, or a draft until a time. */
type Release = "publish" | "draft" | "schedule";

/** What happens once the upload is in, as the form asks it. */
interface ReleaseDraft {
  release: Release;
  setRelease: (release: Release) => void;
  /** The time picked for a schedule (a `datetime-local` value). */
  publishAt: string;
  setPublishAt: (value: string) => void;
  /** What is wrong with the time picked for a schedule, else null. */
  publishAtError: string | null;
}

/**
 * The release choice's state (Publish unless another is picked); `metadata` is its tus
 * metadata, or null (with `publishAtError` saying why) when the time picked will not do.
 */
function useRelease(): ReleaseDraft & { metadata: () => Record<string, string> | null; reset: () => void } {
  const [release, setRelease] = useState<Release>("publish");
  const [publishAt, setPublishAt] = useState("");
  const [publishAtError, setPublishAtError] = useState<string | null>(null);
  function metadata(): Record<string, string> | null {
    if (release !== "schedule") return { publish: release === "publish" ? "true" : "false" };
    const problem = publishTimeProblem(publishAt);
    setPublishAtError(problem);
    return problem ? null : { publish_at: instantOf(publishAt) ?? "" };
  }
  function pick(value: string) {
    setPublishAt(value);
    setPublishAtError(null);
  }
  const reset = () => setPublishAtError(null);
  return { release, setRelease, publishAt, setPublishAt: pick, publishAtError, metadata, reset };
}

/** The upload being prepared: the files chosen and the details each of them gets. */
export interface UploadDraft {
  files: File[];
  title: string;
  setTitle: (title: string) => void;
  /** Description and tags, as DescriptionAndTagsFields takes them. */
  details: { description: string; onDescription: (text: string) => void; tags: string; onTags: (text: string) => void };
  /** What happens once the files are in. */
  release: ReleaseDraft;
  /** What is wrong with the tags (the draft cannot be uploaded with them), else null. */
  tagsError: string | null;
  /** What is wrong with the title typed, likewise. */
  titleError: string | null;
  /** There is something to upload: files, and a title when there is one file. */
  ready: boolean;
  fileInput: RefObject<HTMLInputElement | null>;
  /** An earlier upload of the one file chosen, which Upload resumes (with what it was begun with). */
  resumes: PreviousUpload | null;
  choose: (files: File[]) => void;
  /** The files with their tus metadata; null, with `titleError` or `tagsError` saying why, when either is not acceptable. */
  prepare: () => UploadItem[] | null;
  clear: () => void;
}

/**
 * The upload form's state. One file takes the title typed (prefilled from its
 * name); several are titled after their names.
 */
export function useUploadDraft(): UploadDraft {
  const [files, setFiles] = useState<File[]>([]);
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [tags, setTags] = useState("");
  const release = useRelease();
  const [tagsError, setTagsError] = useState<string | null>(null);
  const [titleError, setTitleError] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const resumes = useResumable(files, setTitle);

  function choose(next: File[]) {
    setFiles(next);
    setTagsError(null);
    const first = next[0];
    if (next.length === 1 && first && title.trim() === "") setTitle(titleFromFilename(first.name));
  }

  function prepare(): UploadItem[] | null {
    // Refused here, on its field: the server's refusal came back as a validator's message.
    const titleWrong = files.length === 1 ? titleProblem(title.trim()) : null;
    setTitleError(titleWrong);
    if (titleWrong) return null;
    const tagList = parseTags(tags);
    const problem = tagsProblem(tagList);
    setTagsError(problem);
    if (problem) return null;
    const released = release.metadata();
    if (released === null) return null;
    const shared = { description: description.trim(), tags: tagList.join(","), ...released };
    return files.map((file) => ({
      file,
      // Several files: each is titled after its name (editable in the library).
      metadata: { ...shared, title: files.length === 1 ? title.trim() : titleFromFilename(file.name) },
    }));
  }

  function clear() {
    setFiles([]);
    setTitle("");
    setDescription("");
    setTags("");
    setTagsError(null);
    setTitleError(null);
    release.reset();
    if (fileInput.current) fileInput.current.value = "";
  }

  const ready = files.length > 0 && !(files.length === 1 && title.trim() === "");
  const details = { description, onDescription: setDescription, tags, onTags: setTags };
  return { files, title, setTitle, details, release, tagsError, titleError, ready, fileInput, resumes, choose, prepare, clear };
}

/**
 * The earlier upload of the one file chosen that this browser may resume, looked up as it
 * is chosen: the title it was begun with (which the server keeps) replaces the one made of
 * the file's name, unless one was typed meanwhile.
 */
function useResumable(files: File[], setTitle: Dispatch<SetStateAction<string>>): PreviousUpload | null {
  const Client = use(TusClientContext);
  const [found, setFound] = useState<{ file: File; upload: PreviousUpload } | null>(null);
  const file = files.length === 1 ? files[0] : undefined;
  useEffect(() => {
    if (!file) return;
    let current = true;
    void resumableUploadOf(Client, file).then((upload) => {
      // Another tab sending it now is not an upload that stopped part-way: Upload says so.
      if (!current || !upload || sentByAnotherTab(file)) return;
      setFound({ file, upload });
      const begunAs = upload.metadata.title;
      const named = titleFromFilename(file.name);
      if (begunAs) setTitle((title) => (title.trim() === "" || title === named ? begunAs : title));
    });
    return () => {
      current = false;
    };
  }, [Client, file, setTitle]);
  return found && found.file === file ? found.upload : null;
}

/** Says that Upload resumes an earlier upload of the file chosen, and what it keeps. */
function ResumeNote({ upload }: { upload: PreviousUpload }) {
  const begunAs = upload.metadata.title;
  return (
    <p className="hint" data-testid="upload-resumable">
      This file’s upload began on {formatDate(upload.creationTime)}
      {begunAs ? ` as “${begunAs}”` : ""} and stopped part-way: Upload resumes it where it stopped, with the title,
      description and tags it was begun with.
    </p>
  );
}

/** The files to upload and their details; `locked` while an upload is under way or done. */
export function UploadForm({
  draft,
  locked,
  onSubmit,
}: {
  draft: UploadDraft;
  locked: boolean;
  onSubmit: (event: FormEvent<HTMLFormElement>) => void;
}) {
  return (
    <form className="form" onSubmit={onSubmit}>
      <FileDropzone draft={draft} locked={locked} />

      {draft.resumes && !locked && <ResumeNote upload={draft.resumes} />}
      {draft.files.length <= 1 ? (
        <TitleField value={draft.title} onChange={draft.setTitle} disabled={locked} error={draft.titleError} />
      ) : (
        <p className="hint">Each file is titled after its name; change titles later in the library.</p>
      )}
      <DescriptionAndTagsFields
        {...draft.details}
        tagsPlaceholder="nature, timelapse"
        tagsError={draft.tagsError}
        disabled={locked}
      />
      <ReleaseChoice release={draft.release} locked={locked} />

      {!locked && (
        <SubmitButton className="button primary" busy={!draft.ready}>
          Upload
        </SubmitButton>
      )}
    </form>
  );
}

const RELEASES: { value: Release; label: string; hint: string }[] = [
  { value: "publish", label: "Publish", hint: "everyone who can browse sees it as soon as it plays, often at once" },
  { value: "draft", label: "Keep as a draft", hint: "only admins see it until you publish it from the library" },
  { value: "schedule", label: "Schedule", hint: "a draft until the time you pick, then public by itself" },
];

/** Asks what happens once the upload is in: a choice in plain sight, not a box ticked by default. */
function ReleaseChoice({ release, locked }: { release: ReleaseDraft; locked: boolean }) {
  return (
    <fieldset className="field release-choice" disabled={locked}>
      <legend>When the upload is done</legend>
      {RELEASES.map(({ value, label, hint }) => (
        <label key={value} className="release-option">
          <input
            type="radio"
            name="upload-release"
            value={value}
            checked={release.release === value}
            onChange={() => release.setRelease(value)}
          />
          <span>
            {label} <span className="muted">— {hint}</span>
          </span>
        </label>
      ))}
      {release.release === "schedule" && (
        <PublishTimeField value={release.publishAt} onChange={release.setPublishAt} disabled={locked} error={release.publishAtError} />
      )}
    </fieldset>
  );
}

/** Where files are dropped or chosen, and what was chosen. */
function FileDropzone({ draft, locked }: { draft: UploadDraft; locked: boolean }) {
  const [dragging, setDragging] = useState(false);
  const accepted = useAcceptedFiles();

  function onDrop(event: DragEvent<HTMLDivElement>) {
    event.preventDefault();
    setDragging(false);
    if (!locked) draft.choose([...event.dataTransfer.files]);
  }

  return (
    <div
      className={`dropzone${dragging ? " dragging" : ""}${locked ? " disabled" : ""}`}
      data-testid="dropzone"
      onDragEnter={(e) => {
        e.preventDefault();
        if (!locked) setDragging(true);
      }}
      onDragOver={(e) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = locked ? "none" : "copy";
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      <Field
        label="Video or sound file"
        labelClassName="dropzone-label"
        hint="Drag and drop videos or sound files here, or choose them; several are uploaded one after another."
      >
        {(control) => (
          <input
            {...control}
            ref={draft.fileInput}
            type="file"
            multiple
            accept={accepted.accept}
            disabled={locked}
            onChange={(e) => draft.choose([...(e.target.files ?? [])])}
          />
        )}
      </Field>
      <ChosenFiles files={draft.files} looksAccepted={accepted.looksAccepted} />
    </div>
  );
}

/** The chosen files' names and sizes, with a warning for any that looks like neither video nor sound. */
function ChosenFiles({ files, looksAccepted }: { files: File[]; looksAccepted: (file: File) => boolean }) {
  if (files.length === 0) return null;
  const suspicious = files.filter((f) => !looksAccepted(f));
  return (
    <>
      <ul className="file-chosen" data-testid="upload-file-names">
        {files.map((f, i) => (
          <li key={`${i}-${f.name}`}>
            {f.name} · {formatBytes(f.size)}
          </li>
        ))}
      </ul>
      {suspicious.length > 0 && (
        <p className="hint" role="status">
          {suspicious.map((f) => f.name).join(", ")} {suspicious.length === 1 ? "does" : "do"} not look like a video or sound file;
          the server may reject {suspicious.length === 1 ? "it" : "them"}.
        </p>
      )}
    </>
  );
}
