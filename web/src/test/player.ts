import { fireEvent, screen } from "@testing-library/react";

/** Opens the player's settings menu (quality, audio, captions, speed) from its gear. */
export async function openPlayerSettings(): Promise<void> {
  const gear = await screen.findByRole("button", { name: "Settings" });
  if (gear.getAttribute("aria-expanded") !== "true") fireEvent.click(gear);
}
