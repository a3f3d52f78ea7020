// How many PostgreSQL sessions the catalog server can hold, and who gets them: superusers (admin) keep
// superuser_reserved_connections, owner + writer keep a reserve of their own, readers share the rest, each
// capped by its role's CONNECTION LIMIT. Pure: the preview checks the budget before anything is applied.

/** Private memory of one reader backend after ATTACH + a query, measured (bench/concurrent-readers.ts). */
export const BACKEND_PRIVATE_MB = 3.8;
/** What the sizing assumes per backend: the measured figure rounded up, plus slack for catalog sorts. */
export const BACKEND_BUDGET_MB = 4;
/** maintenance_work_mem in the rendered postgresql.conf; one VACUUM/index build may use it. */
export const MAINTENANCE_WORK_MEM_MB = 256;
/** Slots only superusers (the admin role) may use. */
export const SUPERUSER_RESERVED_CONNECTIONS = 3;
/** Slots kept for the catalog owner and writer (maintenance, pipelines): 2 DuckDB sessions at full pool each, + 2. */
export const OWNER_WRITER_RESERVED_CONNECTIONS = 10;
/** One DuckDB session scanning in parallel (the postgres extension's pool holds up to 4 connections). */
export const DEFAULT_READER_CONNECTION_LIMIT = 4;
export const MAX_READER_CONNECTION_LIMIT = 500;
/** PostgreSQL 16 added reserved_connections + pg_use_reserved_connections. */
export const RESERVED_CONNECTIONS_SINCE = 16;

/**
 * max_connections for a server with `ramGb` of memory: half the memory stays with shared_buffers (a
 * quarter) and the OS page cache; the other half, less one maintenance_work_mem, is for backends.
 */
export function maxConnectionsFor(ramGb: number): number {
  if (!(ramGb > 0)) throw new Error(`ramGb ${ramGb} must be positive`);
  const backendMb = (ramGb * 1024) / 2 - MAINTENANCE_WORK_MEM_MB;
  return Math.max(100, Math.min(2000, Math.floor(backendMb / BACKEND_BUDGET_MB)));
}

/** A reader's connection limit problem, or undefined. */
export function connectionLimitProblem(limit: unknown): string | undefined {
  if (typeof limit !== "number" || !Number.isInteger(limit)) return `${JSON.stringify(limit)} is not a whole number`;
  if (limit < 1)
    return `${limit} would keep the reader from connecting at all (PostgreSQL's -1 = unlimited is not allowed either: one reader could take every slot); use 1-${MAX_READER_CONNECTION_LIMIT}, or remove the reader`;
  if (limit > MAX_READER_CONNECTION_LIMIT) return `${limit} is more than ${MAX_READER_CONNECTION_LIMIT}`;
  return undefined;
}

export interface ConnectionBudget {
  maxConnections: number;
  superuserReserved: number;
  ownerWriterReserved: number;
  /** Slots readers may use together: max_connections less both reserves. */
  readerSlots: number;
  /** Sum of the readers' CONNECTION LIMITs. */
  readerLimitSum: number;
  /** Whether PostgreSQL enforces the owner/writer reserve itself (16+: reserved_connections). */
  reserveEnforced: boolean;
  /** Empty when every reader can use its whole limit at once without touching the reserves. */
  warnings: string[];
}

/** The server's connection budget for these readers (limits already resolved: per reader or the default). */
export function connectionBudget(o: {
  ramGb: number;
  serverType?: string;
  postgresVersion: number;
  readers: { name: string; connectionLimit: number }[];
}): ConnectionBudget {
  const maxConnections = maxConnectionsFor(o.ramGb);
  const readerSlots = maxConnections - SUPERUSER_RESERVED_CONNECTIONS - OWNER_WRITER_RESERVED_CONNECTIONS;
  const readerLimitSum = o.readers.reduce((s, r) => s + r.connectionLimit, 0);
  const reserveEnforced = o.postgresVersion >= RESERVED_CONNECTIONS_SINCE;
  const warnings: string[] = [];
  if (readerLimitSum > readerSlots) {
    const server = o.serverType ? `a ${o.serverType} (${o.ramGb} GB)` : `${o.ramGb} GB of memory`;
    const top = [...o.readers]
      .sort((a, b) => b.connectionLimit - a.connectionLimit || (a.name < b.name ? -1 : 1))
      .slice(0, 3)
      .map((r) => `${r.name} ${r.connectionLimit}`)
      .join(", ");
    const fair = Math.max(1, Math.floor(readerSlots / Math.max(1, o.readers.length)));
    warnings.push(
      `${o.readers.length} readers may hold ${readerLimitSum} catalog connections together (largest limits: ${top}), ` +
        `but ${server} runs max_connections = ${maxConnections}, of which ${SUPERUSER_RESERVED_CONNECTIONS + OWNER_WRITER_RESERVED_CONNECTIONS} are kept for the admin, owner and writer: ` +
        `${readerSlots} for readers. When they all connect at once, the last ones are refused` +
        (reserveEnforced
          ? ""
          : ` and the owner and writer can be locked out (PostgreSQL ${o.postgresVersion} has no reserved_connections; 16+ keeps their share)`) +
        `. Fix: lower readerConnectionLimit (or connectionLimit of the largest readers) to at most ${fair} per reader, or choose a larger serverType`,
    );
  }
  return {
    maxConnections,
    superuserReserved: SUPERUSER_RESERVED_CONNECTIONS,
    ownerWriterReserved: OWNER_WRITER_RESERVED_CONNECTIONS,
    readerSlots,
    readerLimitSum,
    reserveEnforced,
    warnings,
  };
}
