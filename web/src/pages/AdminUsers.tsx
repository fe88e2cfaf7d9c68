import { useCallback, useState, type FormEvent } from "react";
import { listUsers, setUserRole, type Role } from "../api/auth";
import { errorMessage } from "../api/errors";
import type { UserView } from "../api/schema";
import { useAuth } from "../auth/useAuth";
import { ErrorMessage } from "../components/ErrorMessage";
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

  function onSearch(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setQ(text.trim());
    setPage(1);
  }

  async function changeRole(user: UserView, role: Role) {
    setSaving(user.id);
    setRowError(null);
    try {
      const updated = await setUserRole(user.id, role);
      setData((p) => ({ ...p, items: p.items.map((u) => (u.id === updated.id ? updated : u)) }));
    } catch (err) {
      setRowError(`Could not change the role of ${user.email}: ${errorMessage(err)}`);
    } finally {
      setSaving(null);
    }
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
      {rowError && (
        <p className="form-error" role="alert">
          {rowError}
        </p>
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
                </tr>
              </thead>
              <tbody>
                {data.items.map((u) => (
                  <tr key={u.id}>
                    <td data-label="Email">{u.email}</td>
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
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pagination page={page} pageSize={data.limit} total={data.total} onPage={setPage} />
        </>
      )}
      <InvitesPanel />
    </section>
  );
}
