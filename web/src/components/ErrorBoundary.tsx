import { Component, type ErrorInfo, type ReactNode } from "react";
import { ChunkUnloaded } from "../lib/chunk";
import { PageTitle } from "./SiteName";
import { focusHeading } from "./usePageFocus";

interface Props {
  children: ReactNode;
  /** When this changes (e.g. the route), a caught error is forgotten. */
  resetKey?: unknown;
}

interface State {
  error: Error | null;
  resetKey: unknown;
}

/** Reloads the page: what helps a page that crashed, or whose build is no more. */
function ReloadButton({ className }: { className: string }) {
  return (
    <button type="button" className={className} onClick={() => window.location.reload()}>
      Reload the page
    </button>
  );
}

/**
 * A page whose chunk did not load (see lazyPage): loading it again may work (offline, a flaky
 * link); a chunk gone with a newer build of the site is had by reloading alone. `onRetry` is
 * given the `main` the page shows in.
 */
function UnloadedPage({ gone, onRetry }: { gone: boolean; onRetry: (area: HTMLElement | null) => void }) {
  if (gone) {
    return (
      <section className="page narrow" role="alert" data-testid="page-outdated">
        <PageTitle title="A newer version is out" />
        <h1>A newer version of the site is out</h1>
        <p>This page is part of it. Reload to get the new version.</p>
        <ReloadButton className="button primary" />
      </section>
    );
  }
  return (
    <section className="page narrow" role="alert" data-testid="page-unloaded">
      <PageTitle title="Could not load this page" />
      <h1>Could not load this page</h1>
      <p>Check your connection, then try again. If it still does not load, reload the page.</p>
      <div className="button-row">
        <button type="button" className="button primary" onClick={(e) => onRetry(e.currentTarget.closest("main"))}>
          Try again
        </button>
        <ReloadButton className="button" />
      </div>
    </section>
  );
}

/**
 * Catches a render error in one page, so the header and navigation stay
 * usable and the user can go elsewhere or reload, instead of a blank screen;
 * a page whose chunk did not load offers to load it again.
 */
export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: null, resetKey: this.props.resetKey };

  static getDerivedStateFromError(error: Error): Partial<State> {
    return { error };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    return props.resetKey === state.resetKey ? null : { error: null, resetKey: props.resetKey };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    if (error instanceof ChunkUnloaded) return; // said on the page, with what to do: no crash
    console.error("page crashed", error, info.componentStack);
  }

  /**
   * Loads the page again; its heading takes the focus once it shows, as on any new page: Try
   * again went with the failure, and the focus with it to the page's body.
   */
  private retry(area: HTMLElement | null): void {
    this.setState({ error: null }, () => {
      if (area) focusHeading(area);
    });
  }

  override render() {
    const { error } = this.state;
    if (error === null) return this.props.children;
    if (error instanceof ChunkUnloaded) {
      return <UnloadedPage gone={error.gone} onRetry={(area) => this.retry(area)} />;
    }
    return (
      <section className="page narrow" role="alert" data-testid="page-crashed">
        <h1>Something went wrong</h1>
        <p>This page stopped working. Reloading usually helps; other pages still work.</p>
        <ReloadButton className="button primary" />
      </section>
    );
  }
}
