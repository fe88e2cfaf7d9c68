import { useEffect, useRef, useState, useSyncExternalStore, type KeyboardEvent, type RefObject } from "react";
import { Link, NavLink, Outlet, useLocation, useNavigate } from "react-router";
import { useAuth } from "../auth/useAuth";
import { useAuthConfig } from "../auth/serverConfig";
import { forgetLostChange, forgetRecoveryCodesLeft, readLostChange, readRecoveryCodesLeft } from "../lib/draftStore";
import { useLibraryCounts } from "../lib/useLibraryCounts";
import { useScrollMemory } from "../lib/scrollMemory";
import { useSiteName } from "../lib/siteName";
import { useTheme } from "../lib/theme";
import { errorSentence } from "../api/errors";
import { ErrorBoundary } from "./ErrorBoundary";
import { ErrorMessage } from "./ErrorMessage";
import { useMainTop } from "./useMainTop";
import { usePageFocus } from "./usePageFocus";

function navClass({ isActive }: { isActive: boolean }): string {
  return isActive ? "nav-link active" : "nav-link";
}

function ThemeToggle() {
  const { theme, toggle } = useTheme();
  const next = theme === "dark" ? "light" : "dark";
  return (
    <button
      type="button"
      className="button ghost icon-button"
      onClick={toggle}
      aria-label={`Switch to ${next} theme`}
      title={`Switch to ${next} theme`}
      data-testid="theme-toggle"
    >
      <span aria-hidden="true">{theme === "dark" ? "☀" : "☾"}</span>
    </button>
  );
}

/**
 * The admins' Comments link, with how many comments have reports waiting ("Comments (19)",
 * read as "Comments, 19 reported"), leading to those alone when there are any. The count
 * is read when the page shows and at each move to another page.
 */
function CommentsLink() {
  const { pathname } = useLocation();
  const reported = useLibraryCounts(pathname)?.reported_comments ?? 0;
  if (reported === 0) {
    return (
      <NavLink to="/admin/comments" className={navClass}>
        Comments
      </NavLink>
    );
  }
  return (
    <NavLink
      to="/admin/comments?reported=1"
      className={navClass}
      aria-label={`Comments, ${reported.toLocaleString("en")} reported`}
      data-testid="nav-reported-comments"
    >
      Comments ({reported.toLocaleString("en")})
    </NavLink>
  );
}

function MainNav({ onSignOut }: { onSignOut: () => void }) {
  const { status, user } = useAuth();
  // A members-only server's Browse only led a signed-out visitor back to sign in.
  const membersOnly = useAuthConfig()?.guest_access === "none";
  return (
    <>
      {!(membersOnly && status === "anonymous") && (
        <NavLink to="/" end className={navClass}>
          Browse
        </NavLink>
      )}
      {status === "authenticated" && user ? (
        <>
          {user.role === "admin" && (
            <>
              <NavLink to="/admin/upload" className={navClass}>
                Upload
              </NavLink>
              <NavLink to="/admin/library" className={navClass}>
                Library
              </NavLink>
              <NavLink to="/admin/users" className={navClass}>
                Users
              </NavLink>
              <CommentsLink />
            </>
          )}
          <NavLink to="/playlists" className={navClass}>
            Playlists
          </NavLink>
          <NavLink to="/history" className={navClass}>
            History
          </NavLink>
          {/* Named "Account" too where it shows the name: a screen reader's list of links is searched for it. */}
          <NavLink
            to="/account"
            className={(state) => `${navClass(state)} nav-account`}
            title={user.email}
            aria-label={user.display_name ? `Account (${user.display_name})` : undefined}
          >
            {user.display_name || "Account"}
          </NavLink>
          <button type="button" className="button ghost" onClick={onSignOut}>
            Sign out
          </button>
        </>
      ) : status === "anonymous" ? (
        <>
          <NavLink to="/signin" className={navClass}>
            Sign in
          </NavLink>
          <NavLink to="/register" className={navClass}>
            Create account
          </NavLink>
        </>
      ) : null}
    </>
  );
}

/**
 * Widths at which the navigation folds into a menu, with some room to spare: a viewer's
 * needs about 760 px on one row (Chromium), an admin's, with four more links (Upload,
 * Library, Users, Comments), about 1,120 px (measured; 1,040 before Comments).
 * Unfolded below that, it wrapped onto a second row (a phone held sideways is 844 px wide).
 */
export const FOLD_QUERIES = { viewer: "(max-width: 800px)", admin: "(max-width: 1180px)" } as const;

/** Whether the window matches the media `query`, following it as the window changes. */
function useMediaQuery(query: string): boolean {
  const list = () => (typeof window.matchMedia === "function" ? window.matchMedia(query) : null);
  return useSyncExternalStore(
    (notify) => {
      const media = list();
      media?.addEventListener?.("change", notify);
      return () => media?.removeEventListener?.("change", notify);
    },
    () => list()?.matches ?? false,
  );
}

