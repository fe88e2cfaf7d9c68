import { act, renderHook } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { ApiError } from "../api/errors";
import { useAction } from "./useAction";

describe("useAction", () => {
  it("marks the running action by its key and tells a failure after the sentence's start", async () => {
    const { result } = renderHook(() => useAction());
    let finish: () => void = () => undefined;
    let done: Promise<boolean> = Promise.resolve(false);
    act(() => {
      done = result.current.run("row-1", "Could not delete x", () => new Promise<void>((resolve) => (finish = resolve)));
    });
    expect(result.current.running).toBe("row-1");
    await act(async () => {
      finish();
      expect(await done).toBe(true);
    });
    expect(result.current.running).toBeNull();
    expect(result.current.error).toBeNull();

    const refusal = new ApiError({ status: 403, code: "forbidden", detail: "Not yours." });
    await act(async () => {
      expect(await result.current.run("row-2", "Could not delete y", () => Promise.reject(refusal))).toBe(false);
    });
    expect(result.current.error).toBe("Could not delete y: Not yours.");
    expect(result.current.running).toBeNull();
  });

  it("words a failure its own way, and clears it when the next action starts", async () => {
    const { result } = renderHook(() => useAction());
    await act(() => result.current.run("save", (err) => `Refused (${String(err)})`, () => Promise.reject(new Error("no"))));
    expect(result.current.error).toBe("Refused (Error: no)");

    act(() => result.current.fail("Fill in a title."));
    expect(result.current.error).toBe("Fill in a title.");
    await act(() => result.current.run("save", "Could not save", () => Promise.resolve()));
    expect(result.current.error).toBeNull();
  });

  it("shows nothing for a failure the page tells elsewhere, and takes a shown failure away", async () => {
    const { result } = renderHook(() => useAction());
    act(() => result.current.fail("Fill in a title."));
    await act(async () => {
      expect(await result.current.run("sign-in", () => null, () => Promise.reject(new Error("throttled")))).toBe(false);
    });
    expect(result.current.error).toBeNull();

    act(() => result.current.fail("Fill in a title."));
    act(() => result.current.fail(null));
    expect(result.current.error).toBeNull();
  });
});
