import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { createSilentLogger } from '../../../shared/log/logger.js';
import { migrate } from '../database.js';
import { tablesInDependencyOrder } from './copy-order.js';

test('the copy order puts every table after the tables its foreign keys point at, and lists each table once', () => {
  const db = new Database(':memory:');
  try {
    migrate(db, createSilentLogger());
    const order = tablesInDependencyOrder(db);
    const all = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => r.name);
    assert.deepEqual([...order].sort(), [...all].sort());
    for (const table of order) {
      for (const { table: parent } of db.prepare<[], { table: string }>(`SELECT "table" FROM pragma_foreign_key_list('${table}')`).all()) {
        assert.ok(order.indexOf(parent) < order.indexOf(table), `${parent} before ${table}`);
      }
    }
    assert.ok(order.indexOf('users') < order.indexOf('user_tokens') && order.indexOf('sites') < order.indexOf('alerts'));
  } finally {
    db.close();
  }
});
