import { useRef, useState, type DragEvent, type FormEvent, type RefObject } from "react";
import { Field } from "../components/Field";
import { DescriptionAndTagsFields, TitleField } from "../components/MediaFields";
import { formatBytes, parseTags, tagsProblem, titleFromFilename } from "../lib/format";
import type { UploadItem } from "../upload/useTusUpload";

/** The endings of the files the server takes (it decides by their bytes): videos, and sound alone. */
const MEDIA_EXTENSIONS = [
  ...["mkv", "mp4", "m4v", "mov", "webm", "avi", "ts", "mts", "m2ts", "ogv"],
  ...["mpg", "mpeg", "m2p", "vob", "mod", "tod", "wmv", "asf", "flv"],
  ...["mp3", "m4a", "m4b", "aac", "flac", "wav", "aif", "aiff", "ogg", "oga", "opus", "mka", "wma"],
];
const ACCEPT = ["video/*", "audio/*", ...MEDIA_EXTENSIONS.map((e) => `.${e}`)].join(",");

function isProbablyMedia(file: File): boolean {
  const extension = file.name.split(".").pop()?.toLowerCase() ?? "";
  return file.type === "" || /^(video|audio)\//.test(file.type) || MEDIA_EXTENSIONS.includes(extension);
}

/** The upload being prepared: the files chosen and the details each of them gets. */
export interface UploadDraft {
  files: File[];
  title: string;
  setTitle: (title: string) => void;
  /** Description and tags, as DescriptionAndTagsFields takes them. */
  details: { description: string; onDescription: (text: string) => void; tags: string; onTags: (text: string) => void };
  publish: boolean;
  setPublish: (publish: boolean) => void;
  /** Why the draft cannot be uploaded as it is, else null. */
  error: string | null;
  /** There is something to upload: files, and a title when there is one file. */
  ready: boolean;
  fileInput: RefObject<HTMLInputElement | null>;
  choose: (files: File[]) => void;
  /** The files with their tus metadata; null, with `error` saying why, when the tags are not acceptable. */
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
  const [publish, setPublish] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  function choose(next: File[]) {
    setFiles(next);
    setError(null);
    const first = next[0];
    if (next.length === 1 && first && title.trim() === "") setTitle(titleFromFilename(first.name));
  }

  function prepare(): UploadItem[] | null {
    const tagList = parseTags(tags);
    const problem = tagsProblem(tagList);
    setError(problem);
    if (problem) return null;
    const shared = { description: description.trim(), tags: tagList.join(","), publish: publish ? "true" : "false" };
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
    setError(null);
    if (fileInput.current) fileInput.current.value = "";
  }

  const ready = files.length > 0 && !(files.length === 1 && title.trim() === "");
  const details = { description, onDescription: setDescription, tags, onTags: setTags };
  return { files, title, setTitle, details, publish, setPublish, error, ready, fileInput, choose, prepare, clear };
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

      {draft.files.length <= 1 ? (
        <TitleField value={draft.title} onChange={draft.setTitle} disabled={locked} />
      ) : (
        <p className="hint">Each file is titled after its name; change titles later in the library.</p>
      )}
      <DescriptionAndTagsFields {...draft.details} tagsPlaceholder="nature, timelapse" disabled={locked} />
      <div className="field checkbox">
        <input
          id="upload-publish"
          type="checkbox"
          disabled={locked}
          checked={draft.publish}
          onChange={(e) => draft.setPublish(e.target.checked)}
        />
        <label htmlFor="upload-publish">Publish when processing is done</label>
      </div>

      {!locked && (
        <button type="submit" className="button primary" disabled={!draft.ready}>
          Upload
        </button>
      )}
    </form>
  );
}

/** Where files are dropped or chosen, and what was chosen. */
function FileDropzone({ draft, locked }: { draft: UploadDraft; locked: boolean }) {
  const [dragging, setDragging] = useState(false);

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
            accept={ACCEPT}
            disabled={locked}
            onChange={(e) => draft.choose([...(e.target.files ?? [])])}
          />
        )}
      </Field>
      <ChosenFiles files={draft.files} />
    </div>
  );
}

/** The chosen files' names and sizes, with a warning for any that looks like neither video nor sound. */
function ChosenFiles({ files }: { files: File[] }) {
  if (files.length === 0) return null;
  const suspicious = files.filter((f) => !isProbablyMedia(f));
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
