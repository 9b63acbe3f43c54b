/** A fresh, empty database on a PostgreSQL server, for one test file or one benchmark run. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/**
 * The CREATE DATABASE of a scratch database. With BENCH_DB_LOCALE set to an ICU locale (e.g.
 * zh-Hans-CN), the database's default collation is that language's — as a credit-information centre's
 * server often is — instead of the server's default; benchmarks then show what such a store costs.
 */
export function createDatabaseSql(name: string, locale = process.env.BENCH_DB_LOCALE): string {
  if (!locale) return `CREATE DATABASE ${name}`;
  if (!/^[A-Za-z0-9-]+$/.test(locale)) throw new Error(`not an ICU locale name: ${locale}`);
  return `CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '${locale}'`;
}

/** `icuLocale`: the database's default collation (createDatabaseSql; default BENCH_DB_LOCALE, else the server's). */
export async function createScratchDatabase(adminUrl: string, prefix: string, icuLocale?: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(createDatabaseSql(name, icuLocale));
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => dropScratchDatabase(adminUrl, name),
  };
}

/** Drops a scratch database, once its connections are gone (or after 3 s, by force). */
export async function dropScratchDatabase(adminUrl: string, name: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    // A pool's end() resolves before its connections are gone; FORCE would then hit a closing
    // connection (FATAL 57P01, an unhandled error in the test). Give them a moment to go first.
    for (let waited = 0; waited < 3000; waited += 50) {
      const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
      if (rows[0]!.n === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await c.end();
  }
}
