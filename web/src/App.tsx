import { useState, type ReactNode } from "react";
import { createBrowserRouter, Navigate, Outlet, Route, RouterProvider, Routes, useLocation } from "react-router";
import { AuthProvider } from "./auth/AuthContext";
import { rememberScrollPositions } from "./lib/scrollMemory";
import { GuestPage, RequireAdmin, RequireAuth } from "./auth/RequireAuth";
import { Layout } from "./components/Layout";
import { lazyPage } from "./components/LazyPage";
import { PageTitle } from "./components/SiteName";
import { ServerConfigProvider } from "./auth/serverConfig";
import { AccountPage } from "./pages/Account";
import { BrowsePage } from "./pages/Browse";
import { HistoryPage } from "./pages/History";
import { LikedVideosPage } from "./pages/Liked";
import { NotFoundPage } from "./pages/NotFound";
import { PlaylistPage } from "./pages/Playlist";
import { PlaylistsPage } from "./pages/Playlists";
import { RegisterPage } from "./pages/Register";
import { ResetPasswordPage } from "./pages/ResetPassword";
import { ConfirmEmailPage } from "./pages/ConfirmEmail";
import { ForgotPasswordPage } from "./pages/ForgotPassword";
import { SharedEmbedPage } from "./pages/SharedEmbed";
import { SharedWatchPage } from "./pages/SharedWatch";
import { SignInPage } from "./pages/SignIn";
import { UnsubscribePage } from "./pages/Unsubscribe";
import { WatchPage } from "./pages/Watch";

// The admins' pages, each a chunk of its own: most visitors never open them.
const AdminUploadPage = lazyPage(() => import("./pages/AdminUpload"), "AdminUploadPage");
const AdminLibraryPage = lazyPage(() => import("./pages/AdminLibrary"), "AdminLibraryPage");
const AdminUsersPage = lazyPage(() => import("./pages/AdminUsers"), "AdminUsersPage");
const AdminCommentsPage = lazyPage(() => import("./pages/AdminComments"), "AdminCommentsPage");

function Titled({ title, children }: { title: string; children: ReactNode }) {
  return (
    <>
      <PageTitle title={title} />
      {children}
    </>
  );
}

/**
 * /login and /sign-in, the addresses people type, go to /signin with what they carried: the
 * query and the state (where to go on to, and why) that the sign-in page reads.
 */
function ToSignIn() {
  const location = useLocation();
  const state: unknown = location.state;
  return <Navigate to={{ pathname: "/signin", search: location.search, hash: location.hash }} state={state} replace />;
}

export function AppRoutes() {
  return (
    <Routes>
      {/* A share link's player alone, in another site's frame: no header or footer; it titles the tab. */}
      <Route path="embed/s/:secret" element={<SharedEmbedPage />} />
      <Route element={<Layout />}>
        <Route path="signin" element={<Titled title="Sign in"><SignInPage /></Titled>} />
        <Route path="login" element={<ToSignIn />} />
        <Route path="sign-in" element={<ToSignIn />} />
        <Route path="register" element={<Titled title="Create an account"><RegisterPage /></Titled>} />
        <Route path="reset-password" element={<Titled title="Set a new password"><ResetPasswordPage /></Titled>} />
        <Route path="confirm-email" element={<Titled title="Confirm your new email"><ConfirmEmailPage /></Titled>} />
        <Route path="unsubscribe" element={<Titled title="Stop these emails"><UnsubscribePage /></Titled>} />
        <Route path="forgot-password" element={<Titled title="Forgot your password?"><ForgotPasswordPage /></Titled>} />
        {/* Browsing is public (as the catalogue API is) unless the server is members only; playing needs an account. */}
        <Route index element={<Titled title="Browse"><GuestPage><BrowsePage /></GuestPage></Titled>} />
        {/* A share link plays its one video to anyone who has it, signed in or not; it titles the tab. */}
        <Route path="s/:secret" element={<SharedWatchPage />} />
        <Route
          element={
            <RequireAuth>
              <Outlet />
            </RequireAuth>
          }
        >
          {/* The watch page titles the tab with the video's own title. */}
          <Route path="watch/:id" element={<WatchPage />} />
          <Route path="account" element={<Titled title="Account"><AccountPage /></Titled>} />
          <Route path="history" element={<Titled title="History"><HistoryPage /></Titled>} />
          <Route path="liked" element={<Titled title="Liked videos"><LikedVideosPage /></Titled>} />
          <Route path="playlists" element={<Titled title="Playlists"><PlaylistsPage /></Titled>} />
          {/* The playlist page titles the tab with the playlist's own title. */}
          <Route path="playlists/:id" element={<PlaylistPage />} />
          <Route
            path="admin"
            element={
              <RequireAdmin>
                <Outlet />
              </RequireAdmin>
            }
          >
            {/* /admin alone was a blank page: the library is where an admin starts. */}
            <Route index element={<Navigate to="library" replace />} />
            <Route path="upload" element={<Titled title="Upload"><AdminUploadPage /></Titled>} />
            <Route path="library" element={<Titled title="Library"><AdminLibraryPage /></Titled>} />
            <Route path="users" element={<Titled title="Users"><AdminUsersPage /></Titled>} />
            <Route path="comments" element={<Titled title="Comments"><AdminCommentsPage /></Titled>} />
          </Route>
        </Route>
        <Route path="*" element={<Titled title="Not found"><NotFoundPage /></Titled>} />
      </Route>
    </Routes>
  );
}

/**
 * The routes under a data router, one splat route holding them all (react-router's way
 * from <BrowserRouter>): only a data router lets a page ask before it is left (useBlocker,
 * see LeaveGuard).
 */
export function App() {
  const [router] = useState(() => {
    const made = createBrowserRouter([{ path: "*", element: <AppRoutes /> }]);
    rememberScrollPositions(made);
    return made;
  });
  return (
    <AuthProvider>
      <ServerConfigProvider>
        <RouterProvider router={router} />
      </ServerConfigProvider>
    </AuthProvider>
  );
}
