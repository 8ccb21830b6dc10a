/** The demo's knobs, from the environment (all optional): fleet size, length, and the local scaler's limits. */
import { z } from 'zod';
import { env, parseEnv } from '@floodgate/config';

export const demoSettings = z.object({
  /** Simulated slope and river sensors (one gateway posts for 50 of them). */
  DEMO_DEVICES: env.int(300, 1, 100000),
  /** Length of the storm scenario in real seconds. */
  DEMO_SECONDS: env.int(120, 5, 3600),
  /** Readings per device per tick at the height of the storm (event-driven sampling). */
  DEMO_STORM_BURST: env.int(6, 1, 100),
  /** Real milliseconds between gateway posts. */
  DEMO_TICK_MS: env.int(500, 50, 60000),
  DEMO_MAX_WORKERS: env.int(4, 1, 12),
  DEMO_LAG_PER_REPLICA: env.int(1500, 1),
  DEMO_POLLING_SECONDS: env.number(2, 0.2),
  DEMO_SCALE_DOWN_WINDOW_SECONDS: env.int(20, 0, 3600),
  /** After the storm, how long to wait for the workers to store everything accepted. */
  DEMO_DRAIN_TIMEOUT_SECONDS: env.int(120, 1, 3600),
  /** Keep the stack running after the demo (otherwise it is stopped with everything else). */
  DEMO_KEEP_STACK: env.bool(false),
  /** Where the demo keeps its stack and logs. */
  DEMO_DIR: z.string().min(1).optional(),
  /** Plain log lines instead of the redrawn screen (automatic when stdout is not a terminal). */
  DEMO_PLAIN: env.bool(false),
});

export type DemoSettings = z.infer<typeof demoSettings>;

export const loadDemoSettings = (source: NodeJS.ProcessEnv = process.env) => parseEnv(demoSettings, source);
