// `npm run gen:api`: the SPA's API types, generated from the app's own OpenAPI document.
//
//   node scripts/gen-api.mjs [OUT_DIR]     (default: src/api)
//
// 1. scripts/dump-openapi.py builds the Python app in-process and writes OUT_DIR/openapi.json;
// 2. openapi-typescript turns it into OUT_DIR/schema.d.ts, which src/api/client.ts
//    (openapi-fetch) and the pages import;
// 3. the input limits the forms enforce (title length, tags, caption language …) and the
//    patterns some inputs must match are read from the same document into
//    OUT_DIR/limits.ts (LIMITS, PATTERNS), and the encodings a caption file may be saved in
//    with their names for people (CAPTION_ENCODINGS), so the SPA has no copy of its own.
// The Python interpreter is $STREAMSTACK_PYTHON, else the repository's .venv, else python3.
// tests/e2e/test_api_types_fresh.py runs this into a temporary directory and fails when
// the committed files differ.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = resolve(process.argv[2] ?? join(web, "src", "api"));
const venvPython = join(web, "..", ".venv", "bin", "python");
const python = process.env.STREAMSTACK_PYTHON ?? (existsSync(venvPython) ? venvPython : "python3");
const openapiTypescript = join(web, "node_modules", ".bin", "openapi-typescript");

mkdirSync(outDir, { recursive: true });
const documentPath = join(outDir, "openapi.json");
const typesPath = join(outDir, "schema.d.ts");
execFileSync(python, [join(web, "scripts", "dump-openapi.py"), documentPath], { stdio: "inherit" });
execFileSync(openapiTypescript, [documentPath, "--output", typesPath, "--root-types", "--root-types-no-schema-prefix", "--default-non-nullable", "false"], {
  stdio: ["ignore", "ignore", "inherit"],
});

/** The node at a JSON pointer into `doc` (a parameter list is searched by name), or undefined. */
function nodeAt(doc, pointer) {
  let node = doc;
  for (const part of pointer.split("/").slice(1)) {
    const key = part.replaceAll("~1", "/");
    node = Array.isArray(node) ? node.find((p) => p.name === key) : node?.[key];
  }
  return node;
}

/** The number at the first of `pointers` that exists in `doc`, or a failure naming what is missing. */
function at(doc, what, ...pointers) {
  for (const pointer of pointers) {
    const node = nodeAt(doc, pointer);
    if (typeof node === "number") return node;
  }
  throw new Error(`gen:api: the OpenAPI document states no ${what} (looked at ${pointers.join(", ")})`);
}

/** The string at `pointer` in `doc` (a pattern), or a failure naming what is missing. */
function textAt(doc, what, pointer) {
  const node = nodeAt(doc, pointer);
  if (typeof node === "string") return node;
  throw new Error(`gen:api: the OpenAPI document states no ${what} (looked at ${pointer})`);
}

