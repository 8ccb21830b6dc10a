/** The framework ceiling: an Express 5 app that answers 202 without reading the body or doing any work. */
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.post('/v1/events', (_req, res) => {
  res.status(202).json({ accepted: 1 });
});
app.get('/v1/devices/:id', (_req, res) => {
  res.json({ ok: true });
});
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.send?.({ port: (server.address() as { port: number }).port });
});
// The API's server timeouts (services/api/src/api-runtime.ts), so both hold idle keep-alive
// connections alike (Node's default keepAliveTimeout of 5 s would close them between requests).
server.keepAliveTimeout = 65_000;
server.headersTimeout = 10_000;
server.requestTimeout = 30_000;
process.on('SIGTERM', () => server.close(() => process.exit(0)));
