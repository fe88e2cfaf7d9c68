import { describe, expect, it } from "vitest";
import { fragmentValue, invitePath } from "./paths";

describe("secrets in a link's fragment", () => {
  it("puts an invite code in the fragment, which no request sends, and reads it back whole", () => {
    const path = invitePath("a+b/c=d&e");
    expect(path.startsWith("/register#invite=")).toBe(true);
    expect(path).not.toContain("?");
    expect(fragmentValue(path.slice(path.indexOf("#")), "invite")).toBe("a+b/c=d&e");
  });

  it("reads nothing where the fragment has no such value", () => {
    expect(fragmentValue("", "code")).toBe("");
    expect(fragmentValue("#invite=x", "code")).toBe("");
  });
});
