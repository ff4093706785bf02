// Small hooks shared by pages.
import { useCallback, useEffect, useState } from "preact/hooks";

export type Loaded<T> = { data: T | undefined; error: unknown; loading: boolean; reload: () => void };

/** `load()` run when `deps` change: its value, its failure, and whether it is still running. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [tick, setTick] = useState(0);
  const [out, setOut] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  useEffect(() => {
    let live = true;
    setOut((o) => ({ ...o, loading: true, error: undefined }));
    load().then(
      (data) => live && setOut({ data, error: undefined, loading: false }),
      (error) => live && setOut({ data: undefined, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...out, reload };
}

/** An action with its states: running (disable the button), failed (show why), done. */
export function useAction<A extends unknown[], T>(act: (...args: A) => Promise<T>) {
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = async (...args: A): Promise<T | undefined> => {
    setRunning(true);
    setError(undefined);
    try {
      return await act(...args);
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setRunning(false);
    }
  };
  return { run, running, error, clear: () => setError(undefined) };
}
