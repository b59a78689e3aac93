/**
 * @module The WaiverWriter (store/waiver-store.ts) on SQLite: each change, its hosts and its audit
 * entry in one IMMEDIATE transaction, run synchronously so nothing else on the connection can slip in.
 */
import type { Database } from 'better-sqlite3';
import { WAIVER_SQL, auditArgs, insertArgs, updateArgs, type WaiverRow, type WaiverWriter } from '../waiver-store.js';

export function sqliteWaiverWriter(db: Database): WaiverWriter {
  return {
    async insert(row, agentIds, audit) {
      return db
        .transaction(() => {
          const { id } = db.prepare(WAIVER_SQL.insert).get(...insertArgs(row)) as { id: number };
          const addHost = db.prepare(WAIVER_SQL.insertHost);
          for (const agentId of agentIds) addHost.run(id, agentId);
          db.prepare(WAIVER_SQL.audit).run(...auditArgs(audit(id)));
          return id;
        })
        .immediate();
    },
    async change(id, next, audit) {
      db.transaction(() => {
        const before = db.prepare(WAIVER_SQL.selectOne).get(id) as WaiverRow | undefined;
        const after = next(before);
        db.prepare(WAIVER_SQL.update).run(...updateArgs(after));
        db.prepare(WAIVER_SQL.audit).run(...auditArgs(audit(before!, after)));
      }).immediate();
    },
  };
}
