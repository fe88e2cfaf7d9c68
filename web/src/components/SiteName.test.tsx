import { render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { App } from "../App";
import { mediaPage } from "../test/fixtures";
import { API, http, ok, server } from "../test/server";

describe("the server's name", () => {
  it("is the header's brand and ends every tab title, from the config read at start", async () => {
    server.use(
      http.get(`${API}/auth/config`, () =>
        ok({ registration_mode: "open", site_name: "Herons Film Club", guest_access: "browse", mail: false }),
      ),
      http.get(`${API}/catalogue`, () => ok(mediaPage([]))),
    );
    render(<App />);
    const brand = await screen.findByRole("link", { name: "Herons Film Club home" });
    expect(brand).toHaveTextContent("Herons Film Club");
    expect(brand).not.toHaveTextContent("StreamStack");
    await waitFor(() => expect(document.title).toBe("Browse · Herons Film Club"));
  });
});
