/** A running emulator: where to reach it and how to stop it. */
export interface EmulatorHandle {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:8081`. */
  url: string;
  /** The port actually bound (useful when started on port 0). */
  port: number;
  /** Stops accepting connections, drops keep-alive sockets and resolves once the server is closed. */
  close(): Promise<void>;
}
