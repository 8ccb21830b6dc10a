import { percentOfCore, processGroup, threadGroup } from '../../scenarios/support/cpu-groups';

describe('a process group', () => {
  it('is found from the command line of each part of the stack', () => {
    expect(processGroup('java\0-Xmx768m\0-cp\0/x/kafka.jar\0kafka.Kafka\0/s/server.properties\0')).toBe('kafka');
    expect(processGroup('postgres: floodgate floodgate 127.0.0.1(4242) idle\0')).toBe('pg');
    expect(processGroup('/usr/lib/postgresql/15/bin/postgres\0-D\0/d\0')).toBe('pg');
    expect(processGroup('/usr/bin/redis-server 127.0.0.1:6379\0')).toBe('redis');
    expect(processGroup('node\0--import\0tsx\0/w/services/api/src/main.ts\0')).toBe('api');
    expect(processGroup('node\0--import\0tsx\0/w/services/worker/src/main.ts\0consume\0')).toBe('worker');
    expect(processGroup('node\0/w/node_modules/.bin/tsx\0bench/run.ts\0')).toBe('bench');
    expect(processGroup('bash\0-c\0sleep 1\0')).toBe('other');
    // A name that only contains a group's word is not that group.
    expect(processGroup('node\0postgres-exporter.js\0')).toBe('other');
  });
});

describe("a broker thread's group", () => {
  it('is its name without numbers, so numbered threads of one kind add up', () => {
    expect(threadGroup('C2 CompilerThre\n')).toBe('C CompilerThre');
    expect(threadGroup('C1 CompilerThre')).toBe('C CompilerThre');
    expect(threadGroup('data-plane-kafk')).toBe('data-plane-kafk');
    expect(threadGroup('G1 Conc#0')).toBe('G Conc');
    expect(threadGroup('42')).toBe('?');
  });
});

describe('percent of a core', () => {
  it('is the CPU seconds used between two samples over the seconds between them', () => {
    const before = new Map([
      ['kafka', 10],
      ['pg', 5],
    ]);
    const after = new Map([
      ['kafka', 10.15],
      ['pg', 5.3],
      ['api', 0.04],
    ]);
    expect(percentOfCore(before, after, 0.2)).toEqual(
      new Map([
        ['kafka', 75],
        ['pg', 150],
        ['api', 20],
      ]),
    );
  });

  it('is never negative when processes of a group exited, and needs a positive interval', () => {
    expect(percentOfCore(new Map([['pg', 9]]), new Map([['pg', 3]]), 1).get('pg')).toBe(0);
    expect(() => percentOfCore(new Map(), new Map(), 0)).toThrow('must be positive');
  });
});
