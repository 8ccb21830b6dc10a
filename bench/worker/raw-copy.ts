/**
 * The raw PostgreSQL ceiling for the drain benchmark: `COPY readings FROM STDIN` over one connection, with no
 * library beyond pg (its protocol hooks: a submittable that streams CopyData messages once the server asks).
 */
import type pg from 'pg';

interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

class CopyIn {
  private error: Error | undefined;
  rowCount = 0;

  constructor(
    private readonly text: string,
    private readonly chunks: Iterable<Buffer>,
    private readonly done: (err: Error | undefined, rows: number) => void,
  ) {}

  submit(connection: CopyConnection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    for (const chunk of this.chunks) connection.sendCopyFromChunk(chunk);
    connection.endCopyFrom();
  }

  handleCommandComplete(msg: { text?: string }): void {
    this.rowCount = Number(/(\d+)$/.exec(msg.text ?? '')?.[1] ?? 0);
  }

  handleError(err: Error): void {
    this.error = err;
  }

  handleReadyForQuery(): void {
    this.done(this.error, this.rowCount);
  }

  // Messages a COPY never produces; present because pg may call them on any active query.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

/** Streams `chunks` (COPY text format) into `table (columns)`; resolves with the rows the server reports. */
export function copyFrom(client: pg.Client, table: string, columns: string[], chunks: Iterable<Buffer>): Promise<number> {
  return new Promise((resolve, reject) => {
    const submittable = new CopyIn(`COPY ${table} (${columns.join(', ')}) FROM STDIN`, chunks, (err, rows) => (err ? reject(err) : resolve(rows)));
    (client as unknown as { query(s: unknown): void }).query(submittable);
  });
}

/** One row in COPY text format (tab-separated, \N for null, backslashes escaped). */
export function copyRow(values: (string | null)[]): string {
  return values.map((v) => (v === null ? '\\N' : v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r'))).join('\t') + '\n';
}
