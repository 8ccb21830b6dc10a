/**
 * The V8 flags the API runs with: in its image (the `api` stage's ENTRYPOINT in the Dockerfile) and in the
 * benchmarks (bench/harness/services.ts), which also give them to the bare-Express ceiling so the ratio compares
 * like with like. A unit test keeps the Dockerfile and this list the same.
 *
 * `--max-semi-space-size=32` (MiB, the young generation's two halves): a request's objects (the parsed body, the
 * events, their Kafka messages) live until Kafka acknowledges them, a few to a few hundred milliseconds. With V8's
 * default young generation, a busy API fills it faster than that, so each scavenge copies live request objects and
 * promotes many of them to the old generation, where only the slower mark-compact frees them. In `make bench`
 * (docs/benchmarks.md) the flag cut the API's CPU per event by about a third at a fixed rate and raised batch ingest
 * by about a quarter; its resident memory stayed within the chart's 512 MiB limit.
 */
export const apiNodeFlags: readonly string[] = ['--max-semi-space-size=32'];
