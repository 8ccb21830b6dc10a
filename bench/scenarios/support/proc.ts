/**
 * What Linux says about a process, read from /proc: its open-files limit (and how far a child's
 * soft limit must be raised), how many sockets it holds, its resident memory, and the TCP
 * connections established on a port. The parsers are pure; the readers are thin.
 */
import fs from 'node:fs';

export interface FdLimits {
  /** Infinity when unlimited. */
  soft: number;
  hard: number;
}

const limitValue = (s: string) => (s === 'unlimited' ? Infinity : Number(s));

/** The "Max open files" line of /proc/<pid>/limits. */
export function parseNofileLimits(procLimits: string): FdLimits {
  const line = procLimits.split('\n').find((l) => l.startsWith('Max open files'));
  const m = line && /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(line);
  if (!m) throw new Error(`no "Max open files" line in /proc limits: ${JSON.stringify(procLimits.slice(0, 200))}`);
  return { soft: limitValue(m[1]!), hard: limitValue(m[2]!) };
}

export function readNofileLimits(pid: number | 'self' = 'self'): FdLimits {
  return parseNofileLimits(fs.readFileSync(`/proc/${pid}/limits`, 'utf8'));
}

/** Either the inherited limit suffices, or the child's soft limit is raised (never above the hard limit, never the system's). */
export type FdLimitPlan = { raise: false; soft: number } | { raise: true; soft: number };

export function planFdLimit(limits: FdLimits, needed: number): FdLimitPlan {
  if (limits.soft >= needed) return { raise: false, soft: limits.soft };
  if (limits.hard < needed)
    throw new Error(
      `${needed} file descriptors are needed but the hard limit is ${limits.hard} (soft ${limits.soft}); raise the hard limit (ulimit -Hn) for this shell`,
    );
  return { raise: true, soft: needed };
}

/** Socket descriptors of a process: entries of /proc/<pid>/fd that link to `socket:[inode]`. */
export function countSocketFds(pid: number): number {
  const dir = `/proc/${pid}/fd`;
  let n = 0;
  for (const fd of fs.readdirSync(dir)) {
    try {
      if (fs.readlinkSync(`${dir}/${fd}`).startsWith('socket:')) n++;
    } catch {
      /* closed between readdir and readlink */
    }
  }
  return n;
}

/** VmRSS of /proc/<pid>/status, in bytes. */
export function parseVmRssBytes(procStatus: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(procStatus);
  if (!m) throw new Error('no VmRSS line in /proc status (a kernel thread, or the process has exited)');
  return Number(m[1]) * 1024;
}

export function readRssBytes(pid: number): number {
  return parseVmRssBytes(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
}

/**
 * TCP connections in state ESTABLISHED whose local port is `port`, from the text of /proc/net/tcp
 * (or tcp6): on loopback these are the server's ends of the connections to that port, as the kernel
 * sees them (accepted or still in the accept queue).
 */
export function countEstablishedOnPort(procNetTcp: string, port: number, fromPorts?: ReadonlySet<number>): number {
  const portOf = (address: string) => parseInt(address.slice(address.lastIndexOf(':') + 1), 16);
  let n = 0;
  for (const line of procNetTcp.split('\n')) {
    // "  sl  local_address rem_address   st ..." then "   0: 0100007F:1F90 0100007F:A2B4 01 ..."
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4 || !cols[0]!.endsWith(':')) continue;
    if (portOf(cols[1]!) !== port || cols[3] !== '01') continue;
    if (!fromPorts || fromPorts.has(portOf(cols[2]!))) n++;
  }
  return n;
}

/** `fromPorts`: count only connections from these client ports (other processes on the machine may connect too). */
export function readEstablishedOnPort(port: number, fromPorts?: ReadonlySet<number>): number {
  let n = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      n += countEstablishedOnPort(fs.readFileSync(file, 'utf8'), port, fromPorts);
    } catch {
      /* no IPv6 */
    }
  }
  return n;
}

/**
 * The kernel's TcpExt ListenOverflows counter from /proc/net/netstat: SYNs or handshakes dropped
 * because a listener's accept queue was full (the client retries after 1 s, 3 s, 7 s...). It is
 * system-wide, so other listeners count too.
 */
export function parseListenOverflows(procNetNetstat: string): number {
  const lines = procNetNetstat.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i]!.startsWith('TcpExt:') || !lines[i + 1]!.startsWith('TcpExt:')) continue;
    const names = lines[i]!.trim().split(/\s+/);
    const values = lines[i + 1]!.trim().split(/\s+/);
    const at = names.indexOf('ListenOverflows');
    if (at > 0) return Number(values[at]);
  }
  throw new Error('no TcpExt ListenOverflows in /proc/net/netstat');
}

export function readListenOverflows(): number {
  return parseListenOverflows(fs.readFileSync('/proc/net/netstat', 'utf8'));
}

/** CPU time of a process's main thread (where Node's event loop runs), from /proc/<pid>/schedstat. */
export interface Schedstat {
  /** Nanoseconds on a CPU. */
  runNs: number;
  /** Nanoseconds runnable but waiting for a CPU (the machine was busy with other work). */
  waitNs: number;
}

export function parseSchedstat(text: string): Schedstat {
  const [run, wait] = text.trim().split(/\s+/).map(Number);
  if (!Number.isFinite(run) || !Number.isFinite(wait)) throw new Error(`unexpected /proc schedstat: ${JSON.stringify(text.slice(0, 100))}`);
  return { runNs: run!, waitNs: wait! };
}

export function readSchedstat(pid: number): Schedstat {
  return parseSchedstat(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8'));
}

/** Shares of wall time between two samples that the thread ran, and that it waited for a CPU, in percent. */
export function cpuShares(before: Schedstat, after: Schedstat, wallMs: number): { onCpuPct: number; waitingPct: number } {
  const pct = (ns: number) => (wallMs > 0 ? Math.round((ns / 1e6 / wallMs) * 1000) / 10 : 0);
  return { onCpuPct: pct(after.runNs - before.runNs), waitingPct: pct(after.waitNs - before.waitNs) };
}

/** All descriptors of a process (one readdir, no readlink: cheap enough to sample every second at 10,000). */
export function countFds(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

/**
 * A whole process's CPU time in seconds (all its threads: for Node.js the GC and JIT helpers too), from the line of
 * /proc/<pid>/stat: utime + stime, fields 14 and 15 of proc(5), in clock ticks of 1/100 s. The command name (field 2)
 * may hold spaces and parentheses, so the fields are counted from its last ") ".
 */
export function parseProcessCpuSeconds(stat: string): number {
  const end = stat.lastIndexOf(') ');
  const fields = end < 0 ? [] : stat.slice(end + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isInteger(utime) || !Number.isInteger(stime)) throw new Error(`no utime/stime in /proc stat line: ${JSON.stringify(stat.slice(0, 120))}`);
  return (utime + stime) / 100;
}

export function readProcessCpuSeconds(pid: number | 'self'): number {
  return parseProcessCpuSeconds(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
}
