import { describe, expect, it } from "vitest";
import { orderedSaves } from "./useProgress";

/** A fake sender: what was sent, and a way to answer each. */
function sender() {
  const sent: { position: number; keepalive: boolean; answer: () => void; fail: () => void }[] = [];
  const send = (position: number, _duration: number | null, keepalive: boolean) =>
    new Promise<unknown>((resolve, reject) => {
      sent.push({ position, keepalive, answer: () => resolve(undefined), fail: () => reject(new Error("offline")) });
    });
  return { sent, send };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("orderedSaves", () => {
  it("sends a save only once the one before is answered, and of those waiting the newest", async () => {
    const { sent, send } = sender();
    const save = orderedSaves(send);

    void save(30, 60, false);
    void save(5, 60, false);
    void save(12, 60, false);
    await settle();
    expect(sent.map((s) => s.position)).toEqual([30]);

    sent[0]?.answer();
    await settle();
    expect(sent.map((s) => s.position)).toEqual([30, 12]);

    sent[1]?.fail(); // a failure does not stop the next save
    await settle();
    void save(14, 60, false);
    await settle();
    expect(sent.map((s) => s.position)).toEqual([30, 12, 14]);
  });

  it("sends a keepalive save at once and drops what was waiting", async () => {
    const { sent, send } = sender();
    const save = orderedSaves(send);

    void save(30, 60, false);
    void save(31, 60, false);
    void save(32, 60, true);
    await settle();
    expect(sent.map((s) => [s.position, s.keepalive])).toEqual([
      [30, false],
      [32, true],
    ]);

    sent[0]?.answer();
    await settle();
    expect(sent).toHaveLength(2);
  });
});
