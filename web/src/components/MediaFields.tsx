import { useLayoutEffect, useRef } from "react";
import { LIMITS } from "../api/limits";
import { Field, InputField } from "./Field";

/** A video's title, as the upload form and the library's edit form ask for it. */
export function TitleField({
  value,
  onChange,
  disabled = false,
  autoFocus = false,
  error = null,
}: {
  value: string;
  onChange: (title: string) => void;
  disabled?: boolean;
  /** Focused as it appears (a form opened in place of the button that opened it). */
  autoFocus?: boolean;
  /** What is wrong with the title, told on the field, which takes the focus to fix it there. */
  error?: string | null;
}) {
  const field = useFocusOnError(error);
  return (
    <InputField
      label="Title"
      type="text"
      autoFocus={autoFocus}
      required
      maxLength={LIMITS.title}
      error={error}
      ref={field}
      disabled={disabled}
      value={value}
      onChange={onChange}
    />
  );
}

/**
 * A video's description and comma-separated tags, as the upload form and
 * the library's edit form ask for them (checked with `tagsProblem`). `tagsError`, what is
 * wrong with the tags, is told on their field, which takes the focus to fix them there.
 */
export function DescriptionAndTagsFields({
  description,
  onDescription,
  tags,
  onTags,
  tagsPlaceholder,
  tagsError = null,
  disabled = false,
}: {
  description: string;
  onDescription: (text: string) => void;
  tags: string;
  onTags: (text: string) => void;
  tagsPlaceholder: string;
  tagsError?: string | null;
  disabled?: boolean;
}) {
  const tagsField = useFocusOnError(tagsError);
  return (
    <>
      <Field label="Description">
        {(control) => (
          <textarea
            {...control}
            maxLength={LIMITS.description}
            rows={3}
            disabled={disabled}
            value={description}
            onChange={(e) => onDescription(e.target.value)}
          />
        )}
      </Field>
      <InputField
        label="Tags"
        hint="Separate tags with commas."
        type="text"
        placeholder={tagsPlaceholder}
        error={tagsError}
        ref={tagsField}
        disabled={disabled}
        value={tags}
        onChange={onTags}
      />
    </>
  );
}

/** A field's ref, focused in the commit its `error` shows in: the field is announced with it, described by it. */
function useFocusOnError(error: string | null) {
  const field = useRef<HTMLInputElement>(null);
  useLayoutEffect(() => {
    if (error) field.current?.focus();
  }, [error]);
  return field;
}
