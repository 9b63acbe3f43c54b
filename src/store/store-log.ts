/** Where the store's own messages go: PostgreSQL's output at debug, lost connections and restarts at warn. */
export interface StoreLog {
  debug(msg: string): void;
  warn(msg: string): void;
}

export const SILENT_STORE_LOG: StoreLog = { debug: () => undefined, warn: () => undefined };
