/**
 * The floor for the operator's memory (bench/scenarios/operator-footprint.ts): a plain Node process (no loader,
 * like the operator's bundle) that loads the libraries the operator is built on and does nothing else, serving
 * its own memoryUsage() as JSON.
 */
import http from 'node:http';
import * as k8s from '@kubernetes/client-node';
import kafkajs from 'kafkajs';
import prom from 'prom-client';

// Touch each module so nothing is elided, and keep prom-client's default metrics as the operator does.
const loaded = [k8s.KubeConfig, kafkajs.Kafka, prom.Registry].length;
prom.collectDefaultMetrics();
const server = http.createServer((_req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ ...process.memoryUsage(), loaded }));
});
server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
