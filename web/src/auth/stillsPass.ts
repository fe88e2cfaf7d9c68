import { useEffect } from "react";
import { getFreshAccessToken } from "../api/client";
import { getAccessToken } from "../api/tokenStore";

/** Marks an image already loaded again once, so a still that stays refused is not retried. */
const RENEWED = "stillsPassRenewed";

/**
 * An admin's browser is shown unpublished items' stills through the stills pass, a
 * cookie auth sets with each access token and that lives as long as it. Only an API
 * call renews it, so a page left open past the token's life loaded its lazy images
 * without it (404). While an admin is signed in, an image that fails while the
 * token is expired (or about to be) renews it and loads once more.
 */
export function useStillsPassRenewal(isAdmin: boolean): void {
  useEffect(() => {
    if (!isAdmin) return;
    // Capture: an image's error event does not bubble.
    const onError = (event: Event) => {
      if (event.target instanceof HTMLImageElement) void reloadWithFreshPass(event.target);
    };
    document.addEventListener("error", onError, true);
    return () => document.removeEventListener("error", onError, true);
  }, [isAdmin]);
}

/**
 * Renews the access token (and with it the pass) when it is expired or about to be, then
 * loads `image` again; true when it did. Once per image: with a pass that was still
 * valid, the refusal stands.
 */
export async function reloadWithFreshPass(image: HTMLImageElement): Promise<boolean> {
  if (image.dataset[RENEWED] !== undefined) return false;
  image.dataset[RENEWED] = "";
  const before = getAccessToken();
  const fresh = await getFreshAccessToken().catch(() => null);
  if (fresh === null || fresh === before) return false;
  // Setting an attribute, even to its own value, makes the browser select and load anew.
  for (const name of ["srcset", "src"]) {
    const value = image.getAttribute(name);
    if (value !== null) image.setAttribute(name, value);
  }
  return true;
}
