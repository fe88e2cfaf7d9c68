import { NavLink, Outlet, useNavigate } from "react-router";
import { useAuth } from "../auth/useAuth";

function navClass({ isActive }: { isActive: boolean }): string {
  return isActive ? "nav-link active" : "nav-link";
}

export function Layout() {
  const { status, user, signOut } = useAuth();
  const navigate = useNavigate();

  async function handleSignOut() {
    await signOut();
    await navigate("/signin", { replace: true });
  }

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <NavLink to="/" className="brand" aria-label="StreamStack home">
          <span className="brand-mark" aria-hidden="true">
            ▶
          </span>
          StreamStack
        </NavLink>
        <nav aria-label="Main" className="main-nav">
          <NavLink to="/" end className={navClass}>
            Browse
          </NavLink>
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
                </>
              )}
              <NavLink to="/account" className={navClass} title={user.email}>
                Account
              </NavLink>
              <button type="button" className="button ghost" onClick={() => void handleSignOut()}>
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
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
