import { useLayoutEffect, useRef } from "react";
import { LIMITS } from "../api/limits";
import { Field, InputField } from "./Field";

/** A video's title, as the upload form and the library's edit form ask for it. */
export function TitleField({
  value,
  onChange,
  disabled = false,
  autoFocus = false,
}: {
  value: string;
  onChange: (title: string) => void;
  disabled?: boolean;
  /** Focused as it appears (a form opened in place of the button that opened it). */
  autoFocus?: boolean;
}) {
  return (
    <InputField
      label="Title"
      type="text"
      autoFocus={autoFocus}
      required
      maxLength={LIMITS.title}
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
  const tagsField = useRef<HTMLInputElement>(null);
  // In the commit the error shows in: the field is announced with it, described by it.
  useLayoutEffect(() => {
    if (tagsError) tagsField.current?.focus();
  }, [tagsError]);
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