export function Layout() {
  const siteName = useSiteName();
  const { signOut, user } = useAuth();
  const folded = useMediaQuery(user?.role === "admin" ? FOLD_QUERIES.admin : FOLD_QUERIES.viewer);
  const navigate = useNavigate();
  const location = useLocation();
  const { menuOpen, setMenuOpen, menuButton, closeOnEscape } = useFoldedMenu(location.pathname);
  const main = useRef<HTMLElement>(null);
  usePageFocus(main);
  useScrollMemory();
  const { app, header, notices } = useMainTop(main);

  async function handleSignOut() {
    setMenuOpen(false);
    await signOut();
    await navigate("/signin", { replace: true });
  }

  return (
    <div className="app" ref={app}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header
        ref={header}
        className={`site-header${folded ? " folded" : ""}${menuOpen ? " menu-open" : ""}`}
        onKeyDown={closeOnEscape}
      >
        <NavLink to="/" className="brand" aria-label={`${siteName} home`}>
          <span className="brand-mark" aria-hidden="true">
            ▶
          </span>
          <span className="brand-name">{siteName}</span>
        </NavLink>
        {/* In the order they are drawn, which Tab follows: the theme toggle, drawn last, came
            second (after the brand). Folded, the menu opens below, after its button. */}
        <button
          ref={menuButton}
          type="button"
          className="button ghost menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen((open) => !open)}
        >
          Menu
        </button>
        <nav id="main-nav" aria-label="Main" className="main-nav">
          <MainNav onSignOut={() => void handleSignOut()} />
        </nav>
        <ThemeToggle />
      </header>
      <LayoutNotices ref={notices} />
      <main id="main" ref={main} tabIndex={-1}>
        <ErrorBoundary resetKey={location.pathname}>
          <Outlet />
        </ErrorBoundary>
      </main>
    </div>
  );
}

/**
 * On a phone the navigation folds into a menu; any navigation (a new `pathname`) closes it.
 * Escape closes the open menu (on a phone held sideways it covers the page) and gives the
 * focus back to its button; it used to stay open until a link or the button was pressed.
 */
function useFoldedMenu(pathname: string) {
  const [menuOpen, setMenuOpen] = useState(false);
  const [menuPath, setMenuPath] = useState(pathname);
  if (menuPath !== pathname) {
    setMenuPath(pathname);
    setMenuOpen(false);
  }
  const menuButton = useRef<HTMLButtonElement>(null);
  function closeOnEscape(event: KeyboardEvent<HTMLElement>) {
    if (event.key !== "Escape" || !menuOpen) return;
    setMenuOpen(false);
    menuButton.current?.focus();
  }
  return { menuOpen, setMenuOpen, menuButton, closeOnEscape };
}

/**
 * The notices above every page, in one box whose size the player's height follows (useMainTop).
 */
function LayoutNotices({ ref }: { ref: RefObject<HTMLDivElement | null> }) {
  const { ended, status, user, unchecked, checkAgain } = useAuth();
  const { pathname } = useLocation();
  return (
    <div className="layout-notices" ref={ref}>
      {/* The server did not answer the session's check: it is kept, and checked again (by itself, or on Try again). */}
      <ErrorMessage error={unchecked} onRetry={checkAgain} say={uncheckedSentence} />
      {ended === "session-ended" && status === "anonymous" && pathname !== "/signin" && <SessionEndedNotice />}
      {user?.password_generated && pathname !== "/account" && <GeneratedPasswordNotice />}
      {/* Once back from signing in (not on the way): one page, then forgotten. */}
      {user && !SIGN_IN_PAGES.has(pathname) && <AfterSignInNotices key={`${user.id} ${pathname}`} userId={user.id} />}
    </div>
  );
}

/** Why the signed-in session could not be checked, said with what it means: it did not end. */
function uncheckedSentence(error: unknown): string {
  return `You are still signed in. ${errorSentence(error)}`;
}

/** Said on every page but sign-in after a session ended without the user signing out. */
function SessionEndedNotice() {
  return (
    <p className="notice session-notice" role="status" data-testid="session-ended">
      Your session ended, so you are browsing signed out. <Link to="/signin">Sign in again</Link>
    </p>
  );
}

/**
 * Said on every page (but the Account page, where it is done) while the signed-in account
 * has the password StreamStack generated and printed in a terminal or a log: a password
 * left in a log is anyone's who reads it, and nothing asked the admin to change it.
 */
function GeneratedPasswordNotice() {
  return (
    <p className="notice session-notice" role="status" data-testid="generated-password">
      You are signed in with the password StreamStack generated for you. Set your own on your{" "}
      <Link to="/account">Account page</Link>.
    </p>
  );
}

/** The pages a visitor signs in (or registers) on, before going back where they were. */
const SIGN_IN_PAGES = new Set(["/signin", "/register"]);

/**
 * Said on the page a user comes back to after signing in again: the change they made when
 * their session had ended was refused (see the API client's `requestChange`), and nothing had said so.
 */
function LostChangeNotice({ userId }: { userId: string }) {
  const [lost] = useState(() => readLostChange(userId));
  useEffect(() => forgetLostChange(userId), [userId]);
  if (lost === null) return null;
  return (
    <p className="notice session-notice" role="status" data-testid="lost-change">
      Your last change was not saved: {lost} (your session had ended).
    </p>
  );
}

/** What the page a user lands on after signing in has to say, once: a lost change, a recovery code used. */
function AfterSignInNotices({ userId }: { userId: string }) {
  return (
    <>
      <LostChangeNotice userId={userId} />
      <RecoveryCodesLeftNotice userId={userId} />
    </>
  );
}

/**
 * Said on the page a user lands on after signing in with a recovery code, once: how many
 * are left (the one used is gone) and where to make new ones.
 */
function RecoveryCodesLeftNotice({ userId }: { userId: string }) {
  const [left] = useState(() => readRecoveryCodesLeft(userId));
  useEffect(() => forgetRecoveryCodesLeft(userId), [userId]);
  if (left === null) return null;
  return (
    <p className="notice session-notice" role="status" data-testid="recovery-code-used">
      You used a recovery code: {left} left. Make new ones on your <Link to="/account">Account page</Link> if you
      are running out.
    </p>
  );
}
