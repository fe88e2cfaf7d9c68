import { describe, expect, it } from "vitest";
import { LIMITS } from "../api/limits";
import { pageParam } from "./urlQuery";

describe("pageParam", () => {
  const page = (query: string) => pageParam(new URLSearchParams(query));

  it("reads a positive whole page number", () => {
    expect(page("page=3")).toBe(3);
  });

  it("is 1 when the number is absent, not a number or not positive", () => {
    expect([page(""), page("page=abc"), page("page=0"), page("page=-2")]).toEqual([1, 1, 1, 1]);
  });

  it("is at most the API's last page number, which it would refuse with a 400", () => {
    expect(LIMITS.page).toBe(100000);
    expect([page(`page=${LIMITS.page}`), page(`page=${LIMITS.page + 1}`), page(`page=${"9".repeat(20)}`)]).toEqual([
      LIMITS.page,
      LIMITS.page,
      LIMITS.page,
    ]);
  });
});
