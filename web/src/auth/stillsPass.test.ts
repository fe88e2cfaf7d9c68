import { renderHook, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { getAccessToken, setAccessToken } from "../api/tokenStore";
import { API, recordRequests, refreshGives, sentTo, server } from "../test/server";
import { reloadWithFreshPass, useStillsPassRenewal } from "./stillsPass";

const REFRESH = `${API}/auth/refresh`;
const STILL = "/api/v1/stream/thumbnails/item-1.jpg";
const SET = `${STILL} 320w, /api/v1/stream/thumbnails/item-1-poster.jpg 1280w`;

afterEach(() => {
  document.body.replaceChildren();
});

/** An image in the page, and the attributes set on it from now on. */
function still(): { image: HTMLImageElement; set: string[] } {
  const image = document.createElement("img");
  image.setAttribute("srcset", SET);
  image.setAttribute("src", STILL);
  document.body.append(image);
  const set: string[] = [];
  const observer = new MutationObserver((records) => {
    for (const record of records) if (record.attributeName) set.push(record.attributeName);
  });
  observer.observe(image, { attributeFilter: ["src", "srcset"] });
  return { image, set };
}

/** Lets the observer's records arrive. */
const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("reloadWithFreshPass", () => {
  it("renews an expired token, then loads the image's sources again, once", async () => {
    setAccessToken("tok-old", 0);
    server.use(refreshGives("tok-new"));
    const seen = recordRequests();
    const { image, set } = still();

    await expect(reloadWithFreshPass(image)).resolves.toBe(true);
    await settled();
    expect(getAccessToken()).toBe("tok-new");
    expect(sentTo(seen, "POST", REFRESH)).toHaveLength(1);
    expect(set).toEqual(["srcset", "src"]);
    expect(image.getAttribute("src")).toBe(STILL);
    expect(image.getAttribute("srcset")).toBe(SET);

    // Refused again with the new pass: the refusal stands.
    setAccessToken("tok-old-again", 0);
    await expect(reloadWithFreshPass(image)).resolves.toBe(false);
    expect(sentTo(seen, "POST", REFRESH)).toHaveLength(1);
  });

  it.each([
    ["while the token (and so the pass) is valid", () => setAccessToken("tok-valid", 1800)],
    ["when signed out", () => undefined],
  ])("leaves an image alone and asks nothing %s", async (_when, signIn) => {
    signIn();
    const seen = recordRequests();
    const { image, set } = still();

    await expect(reloadWithFreshPass(image)).resolves.toBe(false);
    await settled();
    expect(seen).toHaveLength(0);
    expect(set).toEqual([]);
  });
});

describe("useStillsPassRenewal", () => {
  it("renews an admin's pass when one of the page's images fails", async () => {
    setAccessToken("tok-old", 0);
    server.use(refreshGives("tok-new"));
    const { image, set } = still();
    renderHook(() => useStillsPassRenewal(true));

    image.dispatchEvent(new Event("error"));
    await waitFor(() => expect(set).toEqual(["srcset", "src"]));
    expect(getAccessToken()).toBe("tok-new");
  });

  it("does nothing for anyone else", async () => {
    setAccessToken("tok-old", 0);
    const seen = recordRequests();
    const { image, set } = still();
    renderHook(() => useStillsPassRenewal(false));

    image.dispatchEvent(new Event("error"));
    await settled();
    expect(seen).toHaveLength(0);
    expect(set).toEqual([]);
  });
});
