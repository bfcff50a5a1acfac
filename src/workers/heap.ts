/**
 * The worker's V8 old-space limit, in MiB, as it is deployed (the Dockerfile's `NODE_OPTIONS`, the
 * `npm run worker` script) and as the benchmarks and the tests that start a worker process run it.
 *
 * A worker keeps little: about 70 MiB of live heap whether its campaign has 20,000 purchasers or
 * 200,000 (a store's customer list is kept outside the heap). Without a limit, V8 sizes Node's
 * heap for the machine (4 GiB here) and lets garbage build up to four times the live heap before
 * a full collection, so the resident size follows how long the worker has been busy rather than
 * what it holds. Under a 512 MiB limit V8 collects at about twice the live heap: a 200,000-purchaser
 * sync peaked at 376 MiB resident instead of 621, in no more time. The limit leaves several times
 * the live heap for many syncs at once; raise it with `--max-old-space-size` if a worker's log or
 * metrics show its heap near it.
 */
export const WORKER_HEAP_LIMIT_MIB = 512;

/** The Node flags a worker process is started with. */
export const WORKER_NODE_ARGS: readonly string[] = [`--max-old-space-size=${WORKER_HEAP_LIMIT_MIB}`];
