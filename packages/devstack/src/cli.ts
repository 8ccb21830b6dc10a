#!/usr/bin/env tsx
/**
 * floodgate-stack: the local stack's command line.
 *   up [--servers kafka,postgres,redis]   start (or reuse) the stack and print where each server runs
 *   down                                  stop every server, leaving nothing running
 *   status                                what runs where, and whether it answers
 *   env                                   shell exports that point the services at the stack
 *   restart <server> | stop <server> | start <server>
 *   check-clean                           fail if a process of this stack folder is still running
 */
import { defaultStateDir } from './paths';
import { down, leftoverProcesses, readStack, restart, stackEnv, startServer, status, stopServer, up } from './stack';
import { StackError } from './stack-error';

const log = (line: string) => process.stderr.write(`[stack] ${line}\n`);

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function printEnv(): void {
  const stack = readStack();
  if (!stack) throw new StackError('no local stack is running', 'start one: make up');
  for (const [k, v] of Object.entries(stackEnv(stack))) process.stdout.write(`export ${k}='${v}'\n`);
}

async function printStatus(): Promise<boolean> {
  const rows = await status();
  if (rows.length === 0) {
    process.stdout.write(`no local stack in ${defaultStateDir()} (start one: make up)\n`);
    return false;
  }
  for (const r of rows) process.stdout.write(`${r.running ? 'up  ' : 'DOWN'} ${r.name.padEnd(9)} ${r.summary}\n     logs: ${r.logFiles.join(', ')}\n`);
  return rows.every((r) => r.running);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'up': {
      const servers = option(args, '--servers')?.split(',').filter(Boolean);
      const t0 = Date.now();
      await up({ servers, log });
      log(`stack ready in ${((Date.now() - t0) / 1000).toFixed(1)}s (state in ${defaultStateDir()})`);
      await printStatus();
      return 0;
    }
    case 'down':
      await down({ log });
      return 0;
    case 'status':
      return (await printStatus()) ? 0 : 1;
    case 'env':
      printEnv();
      return 0;
    case 'restart':
    case 'stop':
    case 'start': {
      const name = args[0];
      if (!name) throw new StackError(`${command} needs a server name`, `floodgate-stack ${command} kafka`);
      await (command === 'restart' ? restart(name) : command === 'stop' ? stopServer(name) : startServer(name));
      log(`${name}: ${command === 'stop' ? 'stopped' : 'running'}`);
      return 0;
    }
    case 'check-clean': {
      const left = leftoverProcesses();
      for (const p of left) process.stderr.write(`still running: pid ${p.pid}: ${p.cmdline}\n`);
      return left.length === 0 ? 0 : 1;
    }
    default:
      process.stderr.write('usage: floodgate-stack up [--servers a,b] | down | status | env | restart|stop|start <server> | check-clean\n');
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof StackError) process.stderr.write(`[stack] error: ${err.message}\n[stack] fix: ${err.fix}\n`);
    else process.stderr.write(`[stack] unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
