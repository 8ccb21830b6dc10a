import { brokerJvmOptions } from '../../src/servers/kafka';

it('logs GC pauses with wall time into the state folder and uses a 768m heap by default', () => {
  const opts = brokerJvmOptions('/state/kafka', {});
  expect(opts).toContain('-Xmx768m');
  expect(opts).toContain('-Xlog:gc:file=/state/kafka/gc.log:time,uptime:filecount=2,filesize=20m');
});

it('takes the heap from FLOODGATE_KAFKA_HEAP and appends FLOODGATE_KAFKA_JVM_OPTS, split on whitespace, last', () => {
  const opts = brokerJvmOptions('/s', {
    FLOODGATE_KAFKA_HEAP: '1g',
    FLOODGATE_KAFKA_JVM_OPTS: '  -Xlog:jit+compilation=debug:file=/tmp/jit.log \n -XX:+UnlockDiagnosticVMOptions ',
  });
  expect(opts).toContain('-Xmx1g');
  expect(opts).not.toContain('-Xmx768m');
  expect(opts.slice(-2)).toEqual(['-Xlog:jit+compilation=debug:file=/tmp/jit.log', '-XX:+UnlockDiagnosticVMOptions']);
  expect(opts).not.toContain('');
});
