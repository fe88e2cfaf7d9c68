/**
 * Starts the browser's download of `url` (same origin) without leaving the
 * page: a link the server answers with `Content-Disposition: attachment`, whose
 * file name the browser then takes.
 */
export function startDownload(url: string): void {
  const link = document.createElement("a");
  link.href = url;
  link.download = "";
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
}
