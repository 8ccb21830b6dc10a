/**
 * A migrated database of its own on a PostgreSQL server, for a test file or a tool that must not see anyone else's
 * rows: created (after dropping a leftover of the same name) by the superuser, owned by the application role, with
 * the schema of the migrations. `drop()` removes it, disconnecting whoever is still connected.
 */
import pg from 'pg';
import { migrate } from './migrate';

export interface OwnDatabase {
  /** The application role's URL of the new database. */
  url: string;
  drop(): Promise<void>;
}

async function asSuperuser(adminUrl: string, sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/**
 * `name` becomes the database's name with characters other than letters, digits and `_` replaced; `appUrl` names
 * the server and the owning role (its database part is replaced); `adminUrl` is a superuser's URL on the same server.
 */
export async function createOwnDatabase(opts: { adminUrl: string; appUrl: string; name: string }): Promise<OwnDatabase> {
  const dbName = opts.name.replace(/[^a-z0-9_]/gi, '_').toLowerCase();
  const u = new URL(opts.appUrl);
  const owner = u.username;
  await asSuperuser(opts.adminUrl, `drop database if exists ${dbName} with (force)`);
  await asSuperuser(opts.adminUrl, `create database ${dbName} owner ${owner}`);
  u.pathname = `/${dbName}`;
  const url = u.toString();
  await migrate({ databaseUrl: url });
  return { url, drop: () => asSuperuser(opts.adminUrl, `drop database if exists ${dbName} with (force)`) };
}
