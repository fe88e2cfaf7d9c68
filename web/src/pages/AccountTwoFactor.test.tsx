import { screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { TwoFactorStatus } from "../api/schema";
import { hadSession } from "../test/fixtures";
import { renderApp, setupUser } from "../test/render";
import { API, apiError, http, HttpResponse, noContent, ok, recordRequests, refreshGives, sentTo, server, VIEWER } from "../test/server";
import { groupedKey, recoveryCodesText } from "./AccountTwoFactor";

const OFF: TwoFactorStatus = { enabled: false, enabled_at: null, recovery_codes_left: 0 };
const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const CODES = ["abcde-fghjk", "mnpqr-stuvw", "xyz23-45678"];

/** A viewer on the Account page whose two-factor state is `status()`, read on each GET. */
function accountWith(status: () => TwoFactorStatus) {
  hadSession();
  server.use(
    refreshGives("tok"),
    http.get(`${API}/auth/me`, () => ok(VIEWER)),
    http.get(`${API}/auth/sessions`, () => ok({ items: [] })),
    http.get(`${API}/auth/me/two-factor`, () => ok(status())),
  );
}

async function section() {
  return within(await screen.findByTestId("two-factor"));
}

describe("Account page: two-factor authentication", () => {
  it("turns on: password, QR code and key, first code, then the recovery codes once", async () => {
    let status = OFF;
    accountWith(() => status);
    server.use(
      http.post(`${API}/auth/me/two-factor/setup`, async ({ request }) => {
        const { password } = (await request.json()) as { password: string };
        if (password !== "my secret words") return apiError(403, "wrong_password", "the password is wrong");
        return ok({ secret: SECRET, otpauth_uri: `otpauth://totp/StreamStack:viewer%40example.com?secret=${SECRET}&issuer=StreamStack` });
      }),
      http.post(`${API}/auth/me/two-factor/enable`, async ({ request }) => {
        const { code } = (await request.json()) as { code: string };
        if (code !== "123456") return apiError(403, "invalid_code", "the code is wrong");
        status = { enabled: true, enabled_at: "2026-03-01T10:00:00Z", recovery_codes_left: CODES.length };
        return ok({ codes: CODES });
      }),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/account");
    const box = await section();

    await user.click(await box.findByRole("button", { name: "Turn on" }));
    const password = box.getByLabelText("Password");
    await user.type(password, "a wrong guess");
    await user.click(box.getByRole("button", { name: "Continue" }));
    await waitFor(() => expect(password).toHaveAccessibleDescription("The password is not correct."));

    await user.clear(password);
    await user.type(password, "my secret words");
    await user.click(box.getByRole("button", { name: "Continue" }));
    const qr = await box.findByAltText("QR code to scan with your authenticator app");
    expect(qr.getAttribute("src")).toMatch(/^data:image\/svg\+xml/);
    expect(box.getByTestId("two-factor-key")).toHaveTextContent("JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP");
    // On the phone with the app, which cannot scan its own screen: the QR code's address as a
    // link that opens the app, and the key copied whole (no spaces), said where it was copied.
    expect(box.getByRole("link", { name: "Open in authenticator app" })).toHaveAttribute(
      "href",
      `otpauth://totp/StreamStack:viewer%40example.com?secret=${SECRET}&issuer=StreamStack`,
    );
    const copyKey = vi.spyOn(navigator.clipboard, "writeText").mockResolvedValue();
    await user.click(box.getByRole("button", { name: "Copy key" }));
    expect(copyKey).toHaveBeenCalledWith(SECRET);
    expect(await box.findByTestId("two-factor-key-copied")).toHaveTextContent("Key copied.");
    copyKey.mockRestore();

    const code = box.getByLabelText("Code from your authenticator app");
    expect(code).toHaveAttribute("inputmode", "numeric");
    await user.type(code, "000000");
    await user.click(box.getByRole("button", { name: "Turn on" }));
    await waitFor(() =>
      expect(code).toHaveAccessibleDescription("That code is not right, or was used already. Codes change every 30 seconds."),
    );
    await user.clear(code);
    await user.type(code, "123456");
    await user.click(box.getByRole("button", { name: "Turn on" }));

    const list = await box.findByRole("list", { name: "Recovery codes" });
    expect(within(list).getAllByRole("listitem").map((li) => li.textContent)).toEqual(CODES);
    // The other sessions it signed out leave the page's list: read again.
    await waitFor(() => expect(sentTo(seen, "GET", `${API}/auth/sessions`)).toHaveLength(2));
    expect(box.getByTestId("recovery-codes-advice")).toHaveTextContent(
      /^Two-factor authentication is on\. Your other sessions were signed out\. Keep these recovery codes somewhere safe/,
    );
    const download = box.getByRole("link", { name: "Download .txt" });
    expect(download).toHaveAttribute("download", "streamstack-recovery-codes.txt");
    expect(decodeURIComponent(download.getAttribute("href") ?? "")).toContain(recoveryCodesText("StreamStack", VIEWER.email, CODES));
    const writeText = vi.spyOn(navigator.clipboard, "writeText").mockResolvedValue();
    await user.click(box.getByRole("button", { name: "Copy" }));
    expect(writeText).toHaveBeenCalledWith(CODES.join("\n"));
    expect(await box.findByTestId("recovery-codes-copied")).toHaveTextContent("Copied.");

    await user.click(box.getByRole("button", { name: "Done" }));
    expect(box.queryByRole("list", { name: "Recovery codes" })).not.toBeInTheDocument();
    expect(await box.findByTestId("recovery-codes-left")).toHaveTextContent("3 recovery codes left.");
    expect(box.getByTestId("two-factor-since")).toHaveTextContent("On since");
    expect(await sentTo(seen, "POST", `${API}/auth/me/two-factor/enable`)[1]?.request.json()).toEqual({ code: "123456" });
  });

  it("moves the focus into each step as it replaces the button pressed, and back to Turn on after Cancel", async () => {
    accountWith(() => OFF);
    server.use(
      http.post(`${API}/auth/me/two-factor/setup`, () =>
        ok({ secret: SECRET, otpauth_uri: `otpauth://totp/StreamStack:v?secret=${SECRET}&issuer=StreamStack` }),
      ),
    );
    const user = setupUser();
    renderApp("/account");
    const box = await section();

    await user.click(await box.findByRole("button", { name: "Turn on" }));
    expect(box.getByLabelText("Password")).toHaveFocus();
    await user.click(box.getByRole("button", { name: "Cancel" }));
    expect(box.getByRole("button", { name: "Turn on" })).toHaveFocus();

    await user.click(box.getByRole("button", { name: "Turn on" }));
    await user.keyboard("my secret words{Enter}");
    // The QR step is said as it shows: its instructions, focused, are a status.
    const scan = (await box.findAllByRole("status"))[0];
    expect(scan).toHaveTextContent(/^Scan this QR code with your authenticator app/);
    expect(scan).toHaveFocus();
    await user.click(box.getByRole("button", { name: "Cancel" }));
    expect(box.getByRole("button", { name: "Turn on" })).toHaveFocus();
  });

  it("goes back to the password when the setup expired, and says a throttled one's wait", async () => {
    accountWith(() => OFF);
    let attempts = 0;
    server.use(
      http.post(`${API}/auth/me/two-factor/setup`, () =>
        ++attempts > 1
          ? apiError(429, "login_throttled", "too many attempts", { "Retry-After": "464" })
          : ok({ secret: SECRET, otpauth_uri: `otpauth://totp/StreamStack:v?secret=${SECRET}&issuer=StreamStack` }),
      ),
      http.post(`${API}/auth/me/two-factor/enable`, () => apiError(409, "two_factor_not_set_up", "no setup")),
    );
    const user = setupUser();
    renderApp("/account");
    const box = await section();
    await user.click(await box.findByRole("button", { name: "Turn on" }));
    await user.type(box.getByLabelText("Password"), "my secret words");
    await user.click(box.getByRole("button", { name: "Continue" }));
    await user.type(await box.findByLabelText("Code from your authenticator app"), "123456");
    await user.click(box.getByRole("button", { name: "Turn on" }));

    expect(await box.findByTestId("two-factor-expired")).toHaveTextContent("This setup expired");
    await user.type(box.getByLabelText("Password"), "my secret words");
    await user.click(box.getByRole("button", { name: "Continue" }));
    expect(await box.findByTestId("two-factor-error")).toHaveTextContent(
      /^Too many attempts, try again in about 8 minutes\.$/,
    );
  });

  it("warns when two or fewer recovery codes are left, and makes new ones with the password and a code", async () => {
    let status: TwoFactorStatus = { enabled: true, enabled_at: "2026-03-01T10:00:00Z", recovery_codes_left: 2 };
    accountWith(() => status);
    server.use(
      http.post(`${API}/auth/me/two-factor/recovery-codes`, () => {
        status = { ...status, recovery_codes_left: CODES.length };
        return ok({ codes: CODES });
      }),
    );
    const seen = recordRequests();
    const user = setupUser();
    renderApp("/account");
    const box = await section();

    const left = await box.findByTestId("recovery-codes-left");
    expect(left).toHaveTextContent("2 recovery codes left. Make new recovery codes before you run out");
    expect(left).toHaveClass("warning");
    const form = box.getByRole("form", { name: "New recovery codes" });
    expect(form.previousElementSibling).toHaveTextContent("Your current recovery codes will stop working.");
    await user.type(within(form).getByLabelText("Password"), "my secret words");
    const code = within(form).getByLabelText("Code from your app, or a recovery code");
    expect(code).toHaveAttribute("inputmode", "text");
    await user.type(code, "abcde-fghjk");
    await user.click(within(form).getByRole("button", { name: "New recovery codes" }));

    expect(await box.findByRole("list", { name: "Recovery codes" })).toBeInTheDocument();
    // New codes, not two-factor turned on again: the old ones are gone.
    const advice = box.getByTestId("recovery-codes-advice");
    expect(advice).toHaveTextContent(/^New recovery codes — the old ones no longer work\. Keep these recovery codes/);
    expect(advice).not.toHaveTextContent("Two-factor authentication is on");
    expect(advice).not.toHaveTextContent("Your other sessions were signed out."); // renewing signs none out
    expect(await sentTo(seen, "POST", `${API}/auth/me/two-factor/recovery-codes`)[0]?.request.json()).toEqual({
      password: "my secret words",
      code: "abcde-fghjk",
    });
    await user.click(box.getByRole("button", { name: "Done" }));
    expect(await box.findByTestId("recovery-codes-left")).toHaveTextContent("3 recovery codes left.");
    expect(box.getByTestId("recovery-codes-left")).not.toHaveClass("warning");
  });

  it("turns off after a confirm, and tells a wrong password and a wrong code at their fields", async () => {
    let status: TwoFactorStatus = { enabled: true, enabled_at: "2026-03-01T10:00:00Z", recovery_codes_left: 9 };
    accountWith(() => status);
    server.use(
      http.post(`${API}/auth/me/two-factor/disable`, async ({ request }) => {
        const body = (await request.json()) as { password: string; code: string };
        if (body.password !== "my secret words") return apiError(403, "wrong_password", "wrong password");
        if (body.code !== "654321") return apiError(403, "invalid_code", "wrong code");
        status = OFF;
        return noContent();
      }),
    );
    const user = setupUser();
    renderApp("/account");
    const box = await section();
    const form = await box.findByRole("form", { name: "Turn off two-factor authentication" });
    const password = within(form).getByLabelText("Password");
    const code = within(form).getByLabelText("Code from your app, or a recovery code");

    await user.type(password, "nope");
    await user.type(code, "654321");
    await user.click(within(form).getByRole("button", { name: "Turn off" }));
    await user.click(within(await screen.findByRole("alertdialog", { name: "Turn off two-factor authentication?" })).getByRole("button", { name: "Turn off" }));
    await waitFor(() => expect(password).toHaveAccessibleDescription("The password is not correct."));

    await user.clear(password);
    await user.type(password, "my secret words");
    await user.clear(code);
    await user.type(code, "111111");
    await user.click(within(form).getByRole("button", { name: "Turn off" }));
    await user.click(within(await screen.findByRole("alertdialog", { name: "Turn off two-factor authentication?" })).getByRole("button", { name: "Turn off" }));
    await waitFor(() => expect(code).toHaveAccessibleDescription(/That code is not right/));
    expect(box.getByTestId("recovery-codes-left")).toHaveTextContent("9 recovery codes left.");

    await user.clear(code);
    await user.type(code, "654321");
    await user.click(within(form).getByRole("button", { name: "Turn off" }));
    await user.click(within(await screen.findByRole("alertdialog", { name: "Turn off two-factor authentication?" })).getByRole("button", { name: "Turn off" }));
    expect(await box.findByRole("button", { name: "Turn on" })).toBeInTheDocument();
  });

  it("groups a key in fours for reading", () => {
    expect(groupedKey("ABCDEFGHIJ")).toBe("ABCD EFGH IJ");
  });
});

describe("Account page: the QR code's chunk that does not load", () => {
  const CHUNK = "http://localhost:3000/assets/browser-abc123.js";
  /** Why the QR code library's chunk does not load now (null: it loads). */
  const chunk = { failure: null as Error | null };

  beforeEach(() => {
    chunk.failure = null;
    vi.doMock("qrcode", async (importOriginal) => {
      if (chunk.failure) throw chunk.failure;
      return importOriginal();
    });
    accountWith(() => OFF);
    server.use(
      http.post(`${API}/auth/me/two-factor/setup`, () =>
        ok({ secret: SECRET, otpauth_uri: `otpauth://totp/StreamStack:v?secret=${SECRET}&issuer=StreamStack` }),
      ),
    );
  });

  /** The viewer starts setting up two-factor, up to the QR code and key. */
  async function setUp(user: ReturnType<typeof setupUser>) {
    renderApp("/account");
    const box = await section();
    await user.click(await box.findByRole("button", { name: "Turn on" }));
    await user.type(box.getByLabelText("Password"), "my secret words");
    await user.click(box.getByRole("button", { name: "Continue" }));
    return box;
  }

  it("says to enter the key instead, or try again, and shows the QR code once it loads", async () => {
    chunk.failure = new TypeError("Importing a module script failed.");
    const user = setupUser();
    const box = await setUp(user);
    const unloaded = await box.findByTestId("qr-unloaded");
    expect(unloaded).toHaveTextContent("The QR code could not be shown. Enter the key below in your app, or try again.");
    expect(box.getByTestId("two-factor-key")).toHaveTextContent("JBSW Y3DP");

    chunk.failure = null;
    await user.click(within(unloaded).getByRole("button", { name: "Try again" }));
    expect(await box.findByAltText("QR code to scan with your authenticator app")).toBeInTheDocument();
    expect(box.queryByTestId("qr-unloaded")).not.toBeInTheDocument();
  });

  it("says a newer version of the site is out when the chunk is gone (404), with no Try again", async () => {
    chunk.failure = new TypeError(`Failed to fetch dynamically imported module: ${CHUNK}`);
    server.use(http.head(CHUNK, () => new HttpResponse(null, { status: 404 })));
    const box = await setUp(setupUser());
    const unloaded = await box.findByTestId("qr-unloaded");
    expect(unloaded).toHaveTextContent("a newer version of the site is out. Enter the key below in your app, or reload the page.");
    expect(within(unloaded).queryByRole("button")).not.toBeInTheDocument();
  });
});
