import { useCallback, useState, type FormEvent } from "react";
import {
  deleteUser,
  disableUser,
  enableUser,
  issuePasswordReset,
  listUsers,
  setUserRole,
  type Role,
} from "../api/auth";
import { errorMessage } from "../api/errors";
import type { PasswordResetCreated, UserView } from "../api/schema";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { useAuth } from "../auth/useAuth";
import { ErrorMessage, FormError } from "../components/ErrorMessage";
import { Field } from "../components/Field";
import { Pagination } from "../components/Pagination";
import { LIMITS } from "../api/limits";
import { formatDate } from "../lib/format";
import { useAsync } from "../lib/useAsync";
import { InvitesPanel } from "./Invites";

const PAGE_SIZE = 50;

export function AdminUsersPage() {
  const { user: me } = useAuth();
  const [q, setQ] = useState("");
  const [text, setText] = useState("");
  const [page, setPage] = useState(1);
  const [rowError, setRowError] = useState<string | null>(null);
  const [saving, setSaving] = useState<string | null>(null);

  const fetchUsers = useCallback(
    (signal: AbortSignal) => listUsers({ q, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }, signal),
    [q, page],
  );
  const { data, error, loading, reload, setData } = useAsync(fetchUsers);
  const [reset, setReset] = useState<{ email: string; link: PasswordResetCreated } | null>(null);
  const [pendingDelete, setPendingDelete] = useState<UserView | null>(null);

  /** Runs one action on a user's row; its answer replaces the row, its failure is shown. */
  async function act(user: UserView, what: string, action: () => Promise<UserView | null>) {
    setSaving(user.id);
    setRowError(null);
    try {
      const updated = await action();
      setData((p) => ({
        ...p,
        items: updated === null ? p.items.filter((u) => u.id !== user.id) : p.items.map((u) => (u.id === updated.id ? updated : u)),
        total: updated === null ? p.total - 1 : p.total,
      }));
    } catch (err) {
      setRowError(`Could not ${what} ${user.email}: ${errorMessage(err)}`);
    } finally {
      setSaving(null);
    }
  }

  async function issueReset(user: UserView) {
    await act(user, "create a reset link for", async () => {
      setReset({ email: user.email, link: await issuePasswordReset(user.id) });
      return user;
    });
  }

  function onSearch(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setQ(text.trim());
    setPage(1);
  }

  async function changeRole(user: UserView, role: Role) {
    await act(user, "change the role of", () => setUserRole(user.id, role));
  }

  return (
    <section className="page" aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      <form className="toolbar" role="search" onSubmit={onSearch}>
        <Field label="Search" className="grow">
          {(control) => (
            <input {...control} type="search" maxLength={LIMITS.email} value={text} onChange={(e) => setText(e.target.value)} />
          )}
        </Field>
        <button type="submit" className="button">
          Search
        </button>
      </form>
      {loading && <p role="status">Loading…</p>}
      <ErrorMessage error={error} onRetry={reload} />
      <FormError message={rowError} />
      {reset && (
        <div className="notice" role="status" data-testid="reset-link">
          <p>
            Password-reset link for {reset.email}, valid once until {formatDate(reset.link.expires_at)}. It is shown
            only now: hand it over.
          </p>
          <p>
            <code className="invite-link">{`${window.location.origin}${reset.link.link_path}`}</code>
          </p>
        </div>
      )}
      {data && data.items.length === 0 && <p className="muted">No users found.</p>}
      {data && data.items.length > 0 && (
        <>
          <div className="table-wrap">
            <table className="table stack-on-phone">
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Name</th>
                  <th scope="col">Joined</th>
                  <th scope="col">Role</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((u) => (
                  <tr key={u.id}>
                    <td data-label="Email">
                      {u.email}
                      {u.disabled && <span className="badge failed">Disabled</span>}
                    </td>
                    <td data-label="Name">{u.display_name ?? ""}</td>
                    <td data-label="Joined">{formatDate(u.created_at)}</td>
                    <td data-label="Role">
                      <label className="visually-hidden" htmlFor={`role-${u.id}`}>
                        Role of {u.email}
                      </label>
                      <select
                        id={`role-${u.id}`}
                        value={u.role}
                        disabled={saving === u.id || u.id === me?.id}
                        title={u.id === me?.id ? "You cannot change your own role" : undefined}
                        onChange={(e) => void changeRole(u, e.target.value as Role)}
                      >
                        <option value="viewer">Viewer</option>
                        <option value="admin">Admin</option>
                      </select>
                    </td>
                    <td data-label="Actions">
                      {u.id !== me?.id && (
                        <div className="button-row">
                          <button
                            type="button"
                            className="button"
                            disabled={saving === u.id}
                            aria-label={`${u.disabled ? "Enable" : "Disable"} ${u.email}`}
                            onClick={() =>
                              void act(u, u.disabled ? "enable" : "disable", () =>
                                u.disabled ? enableUser(u.id) : disableUser(u.id),
                              )
                            }
                          >
                            {u.disabled ? "Enable" : "Disable"}
                          </button>
                          <button
                            type="button"
                            className="button"
                            disabled={saving === u.id}
                            aria-label={`Password-reset link for ${u.email}`}
                            onClick={() => void issueReset(u)}
                          >
                            Reset link
                          </button>
                          <button
                            type="button"
                            className="button danger"
                            disabled={saving === u.id}
                            aria-label={`Delete ${u.email}`}
                            onClick={() => setPendingDelete(u)}
                          >
                            Delete
                          </button>
                        </div>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pagination page={page} pageSize={data.limit} total={data.total} onPage={setPage} />
        </>
      )}
      {pendingDelete && (
        <ConfirmDialog
          title="Delete this account?"
          confirmLabel="Delete"
          busy={saving === pendingDelete.id}
          onConfirm={() => {
            const user = pendingDelete;
            setPendingDelete(null);
            void act(user, "delete", async () => {
              await deleteUser(user.id);
              return null;
            });
          }}
          onCancel={() => setPendingDelete(null)}
        >
          <p>
            {pendingDelete.email} is signed out everywhere and their account, sessions and watch data are removed.
            This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
      <InvitesPanel />
    </section>
  );
}
