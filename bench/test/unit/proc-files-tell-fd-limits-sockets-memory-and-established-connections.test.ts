import net from 'node:net';
import { nodeCommand } from '../../scenarios/support/node-child';
import {
  countEstablishedOnPort,
  countFds,
  countSocketFds,
  cpuShares,
  parseListenOverflows,
  parseNofileLimits,
  parseProcessCpuSeconds,
  parseSchedstat,
  parseVmRssBytes,
  planFdLimit,
  readEstablishedOnPort,
  readListenOverflows,
  readNofileLimits,
  readProcessCpuSeconds,
  readRssBytes,
  readSchedstat,
} from '../../scenarios/support/proc';

const limits = (soft: string, hard: string) =>
  [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max processes             96364                96364                processes ',
    `Max open files            ${soft.padEnd(21)}${hard.padEnd(21)}files     `,
    'Max locked memory         8388608              8388608              bytes     ',
  ].join('\n');

describe('the open-files limit', () => {
  it('is read from the "Max open files" line of /proc/<pid>/limits, unlimited as Infinity', () => {
    expect(parseNofileLimits(limits('1024', '20000'))).toEqual({ soft: 1024, hard: 20000 });
    expect(parseNofileLimits(limits('unlimited', 'unlimited'))).toEqual({ soft: Infinity, hard: Infinity });
    expect(() => parseNofileLimits('Max processes 1 1 processes')).toThrow(/no "Max open files" line/);
  });

  it("is this process's own when read from /proc/self", () => {
    const own = readNofileLimits();
    expect(own.soft).toBeGreaterThan(0);
    expect(own.hard).toBeGreaterThanOrEqual(own.soft);
  });

  it('is inherited when it suffices, raised up to the hard limit when it does not, and refused beyond the hard limit', () => {
    expect(planFdLimit({ soft: 20_000, hard: 20_000 }, 11_024)).toEqual({ raise: false, soft: 20_000 });
    expect(planFdLimit({ soft: 1024, hard: 20_000 }, 11_024)).toEqual({ raise: true, soft: 11_024 });
    expect(() => planFdLimit({ soft: 1024, hard: 4096 }, 11_024)).toThrow(/11024 file descriptors are needed but the hard limit is 4096/);
  });

  it('raises only the child: its command runs under prlimit with a soft limit, else node directly', () => {
    expect(nodeCommand('/x/load.ts', 11_024, { soft: 1024, hard: 20_000 })).toEqual({
      command: 'prlimit',
      args: ['--nofile=11024:', '--', process.execPath, '--import', 'tsx', '/x/load.ts'],
    });
    expect(nodeCommand('/x/load.ts', 11_024, { soft: 20_000, hard: 20_000 })).toEqual({ command: process.execPath, args: ['--import', 'tsx', '/x/load.ts'] });
  });
});

describe('resident memory', () => {
  it('is the VmRSS line of /proc/<pid>/status in bytes', () => {
    expect(parseVmRssBytes('Name:\tnode\nVmHWM:\t  400000 kB\nVmRSS:\t  204800 kB\nRssAnon:\t 100 kB\n')).toBe(204800 * 1024);
    expect(() => parseVmRssBytes('Name:\tkthreadd\n')).toThrow(/no VmRSS line/);
    expect(readRssBytes(process.pid)).toBeGreaterThan(1024 * 1024);
  });
});

