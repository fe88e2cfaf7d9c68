import { describe, expect, it } from "vitest";
import { ApiError, errorMessage, errorSentence } from "./errors";

function refusal(code: string, detail: string, status = 503): ApiError {
  return new ApiError({ status, code, detail });
}

describe("errorMessage", () => {
  it("says the API's own detail", () => {
    expect(errorSentence(refusal("item_not_found", "no such media item", 404))).toBe("No such media item");
    expect(errorMessage(refusal("server_restarting", "the server is restarting; try again in a moment"))).toBe("the server is restarting; try again in a moment");
  });

  it("says in plain words what the server wrote for its operator", () => {
    const secret = refusal("invalid_service_secret", "the catalogue service refuses this service's credential: check STREAMSTACK_INTERNAL_SECRET is the same on every service");
    expect(errorSentence(secret)).toBe("The server is not set up right, so this cannot be done now; its administrator can see why in the server's log");
    const away = refusal("module_unavailable", "the catalogue service is unreachable (its proxy answered 502)");
    expect(errorSentence(away)).toBe("Part of the server is not answering right now; try again in a moment");
  });
});
