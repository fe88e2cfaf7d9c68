import { describe, expect, it } from "vitest";
import { fragmentValue } from "./paths";

describe("secrets in a link's fragment", () => {
  it("reads an invite code from the link the server makes (/register#invite=CODE), whole", () => {
    // The server's codes are URL-safe base64: '-' and '_' must come back as they are.
    expect(fragmentValue("#invite=Ab-_9xYz", "invite")).toBe("Ab-_9xYz");
  });

  it("reads nothing where the fragment has no such value", () => {
    expect(fragmentValue("", "code")).toBe("");
    expect(fragmentValue("#invite=x", "code")).toBe("");
  });
});