describe('connections on a port', () => {
  const procNetTcp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 100 1 0 100 0 0 10 0',
    '   1: 0100007F:1F90 0100007F:A2B4 01 00000000:00000000 00:00000000 00000000     0        0 101 1 0 20 4 30 10 -1',
    '   2: 0100007F:A2B4 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 102 1 0 20 4 30 10 -1',
    '   3: 0100007F:1F90 0100007F:A2B6 06 00000000:00000000 03:00000000 00000000     0        0 0 3 0',
    '   4: 0100007F:1F90 0100007F:A2B8 01 00000000:00000000 00:00000000 00000000     0        0 103 1 0 20 4 30 10 -1',
  ].join('\n');

  it("count the server's ESTABLISHED ends on the port: not the listener, not TIME_WAIT, not the client's end", () => {
    expect(countEstablishedOnPort(procNetTcp, 8080)).toBe(2);
    expect(countEstablishedOnPort(procNetTcp, 41652)).toBe(1);
    expect(countEstablishedOnPort(procNetTcp, 9090)).toBe(0);
    expect(countEstablishedOnPort(procNetTcp, 8080, new Set([0xa2b8]))).toBe(1);
  });

  it("are what the kernel and the process's socket descriptors show for a real server on loopback", async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const accepted: net.Socket[] = [];
    const allAccepted = new Promise<void>((resolve) =>
      server.on('connection', (s) => {
        accepted.push(s);
        if (accepted.length === 3) resolve();
      }),
    );
    const before = countSocketFds(process.pid);
    const fdsBefore = countFds(process.pid);
    const clients = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<net.Socket>((resolve) => {
            const c = net.connect(port, '127.0.0.1', () => resolve(c));
          }),
      ),
    );
    await allAccepted;
    try {
      // Only our clients: on a shared machine another process's client may reach a port it knew from an earlier server.
      expect(readEstablishedOnPort(port, new Set(clients.map((c) => c.localPort!)))).toBe(3);
      // Three client ends and three accepted ends, all in this process.
      expect(countSocketFds(process.pid) - before).toBe(6);
      expect(countFds(process.pid) - fdsBefore).toBe(6);
    } finally {
      for (const s of [...clients, ...accepted]) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('accept-queue overflows', () => {
  it("are the TcpExt ListenOverflows column of /proc/net/netstat, found by its header's name", () => {
    const text = [
      'TcpExt: SyncookiesSent SyncookiesRecv ListenOverflows ListenDrops',
      'TcpExt: 0 0 74629 74630',
      'IpExt: InNoRoutes ListenOverflows',
      'IpExt: 0 5',
    ].join('\n');
    expect(parseListenOverflows(text)).toBe(74629);
    expect(() => parseListenOverflows('IpExt: InNoRoutes\nIpExt: 0\n')).toThrow(/no TcpExt ListenOverflows/);
    expect(readListenOverflows()).toBeGreaterThanOrEqual(0);
  });
});

describe("a thread's CPU time", () => {
  it('is the on-CPU and runqueue-wait nanoseconds of /proc/<pid>/schedstat', () => {
    expect(parseSchedstat('205693559 19400547 579\n')).toEqual({ runNs: 205693559, waitNs: 19400547 });
    expect(() => parseSchedstat('')).toThrow(/unexpected \/proc schedstat/);
    expect(readSchedstat(process.pid).runNs).toBeGreaterThan(0);
  });

  it('becomes shares of wall time between two samples, in percent', () => {
    const before = { runNs: 1e9, waitNs: 5e8 };
    const after = { runNs: 1e9 + 4.5e9, waitNs: 5e8 + 3e9 };
    expect(cpuShares(before, after, 10_000)).toEqual({ onCpuPct: 45, waitingPct: 30 });
    expect(cpuShares(before, after, 0)).toEqual({ onCpuPct: 0, waitingPct: 0 });
  });
});

describe("a process's CPU time", () => {
  it('is utime + stime of /proc/<pid>/stat in seconds, counted past a command name with spaces and parentheses', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
    const stat = '4242 (node (api) x) S 1 4242 4242 0 -1 4194560 51234 0 12 0 1234 567 0 0 20 0 11 0 99 0 0';
    expect(parseProcessCpuSeconds(stat)).toBeCloseTo(18.01, 10);
    expect(() => parseProcessCpuSeconds('4242 (node) S 1')).toThrow('no utime/stime in /proc stat line');
  });

  it('grows while this process works', () => {
    // The clock ticks in hundredths of a second: work until it moves (a busy machine may lend this process less).
    const before = readProcessCpuSeconds('self');
    let after = before;
    for (const until = Date.now() + 10_000; after <= before && Date.now() < until; after = readProcessCpuSeconds('self'))
      for (const slice = Date.now() + 20; Date.now() < slice;) Math.sqrt(Math.random());
    expect(after).toBeGreaterThan(before);
  });
});
