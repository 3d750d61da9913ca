// A small SQLite workload, linked statically against Debian's libsqlite3.a and
// run unmodified natively and under shoal; the two outputs must be identical.
//
//   driver DIR [ROWS]
//
// Runs the same workload on an in-memory database and on a file database
// DIR/shoal-test.db (under shoal DIR is /tmp; natively a temporary directory):
// schema, ROWS (default 100000) inserts in one transaction, indexed queries,
// aggregates. Every value comes from a fixed LCG, so the output is deterministic.
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void die(sqlite3* db, const char* what) {
  fprintf(stderr, "driver: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
  exit(1);
}

static void exec(sqlite3* db, const char* sql) {
  char* err = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "driver: %s: %s\n", sql, err ? err : "?");
    exit(1);
  }
}

// Prints every row of a query, columns separated by '|', under a label.
static void query(sqlite3* db, const char* label, const char* sql) {
  sqlite3_stmt* st;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) die(db, sql);
  printf("%s:\n", label);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    printf("  ");
    for (int i = 0; i < sqlite3_column_count(st); ++i) {
      const unsigned char* t = sqlite3_column_text(st, i);
      printf("%s%s", i ? "|" : "", t ? (const char*)t : "NULL");
    }
    printf("\n");
  }
  if (rc != SQLITE_DONE) die(db, sql);
  sqlite3_finalize(st);
}

static unsigned long long g_seed;
static unsigned next_rand(void) {
  g_seed = g_seed * 6364136223846793005ull + 1442695040888963407ull;
  return (unsigned)(g_seed >> 33);
}

static void workload(const char* name, const char* path, int rows) {
  sqlite3* db;
  if (sqlite3_open(path, &db) != SQLITE_OK) die(db, "open");
  printf("== %s database, %d rows\n", name, rows);
  exec(db, "CREATE TABLE item(id INTEGER PRIMARY KEY, k INTEGER NOT NULL, "
           "grp TEXT NOT NULL, name TEXT, price REAL)");
  exec(db, "CREATE INDEX item_k ON item(k)");
  exec(db, "CREATE INDEX item_grp_price ON item(grp, price)");

  g_seed = 42;
  exec(db, "BEGIN");
  sqlite3_stmt* ins;
  if (sqlite3_prepare_v2(db, "INSERT INTO item(k, grp, name, price) VALUES(?, ?, ?, ?)", -1, &ins,
                         NULL) != SQLITE_OK)
    die(db, "prepare insert");
  static const char* groups[] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"};
  char label[32];
  for (int i = 0; i < rows; ++i) {
    unsigned r = next_rand();
    snprintf(label, sizeof label, "item-%08x", r);
    sqlite3_bind_int(ins, 1, (int)(r % 50000));
    sqlite3_bind_text(ins, 2, groups[next_rand() % 7], -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 3, label, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(ins, 4, (next_rand() % 100000) / 100.0);
    if (sqlite3_step(ins) != SQLITE_DONE) die(db, "insert");
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  exec(db, "COMMIT");

  query(db, "count", "SELECT count(*), sum(k), min(k), max(k) FROM item");
  query(db, "point lookups by k (index)",
        "SELECT k, count(*), min(id) FROM item WHERE k IN (0, 7, 12345, 31337, 49999) GROUP BY k ORDER BY k");
  query(db, "range by k (index)", "SELECT count(*), printf('%.2f', sum(price)) FROM item WHERE k BETWEEN 1000 AND 1999");
  query(db, "per group aggregate",
        "SELECT grp, count(*), printf('%.2f', avg(price)), printf('%.2f', max(price)) FROM item "
        "GROUP BY grp ORDER BY grp");
  query(db, "cheapest in gamma (index)",
        "SELECT id, name, printf('%.2f', price) FROM item WHERE grp = 'gamma' ORDER BY price, id LIMIT 5");
  query(db, "top by k", "SELECT id, k, name FROM item ORDER BY k DESC, id LIMIT 5");
  query(db, "plan", "EXPLAIN QUERY PLAN SELECT * FROM item WHERE k = 5");

  exec(db, "BEGIN");
  exec(db, "UPDATE item SET price = price * 2 WHERE grp = 'beta'");
  exec(db, "DELETE FROM item WHERE k % 10 = 3");
  exec(db, "COMMIT");
  query(db, "after update/delete",
        "SELECT count(*), printf('%.2f', sum(price)) FROM item");
  query(db, "integrity", "PRAGMA integrity_check");
  if (sqlite3_close(db) != SQLITE_OK) die(db, "close");
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s DIR [ROWS]\n", argv[0]);
    return 2;
  }
  int rows = argc > 2 ? atoi(argv[2]) : 100000;
  printf("sqlite %s\n", sqlite3_libversion());
  workload("in-memory", ":memory:", rows);

  char path[4096];
  snprintf(path, sizeof path, "%s/shoal-test.db", argv[1]);
  unlink(path);
  workload("file", path, rows);
  // Reopen the file: the data must have reached the file system.
  sqlite3* db;
  if (sqlite3_open(path, &db) != SQLITE_OK) die(db, "reopen");
  query(db, "reopened", "SELECT count(*), max(id) FROM item");
  sqlite3_close(db);
  if (unlink(path) != 0) perror("unlink");
  printf("done\n");
  return 0;
}
