import { describe, expect, it } from "vitest";
import { ApiError, errorMessage, errorSentence, networkError, videoErrorSentence } from "./errors";

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

describe("what the server's own trouble says", () => {
  const edge = refusal("service_unavailable", "no replica of this service answered");
  const bare502 = refusal("http_502", "Bad Gateway", 502);
  const bare504 = refusal("http_504", "Gateway Timeout", 504);
  const busy = refusal("http_429", "Too Many Requests", 429);

  it("is plain words on any page, not the edge's or a proxy's", () => {
    for (const away of [edge, bare502, bare504]) {
      expect(errorSentence(away)).toBe("Part of the server is not answering right now; try again in a moment");
    }
    expect(errorSentence(busy)).toBe("The server is busy right now; try again in a moment");
  });

  it("is one sentence to a video's viewer, who may be on another site's page", () => {
    const nginx429 = refusal("too_many_requests", "too many requests from this address; retry later", 429);
    for (const trouble of [edge, bare502, bare504, busy, nginx429]) {
      expect(videoErrorSentence(trouble)).toBe("This video can't be played right now. Try again in a moment.");
    }
    // Only when the request never reached the server is the connection in question.
    expect(videoErrorSentence(networkError(new TypeError("Failed to fetch")))).toBe(
      "Could not reach the server. Check your connection and try again.",
    );
    expect(videoErrorSentence(refusal("item_not_found", "no such media item", 404))).toBe("No such media item");
  });
});
