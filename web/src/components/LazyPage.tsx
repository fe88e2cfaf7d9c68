import { lazy, Suspense, useState, type ComponentType, type LazyExoticComponent } from "react";
import { chunk, ChunkUnloaded } from "../lib/chunk";
import { LoadingLine } from "./PageLoading";

/**
 * A page in a chunk of its own (`importer`: `() => import("./pages/AdminUsers")`, the page its
 * `name` export), loaded as it is first shown: the pages most people never open (the admins')
 * are not in every visitor's download. "Loading…" while it loads; a chunk that does not load
 * throws ChunkUnloaded, which the page's ErrorBoundary offers to load again (or, the chunk gone
 * with a newer build, to reload).
 */
export function lazyPage<M extends Record<K, ComponentType>, K extends keyof M>(
  importer: () => Promise<M>,
  name: K,
): ComponentType {
  const page = chunk(importer);
  let last: { loading: Promise<M>; Page: LazyExoticComponent<ComponentType> } | null = null;

  /** The page as this load answers it: one for every load, so a failed one is not kept. */
  function pageOf(loading: Promise<M>): LazyExoticComponent<ComponentType> {
    if (last?.loading !== loading) {
      const Page = lazy(() =>
        loading.then(
          (loaded) => ({ default: loaded[name] }),
          async (error: unknown) => {
            throw new ChunkUnloaded(await page.gone(), error);
          },
        ),
      );
      last = { loading, Page };
    }
    return last.Page;
  }

  return function LazyPage() {
    // The load this showing of the page started (or found): rendering again while it fails
    // must not start another, else a failure would never be said.
    const [Page] = useState(() => pageOf(page.load()));
    return (
      <Suspense fallback={<LoadingLine />}>
        <Page />
      </Suspense>
    );
  };
}