const doc = JSON.parse(readFileSync(documentPath, "utf8"));
const update = "#/components/schemas/UpdateMediaItem/properties";
const create = "#/components/schemas/CreateMediaItem/properties";
const register = "#/components/schemas/RegisterRequest/properties";
const login = "#/components/schemas/LoginRequest/properties";
const caption = "#/paths/~1api~1v1~1ingest~1items~1{item_id}~1captions~1{language}/put/parameters";
const limits = {
  title: at(doc, "title length", `${update}/title/maxLength`, `${create}/title/maxLength`),
  search: at(doc, "search length", "#/paths/~1api~1v1~1catalogue/get/parameters/q/schema/maxLength"),
  description: at(doc, "description length", `${update}/description/maxLength`, `${create}/description/maxLength`),
  tags: at(doc, "tag count", `${update}/tags/maxItems`, `${create}/tags/maxItems`),
  tag: at(
    doc,
    "tag length",
    "#/paths/~1api~1v1~1catalogue/get/parameters/tag/schema/maxLength",
    `${update}/tags/items/maxLength`,
    `${create}/tags/items/maxLength`,
  ),
  email: at(doc, "email length", `${register}/email/maxLength`, `${login}/email/maxLength`),
  passwordMin: at(doc, "password minimum", `${register}/password/minLength`),
  passwordMax: at(doc, "password maximum", `${register}/password/maxLength`, `${login}/password/maxLength`),
  displayName: at(doc, "display name length", `${register}/display_name/maxLength`),
  inviteCode: at(doc, "invite code length", `${register}/invite_code/maxLength`),
  twoFactorCode: at(
    doc,
    "two-factor code length",
    "#/components/schemas/TwoFactorEnable/properties/code/maxLength",
    "#/components/schemas/TwoFactorProof/properties/code/maxLength",
  ),
  comment: at(doc, "comment length", "#/components/schemas/Comment/properties/body/maxLength"),
  reportReason: at(doc, "report reason length", "#/components/schemas/ModeratedComment/properties/reasons/items/maxLength"),
  inviteNote: at(doc, "invite note length", "#/components/schemas/InviteRequest/properties/note/maxLength"),
  captionLanguage: at(doc, "caption language length", `${caption}/language/schema/maxLength`),
  captionLabel: at(doc, "caption label length", `${caption}/label/schema/maxLength`),
  captionTracks: at(doc, "caption track count", "#/components/schemas/MediaItem/properties/captions/maxItems"),
  playlists: at(doc, "playlist count", "#/components/schemas/PlaylistPage/properties/total/maximum"),
  playlistItems: at(doc, "playlist item count", "#/components/schemas/Playlist/properties/items/maxItems"),
  page: at(doc, "page number", "#/paths/~1api~1v1~1catalogue/get/parameters/page/schema/maximum"),
  pageSize: at(doc, "page size", "#/paths/~1api~1v1~1catalogue/get/parameters/page_size/schema/maximum"),
  tagsListed: at(doc, "tags listed", "#/paths/~1api~1v1~1catalogue~1tags/get/parameters/limit/schema/maximum"),
  thumbnailImageBytes: at(
    doc,
    "thumbnail image size",
    "#/paths/~1api~1v1~1ingest~1items~1{item_id}~1thumbnail~1image/put/requestBody/content/image~1png/schema/maxLength",
  ),
};
const patterns = {
  captionLanguage: textAt(doc, "caption language pattern", `${caption}/language/schema/pattern`),
};
/** The choices of the parameter schema at `pointer` (its `oneOf` of `const` and `title`). */
function choicesAt(doc, what, pointer) {
  const node = nodeAt(doc, pointer);
  if (Array.isArray(node) && node.every((c) => typeof c.const === "string" && typeof c.title === "string")) {
    return node.map((c) => ({ label: c.const, name: c.title }));
  }
  throw new Error(`gen:api: the OpenAPI document states no ${what} (looked at ${pointer})`);
}
const captionEncodings = choicesAt(doc, "caption encodings", `${caption}/encoding/schema/oneOf`);
const limitsPath = join(outDir, "limits.ts");
const entries = Object.entries(limits).map(([name, value]) => `  ${name}: ${value},`).join("\n");
const patternEntries = Object.entries(patterns)
  .map(([name, value]) => `  ${name}: new RegExp(${JSON.stringify(value)}),`)
  .join("\n");
writeFileSync(
  limitsPath,
  `// Generated by scripts/gen-api.mjs from openapi.json (npm run gen:api): do not edit.\n` +
    `/** The input limits the API enforces, as its OpenAPI document states them. */\n` +
    `export const LIMITS = {\n${entries}\n} as const;\n\n` +
    `/** The shapes the API requires of some inputs, from the same document. */\n` +
    `export const PATTERNS = {\n${patternEntries}\n} as const;\n\n` +
    `/** The encodings a caption file may be saved in (WHATWG labels), with their names. */\n` +
    `export const CAPTION_ENCODINGS = [\n${captionEncodings.map((c) => `  ${JSON.stringify(c)},`).join("\n")}\n] as const;\n`,
);
console.log(`gen:api: wrote ${documentPath}, ${typesPath} and ${limitsPath}`);
