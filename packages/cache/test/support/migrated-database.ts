/**
 * A database of the test file's own on the local stack's PostgreSQL, with the real schema (migrations): created
 * before the file's tests and dropped after them. `client()` is connected in between.
 */
import pg from 'pg';
import { migrate } from '@floodgate/db';

export function migratedDatabase(prefix: string): { client: () => pg.Client } {
  const adminUrl = process.env.FLOODGATE_PG_SUPERUSER_URL!;
  const dbName = `${prefix}_${process.pid}`;
  const url = new URL(process.env.DATABASE_URL!);
  const owner = url.username;
  url.pathname = `/${dbName}`;
  let db: pg.Client | undefined;
  const asAdmin = async (sql: string) => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(sql);
    } finally {
      await admin.end();
    }
  };
  beforeAll(async () => {
    await asAdmin(`create database ${dbName} owner ${owner}`);
    await migrate({ databaseUrl: url.toString() });
    db = new pg.Client({ connectionString: url.toString() });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await asAdmin(`drop database if exists ${dbName} with (force)`);
  });
  return {
    client: () => {
      if (!db) throw new Error('the database is only there while the tests run');
      return db;
    },
  };
}
