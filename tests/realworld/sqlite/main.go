// Command sqlite does real database work through github.com/mattn/go-sqlite3,
// a widely used cgo module nobody here wrote, and reports how many times each
// of its C functions was called, so that cgoscope's counts can be compared
// exactly with what the program did.
//
// It speaks the workload protocol of cgoscope.test/internal/proto (READY,
// SIGUSR1, TRUTH). The scenario, on one connection to a database file in a
// temporary directory: open it, create a table, insert -rows rows with one
// prepared statement inside a transaction, run -queries single-row queries,
// close it.
//
// The TRUTH counts are derived from the database operations the program made
// (counted right before each) and from what go-sqlite3 v1.14.32, pinned in
// go.mod, does in C per operation (sqlite3.go, sqlite3_go18.go):
//
//	operation              C calls made through cgo (only the asserted ones)
//	db.Exec(sql), Begin,   _sqlite3_prepare_v2_internal, sqlite3_reset (bind),
//	  Commit (c.exec)        _sqlite3_step_row_internal, sqlite3_finalize
//	tx.Prepare(sql)        _sqlite3_prepare_v2_internal
//	stmt.Exec(int, text)   sqlite3_reset, sqlite3_bind_int64, _sqlite3_bind_text,
//	                         _sqlite3_step_row_internal
//	stmt.Close()           sqlite3_finalize
//	db.QueryRow(sql, int)  _sqlite3_prepare_v2_internal, sqlite3_reset,
//	  .Scan (one row)        sqlite3_bind_int64, _sqlite3_step_internal,
//	                         sqlite3_finalize (Rows.Close of a query's statement)
//	first use of the pool  _sqlite3_open_v2 (one connection: SetMaxOpenConns(1))
//
// Each text is non-empty, so its bind is _sqlite3_bind_text. Any error exits 1.
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"cgoscope.test/internal/proto"
	_ "github.com/mattn/go-sqlite3"
)

// ops counts the database operations the scenario made.
type ops struct {
	opens     uint64 // connections opened
	connExecs uint64 // single-statement db.Exec, Begin and Commit (go-sqlite3's c.exec)
	prepares  uint64 // tx.Prepare
	stmtExecs uint64 // stmt.Exec with an int64 and a non-empty string
	stmtClose uint64 // stmt.Close
	queries   uint64 // db.QueryRow(...).Scan returning one row, one int64 argument
}

// cCalls maps the operations to the C calls go-sqlite3 v1.14.32 makes for them.
func (o ops) cCalls() map[string]uint64 {
	return map[string]uint64{
		"_sqlite3_open_v2":             o.opens,
		"_sqlite3_prepare_v2_internal": o.connExecs + o.prepares + o.queries,
		"_sqlite3_step_row_internal":   o.connExecs + o.stmtExecs,
		"_sqlite3_step_internal":       o.queries,
		"_sqlite3_bind_text":           o.stmtExecs,
		"sqlite3_bind_int64":           o.stmtExecs + o.queries,
		"sqlite3_reset":                o.connExecs + o.stmtExecs + o.queries,
		"sqlite3_finalize":             o.connExecs + o.stmtClose + o.queries,
	}
}

func main() {
	rows := flag.Int("rows", 2000, "insert `N` rows in one transaction")
	queries := flag.Int("queries", 500, "run `N` single-row queries")
	opts := proto.AddFlags(flag.CommandLine)
	flag.Parse()
	if *rows < 1 || *queries < 0 {
		fmt.Fprintln(os.Stderr, "sqlite: -rows must be at least 1 and -queries not negative")
		os.Exit(2)
	}
	dir, err := os.MkdirTemp("", "cgoscope-sqlite-")
	check(err)
	defer os.RemoveAll(dir)

	sess := proto.Begin(opts)
	t0 := time.Now()
	o := scenario(filepath.Join(dir, "test.db"), *rows, *queries)
	elapsed := time.Since(t0)
	check(os.RemoveAll(dir))
	sess.Finish(proto.Truth{Pid: os.Getpid(), Calls: o.cCalls(), ElapsedNs: elapsed.Nanoseconds()})
}

func scenario(path string, rows, queries int) (o ops) {
	db, err := sql.Open("sqlite3", path)
	check(err)
	db.SetMaxOpenConns(1) // one connection, opened on first use
	db.SetMaxIdleConns(1)

	o.opens++
	o.connExecs++
	_, err = db.Exec("CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
	check(err)

	o.connExecs++ // BEGIN
	tx, err := db.Begin()
	check(err)
	o.prepares++
	ins, err := tx.Prepare("INSERT INTO kv (k, v) VALUES (?, ?)")
	check(err)
	for i := 0; i < rows; i++ {
		o.stmtExecs++
		_, err := ins.Exec(int64(i), fmt.Sprintf("value-%d", i))
		check(err)
	}
	o.stmtClose++
	check(ins.Close())
	o.connExecs++ // COMMIT
	check(tx.Commit())

	for i := 0; i < queries; i++ {
		k := int64(i * 7 % rows)
		var v string
		o.queries++
		check(db.QueryRow("SELECT v FROM kv WHERE k = ?", k).Scan(&v))
		if want := fmt.Sprintf("value-%d", k); v != want {
			proto.Fatalf("row %d: %q, want %q", k, v, want)
		}
	}
	check(db.Close())
	return o
}

func check(err error) {
	if err != nil {
		proto.Fatalf("%v", err)
	}
}
