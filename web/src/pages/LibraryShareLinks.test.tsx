import { screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import type { CatalogueItem } from "../api/schema";
import type { ShareLink } from "../api/shares";
import { setAccessToken } from "../api/tokenStore";
import { formatDate } from "../lib/format";
import { mediaItem, mediaPage } from "../test/fixtures";
import { renderPage, setupUser } from "../test/render";
import { API, apiError, http, HttpResponse, noContent, ok, recordRequests, sentTo, server, tagList } from "../test/server";
import { AdminLibraryPage } from "./AdminLibrary";

const SHARES = `${API}/catalogue/p/shares`;

function shareLink(overrides: Partial<ShareLink> = {}): ShareLink {
  const path = overrides.path ?? "/s/bGl2ZS1saW5rLWxpdmUtbGluay1saXZlLWxpbmstbGl2ZQ";
  return {
    id: "sh-1",
    item_id: "p",
    path,
    embed_path: `/embed${path}`,
    created_by: "u-ada",
    created_by_name: "Ada",
    created_at: "2026-03-01T10:00:00Z",
    expires_at: null,
    revoked_at: null,
    revoked_reason: null,
    opens: 3,
    last_opened_at: "2026-03-02T10:00:00Z",
    plays: 2,
    ...overrides,
  };
}

const LIVE = shareLink();
const EXPIRED = shareLink({ id: "sh-2", path: "/s/ZXhwaXJlZA", expires_at: "2026-01-08T10:00:00Z", opens: 1, plays: 1 });
const STOPPED = shareLink({
  id: "sh-3",
  path: "/s/c3RvcHBlZA",
  revoked_at: "2026-02-01T10:00:00Z",
  revoked_reason: "stopped_by_admin",
  opens: 0,
});

/**
 * The library holding one video whose share links are `links` (a POST adds one, a DELETE stops
 * one), on a server letting `embedSites` embed them.
 */
function serveVideo(item: Partial<CatalogueItem> = {}, links: ShareLink[] = [LIVE, EXPIRED, STOPPED], embedSites = ["*"]) {
  const rig = { links: [...links] };
  server.use(
    http.get(`${API}/catalogue`, () => ok(mediaPage([mediaItem({ id: "p", title: "Lecture 3", ...item })]))),
    http.get(SHARES, () => ok({ links: rig.links, embed_sites: embedSites })),
    http.post(SHARES, () => {
      const made = shareLink({ id: "sh-new", path: "/s/bmV3", opens: 0, expires_at: "2031-01-08T10:00:00Z" });
      rig.links = [made, ...rig.links];
      return HttpResponse.json(made, { status: 201 });
    }),
    http.delete(`${API}/catalogue/shares/:id`, ({ params }) => {
      rig.links = rig.links.map((l) => (l.id === params.id ? { ...l, revoked_at: "2026-03-05T10:00:00Z" } : l));
      return noContent();
    }),
  );
  return rig;
}

/** The library, the video's share panel opened. */
async function openShareLinks() {
  const user = setupUser();
  renderPage(<AdminLibraryPage />, { path: "/admin/library" });
  const opener = await screen.findByRole("button", { name: "Share link for Lecture 3" });
  await user.click(opener);
  expect(opener).toHaveAttribute("aria-expanded", "true");
  const panel = screen.getByRole("region", { name: "Share links" });
  return { user, panel };
}

beforeEach(() => {
  setAccessToken("tok-admin", 1800);
  server.use(tagList());
});

describe("a video's share links in the library", () => {
  it("lists its links, newest first: a working one with Copy and Stop sharing, ended ones greyed", async () => {
    serveVideo();
    const { panel } = await openShareLinks();

    expect(within(panel).getByText("Anyone with this link can watch this video without an account.")).toBeInTheDocument();
    const [live, expired, stopped] = await within(panel).findAllByTestId("share-link");
    expect(live).toHaveTextContent(`${window.location.origin}${LIVE.path}`);
    expect(live).toHaveTextContent(`Made by Ada · Created ${formatDate(LIVE.created_at)} · Never expires · Opened 3 times (page loads, embeds included) · Played 2 times`);
    // Named by the end of the link's secret, as its address shows it, not by the whole address.
    expect(within(live!).getAllByRole("button").map((b) => b.getAttribute("aria-label"))).toEqual([
      "Copy link …l2ZQ",
      "Embed link …l2ZQ",
      "Stop sharing link …l2ZQ",
    ]);
    expect(live).not.toHaveClass("ended");

    expect(expired).toHaveClass("ended");
    expect(within(expired!).getByText("Expired")).toHaveClass("badge");
    expect(expired).toHaveTextContent(`Expired ${formatDate(EXPIRED.expires_at)} · Opened once (page loads, embeds included) · Played once`);
    expect(stopped).toHaveClass("ended");
    expect(within(stopped!).getByText("Stopped")).toHaveClass("badge");
    for (const ended of [expired!, stopped!]) expect(within(ended).queryAllByRole("button")).toHaveLength(0);
    for (const entry of [live!, expired!, stopped!]) expect(within(entry).queryByTestId("share-link-why")).not.toBeInTheDocument();
  });

  it("says who made each link, and that a link stopped because its maker is no longer an admin", async () => {
    const theirs = { revoked_at: "2026-03-04T10:00:00Z", revoked_reason: "maker_no_longer_admin" } as const;
    const named = shareLink({ id: "sh-4", created_by: "u-mal", created_by_name: "Mallory", ...theirs });
    const unnamed = shareLink({ id: "sh-5", created_by: "u-gone", created_by_name: null, ...theirs });
    serveVideo({}, [named, unnamed]);
    const { panel } = await openShareLinks();

    const [mallorys, nameless] = await within(panel).findAllByTestId("share-link");
    expect(mallorys).toHaveTextContent("Made by Mallory ·");
    expect(mallorys).toHaveClass("ended");
    expect(within(mallorys!).getByText("Stopped")).toHaveClass("badge");
    expect(within(mallorys!).getByTestId("share-link-why")).toHaveTextContent("Stopped: Mallory is no longer an admin.");
    expect(nameless).toHaveTextContent("Made by an account with no display name ·");
    expect(within(nameless!).getByTestId("share-link-why")).toHaveTextContent("Stopped: its maker is no longer an admin.");
    for (const ended of [mallorys!, nameless!]) expect(within(ended).queryAllByRole("button")).toHaveLength(0);
  });

  it("shows an unpublished video's working links as paused, to be stopped for good", async () => {
    serveVideo({ status: "draft", published_at: null }, [LIVE, STOPPED]);
    const { panel } = await openShareLinks();

    const [paused, stopped] = await within(panel).findAllByTestId("share-link");
    expect(within(paused!).getByText("Paused")).toHaveClass("badge");
    expect(within(paused!).getByTestId("share-link-why")).toHaveTextContent(
      "Paused while the video is unpublished: it works again once the video is published.",
    );
    expect(within(paused!).getAllByRole("button").map((b) => b.textContent)).toEqual(["Stop sharing"]);
    expect(within(stopped!).getByText("Stopped")).toHaveClass("badge");
    expect(within(stopped!).queryByTestId("share-link-why")).not.toBeInTheDocument();
  });

  it("creates a link for 7 days unless another expiry is chosen, and lists it", async () => {
    serveVideo({}, []);
    const seen = recordRequests();
    const { user, panel } = await openShareLinks();
    expect(await within(panel).findByText("No links yet.")).toBeInTheDocument();
    const expires = within(panel).getByLabelText("Expires");
    expect(expires).toHaveValue("7");
    expect(within(expires).getAllByRole("option").map((o) => o.textContent)).toEqual(["1 day", "7 days", "30 days", "Never"]);

    await user.click(within(panel).getByRole("button", { name: "Create a link" }));
    expect(await within(panel).findByTestId("share-news")).toHaveTextContent("Link created: copy it below.");
    expect(await within(panel).findAllByTestId("share-link")).toHaveLength(1);
    await user.selectOptions(expires, "never");
    await user.click(within(panel).getByRole("button", { name: "Create a link" }));

    const bodies = await Promise.all(sentTo(seen, "POST", SHARES).map((r) => r.request.json()));
    expect(bodies).toEqual([{ expires_in_days: 7 }, { expires_in_days: null }]);
  });

  it("copies a link whole, and says so", async () => {
    serveVideo();
    const { user, panel } = await openShareLinks();
    const [live] = await within(panel).findAllByTestId("share-link");

    await user.click(within(live!).getByRole("button", { name: /^Copy link/ }));

    expect(await navigator.clipboard.readText()).toBe(`${window.location.origin}${LIVE.path}`);
    expect(within(panel).getByTestId("share-news")).toHaveTextContent("Link copied.");
  });

  it("shows a working link's embed code, its title escaped, to select or copy", async () => {
    // Any site may embed it (`*`): no list of sites is named.
    serveVideo({ title: `Q&A: "Live" <uncut> & it's on` });
    const user = setupUser();
    renderPage(<AdminLibraryPage />, { path: "/admin/library" });
    await user.click(await screen.findByRole("button", { name: /^Share link for Q&A/ }));
    const panel = screen.getByRole("region", { name: "Share links" });
    const [live, expired, stopped] = await within(panel).findAllByTestId("share-link");
    // Only a working link is embedded: the others have no Embed.
    expect(within(expired!).queryByRole("button", { name: /^Embed/ })).not.toBeInTheDocument();
    expect(within(stopped!).queryByRole("button", { name: /^Embed/ })).not.toBeInTheDocument();

    const embed = within(live!).getByRole("button", { name: /^Embed link/ });
    expect(embed).toHaveAttribute("aria-expanded", "false");
    await user.click(embed);
    expect(embed).toHaveAttribute("aria-expanded", "true");
    // What it opened comes after its buttons in Tab order (Stop sharing, the row's last, between).
    await user.tab();
    expect(within(live!).getByRole("button", { name: /^Stop sharing link/ })).toHaveFocus();
    await user.tab();
    expect(within(live!).getByLabelText("Start at")).toHaveFocus();
    const field = within(live!).getByRole("textbox", { name: "Embed code" });
    expect(within(live!).queryByTestId("embed-sites")).not.toBeInTheDocument();
    const code =
      `<iframe src="${window.location.origin}/embed${LIVE.path}" width="640" height="360" ` +
      `title="Q&amp;A: &quot;Live&quot; &lt;uncut&gt; &amp; it&#x27;s on" style="border:0" ` +
      `allow="fullscreen; picture-in-picture" allowfullscreen></iframe>`;
    expect(field).toHaveValue(code);
    expect(field).toHaveAttribute("readonly");
    // What a browser makes of it: one frame of the embed page, named by the whole title.
    const parsed = new DOMParser().parseFromString(code, "text/html").querySelectorAll("iframe");
    expect(parsed).toHaveLength(1);
    expect(parsed[0]!.title).toBe(`Q&A: "Live" <uncut> & it's on`);

    // Each Copy says what it copies, the link's and the code's one above the other.
    expect(within(live!).getByRole("button", { name: /^Copy link/ })).toHaveTextContent(/^Copy link$/);
    expect(within(live!).getByRole("button", { name: "Copy embed code" })).toHaveTextContent(/^Copy embed code$/);
    await user.click(within(live!).getByRole("button", { name: "Copy embed code" }));
    expect(await navigator.clipboard.readText()).toBe(code);
    expect(within(panel).getByTestId("share-news")).toHaveTextContent("Embed code copied.");
    await user.click(embed);
    expect(within(live!).queryByRole("textbox", { name: "Embed code" })).not.toBeInTheDocument();
  });

  it("starts the embed code and a link to copy at the time given, and says what is wrong with one it cannot use", async () => {
    serveVideo({ duration_seconds: 125 });
    const { user, panel } = await openShareLinks();
    const [live] = await within(panel).findAllByTestId("share-link");
    await user.click(within(live!).getByRole("button", { name: /^Embed link/ }));
    const start = within(live!).getByRole("textbox", { name: "Start at" });
    const field = within(live!).getByRole("textbox", { name: "Embed code" });
    const src = (query: string) => `src="${window.location.origin}/embed${LIVE.path}${query}"`;

    await user.type(start, "1:30");
    expect((field as HTMLTextAreaElement).value).toContain(src("?t=90"));
    await user.click(within(live!).getByRole("button", { name: "Copy link at 1:30" }));
    expect(await navigator.clipboard.readText()).toBe(`${window.location.origin}${LIVE.path}?t=90`);
    expect(within(panel).getByTestId("share-news")).toHaveTextContent("Link at 1:30 copied.");

    for (const [written, problem] of [
      ["1:75", "Write the time as minutes and seconds, such as 1:30."],
      ["2:05", "The video is 2:05 long: choose a time before its end."],
    ] as const) {
      await user.clear(start);
      await user.type(start, written);
      expect(start).toHaveAccessibleDescription(expect.stringContaining(problem));
      // A time the player would ignore is left out, not passed on.
      expect((field as HTMLTextAreaElement).value).toContain(src(""));
      expect(within(live!).queryByRole("button", { name: /^Copy link at/ })).not.toBeInTheDocument();
    }
  });

  it("offers no embed code where the server lets no site frame its players, and says so", async () => {
    serveVideo({}, [shareLink({ embed_path: null })], []);
    const { panel } = await openShareLinks();
    const [live] = await within(panel).findAllByTestId("share-link");
    expect(within(live!).getByRole("button", { name: /^Copy link/ })).toBeInTheDocument();
    expect(within(live!).queryByRole("button", { name: /^Embed/ })).not.toBeInTheDocument();
    expect(within(panel).getByTestId("embedding-off")).toHaveTextContent(
      "Other sites can't embed videos: embedding is turned off on this server. An admin of the server can turn it on with the STREAMSTACK_EMBED_ANCESTORS setting.",
    );
  });

  it("names the sites an embed code works on where the server names them, and no site where any may embed", async () => {
    serveVideo({}, [LIVE], ["https://club.example", "'self'"]);
    const { user, panel } = await openShareLinks();
    const [live] = await within(panel).findAllByTestId("share-link");
    await user.click(within(live!).getByRole("button", { name: /^Embed link/ }));
    expect(within(live!).getByTestId("embed-sites")).toHaveTextContent(
      `Works on: https://club.example, ${window.location.origin}. On other sites the frame stays blank and says the server refused to connect`,
    );
    expect(within(panel).queryByTestId("embedding-off")).not.toBeInTheDocument();
  });

  it("stops sharing a link once confirmed; cancelled, nothing is sent", async () => {
    serveVideo();
    const seen = recordRequests();
    const { user, panel } = await openShareLinks();
    const [live] = await within(panel).findAllByTestId("share-link");
    const stop = within(live!).getByRole("button", { name: /^Stop sharing link/ });

    await user.click(stop);
    await user.click(within(screen.getByRole("alertdialog", { name: "Stop sharing this link?" })).getByRole("button", { name: "Cancel" }));
    expect(sentTo(seen, "DELETE", `${API}/catalogue/shares/sh-1`)).toHaveLength(0);

    await user.click(stop);
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Stop sharing" }));

    expect(await within(panel).findByTestId("share-news")).toHaveTextContent("Stopped: the link no longer works.");
    expect(sentTo(seen, "DELETE", `${API}/catalogue/shares/sh-1`)).toHaveLength(1);
    const [now] = await within(panel).findAllByTestId("share-link");
    await within(now!).findByText("Stopped");
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
  });

  it("moves the focus to what Stop sharing did, as the link's buttons go, each time", async () => {
    serveVideo({}, [LIVE, shareLink({ id: "sh-4", path: "/s/c2Vjb25k" })]);
    const { user, panel } = await openShareLinks();
    const news = within(panel).getByTestId("share-news");

    for (const [index, link] of ["sh-1", "sh-4"].entries()) {
      const live = (await within(panel).findAllByTestId("share-link"))[index];
      await user.click(within(live!).getByRole("button", { name: /^Stop sharing link/ }));
      await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Stop sharing" }));
      await waitFor(() => expect(within(panel).getAllByText("Stopped")).toHaveLength(index + 1));
      // The link's buttons, the pressed one among them, are gone.
      expect(within(within(panel).getAllByTestId("share-link")[index]!).queryByRole("button")).not.toBeInTheDocument();
      expect(news, `after stopping ${link}`).toHaveTextContent("Stopped: the link no longer works.");
      expect(news, `after stopping ${link}`).toHaveFocus();
    }
  });

  it("keeps the focus on Copy link, which stays", async () => {
    serveVideo({}, [LIVE]);
    const { user, panel } = await openShareLinks();
    const [live] = await within(panel).findAllByTestId("share-link");
    const copy = within(live!).getByRole("button", { name: /^Copy link/ });
    await user.click(copy);
    expect(within(panel).getByTestId("share-news")).toHaveTextContent("Link copied.");
    expect(copy).toHaveFocus();
  });

  it("tells a draft to be published first, and makes no link", async () => {
    serveVideo({ status: "draft", published_at: null }, []);
    const { panel } = await openShareLinks();

    expect(within(panel).getByTestId("share-publish-first")).toHaveTextContent("Publish the video to share it by link.");
    expect(within(panel).queryByRole("button", { name: "Create a link" })).not.toBeInTheDocument();
  });

  it("says why a link was refused: too many working, or unpublished meanwhile", async () => {
    serveVideo();
    const { user, panel } = await openShareLinks();
    const create = within(panel).getByRole("button", { name: "Create a link" });

    server.use(http.post(SHARES, () => apiError(409, "too_many_share_links", "too many share links"), { once: true }));
    await user.click(create);
    expect(await within(panel).findByRole("alert")).toHaveTextContent(
      "This video has as many links that work as it may have: stop sharing one to make another.",
    );

    server.use(http.post(SHARES, () => apiError(409, "item_not_published", "the item is a draft"), { once: true }));
    await user.click(create);
    expect(await within(panel).findByRole("alert")).toHaveTextContent("Publish the video to share it by link.");
  });
});
