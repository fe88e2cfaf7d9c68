import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { applyTheme, storedTheme } from "./lib/theme";
import "./styles.css";

const root = document.getElementById("root");
if (!root) throw new Error("#root is missing from index.html");

// Before the first render, so a picked theme does not flash the system one.
applyTheme(storedTheme());

createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
