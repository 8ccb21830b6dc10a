/**
 * A migrated database of the test file's own (`createOwnDatabase` of @floodgate/db) on the local stack, made before
 * the file's tests and dropped after them, with one client connected in between.
 */
import pg from 'pg';
import { createOwnDatabase, type OwnDatabase } from '@floodgate/db';

export function migratedDatabase(prefix: string): { client: () => pg.Client } {
  let own: OwnDatabase | undefined;
  let db: pg.Client | undefined;
  beforeAll(async () => {
    own = await createOwnDatabase({ adminUrl: process.env.FLOODGATE_PG_SUPERUSER_URL!, appUrl: process.env.DATABASE_URL!, name: `${prefix}_${process.pid}` });
    db = new pg.Client({ connectionString: own.url });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await own?.drop();
  });
  return {
    client: () => {
      if (!db) throw new Error('the database is only there while the tests run');
      return db;
    },
  };
}
