import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { renderApp, setupUser } from "../test/render";
import { API, apiError, http, ok, recordRequests, sentTo, server } from "../test/server";

const UNSUBSCRIBE = `${API}/auth/unsubscribe`;

describe("UnsubscribePage", () => {
  it("says what the link turns off and changes nothing until the button is pressed", async () => {
    const seen = recordRequests();
    renderApp("/unsubscribe#kind=reply_mail&token=v1%3Aab%3Acd");

    expect(await screen.findByRole("button", { name: "Turn these emails off" })).toBeInTheDocument();
    expect(screen.getByRole("form", { name: "Stop these emails" })).toHaveTextContent(
      "This turns off the emails you get when someone replies to your comments.",
    );
    expect(sentTo(seen, "POST", UNSUBSCRIBE)).toEqual([]);
  });

  it("posts the one-click form with the link's kind and token, then says it is off and where to turn it on", async () => {
    server.use(http.post(UNSUBSCRIBE, () => ok({ kind: "admin_mail" }), { once: true }));
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/unsubscribe#kind=admin_mail&token=v1%3Aab%3Acd");

    // The status is there, empty, before the press: one made with its words may go unsaid.
    const said = screen.getByRole("status");
    expect(said).toBeEmptyDOMElement();
    await user.click(await screen.findByRole("button", { name: "Turn these emails off" }));
    await waitFor(() => expect(said).not.toBeEmptyDOMElement());
    // The button pressed is gone: the focus is on what it did, not the page's body.
    expect(said).toHaveFocus();
    expect(said).toHaveTextContent(
      "Done: you will no longer get the emails you get when a video fails to transcode or a comment is reported. To get them again, sign in and tick “Email me when a video fails to transcode or a comment is reported” on your Account page.",
    );
    expect(within(said).getByRole("link", { name: "Account page" })).toHaveAttribute("href", "/account");
    const [sent] = sentTo(seen, "POST", UNSUBSCRIBE);
    expect(sent?.url.searchParams.get("kind")).toBe("admin_mail");
    expect(sent?.url.searchParams.get("token")).toBe("v1:ab:cd");
    expect(sent?.headers.get("content-type")).toBe("application/x-www-form-urlencoded");
    expect(await sent?.request.text()).toBe("List-Unsubscribe=One-Click");
    expect(sent?.headers.get("authorization")).toBeNull();
  });

  it("after a link that no longer works, says how to stop them on the Account page, and offers no second press", async () => {
    server.use(http.post(UNSUBSCRIBE, () => apiError(400, "invalid_unsubscribe_link", "no")));
    const user = setupUser();
    renderApp("/unsubscribe#kind=reply_mail&token=stale");

    await user.click(await screen.findByRole("button", { name: "Turn these emails off" }));
    const said = await screen.findByTestId("unsubscribe-error");
    expect(said).toHaveFocus();
    expect(said).toHaveTextContent(
      "This link no longer works: it was changed, or your account’s email changed since it was sent. To stop these emails, sign in and untick “Email me when someone replies to my comments” on your Account page.",
    );
    expect(screen.queryByRole("button", { name: "Turn these emails off" })).not.toBeInTheDocument();
  });

  it("says a deleted account gets no more of them", async () => {
    server.use(http.post(UNSUBSCRIBE, () => apiError(404, "account_not_found", "gone")));
    const user = setupUser();
    renderApp("/unsubscribe#kind=reply_mail&token=t");

    await user.click(await screen.findByRole("button", { name: "Turn these emails off" }));
    expect(await screen.findByTestId("unsubscribe-error")).toHaveTextContent(
      "The account this email was sent to has been deleted, so no more of these emails go out.",
    );
  });

  it("keeps the button after a failure another press may get past", async () => {
    server.use(http.post(UNSUBSCRIBE, () => ok({ kind: "reply_mail" })));
    // Added last, so answered first (once).
    server.use(http.post(UNSUBSCRIBE, () => apiError(503, "service_unavailable", "the database is away"), { once: true }));
    const user = setupUser();
    renderApp("/unsubscribe#kind=reply_mail&token=t");

    await user.click(await screen.findByRole("button", { name: "Turn these emails off" }));
    await waitFor(() => expect(screen.getByTestId("unsubscribe-error")).not.toBeEmptyDOMElement());
    await user.click(screen.getByRole("button", { name: "Turn these emails off" }));
    await waitFor(() =>
      expect(screen.getByTestId("unsubscribed")).toHaveTextContent("Done: you will no longer get the emails you get when someone replies"),
    );
  });

  it.each(["", "#token=t", "#kind=everything&token=t", "#kind=reply_mail"])("a link missing a part (%s) says to open it again, whole", async (hash) => {
    renderApp(`/unsubscribe${hash}`);
    expect(await screen.findByRole("alert")).toHaveTextContent("This link is missing a part. Open the link from the email again, whole.");
    expect(screen.queryByRole("button", { name: "Turn these emails off" })).not.toBeInTheDocument();
  });
});
